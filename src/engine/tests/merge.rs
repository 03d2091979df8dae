//! The new state buffer after a batch, worked out in one step, against its definition: Spark's
//! `merge(merge(∅, state), merge(∅, batch))`, for every kind of buffer and any bits in it
//! (NaNs, signed zeros, unset buffers with leftover bits).
//!
//! A NaN is any NaN here: the sign and payload of the NaN that `+` returns are not fixed by Rust
//! (the compiler may swap an addition's operands, and `NaN + -NaN` keeps the first one's sign), and
//! no output tells them apart (every NaN prints as `NaN`).

use proptest::prelude::*;

use super::super::accumulate::{self, Acc, Extreme, Kind, Numeric};
use super::super::interner::Interner;

/// The definition: three merges.
fn spark_merge_into_state(kind: Kind, state: Option<&Acc>, batch: &Acc) -> Acc {
    let mut strings = Interner::default();
    let mut merged = Acc::default();
    if let Some(state) = state {
        accumulate::merge(kind, &mut merged, state, &mut strings);
    }
    let mut batch_merged = Acc::default();
    accumulate::merge(kind, &mut batch_merged, batch, &mut strings);
    accumulate::merge(kind, &mut merged, &batch_merged, &mut strings);
    merged
}

/// The buffer with any NaN in a double's slot made the one NaN.
fn nan_as_one(kind: Kind, acc: Acc) -> Acc {
    let double = matches!(
        kind,
        Kind::SumDouble | Kind::Avg | Kind::Extreme(_, Numeric::Double)
    );
    if double && f64::from_bits(acc.a).is_nan() {
        Acc {
            a: f64::NAN.to_bits(),
            ..acc
        }
    } else {
        acc
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    let extreme = prop_oneof![Just(Extreme::Min), Just(Extreme::Max)];
    let numeric = prop_oneof![Just(Numeric::Long), Just(Numeric::Double)];
    prop_oneof![
        Just(Kind::Count),
        Just(Kind::CountColumn),
        Just(Kind::SumLong),
        Just(Kind::SumDouble),
        Just(Kind::Avg),
        (extreme, numeric).prop_map(|(e, n)| Kind::Extreme(e, n)),
    ]
}

fn bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (-1e6f64..1e6).prop_map(f64::to_bits),
        prop::sample::select(vec![
            0.0f64.to_bits(),
            (-0.0f64).to_bits(),
            f64::NAN.to_bits(),
            (-f64::NAN).to_bits(),
            f64::INFINITY.to_bits(),
            1,
            u64::MAX,
            i64::MIN as u64,
        ]),
    ]
}

fn acc() -> impl Strategy<Value = Acc> {
    (bits(), prop_oneof![Just(0u64), Just(1), 0u64..1_000]).prop_map(|(a, b)| Acc { a, b })
}

proptest! {
    #[test]
    fn one_step_is_the_three_merges(
        kind in kind(),
        state in prop::option::of(acc()),
        batch in acc(),
    ) {
        // A count's buffer counts (no wrap past u64: more rows than that never come).
        let small = |x: Acc| if matches!(kind, Kind::Count | Kind::CountColumn) {
            Acc { a: x.a >> 2, b: x.b }
        } else {
            x
        };
        let (state, batch) = (state.map(small), small(batch));
        let got = accumulate::merge_into_state(kind, state.as_ref(), &batch, &mut Interner::default());
        let want = spark_merge_into_state(kind, state.as_ref(), &batch);
        prop_assert_eq!(
            nan_as_one(kind, got),
            nan_as_one(kind, want),
            "{:?} {:?} {:?}",
            kind,
            state,
            batch
        );
    }
}

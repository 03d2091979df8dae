//! Tests of the aggregate buffers: Spark's rounding of sums, NULLs, and `min`/`max` of every type.

use super::*;

fn run(kind: Kind, batches: &[&[Value]]) -> (Acc, Interner) {
    let mut strings = Interner::default();
    let mut state: Option<Acc> = None;
    for rows in batches {
        let mut partial = Acc::default();
        for v in *rows {
            update(kind, &mut partial, *v, &mut strings);
        }
        let merged = merge_into_state(kind, state.as_ref(), &partial, &mut strings);
        release(kind, &partial, &mut strings);
        if let Some(old) = state {
            release(kind, &old, &mut strings);
        }
        state = Some(merged);
    }
    (state.unwrap_or_default(), strings)
}

#[test]
fn sums_round_as_sparks_plan_does() {
    // Spark: (0 + s) + (0 + batch), the batch summed in row order from 0.
    let (acc, s) = run(
        Kind::SumDouble,
        &[
            &[Value::Double(12_345_678.5), Value::Double(0.000_25)],
            &[Value::Double(-1.5)],
        ],
    );
    let want = (12_345_678.5f64 + 0.000_25) + -1.5;
    assert_eq!(
        result(Kind::SumDouble, &acc, DataType::Double, &s),
        Datum::Double(want)
    );
    // All NULL: NULL; a lone -0.0 is 0.0 (0.0 + -0.0).
    let (acc, s) = run(Kind::SumDouble, &[&[Value::Null]]);
    assert_eq!(
        result(Kind::SumDouble, &acc, DataType::Double, &s),
        Datum::Null
    );
    let (acc, s) = run(Kind::SumDouble, &[&[Value::Double(-0.0)]]);
    assert!(
        matches!(result(Kind::SumDouble, &acc, DataType::Double, &s), Datum::Double(z) if z == 0.0 && z.is_sign_positive())
    );
    let (acc, s) = run(
        Kind::SumLong,
        &[&[Value::Long(i64::MAX)], &[Value::Long(1)]],
    );
    assert_eq!(
        result(Kind::SumLong, &acc, DataType::Long, &s),
        Datum::Long(i64::MIN),
        "wraps"
    );
}

#[test]
fn avg_counts_only_values_but_adds_zero_for_nulls() {
    let (acc, s) = run(
        Kind::Avg,
        &[
            &[Value::Long(2), Value::Null, Value::Long(-5)],
            &[Value::Long(4)],
        ],
    );
    assert_eq!(
        result(Kind::Avg, &acc, DataType::Double, &s),
        Datum::Double(1.0 / 3.0)
    );
    let (acc, s) = run(Kind::Avg, &[&[Value::Null]]);
    assert_eq!(result(Kind::Avg, &acc, DataType::Double, &s), Datum::Null);
}

#[test]
fn min_and_max_keep_the_type_and_strings_by_bytes() {
    let max_str = Kind::Extreme(Extreme::Max, Numeric::Str);
    let (acc, s) = run(
        max_str,
        &[
            &[Value::Str("a,b"), Value::Str("q\"t")],
            &[Value::Str("Ünïcode"), Value::Null],
        ],
    );
    assert_eq!(
        result(max_str, &acc, DataType::String, &s),
        Datum::Str("Ünïcode".into())
    );
    assert_eq!(s.len(), 1, "only the kept text stays interned");
    let min_int = Kind::Extreme(Extreme::Min, Numeric::Long);
    let (acc, s) = run(
        min_int,
        &[&[Value::Long(3)], &[Value::Long(-7), Value::Null]],
    );
    assert_eq!(result(min_int, &acc, DataType::Int, &s), Datum::Long(-7));
    let min_f = Kind::Extreme(Extreme::Min, Numeric::Double);
    let (acc, s) = run(min_f, &[&[Value::Float(2.5), Value::Float(-1.5)]]);
    assert_eq!(result(min_f, &acc, DataType::Float, &s), Datum::Float(-1.5));
    let (acc, s) = run(min_f, &[&[Value::Double(-0.0), Value::Double(0.0)]]);
    assert!(
        matches!(result(min_f, &acc, DataType::Double, &s), Datum::Double(z) if z.is_sign_negative()),
        "the first of equals"
    );
    let max_ts = Kind::Extreme(Extreme::Max, Numeric::Long);
    let (acc, s) = run(max_ts, &[&[Value::Timestamp(5), Value::Timestamp(9)]]);
    assert_eq!(
        result(max_ts, &acc, DataType::Timestamp, &s),
        Datum::Timestamp(9)
    );
}

proptest::proptest! {
    /// `min` and `max` of a column of each type, its rows cut into batches anyhow: the
    /// least or greatest value, the first of equal ones as Spark keeps it.
    #[test]
    fn min_and_max_are_the_first_extreme_of_each_type(
        rows in proptest::collection::vec(proptest::prelude::any::<i16>(), 1..24),
        cuts in proptest::collection::vec(proptest::prelude::any::<bool>(), 24),
        type_at in 0usize..5,
    ) {
        let (data_type, numeric, value): (_, _, fn(i16) -> Value<'static>) = [
            (DataType::Boolean, Numeric::Long, (|v| Value::Bool(v % 2 == 0)) as fn(_) -> _),
            (DataType::Float, Numeric::Double, |v| Value::Float(f32::from(v % 9) / 4.0)),
            (DataType::Double, Numeric::Double, |v| Value::Double(f64::from(v % 9) * -0.5)),
            (DataType::Long, Numeric::Long, |v| Value::Long(i64::from(v % 50))),
            (DataType::Timestamp, Numeric::Long, |v| Value::Timestamp(i64::from(v))),
        ][type_at];
        let values: Vec<Value> = rows.iter().map(|&v| value(v)).collect();
        let mut batches: Vec<&[Value]> = Vec::new();
        let mut from = 0;
        for at in 1..=values.len() {
            if at == values.len() || cuts[at] {
                batches.push(&values[from..at]);
                from = at;
            }
        }
        for extreme in [Extreme::Min, Extreme::Max] {
            let first = values.iter().copied().reduce(|kept, v| {
                if better(extreme, compare(v, kept)) { v } else { kept }
            });
            let kind = Kind::Extreme(extreme, numeric);
            let (acc, s) = run(kind, &batches);
            proptest::prop_assert_eq!(
                result(kind, &acc, data_type, &s),
                first.map_or(Datum::Null, |v| v.to_datum()),
                "{:?} of {:?} in {:?}", extreme, values, batches
            );
        }
    }
}

/// FLOAT and BOOLEAN values are held in a buffer of another type (a double, an integer):
/// rows of one batch are compared with what it holds by value, not by type.
#[test]
fn min_and_max_of_floats_and_booleans_in_one_batch() {
    let floats = [Value::Float(1.0), Value::Float(3.0), Value::Float(2.0)];
    let bools = [Value::Bool(true), Value::Bool(false), Value::Bool(true)];
    for (extreme, float, boolean) in [(Extreme::Min, 1.0, false), (Extreme::Max, 3.0, true)] {
        let kind = Kind::Extreme(extreme, Numeric::Double);
        let (acc, s) = run(kind, &[&floats]);
        assert_eq!(
            result(kind, &acc, DataType::Float, &s),
            Datum::Float(float),
            "{extreme:?}"
        );
        let kind = Kind::Extreme(extreme, Numeric::Long);
        let (acc, s) = run(kind, &[&bools]);
        assert_eq!(
            result(kind, &acc, DataType::Boolean, &s),
            Datum::Bool(boolean),
            "{extreme:?}"
        );
    }
}

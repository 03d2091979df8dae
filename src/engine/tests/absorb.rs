//! A tick aggregated elsewhere ([`TickPartial`]) and absorbed whole gives each batch the same
//! output as its rows pushed one by one: rows and their order, statistics, late sample.

use proptest::prelude::*;

use super::super::*;
use super::{at, keyed_query};

/// A count by `k` (STRING or INT) over `size` / `slide` second windows.
fn query(string_key: bool, (size, slide): (i64, i64), mode: OutputMode) -> Query {
    let schema = if string_key {
        "t TIMESTAMP, k STRING"
    } else {
        "t TIMESTAMP, k INT"
    };
    let window = WindowRequest::Sliding {
        size: Duration::from_secs(size),
        slide: Duration::from_secs(slide),
    };
    keyed_query(schema, "count", window, mode)
}

/// A batch's rows: (seconds after `at(0)`, key number).
type Batch = Vec<(f64, u32)>;

fn row(string_key: bool, (seconds, key): (f64, u32), name: &str) -> (Micros, [Value<'_>; 2]) {
    let t = at(seconds);
    let k = if string_key {
        Value::Str(name)
    } else {
        Value::Long(i64::from(key))
    };
    (t, [Value::Timestamp(t), k])
}

/// Runs `batches` through two engines, one pushing rows, one absorbing each batch as a tick,
/// and holds every output to be the same.
fn same_outputs(query: &Query, batches: &[Batch]) {
    let string_key = query.key_types() == [DataType::String];
    let (mut pushed, mut absorbed) = (Engine::new(query.clone()), Engine::new(query.clone()));
    for (b, batch) in batches.iter().enumerate() {
        let names: Vec<String> = batch.iter().map(|&(_, k)| format!("key{k}")).collect();
        let rows: Vec<_> = (batch.iter().zip(&names))
            .map(|(&r, name)| row(string_key, r, name))
            .collect();
        let by_row = pushed.run_batch(BatchKind::Data, rows.iter().map(|(t, v)| (*t, &v[..])));
        let mut tick = TickPartial::new(query).expect("a count over sliding windows");
        for (t, values) in &rows {
            tick.push(*t, &values[..]);
        }
        assert_eq!(tick.rows(), rows.len() as u64);
        let mut run = absorbed.begin(BatchKind::Data);
        run.absorb(&tick).expect("absorbed");
        let by_tick = run.finish();
        assert_eq!(by_tick, by_row, "batch {b}");
        assert_eq!(absorbed.distinct_keys(), pushed.distinct_keys());
        assert_eq!(absorbed.marks(), pushed.marks());
    }
}

fn batches(keys: u32) -> impl Strategy<Value = Vec<Batch>> {
    // Each batch's rows around a time that moves on (or back), so that later batches have
    // late rows, panes visited again, and windows closed.
    let batch = (
        0.0..120.0f64,
        prop::collection::vec((0.0..40.0f64, 0..keys), 0..60),
    )
        .prop_map(|(base, rows)| {
            rows.into_iter()
                .map(|(offset, key)| ((base + offset).floor(), key))
                .collect()
        });
    prop::collection::vec(batch, 1..8)
}

fn mode() -> impl Strategy<Value = OutputMode> {
    prop_oneof![
        Just(OutputMode::Append),
        Just(OutputMode::Update),
        Just(OutputMode::Complete)
    ]
}

fn windows() -> impl Strategy<Value = (i64, i64)> {
    prop::sample::select(vec![(10, 10), (10, 5), (30, 15), (10, 4), (9, 1)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn an_absorbed_tick_is_its_rows_pushed(
        string_key in any::<bool>(),
        window in windows(),
        mode in mode(),
        batches in batches(12),
    ) {
        same_outputs(&query(string_key, window, mode), &batches);
    }
}

/// Keys beyond those counted densely (ids from 4096) take the batch's table, in the order
/// rows would have made their entries.
#[test]
fn an_absorbed_tick_of_many_keys_is_its_rows_pushed() {
    let batches: Vec<Batch> = (0..4)
        .map(|b| {
            (0..12_000u32)
                .map(|i| (f64::from(b * 20 + i % 37), (i * 7919 + b) % 6_000))
                .collect()
        })
        .collect();
    for mode in [OutputMode::Append, OutputMode::Update] {
        same_outputs(&query(true, (10, 5), mode), &batches);
    }
}

/// A tick is not absorbed where its rows would not add up the same: into a batch that has
/// rows, or whose state is full (rows of new keys refused one by one), or of another query;
/// nor built for queries other than counts over sliding windows.
#[test]
fn a_tick_is_absorbed_only_where_it_adds_up_the_same() {
    let seed = Query::seed();
    let mut tick = TickPartial::new(&seed).unwrap();
    tick.push(at(1.0), &[Value::Timestamp(at(1.0)), Value::Str("1")][..]);

    let mut engine = Engine::new(seed.clone());
    let mut batch = engine.begin(BatchKind::Data);
    batch.push(at(2.0), &[Value::Timestamp(at(2.0)), Value::Str("2")][..]);
    assert_eq!(batch.absorb(&tick), Err(NotAbsorbed::HasRows));

    let mut full = Engine::new(seed.clone());
    full.limit_state_rows(Some(1));
    full.run_batch(
        BatchKind::Data,
        [(at(3.0), [Value::Timestamp(at(3.0)), Value::Str("3")])]
            .iter()
            .map(|(t, v)| (*t, &v[..])),
    );
    assert_eq!(
        full.begin(BatchKind::Data).absorb(&tick),
        Err(NotAbsorbed::StateFull)
    );

    let other = query(true, (10, 5), OutputMode::Append);
    let mut other = Engine::new(other);
    assert_eq!(
        other.begin(BatchKind::Data).absorb(&tick),
        Err(NotAbsorbed::OtherQuery)
    );

    let sum = keyed_query(
        "t TIMESTAMP, k STRING, x LONG",
        "sum(x)",
        WindowRequest::Sliding {
            size: Duration::from_secs(10),
            slide: Duration::from_secs(10),
        },
        OutputMode::Append,
    );
    assert!(TickPartial::new(&sum).is_none());
    let sessions = keyed_query(
        "t TIMESTAMP, k STRING",
        "count",
        WindowRequest::Session {
            gap: Duration::from_secs(4),
        },
        OutputMode::Append,
    );
    assert!(TickPartial::new(&sessions).is_none());
}

//! Averages of integers added up by pane only while that is exact: against Spark's order (each
//! window's batch summed as doubles in row order, then `(0 + state) + (0 + batch)`), with values
//! near and past 2^53, where another order rounds otherwise.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::super::*;

const S: Micros = MICROS_PER_SECOND;

/// A row: event time (seconds), key, value (maybe NULL).
type Input = (i64, &'static str, Option<i64>);

fn query(size: i64, slide: i64) -> Query {
    Query::new(QueryRequest {
        schema: "t TIMESTAMP, k STRING, x BIGINT".parse().unwrap(),
        event_time: EventTime::Column("t".into()),
        group_by: vec!["k".into()],
        aggs: parse_aggs("count,avg(x),sum(x),max(x)").unwrap(),
        window: WindowRequest::Sliding {
            size: Duration::from_secs(size),
            slide: Duration::from_secs(slide),
        },
        delay: Duration::from_secs(10_000),
        mode: OutputMode::Update,
        max_windows_per_event: MAX_WINDOWS_PER_EVENT,
    })
    .unwrap()
}

/// Each batch's `(window start, key) → avg` as the engine emits it (update mode).
fn engine(size: i64, slide: i64, batches: &[Vec<Input>]) -> Vec<BTreeMap<(Micros, String), Datum>> {
    let mut engine = Engine::new(query(size, slide));
    let mut out = Vec::new();
    for rows in batches {
        let rows: Vec<(Micros, [Value; 3])> = rows
            .iter()
            .map(|&(t, k, x)| {
                let values = [
                    Value::Timestamp(t * S),
                    Value::Str(k),
                    x.map_or(Value::Null, Value::Long),
                ];
                (t * S, values)
            })
            .collect();
        let output = engine.run_batch(BatchKind::Data, rows.iter().map(|(t, v)| (*t, &v[..])));
        let emitted = output.rows.iter().map(|r| {
            let key = match output.key_values(r, &[DataType::String]).next() {
                Some(Value::Str(k)) => k.to_string(),
                other => format!("{other:?}"),
            };
            (
                (r.window.start, key),
                output.aggs(r).nth(1).expect("an avg").to_datum(),
            )
        });
        out.push(emitted.collect());
    }
    out
}

/// The same from Spark's order, by brute force.
fn spark(size: i64, slide: i64, batches: &[Vec<Input>]) -> Vec<BTreeMap<(Micros, String), Datum>> {
    let mut state: BTreeMap<(Micros, String), (f64, i64)> = BTreeMap::new();
    let mut out = Vec::new();
    for rows in batches {
        let mut batch: BTreeMap<(Micros, String), (f64, i64)> = BTreeMap::new();
        for &(t, k, x) in rows {
            let last_start = t.div_euclid(slide) * slide;
            let mut start = last_start;
            while start > t - size {
                let (sum, n) = batch.entry((start * S, k.to_string())).or_default();
                *sum += x.map_or(0.0, |x| x as f64);
                *n += i64::from(x.is_some());
                start -= slide;
            }
        }
        let mut emitted = BTreeMap::new();
        for (key, (sum, n)) in batch {
            let (old_sum, old_n) = state.get(&key).copied().unwrap_or((0.0, 0));
            let merged = ((0.0 + old_sum) + (0.0 + sum), old_n + n);
            state.insert(key.clone(), merged);
            let avg = if merged.1 == 0 {
                Datum::Null
            } else {
                Datum::Double(merged.0 / merged.1 as f64)
            };
            emitted.insert(key, avg);
        }
        out.push(emitted);
    }
    out
}

#[test]
fn a_batch_past_two_to_the_fifty_third_goes_on_by_window_in_row_order() {
    // Window [0, 30) holds both panes. In row order 2^53 + 1 + 1 rounds to 2^53 each time; by
    // pane it would be 2^53 + 2.
    let big = 1 << 53;
    let batches = vec![vec![
        (20, "a", Some(big)),
        (1, "a", Some(1)),
        (2, "a", Some(1)),
    ]];
    let got = engine(30, 15, &batches);
    assert_eq!(got, spark(30, 15, &batches));
    assert_eq!(
        got[0][&(0, "a".to_string())],
        Datum::Double(big as f64 / 3.0)
    );
    // The next batch starts by pane again, and meets the state whole.
    let more = vec![
        batches[0].clone(),
        vec![(3, "a", Some(1)), (25, "a", Some(-1))],
    ];
    assert_eq!(engine(30, 15, &more), spark(30, 15, &more));
}

fn value() -> impl Strategy<Value = Option<i64>> {
    prop::sample::select(vec![
        None,
        Some(1),
        Some(-1),
        Some(7),
        Some(123_456_789),
        Some(1 << 52),
        Some(-(1 << 52)),
        Some((1 << 53) - 1),
        Some(1 << 53),
        Some((1 << 53) + 1),
        Some(i64::MAX),
        Some(i64::MIN),
    ])
}

proptest! {
    #[test]
    fn averages_of_integers_round_as_sparks_order_does(
        (size, slide) in prop::sample::select(vec![(30, 15), (20, 5), (40, 2), (10, 10)]),
        batches in prop::collection::vec(
            prop::collection::vec((0i64..60, prop::sample::select(vec!["a", "b"]), value()), 0..25),
            1..4,
        ),
    ) {
        prop_assert_eq!(engine(size, slide, &batches), spark(size, slide, &batches));
    }
}

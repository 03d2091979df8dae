//! Behaviour of the engine against the contract (`semantics.md`), one rule per test; the
//! property tests against a naive model are in [`model`].

mod absorb;
mod by_pane;
mod exact_avg;
mod many_keys;
mod merge;
mod model;
mod modes;
mod null_time;
mod shortest;
mod updater;

use std::collections::BTreeMap;

use super::*;

const S: Micros = MICROS_PER_SECOND;

/// A query of rows `schema` (`t` their event time) grouped by `k`, with a 5 s watermark.
pub(super) fn keyed_query(
    schema: &str,
    aggs: &str,
    window: WindowRequest,
    mode: OutputMode,
) -> Query {
    Query::new(QueryRequest {
        schema: schema.parse().unwrap(),
        event_time: EventTime::Column("t".into()),
        group_by: vec!["k".into()],
        aggs: parse_aggs(aggs).unwrap(),
        window,
        delay: Duration::from_secs(5),
        mode,
        max_windows_per_event: MAX_WINDOWS_PER_EVENT,
    })
    .unwrap()
}

/// Seconds after an arbitrary minute, as event time.
pub(super) fn at(seconds: f64) -> Micros {
    1_795_455_180 * S + (seconds * 1e6).round() as Micros
}

fn seed() -> Engine {
    Engine::new(Query::seed())
}

/// Runs a batch of the seed's rows `(event time, value)`.
fn run(engine: &mut Engine, kind: BatchKind, rows: &[(Micros, &str)]) -> BatchOutput {
    let values: Vec<[Value; 1]> = rows.iter().map(|(_, v)| [Value::Str(v)]).collect();
    engine.run_batch(
        kind,
        rows.iter().zip(&values).map(|((t, _), v)| (*t, &v[..])),
    )
}

/// A seed-shaped key's value.
fn value(key: &[u8]) -> String {
    match key_values(&[DataType::String], key).next() {
        Some(Value::Str(s)) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// The emitted rows as `(start, end, value, count)`, sorted (the engine emits them in no order).
fn rows(out: &BatchOutput) -> Vec<(Micros, Micros, String, i64)> {
    let mut rows: Vec<_> = out
        .rows
        .iter()
        .map(|r| {
            let count = match out.aggs(r).next() {
                Some(Value::Long(c)) => c,
                _ => -1,
            };
            (r.window.start, r.window.end, value(out.key(r)), count)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn first_batch_has_the_epoch_watermark_and_emits_nothing() {
    let mut engine = seed();
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(at(0.0), "a"), (at(15.0), "a")],
    );
    assert_eq!(out.id, 0);
    assert_eq!(out.watermark, 0);
    assert!(out.rows.is_empty());
    // a@0 in [-15,15) and [0,30); a@15 in [0,30) and [15,45): three keys.
    assert_eq!(out.stats.state_rows_total, 3);
    assert_eq!(out.stats.state_rows_updated, 3);
    assert_eq!(out.next_watermark, at(0.0));
}

#[test]
fn watermark_is_max_event_time_minus_delay_and_never_goes_back() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(40.0), "a")]);
    assert_eq!(engine.next_watermark(), at(25.0));
    run(&mut engine, BatchKind::Data, &[(at(30.0), "a")]);
    assert_eq!(
        engine.next_watermark(),
        at(25.0),
        "an older max does not lower it"
    );
    run(&mut engine, BatchKind::Data, &[(at(41.5), "a")]);
    assert_eq!(engine.next_watermark(), at(26.5));
}

#[test]
fn watermark_has_millisecond_resolution_like_spark() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(29.999_999), "a")]);
    // 29.999999 s is 29999 ms for Spark: the watermark is 14.999 s, not 14.999999 s.
    assert_eq!(engine.next_watermark(), at(14.999));
}

#[test]
fn a_batch_without_rows_leaves_the_watermark() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(40.0), "a")]);
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert_eq!(out.watermark, at(25.0));
    assert_eq!(out.next_watermark, at(25.0));
    assert_eq!(out.stats.input_rows, 0);
    assert_eq!(out.stats.event_time, None);
}

#[test]
fn late_rows_count_towards_the_watermark() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(100.0), "a")]);
    run(&mut engine, BatchKind::NoData, &[]);
    // Every window of this row closed long ago, yet its time still feeds the max.
    let mut engine2 = seed();
    run(&mut engine2, BatchKind::Data, &[(at(100.0), "a")]);
    run(&mut engine2, BatchKind::NoData, &[]);
    let out = run(
        &mut engine2,
        BatchKind::Data,
        &[(at(1.0), "old"), (at(120.0), "late-max")],
    );
    assert_eq!(out.stats.late_pairs, 2);
    assert_eq!(out.next_watermark, at(105.0));
}

#[test]
fn emission_happens_when_the_watermark_reaches_the_window_end() {
    let mut engine = seed();
    // Window [0,30) closes when wm >= 30, i.e. after an event at 45.
    run(
        &mut engine,
        BatchKind::Data,
        &[(at(10.0), "a"), (at(44.999), "b")],
    );
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert_eq!(out.watermark, at(29.999));
    assert_eq!(rows(&out), vec![(at(-15.0), at(15.0), "a".to_string(), 1)]);
    let out = run(&mut engine, BatchKind::Data, &[(at(45.0), "c")]);
    assert!(out.rows.is_empty(), "wm 29.999 < 30");
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert_eq!(out.watermark, at(30.0));
    assert_eq!(rows(&out), vec![(at(0.0), at(30.0), "a".to_string(), 1)]);
    assert_eq!(out.stats.state_rows_removed, 1);
}

#[test]
fn late_filter_uses_the_previous_batch_watermark() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(45.0), "a")]); // batch 0, next wm 30
    // Batch 1 runs with wm 30 but filters on wm[0] = epoch: nothing is late yet.
    let out = run(&mut engine, BatchKind::Data, &[(at(10.0), "x")]);
    assert_eq!(out.watermark, at(30.0));
    assert_eq!(out.late_threshold, 0);
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 0);
    // ...and its windows, [-15,15) and [0,30), are emitted by that same batch.
    assert_eq!(
        rows(&out),
        vec![
            (at(-15.0), at(15.0), "x".to_string(), 1),
            (at(0.0), at(30.0), "x".to_string(), 1)
        ]
    );
    // Batch 2 filters on wm[1] = 30: the same row is now late in both windows.
    let out = run(&mut engine, BatchKind::Data, &[(at(10.0), "x")]);
    assert_eq!(out.late_threshold, at(30.0));
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 2);
    assert!(out.rows.is_empty());
    assert_eq!(out.late.len(), 2);
    assert_eq!(value(&out.late[0].key), "x");
    assert_eq!(out.late[0].watermark, at(30.0));
}

#[test]
fn a_row_can_be_late_for_one_window_and_counted_in_another() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(45.0), "a")]);
    run(&mut engine, BatchKind::NoData, &[]); // wm 30 now in force for lateness
    let out = run(&mut engine, BatchKind::Data, &[(at(29.0), "edge")]);
    // [0,30) ended at 30 <= 30: late. [15,45) is open: counted.
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 1);
    assert_eq!(
        out.late[0].window,
        Window {
            start: at(0.0),
            end: at(30.0)
        }
    );
    let out = run(&mut engine, BatchKind::Data, &[(at(200.0), "z")]);
    let out2 = run(&mut engine, BatchKind::NoData, &[]);
    let emitted: Vec<_> = rows(&out).into_iter().chain(rows(&out2)).collect();
    assert!(emitted.contains(&(at(15.0), at(45.0), "edge".to_string(), 1)));
    assert!(!emitted.iter().any(|r| r.0 == at(0.0) && r.2 == "edge"));
}

#[test]
fn dropped_keys_are_distinct_and_late_pairs_are_not() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(100.0), "a")]);
    run(&mut engine, BatchKind::NoData, &[]);
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(at(1.0), "v"), (at(2.0), "v"), (at(3.0), "w")],
    );
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 4); // (v|w) × 2 windows
    assert_eq!(out.stats.late_pairs, 6);
    assert_eq!(out.stats.input_rows, 3);
}

#[test]
fn updated_counts_distinct_keys_changed_by_the_batch() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(1.0), "a")]);
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(at(2.0), "a"), (at(3.0), "a"), (at(16.0), "a")],
    );
    // Keys touched: a@[-15,15), a@[0,30), a@[15,45).
    assert_eq!(out.stats.state_rows_updated, 3);
    assert_eq!(out.stats.state_rows_total, 3);
}

#[test]
fn tick_rule_data_then_no_data_then_nothing() {
    let mut engine = seed();
    assert_eq!(engine.tick(false), Tick::Idle, "nothing ran yet, wm 0");
    assert_eq!(engine.tick(true), Tick::Run(BatchKind::Data));
    run(&mut engine, BatchKind::Data, &[(at(40.0), "a")]);
    assert_eq!(engine.tick(false), Tick::Run(BatchKind::NoData));
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert_eq!(out.id, 1);
    assert_eq!(engine.tick(false), Tick::Idle);
    assert_eq!(engine.next_batch_id(), 2);
}

#[test]
fn uneven_slide_assigns_two_or_three_windows() {
    let query = Query::sliding_count(
        Duration::from_secs(25),
        Duration::from_secs(10),
        Duration::from_secs(5),
    )
    .unwrap();
    let mut engine = Engine::new(query);
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(at(0.0), "three"), (at(6.0), "two")],
    );
    assert_eq!(out.stats.state_rows_total, 5);
}

#[test]
fn emitted_rows_come_by_window_and_read_in_order_by_window_then_value() {
    let mut engine = seed();
    run(
        &mut engine,
        BatchKind::Data,
        &[(at(1.0), "b"), (at(1.0), "a"), (at(16.0), "c")],
    );
    let out = run(&mut engine, BatchKind::Data, &[(at(100.0), "z")]);
    let out = if out.rows.is_empty() {
        run(&mut engine, BatchKind::NoData, &[])
    } else {
        out
    };
    // Windows one after the other, in order; values in the state's order (b came first).
    let windows: Vec<_> = out.rows.iter().map(|r| r.window.start).collect();
    assert!(windows.is_sorted(), "{windows:?}");
    let keys: Vec<_> = (out.rows.iter())
        .map(|r| (r.window.start, value(out.key(r))))
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "a, b in [-15,15) and [0,30); c in [0,30) and [15,45)"
    );
    assert_eq!(
        keys[..2],
        [(at(-15.0), "b".into()), (at(-15.0), "a".into())]
    );
    // first_in_order sorts them, and stops where asked.
    let mut sorted = keys.clone();
    sorted.sort();
    let in_order: Vec<_> = out
        .first_in_order(6, &[DataType::String])
        .iter()
        .map(|r| (r.window.start, value(out.key(r))))
        .collect();
    assert_eq!(in_order, sorted);
    let first: Vec<_> = out
        .first_in_order(3, &[DataType::String])
        .iter()
        .map(|r| (r.window.start, value(out.key(r))))
        .collect();
    assert_eq!(first, sorted[..3]);
}

#[test]
fn state_is_bounded_by_open_windows() {
    let mut engine = seed();
    for batch in 0..200 {
        let t0 = at(f64::from(batch) * 15.0);
        let rows: Vec<(Micros, &str)> = (0..100)
            .map(|i| (t0 + i * 100_000, ["0", "1", "2", "3"][i as usize % 4]))
            .collect();
        run(&mut engine, BatchKind::Data, &rows);
    }
    // 15 s of events per batch, wm 15 s behind: at most a handful of windows stay open.
    assert!(engine.state_rows() <= 4 * 4, "{} keys", engine.state_rows());
    assert!(engine.distinct_keys() <= 4);
}

#[test]
fn values_only_ever_late_are_not_kept() {
    let mut engine = seed();
    run(&mut engine, BatchKind::Data, &[(at(100.0), "a")]);
    run(&mut engine, BatchKind::NoData, &[]);
    for i in 0..1000 {
        run(
            &mut engine,
            BatchKind::Data,
            &[(at(1.0), format!("late-{i}").as_str())],
        );
    }
    assert_eq!(engine.distinct_keys(), 1);
}

#[test]
fn open_windows_show_the_running_counts() {
    let mut engine = seed();
    run(
        &mut engine,
        BatchKind::Data,
        &[(at(1.0), "a"), (at(2.0), "a"), (at(3.0), "b")],
    );
    let mut open: BTreeMap<Window, BTreeMap<String, Datum>> = BTreeMap::new();
    engine.open_rows(usize::MAX, |w, key, aggs| {
        open.entry(w)
            .or_default()
            .insert(value(key), aggs[0].clone());
    });
    let open: Vec<_> = open.into_iter().collect();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].0.start, at(-15.0));
    assert_eq!(open[0].1["a"], Datum::Long(2));
    assert_eq!(open[1].1["b"], Datum::Long(1));
    let mut limited = 0;
    engine.open_rows(3, |_, _, _| limited += 1);
    assert_eq!(limited, 3, "at most the limit is read");
}

#[test]
fn an_evicted_windows_keys_are_let_go_of_whether_many_or_few() {
    let mut engine = seed();
    // Each batch's keys are its own, so a window's eviction lets go of all its keys, many of
    // the interner's or few.
    for (batch, keys) in [400, 400, 3, 400, 2, 2, 500, 1].into_iter().enumerate() {
        let t0 = at(batch as f64 * 15.0);
        let names: Vec<String> = (0..keys).map(|i| format!("{batch}-{i}")).collect();
        let rows: Vec<(Micros, &str)> = (names.iter().enumerate())
            .map(|(i, name)| (t0 + i as Micros * 1000, name.as_str()))
            .collect();
        let out = run(&mut engine, BatchKind::Data, &rows);
        let mut open = std::collections::BTreeSet::new();
        engine.open_rows(usize::MAX, |_, key, _| {
            open.insert(key.to_vec());
        });
        assert_eq!(engine.distinct_keys(), open.len(), "batch {batch}");
        if batch >= 3 {
            assert!(!out.rows.is_empty(), "batch {batch} evicts a window");
        }
    }
}

#[test]
fn a_batch_opens_only_the_windows_its_rows_are_in() {
    let mut engine = seed();
    // Panes 0 s and 90 s: windows starting at -15, 0, 75 and 90 s; none of those in between.
    let rows = [(at(1.0), "a"), (at(91.0), "a")];
    run(&mut engine, BatchKind::Data, &rows);
    assert_eq!(engine.open_windows(), 4);
    assert_eq!(engine.state_rows(), 4);
}

#[test]
fn rows_are_prefetched_for_once_a_string_key_outgrows_the_cache() {
    use crate::engine::core::keys::PREFETCH_MIN_KEYS;
    let mut engine = seed();
    assert_eq!(engine.lookahead(), 0);
    // One window's worth of keys past the threshold, none evicted.
    let names: Vec<String> = (0..=PREFETCH_MIN_KEYS).map(|i| i.to_string()).collect();
    let rows: Vec<(Micros, &str)> = names.iter().map(|n| (at(1.0), n.as_str())).collect();
    run(&mut engine, BatchKind::Data, &rows);
    assert!(engine.distinct_keys() > PREFETCH_MIN_KEYS);
    assert!(engine.lookahead() > 0);
    // A key that is not one string column is written out before it is interned: no prefetch.
    let query = keyed_query(
        "t TIMESTAMP, k LONG",
        "count",
        WindowRequest::Sliding {
            size: Duration::from_secs(10),
            slide: Duration::from_secs(10),
        },
        OutputMode::Append,
    );
    let mut numbers = Engine::new(query);
    let keys: Vec<[Value; 2]> = (0..=PREFETCH_MIN_KEYS as i64)
        .map(|k| [Value::Timestamp(at(1.0)), Value::Long(k)])
        .collect();
    numbers.run_batch(BatchKind::Data, keys.iter().map(|row| (at(1.0), &row[..])));
    assert!(numbers.distinct_keys() > PREFETCH_MIN_KEYS);
    assert_eq!(numbers.lookahead(), 0);
}

#[test]
fn rows_pushed_as_a_run_count_as_rows_pushed_one_by_one() {
    use crate::engine::core::keys::PREFETCH_MIN_KEYS;
    let names: Vec<String> = (0..PREFETCH_MIN_KEYS + 100)
        .map(|i| format!("k{i}"))
        .collect();
    // The first batch makes the keys many enough that the next runs are pushed with their
    // keys asked for ahead; the second moves the watermark past the first's windows, which
    // the third emits.
    let batches: Vec<Rows> = [0.0, 40.0, 80.0]
        .into_iter()
        .map(|start| {
            let mut rows = Rows::default();
            for (i, name) in names.iter().enumerate().rev() {
                let t = at(start + (i % 1000) as f64 / 100.0);
                rows.push(t, &[Value::Str(name)]);
            }
            rows
        })
        .collect();
    let (mut by_run, mut by_row) = (seed(), seed());
    for (b, rows) in batches.iter().enumerate() {
        // Not quite all: a run is a range of what a source holds.
        let range = 2..rows.len() - 3;
        let mut run = by_run.begin(BatchKind::Data);
        let types = run.types().to_vec();
        run.push_rows(rows, range.clone(), &types);
        let mut row_by_row = by_row.begin(BatchKind::Data);
        for (t, row) in rows.iter_from(range.start, range.end, &types) {
            row_by_row.push(t, &row);
        }
        let (run, row_by_row) = (run.finish(), row_by_row.finish());
        assert_eq!(run, row_by_row, "batch {b}");
        assert!(by_run.lookahead() > 0, "the next run asks ahead");
        if b == 2 {
            assert!(
                !run.rows.is_empty(),
                "the third batch emits the first's windows"
            );
        }
    }
}

/// Rows at both ends of [`EVENT_TIME_RANGE`] in one batch, in either order, counted alone or
/// with an aggregate read per row: the first is late (its windows ended before the first
/// watermark), the last keeps its two windows. The pane of the row before was reused when
/// `t - pane start` (which overflowed) looked small: the last row went into the first's pane,
/// late too.
#[test]
fn rows_at_both_ends_of_the_event_time_range_each_find_their_panes() {
    let (first, last) = (*EVENT_TIME_RANGE.start(), *EVENT_TIME_RANGE.end());
    let per_row = keyed_query(
        "t TIMESTAMP, k STRING",
        "count,max(k)",
        WindowRequest::Sliding {
            size: Duration::from_secs(30),
            slide: Duration::from_secs(15),
        },
        OutputMode::Append,
    );
    for order in [[(first, "a"), (last, "b")], [(last, "b"), (first, "a")]] {
        let mut seeded = seed();
        let counted = run(&mut seeded, BatchKind::Data, &order);
        let mut keyed = Engine::new(per_row.clone());
        let values: Vec<[Value; 2]> = order
            .iter()
            .map(|&(t, k)| [Value::Timestamp(t), Value::Str(k)])
            .collect();
        let read = keyed.run_batch(
            BatchKind::Data,
            order.iter().zip(&values).map(|((t, _), v)| (*t, &v[..])),
        );
        for (engine, out) in [(&seeded, counted), (&keyed, read)] {
            assert_eq!(out.stats.late_pairs, 2, "{order:?}, {}", engine.query());
            let mut open = Vec::new();
            engine.open_rows(usize::MAX, |w, key, _| {
                let key = key_values(engine.query().key_types(), key).last();
                open.push((w.start, format!("{key:?}")));
            });
            open.sort();
            let b = |start| (start, "Some(Str(\"b\"))".to_string());
            let windows = [
                b(last - last % (15 * S) - 15 * S),
                b(last - last % (15 * S)),
            ];
            assert_eq!(open, windows, "{order:?}, {}", engine.query());
        }
    }
}

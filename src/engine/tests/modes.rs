//! Output modes, session windows and floating-point aggregates, one rule per test.

use super::super::*;
use super::{at, keyed_query as query};

fn tumbling(mode: OutputMode) -> Query {
    let ten = Duration::from_secs(10);
    query(
        "t TIMESTAMP, k STRING",
        "count",
        WindowRequest::Sliding {
            size: ten,
            slide: ten,
        },
        mode,
    )
}

fn sessions(mode: OutputMode) -> Query {
    query(
        "t TIMESTAMP, k STRING",
        "count",
        WindowRequest::Session {
            gap: Duration::from_secs(4),
        },
        mode,
    )
}

fn run(engine: &mut Engine, kind: BatchKind, rows: &[(f64, &str)]) -> BatchOutput {
    let rows: Vec<(Micros, [Value; 2])> = rows
        .iter()
        .map(|(s, k)| (at(*s), [Value::Timestamp(at(*s)), Value::Str(k)]))
        .collect();
    engine.run_batch(kind, rows.iter().map(|(t, v)| (*t, &v[..])))
}

/// `(start, end, key, count)` of each emitted row, times in seconds after `at(0)`, sorted.
fn emitted(out: &BatchOutput) -> Vec<(f64, f64, String, i64)> {
    let secs = |t: Micros| (t - at(0.0)) as f64 / 1e6;
    let mut rows: Vec<_> = out
        .rows
        .iter()
        .map(|r| {
            let Some(Value::Str(k)) = key_values(&[DataType::String], out.key(r)).next() else {
                panic!("a string key")
            };
            let Some(Value::Long(count)) = out.aggs(r).next() else {
                panic!("a count")
            };
            (
                secs(r.window.start),
                secs(r.window.end),
                k.to_string(),
                count,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    rows
}

#[test]
fn update_mode_emits_what_changed_and_evicts_silently() {
    let mut engine = Engine::new(tumbling(OutputMode::Update));
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(1.0, "a"), (2.0, "a"), (3.0, "b")],
    );
    assert_eq!(
        emitted(&out),
        [(0.0, 10.0, "a".into(), 2), (0.0, 10.0, "b".into(), 1)]
    );
    let out = run(&mut engine, BatchKind::Data, &[(4.0, "a"), (16.0, "c")]);
    assert_eq!(
        emitted(&out),
        [(0.0, 10.0, "a".into(), 3), (10.0, 20.0, "c".into(), 1)],
        "b did not change"
    );
    // The watermark (16 - 5 = 11) passes [0,10): evicted, not emitted.
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert!(out.rows.is_empty());
    assert_eq!(out.stats.state_rows_removed, 2);
    assert_eq!(out.stats.state_rows_total, 1);
}

#[test]
fn complete_mode_emits_everything_keeps_everything_and_filters_nothing() {
    let mut engine = Engine::new(tumbling(OutputMode::Complete));
    run(&mut engine, BatchKind::Data, &[(1.0, "a"), (31.0, "b")]);
    assert_eq!(
        engine.tick(false),
        Tick::Idle,
        "no no-data batch in complete mode"
    );
    // A row 30 s behind the watermark still counts.
    let out = run(&mut engine, BatchKind::Data, &[(2.0, "a")]);
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 0);
    assert_eq!(
        emitted(&out),
        [(0.0, 10.0, "a".into(), 2), (30.0, 40.0, "b".into(), 1)]
    );
    assert_eq!(out.stats.state_rows_removed, 0);
}

#[test]
fn sessions_grow_merge_and_close_when_the_watermark_passes_their_end() {
    let mut engine = Engine::new(sessions(OutputMode::Append));
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(0.0, "a"), (2.0, "a"), (10.0, "a")],
    );
    assert_eq!(out.stats.state_rows_total, 2, "[0,6) and [10,14)");
    // 6.0 bridges the two sessions: one session [0,14) replaces them.
    let out = run(&mut engine, BatchKind::Data, &[(6.0, "a")]);
    assert_eq!(out.stats.state_rows_total, 1);
    assert_eq!(out.stats.state_rows_updated, 1);
    assert_eq!(
        out.stats.state_rows_removed, 1,
        "the session at 10 was replaced"
    );
    run(&mut engine, BatchKind::Data, &[(20.0, "b")]);
    // The watermark is 15: [0,14) closes.
    let out = run(&mut engine, BatchKind::NoData, &[]);
    assert_eq!(emitted(&out), [(0.0, 14.0, "a".into(), 4)]);
    // An event exactly at a session's end joins it (start <= end merges).
    let mut engine = Engine::new(sessions(OutputMode::Append));
    let out = run(&mut engine, BatchKind::Data, &[(0.0, "a"), (4.0, "a")]);
    assert_eq!(out.stats.state_rows_total, 1);
}

#[test]
fn a_late_row_opens_no_session() {
    let mut engine = Engine::new(sessions(OutputMode::Append));
    run(&mut engine, BatchKind::Data, &[(30.0, "a")]);
    run(&mut engine, BatchKind::NoData, &[]);
    // wm 25: a row at 20 would end its session at 24 <= 25.
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(20.0, "b"), (20.0, "b"), (22.0, "c")],
    );
    // Checked with Spark 3.5.3: rows are first aggregated by (key, [t, t + gap)), so the
    // two (b, 20) rows are one dropped row; (c, 22) ends at 26, open.
    assert_eq!(
        out.stats.state_rows_dropped_by_watermark, 1,
        "distinct (key, time)"
    );
    assert_eq!(out.stats.late_pairs, 2, "(b, 20) twice");
    assert_eq!(out.stats.state_rows_total, 2);
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(21.0, "b"), (20.0, "b"), (23.0, "b")],
    );
    assert_eq!(
        out.stats.state_rows_dropped_by_watermark, 2,
        "[21,25) and [20,24)"
    );
    assert_eq!(
        (out.stats.state_rows_total, out.stats.state_rows_updated),
        (3, 1),
        "[23,27) opens alone: late rows merge with nothing"
    );
}

#[test]
#[allow(clippy::float_cmp, reason = "the exact bits of the sum are the point")]
fn double_sums_add_in_sparks_order() {
    let ten = Duration::from_secs(10);
    let q = query(
        "t TIMESTAMP, k STRING, x DOUBLE",
        "sum(x),avg(x)",
        WindowRequest::Sliding {
            size: ten,
            slide: ten,
        },
        OutputMode::Update,
    );
    let mut engine = Engine::new(q);
    let batch = |engine: &mut Engine, xs: &[f64]| {
        let rows: Vec<[Value; 3]> = xs
            .iter()
            .map(|x| {
                [
                    Value::Timestamp(at(1.0)),
                    Value::Str("k"),
                    Value::Double(*x),
                ]
            })
            .collect();
        engine.run_batch(BatchKind::Data, rows.iter().map(|r| (at(1.0), &r[..])))
    };
    batch(&mut engine, &[12_345_678.5, 0.000_25]);
    let out = batch(&mut engine, &[-12_345_678.5, 0.1]);
    // Spark: state + (0 + batch summed in row order); not one running sum.
    let want = (12_345_678.5 + 0.000_25) + (-12_345_678.5 + 0.1);
    assert_eq!(out.aggs(&out.rows[0]).next(), Some(Value::Double(want)));
    assert_ne!(
        want,
        ((12_345_678.5 + 0.000_25) - 12_345_678.5) + 0.1,
        "the orders differ"
    );
    assert_eq!(
        out.aggs(&out.rows[0]).nth(1),
        Some(Value::Double(want / 4.0))
    );
}

#[test]
fn followers_take_every_row_and_are_undone_with_their_batch() {
    let rows = [(1.0, "a"), (2.0, "a"), (12.0, "b")];
    let typed: Vec<(Micros, [Value; 2])> = rows
        .iter()
        .map(|(s, k)| (at(*s), [Value::Timestamp(at(*s)), Value::Str(k)]))
        .collect();
    let mut main = Engine::new(tumbling(OutputMode::Append));
    let mut followers = [
        Engine::new(tumbling(OutputMode::Update)),
        Engine::new(tumbling(OutputMode::Complete)),
    ];
    // Dropped unfinished: no engine keeps a row or a batch id.
    {
        let mut batch = main.begin_with(BatchKind::Data, followers.iter_mut());
        batch.push(typed[0].0, &typed[0].1[..]);
    }
    assert!(
        followers
            .iter()
            .all(|f| f.next_batch_id() == 0 && f.state_rows() == 0)
    );
    let mut batch = main.begin_with(BatchKind::Data, followers.iter_mut());
    for (t, row) in &typed {
        batch.push(*t, &row[..]);
    }
    let (_, outputs) = batch.finish_with_followers();
    for (mode, output) in [OutputMode::Update, OutputMode::Complete]
        .into_iter()
        .zip(&outputs)
    {
        let alone = run(&mut Engine::new(tumbling(mode)), BatchKind::Data, &rows);
        assert_eq!(emitted(output), emitted(&alone), "{mode:?}");
        // The same figures (memory apart: the undone batch left some capacity behind).
        let figures = |s: &BatchStats| BatchStats {
            state_memory_bytes: 0,
            ..*s
        };
        assert_eq!(figures(&output.stats), figures(&alone.stats), "{mode:?}");
    }
    assert_eq!(emitted(&outputs[0]).len(), 2, "update emits a and b");
}

#[test]
fn flushing_the_watermark_closes_every_open_window_and_session() {
    for (query, open) in [
        (sessions(OutputMode::Append), 2),
        (
            query(
                "t TIMESTAMP, k STRING",
                "count",
                WindowRequest::Sliding {
                    size: Duration::from_secs(10),
                    slide: Duration::from_secs(5),
                },
                OutputMode::Append,
            ),
            4,
        ),
    ] {
        let mut engine = Engine::new(query);
        assert!(!engine.flush_watermark(), "no event yet: nothing to close");
        let out = run(&mut engine, BatchKind::Data, &[(1.0, "a"), (2.5, "b")]);
        assert!(out.rows.is_empty());
        assert_eq!(engine.state_rows(), open);
        assert!(engine.flush_watermark());
        assert_eq!(engine.tick(false), Tick::Run(BatchKind::NoData));
        let out = run(&mut engine, BatchKind::NoData, &[]);
        assert_eq!(out.rows.len(), open, "every open window emitted");
        assert_eq!(engine.state_rows(), 0);
        assert!(!engine.flush_watermark(), "nothing left past the watermark");
    }
    // Complete mode evicts nothing: the flush runs no batch.
    let mut engine = Engine::new(sessions(OutputMode::Complete));
    run(&mut engine, BatchKind::Data, &[(1.0, "a")]);
    engine.flush_watermark();
    assert_eq!(engine.tick(false), Tick::Idle);
}

#[test]
fn a_full_state_refuses_new_keys_and_counts_them_while_known_keys_go_on() {
    let mut engine = Engine::new(sessions(OutputMode::Append));
    engine.limit_state_rows(Some(2));
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(1.0, "a"), (1.5, "b"), (2.0, "c")],
    );
    assert_eq!(
        out.stats.rows_refused, 1,
        "the limit holds within a batch: c came once a and b had filled it"
    );
    assert_eq!(engine.state_rows(), 2);
    let out = run(
        &mut engine,
        BatchKind::Data,
        &[(3.0, "a"), (3.5, "d"), (4.0, "e"), (4.5, "d")],
    );
    assert_eq!(out.stats.rows_refused, 3, "d and e are new");
    assert_eq!(out.stats.input_rows, 4, "refused rows still arrived");
    assert_eq!(engine.state_rows(), 2, "a's session grew; no new key");
    // Once the watermark evicts sessions, new keys are taken again.
    run(&mut engine, BatchKind::Data, &[(30.0, "a")]);
    run(&mut engine, BatchKind::NoData, &[]);
    assert!(engine.state_rows() < 2, "{}", engine.state_rows());
    let out = run(&mut engine, BatchKind::Data, &[(31.0, "z")]);
    assert_eq!(out.stats.rows_refused, 0);
}

#[test]
#[allow(clippy::float_cmp, reason = "the exact bits of the sum are the point")]
fn rows_of_one_session_start_add_up_before_they_join_a_stored_session() {
    let q = query(
        "t TIMESTAMP, k STRING, x DOUBLE",
        "sum(x)",
        WindowRequest::Session {
            gap: Duration::from_secs(4),
        },
        OutputMode::Complete,
    );
    let mut engine = Engine::new(q);
    let batch = |engine: &mut Engine, rows: &[(f64, f64)]| {
        let rows: Vec<(Micros, [Value; 3])> = rows
            .iter()
            .map(|&(t, x)| {
                (
                    at(t),
                    [Value::Timestamp(at(t)), Value::Str("k"), Value::Double(x)],
                )
            })
            .collect();
        engine.run_batch(BatchKind::Data, rows.iter().map(|(t, r)| (*t, &r[..])))
    };
    batch(&mut engine, &[(1.0, 1e16)]);
    // Two rows at one time, and one at another: Spark adds each (key, time)'s rows first, then
    // merges the sessions in start order.
    let out = batch(&mut engine, &[(2.0, 1.0), (3.0, 1.0), (2.0, 1.0)]);
    let want = (1e16 + (1.0 + 1.0)) + 1.0;
    assert_eq!(out.rows.len(), 1);
    assert_eq!(out.aggs(&out.rows[0]).next(), Some(Value::Double(want)));
    assert_ne!(want, ((1e16 + 1.0) + 1.0) + 1.0, "the orders differ");
}

#[test]
fn a_sessions_batch_gives_back_its_rows_strings() {
    let q = query(
        "t TIMESTAMP, k STRING, s STRING",
        "min(s)",
        WindowRequest::Session {
            gap: Duration::from_secs(4),
        },
        OutputMode::Append,
    );
    let mut engine = Engine::new(q);
    let row = |t: f64, k, s| {
        (
            at(t),
            [Value::Timestamp(at(t)), Value::Str(k), Value::Str(s)],
        )
    };
    let rows = [
        row(1.0, "a", "x1"),
        row(2.0, "a", "x0"),
        row(2.0, "a", "x2"),
    ];
    engine.run_batch(BatchKind::Data, rows.iter().map(|(t, r)| (*t, &r[..])));
    // A later row moves the watermark past key a's session, which is emitted and evicted.
    let later = [row(100.0, "b", "y")];
    engine.run_batch(BatchKind::Data, later.iter().map(|(t, r)| (*t, &r[..])));
    let out = engine.run_batch(BatchKind::NoData, std::iter::empty::<(Micros, &[Value])>());
    assert_eq!(out.rows.len(), 1, "key a's session");
    // Left: key b and its min, "y"; none of the batches' "x0", "x1", "x2", "a".
    assert_eq!(engine.strings.len(), 2);
}

/// An engine no checkpoint asks for deltas notes no changed rows, and answers as one that
/// does, in each mode, by window and by session.
#[test]
fn an_engine_without_deltas_answers_the_same_and_notes_nothing() {
    let batches: [&[(f64, &str)]; 3] = [
        &[(1.0, "a"), (2.0, "a"), (3.0, "b")],
        &[(4.0, "a"), (16.0, "c"), (9.0, "b")],
        &[(40.0, "a")],
    ];
    for mode in [OutputMode::Append, OutputMode::Update, OutputMode::Complete] {
        // Spark has no session windows in update mode.
        let by_session = (mode != OutputMode::Update).then(|| sessions(mode));
        for query in std::iter::once(tumbling(mode)).chain(by_session) {
            let mut noting = Engine::new(query.clone());
            let mut not_noting = Engine::new(query);
            not_noting.note_deltas(false);
            for rows in batches {
                let want = run(&mut noting, BatchKind::Data, rows);
                let got = run(&mut not_noting, BatchKind::Data, rows);
                assert_eq!(emitted(&got), emitted(&want), "{mode:?}");
                assert_eq!(got.stats, want.stats, "{mode:?}");
                assert!(!noting.changed.rows().is_empty(), "{mode:?}");
                assert!(not_noting.changed.rows().is_empty(), "{mode:?}");
            }
        }
    }
}

/// Spark's session windows drop late rows in complete mode too (its session restore filters
/// them whatever the mode), unlike its time windows, which keep them (and show none as late).
/// Checked with Spark 3.5.3 on rows like these: a session of a 5 s gap ending before a 0 s
/// watermark was dropped, and the same row in a 30 s window kept.
#[test]
fn sessions_in_complete_mode_drop_late_rows() {
    let mut engine = Engine::new(sessions(OutputMode::Complete));
    run(&mut engine, BatchKind::Data, &[(0.0, "a"), (30.0, "b")]);
    run(&mut engine, BatchKind::Data, &[(31.0, "b")]);
    let out = run(&mut engine, BatchKind::Data, &[(10.0, "a")]);
    assert_eq!(
        emitted(&out),
        [(0.0, 4.0, "a".into(), 1), (30.0, 35.0, "b".into(), 2)],
        "a's session [10, 14) ended before the watermark"
    );
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 1);
    assert_eq!(out.stats.late_pairs, 1);
    assert_eq!(out.late.len(), 1, "the sample shows it");
    assert_eq!(out.stats.state_rows_total, 2);
    let mut windows = Engine::new(tumbling(OutputMode::Complete));
    run(&mut windows, BatchKind::Data, &[(0.0, "a"), (30.0, "b")]);
    run(&mut windows, BatchKind::Data, &[(31.0, "b")]);
    let out = run(&mut windows, BatchKind::Data, &[(10.0, "a")]);
    assert_eq!(
        out.stats.state_rows_dropped_by_watermark, 0,
        "a time window keeps it"
    );
    assert_eq!(out.stats.late_pairs, 0);
    assert!(out.late.is_empty(), "and shows no late row");
    assert_eq!(out.stats.state_rows_total, 3);
}

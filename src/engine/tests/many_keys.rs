//! Many keys: counts over more keys than are counted densely (ids from 4096), each row's entry
//! in the batch found by key id or added unlooked-for when its key is new, a key in two panes
//! of a batch found in either; keys interned ahead of their rows; and a key the batch holds
//! that a string `min`/`max` must not free.

use std::collections::BTreeMap;

use super::*;

/// Rows of `keys` keys over two panes of the seed's query (15 s), each key several times in
/// a pane and most in both, in an order that mixes the panes.
fn rows(keys: u32, offset: f64) -> Vec<(Micros, String)> {
    (0..4 * keys)
        .map(|i| {
            let key = (i * 7919) % keys;
            let second = offset + if (i / 3) % 2 == 0 { 1.0 } else { 16.0 };
            (at(second), format!("k{key}"))
        })
        .collect()
}

/// The counts per (window start, key) of `rows` under the seed's windows (30 s sliding 15 s).
fn model(rows: &[(Micros, String)]) -> BTreeMap<(Micros, String), i64> {
    let mut counts = BTreeMap::new();
    for (t, key) in rows {
        let last = t - t.rem_euclid(15 * S);
        for start in [last - 15 * S, last] {
            *counts.entry((start, key.clone())).or_insert(0) += 1;
        }
    }
    counts
}

fn run_rows(engine: &mut Engine, rows: &[(Micros, String)]) -> BatchOutput {
    let rows: Vec<(Micros, &str)> = rows.iter().map(|(t, k)| (*t, k.as_str())).collect();
    run(engine, BatchKind::Data, &rows)
}

#[test]
fn counts_over_many_keys_are_each_pairs_rows() {
    let mut engine = seed();
    // Two batches of the same 6,000 keys in the same windows: the second batch's keys are
    // held in state, not new, and its entries are its own.
    let (first, second) = (rows(6_000, 0.0), rows(6_000, 2.0));
    let out = run_rows(&mut engine, &first);
    let want = model(&first);
    assert_eq!(out.stats.state_rows_updated, want.len() as u64);
    let out = run_rows(&mut engine, &second);
    assert_eq!(out.stats.state_rows_updated, model(&second).len() as u64);
    // A row a minute on closes every window of the two batches.
    run(&mut engine, BatchKind::Data, &[(at(100.0), "later")]);
    let out = run(&mut engine, BatchKind::NoData, &[]);
    let all: Vec<_> = first.iter().chain(&second).cloned().collect();
    let want: Vec<_> = model(&all)
        .into_iter()
        .map(|((start, key), count)| (start, start + 30 * S, key, count))
        .collect();
    assert_eq!(super::rows(&out), want);
}

/// Runs each of `batches` as one run of rows in an engine from `make` and row by row in
/// another: the outputs are the same. Returns them.
fn same_by_run_and_by_row(make: impl Fn() -> Engine, batches: &[Rows]) -> Vec<BatchOutput> {
    let (mut by_run, mut by_row) = (make(), make());
    let mut outputs = Vec::new();
    for (b, rows) in batches.iter().enumerate() {
        let mut run = by_run.begin(BatchKind::Data);
        let types = run.types().to_vec();
        run.push_rows(rows, 0..rows.len(), &types);
        let mut one_by_one = by_row.begin(BatchKind::Data);
        for (t, row) in rows.iter_from(0, rows.len(), &types) {
            one_by_one.push(t, &row);
        }
        let output = run.finish();
        assert_eq!(output, one_by_one.finish(), "batch {b}");
        outputs.push(output);
    }
    outputs
}

/// A batch of the seed's rows with enough keys for the next batches' keys to be asked for
/// (and, counted, interned) ahead of their rows.
fn warm_up() -> Rows {
    use crate::engine::core::keys::PREFETCH_MIN_KEYS;
    let mut rows = Rows::default();
    for i in 0..=PREFETCH_MIN_KEYS {
        rows.push(at(1.0), &[Value::Str(&format!("w{i}"))]);
    }
    rows
}

/// Keys interned ahead of their rows: new keys, each repeated within the next four rows and
/// in two panes, and keys held from the batch before, count as pushed one by one.
#[test]
fn keys_interned_ahead_count_as_rows_pushed_one_by_one() {
    let mut mixed = Rows::default();
    for i in 0..2_000 {
        let (new, held) = (format!("new{}", i / 3), format!("w{}", i * 7 % 5_000));
        let second = if i % 5 < 2 { 2.0 } else { 17.0 };
        mixed.push(at(second), &[Value::Str(&new)]);
        mixed.push(at(second), &[Value::Str(&held)]);
    }
    same_by_run_and_by_row(seed, &[warm_up(), mixed]);
}

/// Rows without an event time among keys interned ahead take no key (a key of theirs
/// interned ahead would be held by no state) and count as pushed one by one.
#[test]
fn rows_without_a_time_among_keys_interned_ahead_take_no_key() {
    let mut mixed = Rows::default();
    for i in 0..2_000 {
        let (t, key) = if i % 3 == 0 {
            (NULL_EVENT_TIME, format!("none{i}"))
        } else {
            (at(2.0), format!("new{}", i / 2))
        };
        mixed.push(t, &[Value::Str(&key)]);
    }
    let outputs = same_by_run_and_by_row(seed, &[warm_up(), mixed]);
    assert_eq!(outputs[1].stats.rows_without_event_time, 667);
    assert_eq!(outputs[1].stats.input_rows, 2_000);
}

/// With the state at `--max-state-rows` as the batch begins, or reaching it within the
/// batch, each row of a new key past the limit is refused, a key repeated in the next rows
/// too: a key interned ahead of a refused row would not be new any more.
#[test]
fn rows_of_new_keys_are_refused_each_when_the_state_is_full() {
    use crate::engine::core::keys::PREFETCH_MIN_KEYS;
    let mut repeated = Rows::default();
    for i in 0..50 {
        let name = format!("new{i}");
        for _ in 0..3 {
            repeated.push(at(2.0), &[Value::Str(&name)]);
        }
    }
    // The warm-up's keys, each in two windows, then room for `room` new keys (two rows each),
    // and for a row less.
    for (room, spare) in [(0, 0), (40, 0), (39, 1)] {
        let limit = 2 * (PREFETCH_MIN_KEYS + 1) + 2 * room + spare;
        let make = || {
            let mut engine = seed();
            engine.limit_state_rows(Some(limit));
            engine
        };
        let mut engine = make();
        let outputs = same_by_run_and_by_row(make, &[warm_up(), repeated.clone()]);
        assert_eq!(outputs[0].stats.rows_refused, 0);
        assert_eq!(
            outputs[1].stats.rows_refused,
            3 * (50 - room) as u64,
            "room for {room} keys"
        );
        for rows in [warm_up(), repeated.clone()] {
            let mut batch = engine.begin(BatchKind::Data);
            let types = batch.types().to_vec();
            batch.push_rows(&rows, 0..rows.len(), &types);
            batch.finish();
            assert!(engine.state_rows() <= limit, "{} rows", engine.state_rows());
        }
        assert_eq!(engine.state_rows(), limit - spare);
    }
}

/// A string `min` lets go of the text it held when a smaller one comes. A text may be the
/// bytes of a group key (a tag byte, then the key's): a key the batch holds (at no uses yet)
/// stays interned however its bytes are let go of as a text, and is not given to the next new
/// string.
#[test]
fn a_key_stays_itself_when_a_min_lets_go_of_a_text_of_its_bytes() {
    let tumbling = WindowRequest::Sliding {
        size: Duration::from_secs(10),
        slide: Duration::from_secs(10),
    };
    let sessions = WindowRequest::Session {
        gap: Duration::from_secs(4),
    };
    for (window, mode) in [
        (tumbling, OutputMode::Update),
        (sessions, OutputMode::Complete),
    ] {
        let schema = "t TIMESTAMP, k STRING, v STRING";
        let mut engine = Engine::new(keyed_query(schema, "min(v),count", window, mode));
        // `\u{1}x1` is the bytes of key `x1`; `a`'s min lets go of it for `\u{1}x0`, and `n`
        // is interned next.
        let rows = [("x1", "m"), ("a", "\u{1}x1"), ("a", "\u{1}x0"), ("b", "n")];
        let rows: Vec<[Value; 3]> = rows
            .iter()
            .map(|(k, v)| [Value::Timestamp(at(2.0)), Value::Str(k), Value::Str(v)])
            .collect();
        let out = engine.run_batch(BatchKind::Data, rows.iter().map(|r| (at(2.0), &r[..])));
        let mut got: Vec<_> = (out.rows.iter())
            .map(|r| {
                (
                    value(out.key(r)),
                    out.aggs(r).map(|v| v.to_datum()).collect::<Vec<_>>(),
                )
            })
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let row = |k: &str, min: &str, count| {
            (
                k.to_string(),
                vec![Datum::Str(min.into()), Datum::Long(count)],
            )
        };
        assert_eq!(
            got,
            [row("a", "\u{1}x0", 2), row("b", "n", 1), row("x1", "m", 1)],
            "{window:?}"
        );
    }
}

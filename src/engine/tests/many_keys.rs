//! Counts over more keys than are counted densely (ids from 4096): each row's entry in the
//! batch is found by key id, or added unlooked-for when its key is new, and a key in two panes
//! of a batch is found in either.

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

//! Behaviour of the engine against the contract (`semantics.md`), one rule per test, and property
//! tests against a naive model written straight from the contract's sentences.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

const S: Micros = MICROS_PER_SECOND;

/// Seconds after an arbitrary minute, as event time.
fn at(seconds: f64) -> Micros {
    1_795_455_180 * S + (seconds * 1e6).round() as Micros
}

fn seed() -> Engine {
    Engine::new(Query::seed())
}

fn rows(out: &BatchOutput) -> Vec<(Micros, Micros, &str, u64)> {
    out.rows
        .iter()
        .map(|r| (r.window.start, r.window.end, &*r.value, r.count))
        .collect()
}

#[test]
fn first_batch_has_the_epoch_watermark_and_emits_nothing() {
    let mut engine = seed();
    let out = engine.run_batch(BatchKind::Data, [(at(0.0), "a"), (at(15.0), "a")]);
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
    engine.run_batch(BatchKind::Data, [(at(40.0), "a")]);
    assert_eq!(engine.next_watermark(), at(25.0));
    engine.run_batch(BatchKind::Data, [(at(30.0), "a")]);
    assert_eq!(
        engine.next_watermark(),
        at(25.0),
        "an older max does not lower it"
    );
    engine.run_batch(BatchKind::Data, [(at(41.5), "a")]);
    assert_eq!(engine.next_watermark(), at(26.5));
}

#[test]
fn watermark_has_millisecond_resolution_like_spark() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(29.999_999), "a")]);
    // 29.999999 s is 29999 ms for Spark: the watermark is 14.999 s, not 14.999999 s.
    assert_eq!(engine.next_watermark(), at(14.999));
}

#[test]
fn a_batch_without_rows_leaves_the_watermark() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(40.0), "a")]);
    let out = engine.run_batch(BatchKind::NoData, []);
    assert_eq!(out.watermark, at(25.0));
    assert_eq!(out.next_watermark, at(25.0));
    assert_eq!(out.stats.input_rows, 0);
    assert_eq!(out.stats.event_time, None);
}

#[test]
fn late_rows_count_towards_the_watermark() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(100.0), "a")]);
    engine.run_batch(BatchKind::NoData, []);
    // Every window of this row closed long ago, yet its time still feeds the max.
    let mut engine2 = seed();
    engine2.run_batch(BatchKind::Data, [(at(100.0), "a")]);
    engine2.run_batch(BatchKind::NoData, []);
    let out = engine2.run_batch(BatchKind::Data, [(at(1.0), "old"), (at(120.0), "late-max")]);
    assert_eq!(out.stats.late_pairs, 2);
    assert_eq!(out.next_watermark, at(105.0));
}

#[test]
fn emission_happens_when_the_watermark_reaches_the_window_end() {
    let mut engine = seed();
    // Window [0,30) closes when wm >= 30, i.e. after an event at 45.
    engine.run_batch(BatchKind::Data, [(at(10.0), "a"), (at(44.999), "b")]);
    let out = engine.run_batch(BatchKind::NoData, []);
    assert_eq!(out.watermark, at(29.999));
    assert_eq!(rows(&out), vec![(at(-15.0), at(15.0), "a", 1)]);
    let out = engine.run_batch(BatchKind::Data, [(at(45.0), "c")]);
    assert!(out.rows.is_empty(), "wm 29.999 < 30");
    let out = engine.run_batch(BatchKind::NoData, []);
    assert_eq!(out.watermark, at(30.0));
    assert_eq!(rows(&out), vec![(at(0.0), at(30.0), "a", 1)]);
    assert_eq!(out.stats.state_rows_removed, 1);
}

#[test]
fn late_filter_uses_the_previous_batch_watermark() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(45.0), "a")]); // batch 0, next wm 30
    // Batch 1 runs with wm 30 but filters on wm[0] = epoch: nothing is late yet.
    let out = engine.run_batch(BatchKind::Data, [(at(10.0), "x")]);
    assert_eq!(out.watermark, at(30.0));
    assert_eq!(out.late_threshold, 0);
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 0);
    // ...and its windows, [-15,15) and [0,30), are emitted by that same batch.
    assert_eq!(
        rows(&out),
        vec![(at(-15.0), at(15.0), "x", 1), (at(0.0), at(30.0), "x", 1)]
    );
    // Batch 2 filters on wm[1] = 30: the same row is now late in both windows.
    let out = engine.run_batch(BatchKind::Data, [(at(10.0), "x")]);
    assert_eq!(out.late_threshold, at(30.0));
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 2);
    assert!(out.rows.is_empty());
    assert_eq!(out.late.len(), 2);
    assert_eq!(out.late[0].value, "x");
    assert_eq!(out.late[0].watermark, at(30.0));
}

#[test]
fn a_row_can_be_late_for_one_window_and_counted_in_another() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(45.0), "a")]);
    engine.run_batch(BatchKind::NoData, []); // wm 30 now in force for lateness
    let out = engine.run_batch(BatchKind::Data, [(at(29.0), "edge")]);
    // [0,30) ended at 30 <= 30: late. [15,45) is open: counted.
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 1);
    assert_eq!(
        out.late[0].window,
        Window {
            start: at(0.0),
            end: at(30.0)
        }
    );
    let out = engine.run_batch(BatchKind::Data, [(at(200.0), "z")]);
    let out2 = engine.run_batch(BatchKind::NoData, []);
    let emitted: Vec<_> = rows(&out).into_iter().chain(rows(&out2)).collect();
    assert!(emitted.contains(&(at(15.0), at(45.0), "edge", 1)));
    assert!(!emitted.iter().any(|r| r.0 == at(0.0) && r.2 == "edge"));
}

#[test]
fn dropped_keys_are_distinct_and_late_pairs_are_not() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(100.0), "a")]);
    engine.run_batch(BatchKind::NoData, []);
    let out = engine.run_batch(
        BatchKind::Data,
        [(at(1.0), "v"), (at(2.0), "v"), (at(3.0), "w")],
    );
    assert_eq!(out.stats.state_rows_dropped_by_watermark, 4); // (v|w) × 2 windows
    assert_eq!(out.stats.late_pairs, 6);
    assert_eq!(out.stats.input_rows, 3);
}

#[test]
fn updated_counts_distinct_keys_changed_by_the_batch() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(1.0), "a")]);
    let out = engine.run_batch(
        BatchKind::Data,
        [(at(2.0), "a"), (at(3.0), "a"), (at(16.0), "a")],
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
    engine.run_batch(BatchKind::Data, [(at(40.0), "a")]);
    assert_eq!(engine.tick(false), Tick::Run(BatchKind::NoData));
    let out = engine.run_batch(BatchKind::NoData, []);
    assert_eq!(out.id, 1);
    assert_eq!(engine.tick(false), Tick::Idle);
    assert_eq!(engine.next_batch_id(), 2);
}

#[test]
fn uneven_slide_assigns_two_or_three_windows() {
    let query = Query::new(
        Duration::from_secs(25),
        Duration::from_secs(10),
        Duration::from_secs(5),
    )
    .unwrap();
    let mut engine = Engine::new(query);
    let out = engine.run_batch(BatchKind::Data, [(at(0.0), "three"), (at(6.0), "two")]);
    assert_eq!(out.stats.state_rows_total, 5);
}

#[test]
fn emitted_rows_are_sorted_by_window_then_value() {
    let mut engine = seed();
    engine.run_batch(
        BatchKind::Data,
        [(at(1.0), "b"), (at(1.0), "a"), (at(16.0), "c")],
    );
    let out = engine.run_batch(BatchKind::Data, [(at(100.0), "z")]);
    let out = if out.rows.is_empty() {
        engine.run_batch(BatchKind::NoData, [])
    } else {
        out
    };
    let keys: Vec<_> = rows(&out).iter().map(|r| (r.0, r.2.to_string())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        keys.len(),
        6,
        "a, b in [-15,15) and [0,30); c in [0,30) and [15,45)"
    );
}

#[test]
fn state_is_bounded_by_open_windows() {
    let mut engine = seed();
    for batch in 0..200 {
        let t0 = at(f64::from(batch) * 15.0);
        engine.run_batch(
            BatchKind::Data,
            (0..100).map(|i| (t0 + i * 100_000, ["0", "1", "2", "3"][i as usize % 4])),
        );
    }
    // 15 s of events per batch, wm 15 s behind: at most a handful of windows stay open.
    assert!(engine.state_rows() <= 4 * 4, "{} keys", engine.state_rows());
    assert!(engine.distinct_values() <= 4);
}

#[test]
fn values_only_ever_late_are_not_kept() {
    let mut engine = seed();
    engine.run_batch(BatchKind::Data, [(at(100.0), "a")]);
    engine.run_batch(BatchKind::NoData, []);
    for i in 0..1000 {
        engine.run_batch(BatchKind::Data, [(at(1.0), format!("late-{i}").as_str())]);
    }
    assert_eq!(engine.distinct_values(), 1);
}

#[test]
fn open_windows_show_the_running_counts() {
    let mut engine = seed();
    engine.run_batch(
        BatchKind::Data,
        [(at(1.0), "a"), (at(2.0), "a"), (at(3.0), "b")],
    );
    let open: Vec<(Window, BTreeMap<String, u64>)> = engine
        .open_windows()
        .map(|(w, keys)| (w, keys.map(|(v, c)| (v.to_string(), c)).collect()))
        .collect();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].0.start, at(-15.0));
    assert_eq!(open[0].1["a"], 2);
    assert_eq!(open[1].1["b"], 1);
}

// ---------------------------------------------------------------------------------------------
// Property tests against a model written from the contract's sentences.

/// The contract, literally: rows buffered per batch, every rule applied by brute force.
struct Model {
    size: Micros,
    slide: Micros,
    delay_ms: i64,
    wm: Vec<Micros>,
    next: Micros,
    state: BTreeMap<(Micros, String), u64>,
}

impl Model {
    fn batch(&mut self, rows: &[(Micros, String)]) -> (Vec<(Micros, String, u64)>, u64) {
        let n = self.wm.len();
        let wm_n = self.next;
        let wm_prev = if n == 0 { 0 } else { self.wm[n - 1] };
        self.wm.push(wm_n);
        let mut late = 0;
        for (t, v) in rows {
            let mut start = (t.div_euclid(self.slide) - self.size / self.slide - 1) * self.slide;
            while start <= *t {
                if start <= *t && *t < start + self.size {
                    if start + self.size <= wm_prev {
                        late += 1;
                    } else {
                        *self.state.entry((start, v.clone())).or_default() += 1;
                    }
                }
                start += self.slide;
            }
        }
        let closed: Vec<_> = self
            .state
            .keys()
            .filter(|(s, _)| s + self.size <= wm_n)
            .cloned()
            .collect();
        let emitted = closed
            .into_iter()
            .map(|k| {
                let c = self.state.remove(&k).unwrap();
                (k.0, k.1, c)
            })
            .collect();
        if let Some(max) = rows.iter().map(|(t, _)| t / 1000).max() {
            self.next = self.next.max((max - self.delay_ms) * 1000);
        }
        (emitted, late)
    }
}

type Batches = Vec<Vec<(Micros, String)>>;

fn stream() -> impl Strategy<Value = (i64, i64, i64, Batches)> {
    (1i64..=6, 1i64..=6, 0i64..=8).prop_flat_map(|(slide, extra, delay)| {
        let size = slide * extra + if extra > 1 { slide / 2 } else { 0 };
        let batch = prop::collection::vec(
            (
                0i64..120_000,
                prop::sample::select(vec!["a", "b", "c", "é", "a,b"]),
            )
                .prop_map(|(ms, v)| (ms * 1000 + 7, v.to_string())),
            0..12,
        );
        (
            Just(size.max(slide)),
            Just(slide),
            Just(delay),
            prop::collection::vec(batch, 1..25),
        )
    })
}

proptest! {
    #[test]
    fn engine_matches_the_contract_model((size, slide, delay, batches) in stream()) {
        let query = Query::new(
            Duration::from_secs(size),
            Duration::from_secs(slide),
            Duration::from_secs(delay),
        ).unwrap();
        let mut engine = Engine::new(query);
        let mut model = Model {
            size: size * S, slide: slide * S, delay_ms: delay * 1000,
            wm: vec![], next: 0, state: BTreeMap::new(),
        };
        let mut emitted_keys = BTreeSet::new();
        let mut last_wm = 0;
        let (mut emitted_total, mut late_total, mut events) = (0u64, 0u64, 0u64);
        let per_event = |t: Micros| query.spec().windows_of(t).count() as u64;
        // Data batches, each followed by an idle tick, then idle ticks until nothing runs.
        let mut ticks: Vec<Option<&Vec<(Micros, String)>>> = Vec::new();
        for b in &batches { ticks.push(Some(b)); ticks.push(None); }
        ticks.extend(std::iter::repeat_n(None, 3));
        for tick in ticks {
            let rows: &[(Micros, String)] = tick.map_or(&[], |b| b.as_slice());
            let Tick::Run(kind) = engine.tick(!rows.is_empty()) else { continue };
            let out = engine.run_batch(kind, rows.iter().map(|(t, v)| (*t, v.as_str())));
            let (want, want_late) = model.batch(rows);
            let got: Vec<_> = out.rows.iter()
                .map(|r| (r.window.start, r.value.to_string(), r.count)).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(out.stats.late_pairs, want_late);
            prop_assert!(out.watermark >= last_wm, "the watermark went back");
            last_wm = out.watermark;
            for row in &got {
                prop_assert!(emitted_keys.insert((row.0, row.1.clone())), "emitted twice: {:?}", row);
            }
            emitted_total += got.iter().map(|r| r.2).sum::<u64>();
            late_total += out.stats.late_pairs;
            events += rows.iter().map(|(t, _)| per_event(*t)).sum::<u64>();
        }
        // Push the watermark past everything; then every pair is either emitted or late.
        let out = engine.run_batch(BatchKind::Data, [(1_000_000 * S, "end")]);
        emitted_total += out.rows.iter().map(|r| r.count).sum::<u64>();
        late_total += out.stats.late_pairs;
        let out = engine.run_batch(BatchKind::NoData, []);
        emitted_total += out.rows.iter().filter(|r| &*r.value != "end").map(|r| r.count).sum::<u64>();
        prop_assert_eq!(emitted_total + late_total, events);
    }
}

/// Every key of an engine, as a checkpoint snapshot holds them.
fn snapshot_keys(engine: &Engine) -> Vec<(Micros, String, u64)> {
    let mut keys: Vec<_> = engine
        .open_keys()
        .map(|(start, value, count)| (start, value.to_string(), count))
        .collect();
    keys.sort();
    keys
}

proptest! {
    #[test]
    fn a_restored_engine_continues_exactly((size, slide, delay, batches) in stream(), cut in 0usize..24) {
        let query = Query::new(
            Duration::from_secs(size),
            Duration::from_secs(slide),
            Duration::from_secs(delay),
        ).unwrap();
        let mut original = Engine::new(query);
        // Follows the original through deltas only, as a restart replays them.
        let mut follower = Engine::new(query);
        let mut restored: Option<Engine> = None;
        let mut ticks: Vec<Option<&Vec<(Micros, String)>>> = Vec::new();
        for b in &batches { ticks.push(Some(b)); ticks.push(None); }
        ticks.push(None);
        for (i, tick) in ticks.into_iter().enumerate() {
            if i == cut {
                let keys = snapshot_keys(&original);
                restored = Some(Engine::restore(
                    query,
                    original.marks(),
                    keys.iter().map(|(s, v, c)| (*s, v.as_str(), *c)),
                ));
            }
            let rows: &[(Micros, String)] = tick.map_or(&[], |b| b.as_slice());
            let Tick::Run(kind) = original.tick(!rows.is_empty()) else { continue };
            let out = original.run_batch(kind, rows.iter().map(|(t, v)| (*t, v.as_str())));
            let changes: Vec<(Micros, String, u64)> =
                original.last_changes().map(|(s, v, c)| (s, v.to_string(), c)).collect();
            follower.apply(original.marks(), changes.iter().map(|(s, v, c)| (*s, v.as_str(), *c)));
            prop_assert_eq!(snapshot_keys(&follower), snapshot_keys(&original));
            prop_assert_eq!(follower.marks(), original.marks());
            if let Some(engine) = restored.as_mut() {
                prop_assert_eq!(engine.tick(!rows.is_empty()), Tick::Run(kind));
                let again = engine.run_batch(kind, rows.iter().map(|(t, v)| (*t, v.as_str())));
                prop_assert_eq!(&again.rows, &out.rows);
                prop_assert_eq!(again.id, out.id);
                prop_assert_eq!(again.stats.state_rows_total, out.stats.state_rows_total);
            }
        }
    }
}

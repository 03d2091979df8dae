//! Property tests: the engine against a model written straight from the contract's sentences,
//! rows kept and every rule applied by brute force, for sliding and session windows, every
//! aggregate and every output mode; and a restored engine against the one it was saved from.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::super::*;

const S: Micros = MICROS_PER_SECOND;

/// A row: event time, key (maybe NULL), value (maybe NULL).
pub(super) type Input = (Micros, Option<&'static str>, Option<i64>);

/// A result row: window start and end, key, then count, count(x), sum(x), min(x), max(x), avg(x).
type Output = (Micros, Micros, Option<String>, Vec<Datum>);

const AGGS: &str = "count,count(x),sum(x),min(x),max(x),avg(x)";

/// The aggregates of a group's values, as Spark gives them.
fn aggregates(values: &[Option<i64>]) -> Vec<Datum> {
    let present: Vec<i64> = values.iter().flatten().copied().collect();
    let or_null = |v: Option<Datum>| v.unwrap_or(Datum::Null);
    vec![
        Datum::Long(values.len() as i64),
        Datum::Long(present.len() as i64),
        or_null((!present.is_empty()).then(|| Datum::Long(present.iter().sum()))),
        or_null(present.iter().min().map(|v| Datum::Long(*v))),
        or_null(present.iter().max().map(|v| Datum::Long(*v))),
        or_null(
            (!present.is_empty())
                .then(|| Datum::Double(present.iter().sum::<i64>() as f64 / present.len() as f64)),
        ),
    ]
}

/// What a batch emits and reports, from the model.
#[derive(Debug, PartialEq)]
pub(super) struct Report {
    rows: Vec<Output>,
    total: u64,
    updated: u64,
    removed: u64,
    dropped: u64,
    watermark: Micros,
}

/// The contract, literally.
struct Model {
    window: WindowRequest,
    mode: OutputMode,
    delay_ms: i64,
    wm: Vec<Micros>,
    next: Micros,
    /// Sliding: (window start, key) → values. Sessions: key → sessions (start, end, values).
    windows: BTreeMap<(Micros, Option<String>), Vec<Option<i64>>>,
    sessions: Sessions,
}

/// A key's sessions: (start, end, values).
type Sessions = BTreeMap<Option<String>, Vec<(Micros, Micros, Vec<Option<i64>>)>>;

impl Model {
    fn new(window: WindowRequest, delay: i64, mode: OutputMode) -> Self {
        Model {
            window,
            mode,
            delay_ms: delay * 1000,
            wm: Vec::new(),
            next: 0,
            windows: BTreeMap::new(),
            sessions: BTreeMap::new(),
        }
    }

    /// Whether a tick with (or without) rows runs a batch.
    fn runs(&self, has_rows: bool) -> bool {
        has_rows
            || (self.mode != OutputMode::Complete
                && self.next > self.wm.last().copied().unwrap_or(0))
    }

    #[allow(
        clippy::too_many_lines,
        reason = "the model reads best as one function, Spark's steps in order"
    )]
    fn batch(&mut self, rows: &[Input]) -> Report {
        let wm_prev = self.wm.last().copied().unwrap_or(0);
        let wm = self.next;
        self.wm.push(wm);
        // Complete mode filters nothing in time windows: every row counts. Session windows
        // filter late rows in every mode (Spark's session restore does).
        let sessions = matches!(self.window, WindowRequest::Session { .. });
        let late = |end: Micros| (sessions || self.mode != OutputMode::Complete) && end <= wm_prev;
        let mut report = Report {
            rows: Vec::new(),
            total: 0,
            updated: 0,
            removed: 0,
            dropped: 0,
            watermark: wm,
        };
        match self.window {
            WindowRequest::Sliding { size, slide } => {
                let (size, slide) = (size.micros(), slide.micros());
                let mut updated = BTreeSet::new();
                let mut dropped = BTreeSet::new();
                for &(t, k, x) in rows {
                    let key = k.map(str::to_string);
                    let mut start = (t.div_euclid(slide) - size / slide - 1) * slide;
                    while start <= t {
                        if t < start + size {
                            if late(start + size) {
                                dropped.insert((start, key.clone()));
                            } else {
                                self.windows
                                    .entry((start, key.clone()))
                                    .or_default()
                                    .push(x);
                                updated.insert((start, key.clone()));
                            }
                        }
                        start += slide;
                    }
                }
                report.updated = updated.len() as u64;
                report.dropped = dropped.len() as u64;
                let row = |(s, k): &(Micros, Option<String>), values: &[Option<i64>]| {
                    (*s, s + size, k.clone(), aggregates(values))
                };
                match self.mode {
                    OutputMode::Complete => {
                        report.rows = self.windows.iter().map(|(k, v)| row(k, v)).collect();
                    }
                    OutputMode::Update => {
                        report.rows = updated.iter().map(|k| row(k, &self.windows[k])).collect();
                    }
                    OutputMode::Append => {}
                }
                if self.mode != OutputMode::Complete {
                    let closed: Vec<_> = self
                        .windows
                        .keys()
                        .filter(|(s, _)| s + size <= wm)
                        .cloned()
                        .collect();
                    for k in closed {
                        let values = self.windows.remove(&k).expect("listed");
                        if self.mode == OutputMode::Append {
                            report.rows.push(row(&k, &values));
                        }
                        report.removed += 1;
                    }
                }
                report.total = self.windows.len() as u64;
            }
            WindowRequest::Session { gap } => {
                let gap = gap.micros();
                let mut fresh: Sessions = BTreeMap::new();
                let mut dropped = BTreeSet::new();
                for &(t, k, x) in rows {
                    let key = k.map(str::to_string);
                    if late(t + gap) {
                        dropped.insert((t, key));
                        continue;
                    }
                    let list = fresh.entry(key).or_default();
                    match list.iter_mut().find(|s| s.0 == t) {
                        Some(s) => s.2.push(x),
                        None => list.push((t, t + gap, vec![x])),
                    }
                }
                report.dropped = dropped.len() as u64;
                for (key, new) in fresh {
                    let old = self.sessions.remove(&key).unwrap_or_default();
                    let mut all: Vec<_> = old.iter().cloned().chain(new).collect();
                    all.sort_by_key(|s| s.0);
                    let mut merged: Vec<(Micros, Micros, Vec<Option<i64>>)> = Vec::new();
                    for (start, end, values) in all {
                        match merged.last_mut() {
                            Some(last) if start <= last.1 => {
                                last.1 = last.1.max(end);
                                last.2.extend(values);
                            }
                            _ => merged.push((start, end, values)),
                        }
                    }
                    report.updated += merged.len() as u64;
                    report.removed += old
                        .iter()
                        .filter(|o| !merged.iter().any(|m| m.0 == o.0))
                        .count() as u64;
                    self.sessions.insert(key, merged);
                }
                for (key, list) in &mut self.sessions {
                    let row = |s: &(Micros, Micros, Vec<Option<i64>>)| {
                        (s.0, s.1, key.clone(), aggregates(&s.2))
                    };
                    if self.mode == OutputMode::Complete {
                        report.rows.extend(list.iter().map(row));
                        continue;
                    }
                    for s in list.iter().filter(|s| s.1 <= wm) {
                        report.rows.push(row(s));
                        report.removed += 1;
                    }
                    list.retain(|s| s.1 > wm);
                }
                self.sessions.retain(|_, list| !list.is_empty());
                report.total = self.sessions.values().map(|l| l.len() as u64).sum();
            }
        }
        if let Some(max) = rows.iter().map(|(t, _, _)| t / 1000).max() {
            self.next = self.next.max((max - self.delay_ms) * 1000);
        }
        report
            .rows
            .sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        report
    }
}

pub(super) fn query(window: WindowRequest, delay: i64, mode: OutputMode) -> Query {
    Query::new(QueryRequest {
        schema: "t TIMESTAMP, k STRING, x BIGINT".parse().unwrap(),
        event_time: EventTime::Column("t".into()),
        group_by: vec!["k".into()],
        aggs: parse_aggs(AGGS).unwrap(),
        window,
        delay: Duration::from_secs(delay),
        mode,
        max_windows_per_event: MAX_WINDOWS_PER_EVENT,
    })
    .unwrap()
}

fn values(row: &Input) -> [Value<'static>; 3] {
    [
        Value::Timestamp(row.0),
        row.1.map_or(Value::Null, Value::Str),
        row.2.map_or(Value::Null, Value::Long),
    ]
}

pub(super) fn run(engine: &mut Engine, kind: BatchKind, rows: &[Input]) -> BatchOutput {
    let rows: Vec<(Micros, [Value; 3])> = rows.iter().map(|r| (r.0, values(r))).collect();
    engine.run_batch(kind, rows.iter().map(|(t, v)| (*t, &v[..])))
}

fn key(bytes: &[u8]) -> Option<String> {
    match key_values(&[DataType::String], bytes).next() {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

pub(super) fn report(out: &BatchOutput) -> Report {
    let mut rows: Vec<Output> = out
        .rows
        .iter()
        .map(|r| {
            (
                r.window.start,
                r.window.end,
                key(out.key(r)),
                out.aggs(r).map(|v| v.to_datum()).collect::<Vec<_>>(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    Report {
        rows,
        total: out.stats.state_rows_total,
        updated: out.stats.state_rows_updated,
        removed: out.stats.state_rows_removed,
        dropped: out.stats.state_rows_dropped_by_watermark,
        watermark: out.watermark,
    }
}

pub(super) type Batches = Vec<Vec<Input>>;

fn window_kind() -> impl Strategy<Value = WindowRequest> {
    prop_oneof![
        // Up to 8.5 windows an event: past 4, append mode keeps them by pane.
        (1i64..=6, 1i64..=8).prop_map(|(slide, n)| {
            let size = slide * n + if n > 1 { slide / 2 } else { 0 };
            WindowRequest::Sliding {
                size: Duration::from_secs(size.max(slide)),
                slide: Duration::from_secs(slide),
            }
        }),
        (1i64..=8).prop_map(|gap| WindowRequest::Session {
            gap: Duration::from_secs(gap)
        }),
    ]
}

fn mode() -> impl Strategy<Value = OutputMode> {
    prop::sample::select(OutputMode::ALL.to_vec())
}

fn stream() -> impl Strategy<Value = (WindowRequest, i64, OutputMode, Batches)> {
    let row = (
        0i64..90_000,
        prop::sample::select(vec![Some("a"), Some("b"), Some("é,\""), None]),
        prop::option::weighted(0.8, -5i64..20),
    )
        .prop_map(|(ms, k, x)| (ms * 1000 + 7, k, x));
    (
        window_kind(),
        0i64..=8,
        mode(),
        prop::collection::vec(prop::collection::vec(row, 0..10), 1..20),
    )
        .prop_filter("update mode takes no sessions", |(w, _, m, _)| {
            !(matches!(w, WindowRequest::Session { .. }) && *m == OutputMode::Update)
        })
}

/// The ticks of a stream: each batch's rows, then an idle tick; three idle ticks at the end.
pub(super) fn ticks(batches: &Batches) -> Vec<&[Input]> {
    let mut ticks: Vec<&[Input]> = Vec::new();
    for b in batches {
        ticks.push(b);
        ticks.push(&[]);
    }
    ticks.extend([&[][..]; 3]);
    ticks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn engine_matches_the_contract_model((window, delay, mode, batches) in stream()) {
        let mut engine = Engine::new(query(window, delay, mode));
        let mut model = Model::new(window, delay, mode);
        let mut emitted = BTreeSet::new();
        let mut last_wm = 0;
        for rows in ticks(&batches) {
            let tick = engine.tick(!rows.is_empty());
            prop_assert_eq!(matches!(tick, Tick::Run(_)), model.runs(!rows.is_empty()));
            let Tick::Run(kind) = tick else { continue };
            let got = report(&run(&mut engine, kind, rows));
            let want = model.batch(rows);
            prop_assert_eq!(&got, &want);
            prop_assert!(got.watermark >= last_wm, "the watermark went back");
            last_wm = got.watermark;
            if mode == OutputMode::Append {
                for row in &got.rows {
                    prop_assert!(emitted.insert((row.0, row.1, row.2.clone())), "emitted twice: {:?}", row);
                }
            }
        }
    }

    #[test]
    fn a_restored_engine_continues_exactly((window, delay, mode, batches) in stream(), cut in 0usize..40) {
        let q = query(window, delay, mode);
        let mut original = Engine::new(q.clone());
        // Follows the original through deltas only, as a restart replays them.
        let mut follower = Engine::new(q.clone());
        let mut restored: Option<Engine> = None;
        for (i, rows) in ticks(&batches).into_iter().enumerate() {
            if i == cut {
                let mut snapshot = Vec::new();
                original.encode_snapshot(&mut snapshot);
                let mut engine = Engine::new(q.clone());
                engine.apply_state(&snapshot).unwrap();
                restored = Some(engine);
            }
            let Tick::Run(kind) = original.tick(!rows.is_empty()) else { continue };
            let out = run(&mut original, kind, rows);
            let mut delta = Vec::new();
            original.encode_delta(&mut delta);
            follower.apply_state(&delta).unwrap();
            prop_assert_eq!(open(&follower), open(&original));
            prop_assert_eq!(follower.marks(), original.marks());
            if let Some(engine) = restored.as_mut() {
                prop_assert_eq!(engine.tick(!rows.is_empty()), Tick::Run(kind));
                let again = run(engine, kind, rows);
                prop_assert_eq!(report(&again), report(&out));
                prop_assert_eq!(again.id, out.id);
            }
        }
    }
}

/// Every open state row of an engine, in order.
pub(super) fn open(engine: &Engine) -> Vec<(Window, Option<String>, Vec<Datum>)> {
    let mut rows = Vec::new();
    engine.open_rows(usize::MAX, |w, k, aggs| rows.push((w, key(k), aggs)));
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    rows
}

#[test]
fn damaged_state_bytes_are_an_error_not_another_state() {
    let q = query(
        WindowRequest::Sliding {
            size: Duration::from_secs(10),
            slide: Duration::from_secs(5),
        },
        5,
        OutputMode::Append,
    );
    let mut engine = Engine::new(q.clone());
    run(
        &mut engine,
        BatchKind::Data,
        &[(S, Some("a"), Some(1)), (2 * S, None, None)],
    );
    let mut snapshot = Vec::new();
    engine.encode_snapshot(&mut snapshot);
    for cut in 0..snapshot.len() {
        assert!(
            Engine::new(q.clone())
                .apply_state(&snapshot[..cut])
                .is_err(),
            "cut at {cut}"
        );
    }
    let mut padded = snapshot.clone();
    padded.push(0);
    assert!(Engine::new(q.clone()).apply_state(&padded).is_err());
    let session = query(
        WindowRequest::Session {
            gap: Duration::from_secs(3),
        },
        5,
        OutputMode::Append,
    );
    assert!(
        Engine::new(session).apply_state(&snapshot).is_err(),
        "another window kind"
    );
}

//! The window engine: a synchronous state machine that runs micro-batches of
//! `withWatermark(DELAY).groupBy(value, window(WINDOW, SLIDE)).count()` in append mode.
//!
//! The caller owns time and I/O. At each trigger tick it asks [`Engine::tick`] what to run, then
//! [`Engine::begin`]s a batch, pushes the batch's rows one by one and finishes it to get a
//! [`BatchOutput`]. Rows are folded into state as they are pushed, so a batch is never buffered.

use rustc_hash::FxHashSet;

use super::batch::{
    BatchKind, BatchOutput, BatchStats, EmittedRow, EventTimeAccumulator, LATE_SAMPLE, LateRow,
};
use super::interner::{Interner, ValueId};
use super::query::Query;
use super::state::{Slot, StateStore};
use super::time::{MICROS_PER_MILLI, Micros};
use super::window::Window;

/// The engine. See the module documentation for the protocol.
#[derive(Debug)]
pub struct Engine {
    query: Query,
    state: StateStore,
    values: Interner,
    /// `wm[N]` of the last batch that ran (epoch 0 before the first).
    batch_watermark: Micros,
    /// The watermark the next batch will run with.
    next_watermark: Micros,
    next_batch_id: u64,
    max_event_time: Option<Micros>,
    running: Running,
    windows: WindowCache,
    dropped_keys: FxHashSet<(Micros, ValueId)>,
    maybe_unused: Vec<ValueId>,
    late: LateLog,
}

/// What [`Engine::tick`] says a trigger tick should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Run a batch of this kind.
    Run(BatchKind),
    /// Run nothing; no batch id is used.
    Idle,
}

/// Figures of the batch being run.
#[derive(Debug, Default)]
struct Running {
    active: bool,
    id: u64,
    kind: Option<BatchKind>,
    watermark: Micros,
    late_threshold: Micros,
    event_times: EventTimeAccumulator,
    updated: u64,
    late_pairs: u64,
}

/// The windows of the last event's slide interval, so consecutive events in the same interval
/// skip the window lookup.
#[derive(Debug)]
struct WindowCache {
    last_start: Option<Micros>,
    windows: Vec<CachedWindow>,
}

#[derive(Debug, Clone, Copy)]
struct CachedWindow {
    window: Window,
    target: Target,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    /// Closed before this batch: pairs are dropped.
    Late,
    Open(Slot),
    /// Not in state yet; opened by the first row that lands in it.
    Unopened,
}

/// The latest late pairs of the running batch, in a ring that reuses its strings.
#[derive(Debug, Default)]
struct LateLog {
    rows: Vec<LateRow>,
    next: usize,
}

impl LateLog {
    fn record(&mut self, event_time: Micros, value: &str, window: Window, watermark: Micros) {
        if self.rows.len() < LATE_SAMPLE {
            self.rows.push(LateRow {
                event_time,
                value: value.to_owned(),
                window,
                watermark,
            });
        } else {
            let row = &mut self.rows[self.next];
            row.event_time = event_time;
            row.value.clear();
            row.value.push_str(value);
            row.window = window;
            row.watermark = watermark;
        }
        self.next = (self.next + 1) % LATE_SAMPLE;
    }

    /// The recorded rows, oldest first; the log is empty afterwards.
    fn take(&mut self) -> Vec<LateRow> {
        let mut rows = std::mem::take(&mut self.rows);
        if rows.len() == LATE_SAMPLE {
            rows.rotate_left(self.next);
        }
        self.next = 0;
        rows
    }
}

impl Engine {
    pub fn new(query: Query) -> Self {
        Engine {
            query,
            state: StateStore::default(),
            values: Interner::default(),
            batch_watermark: 0,
            next_watermark: 0,
            next_batch_id: 0,
            max_event_time: None,
            running: Running::default(),
            windows: WindowCache {
                last_start: None,
                windows: Vec::with_capacity(query.spec().candidates_per_event()),
            },
            dropped_keys: FxHashSet::default(),
            maybe_unused: Vec::new(),
            late: LateLog::default(),
        }
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The trigger rule: a data batch when rows arrived since the last batch; else a no-data batch
    /// when the watermark moved past the last batch's; else nothing.
    pub fn tick(&self, has_rows: bool) -> Tick {
        if has_rows {
            Tick::Run(BatchKind::Data)
        } else if self.next_watermark > self.batch_watermark {
            Tick::Run(BatchKind::NoData)
        } else {
            Tick::Idle
        }
    }

    /// Starts batch `next_batch_id()`, fixing its watermark. Push its rows, then [`Engine::finish`].
    pub fn begin(&mut self, kind: BatchKind) -> u64 {
        debug_assert!(!self.running.active, "begin while a batch is running");
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        self.running = Running {
            active: true,
            id,
            kind: Some(kind),
            watermark: self.next_watermark,
            late_threshold: self.batch_watermark,
            ..Running::default()
        };
        self.batch_watermark = self.next_watermark;
        self.windows.last_start = None;
        id
    }

    /// Adds one row of the running batch: counts it in every window that holds `event_time`,
    /// except windows that closed before the batch began (late pairs, dropped and counted).
    ///
    /// `event_time` must lie between years 0000 and 9999, as the sources guarantee.
    #[inline]
    pub fn push(&mut self, event_time: Micros, value: &str) {
        debug_assert!(self.running.active, "push outside a batch");
        self.running.event_times.add(event_time);
        let (id, fresh) = self.values.intern(value);
        let last_start = self.query.spec().last_start(event_time);
        if self.windows.last_start != Some(last_start) {
            self.fill_window_cache(last_start);
        }
        let batch = self.running.id;
        for cached in self.windows.windows.iter_mut() {
            if event_time >= cached.window.end {
                continue; // only when the slide does not divide the window
            }
            let slot = match cached.target {
                Target::Open(slot) => slot,
                Target::Unopened => {
                    let slot = self.state.slot_for(cached.window.start);
                    cached.target = Target::Open(slot);
                    slot
                }
                Target::Late => {
                    self.running.late_pairs += 1;
                    self.dropped_keys.insert((cached.window.start, id));
                    self.late.record(
                        event_time,
                        value,
                        cached.window,
                        self.running.late_threshold,
                    );
                    continue;
                }
            };
            let (new_key, first_change) = self.state.increment(slot, id, batch);
            if new_key {
                self.values.acquire(id);
            }
            self.running.updated += u64::from(first_change);
        }
        if fresh {
            self.maybe_unused.push(id);
        }
        if self.max_event_time.is_none_or(|max| event_time > max) {
            self.max_event_time = Some(event_time);
        }
    }

    fn fill_window_cache(&mut self, last_start: Micros) {
        let spec = *self.query.spec();
        let late_threshold = self.running.late_threshold;
        let state = &self.state;
        self.windows.windows.clear();
        self.windows
            .windows
            .extend((0..spec.candidates_per_event() as i64).map(|i| {
                let window = spec.window_at(last_start - i * spec.slide());
                let target = if window.end <= late_threshold {
                    Target::Late
                } else {
                    state
                        .slot_of(window.start)
                        .map_or(Target::Unopened, Target::Open)
                };
                CachedWindow { window, target }
            }));
        self.windows.last_start = Some(last_start);
    }

    /// Ends the running batch: emits and evicts every key whose window ended at or before the
    /// batch's watermark, and advances the watermark for the next batch.
    pub fn finish(&mut self) -> BatchOutput {
        debug_assert!(self.running.active, "finish without begin");
        let running = std::mem::take(&mut self.running);
        let dropped = self.dropped_keys.len() as u64;
        self.dropped_keys.clear();
        for id in self.maybe_unused.drain(..) {
            self.values.release_if_unused(id);
        }
        self.windows.last_start = None;

        let mut rows = Vec::new();
        let size = self.query.spec().size();
        while let Some(start) = self.state.first_start() {
            if start + size > running.watermark {
                break;
            }
            let values = &mut self.values;
            self.state.evict_first(|window| {
                let at = Window {
                    start,
                    end: start + size,
                };
                rows.extend(window.counts.drain().map(|(id, key)| EmittedRow {
                    window: at,
                    value: values.release(id),
                    count: key.count,
                }));
            });
        }
        rows.sort_unstable();

        if let Some(max_ms) = running.event_times.max_ms() {
            let candidate = max_ms.saturating_sub(self.query.delay().millis()) * MICROS_PER_MILLI;
            self.next_watermark = self.next_watermark.max(candidate);
        }
        BatchOutput {
            id: running.id,
            kind: running.kind.unwrap_or(BatchKind::Data),
            watermark: running.watermark,
            late_threshold: running.late_threshold,
            next_watermark: self.next_watermark,
            stats: BatchStats {
                input_rows: running.event_times.count(),
                event_time: running.event_times.stats(),
                state_rows_total: self.state.keys() as u64,
                state_rows_updated: running.updated,
                state_rows_removed: rows.len() as u64,
                state_rows_dropped_by_watermark: dropped,
                late_pairs: running.late_pairs,
                state_memory_bytes: self.memory_bytes() as u64,
            },
            rows,
            late: self.late.take(),
        }
    }

    /// Runs a whole batch of `rows` (a convenience over begin/push/finish).
    pub fn run_batch<'v>(
        &mut self,
        kind: BatchKind,
        rows: impl IntoIterator<Item = (Micros, &'v str)>,
    ) -> BatchOutput {
        self.begin(kind);
        for (t, value) in rows {
            self.push(t, value);
        }
        self.finish()
    }

    /// The id the next batch will get.
    pub fn next_batch_id(&self) -> u64 {
        self.next_batch_id
    }

    /// `wm[N]` of the last batch that ran (epoch 0 before any).
    pub fn watermark(&self) -> Micros {
        self.batch_watermark
    }

    /// The watermark the next batch will run with.
    pub fn next_watermark(&self) -> Micros {
        self.next_watermark
    }

    /// The latest event time seen so far.
    pub fn max_event_time(&self) -> Option<Micros> {
        self.max_event_time
    }

    /// State keys (value, window) held now.
    pub fn state_rows(&self) -> usize {
        self.state.keys()
    }

    /// Distinct values held in state now.
    pub fn distinct_values(&self) -> usize {
        self.values.len()
    }

    /// The state's memory, roughly, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.state.heap_bytes() + self.values.heap_bytes()
    }

    /// Open windows in start order, each with its (value, count) pairs in no particular order.
    pub fn open_windows(&self) -> impl Iterator<Item = (Window, OpenKeys<'_>)> {
        let size = self.query.spec().size();
        self.state.windows().map(move |w| {
            (
                Window {
                    start: w.start,
                    end: w.start + size,
                },
                OpenKeys {
                    inner: w.counts.iter(),
                    values: &self.values,
                },
            )
        })
    }
}

/// The (value, count) pairs of one open window.
pub struct OpenKeys<'a> {
    inner: std::collections::hash_map::Iter<'a, ValueId, super::state::KeyCount>,
    values: &'a Interner,
}

impl<'a> Iterator for OpenKeys<'a> {
    type Item = (&'a str, u64);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner
            .next()
            .map(|(&id, key)| (self.values.text(id), key.count))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for OpenKeys<'_> {}

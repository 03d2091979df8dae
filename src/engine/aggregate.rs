//! The window engine: a synchronous state machine that runs micro-batches of
//! `withWatermark(DELAY).groupBy(value, window(WINDOW, SLIDE)).count()` in append mode.
//!
//! The caller owns time and I/O. At each trigger tick it asks [`Engine::tick`] what to run, then
//! [`Engine::begin`]s a batch: the returned [`Batch`] takes the batch's rows one by one and
//! [`Batch::finish`] turns it into a [`BatchOutput`]. The guard makes the protocol impossible to
//! misuse: no row outside a batch, no second finish, and a batch dropped unfinished leaves no
//! trace (its id and rows are given back).
//!
//! Like Spark's partial aggregation, a batch first counts its rows per (pane, value), where a pane
//! is the gcd of window and slide: one hash update per row, however many windows a row is in.
//! [`Engine::finish`] folds those counts into the windows, applying the late filter per
//! (pane, window), then evicts and emits. Rows themselves are never buffered.

use rustc_hash::{FxHashMap, FxHashSet};

use super::batch::{
    BatchKind, BatchOutput, BatchStats, EmittedRow, EventTimeAccumulator, LATE_SAMPLE, LateRow,
};
use super::interner::{Interner, ValueId};
use super::query::Query;
use super::state::StateStore;
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
    /// The running batch's rows, counted per (pane index, value).
    partial: FxHashMap<(i64, ValueId), u64>,
    /// The pane of the last row, so the next row in it skips the division.
    last_pane: Option<PaneCache>,
    /// The current pane's counts by value id, for small ids: no hashing per row. Moved into
    /// `partial` when the pane changes.
    dense: DenseCounts,
    dropped_keys: FxHashSet<(Micros, ValueId)>,
    maybe_unused: Vec<ValueId>,
    late: LateLog,
    /// Keys the last batch added to or changed, by (window start, value), for checkpoints.
    changed: Vec<(Micros, ValueId)>,
}

/// The engine's marks between batches (its keys are the rest of its state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marks {
    pub next_batch_id: u64,
    /// `wm[N]` of the last batch.
    pub batch_watermark: Micros,
    pub next_watermark: Micros,
    pub max_event_time: Option<Micros>,
}

/// The pane of the last row.
#[derive(Debug, Clone, Copy)]
struct PaneCache {
    start: Micros,
    index: i64,
    /// The end of the pane's earliest window: rows are late for some window when it is at or
    /// before the late threshold.
    first_end: Micros,
}

/// Value ids below this are counted densely.
const DENSE_IDS: usize = 4096;

/// Counts of one pane by value id.
#[derive(Debug, Default)]
struct DenseCounts {
    pane: Option<i64>,
    counts: Vec<u64>,
    ids: Vec<ValueId>,
}

impl DenseCounts {
    /// Counts a row of `id` (below [`DENSE_IDS`]) in `pane`, first moving another pane's counts
    /// into `partial`.
    #[inline]
    fn add(&mut self, pane: i64, id: ValueId, partial: &mut FxHashMap<(i64, ValueId), u64>) {
        if self.pane != Some(pane) {
            self.flush(partial);
            self.pane = Some(pane);
        }
        let at = id as usize;
        if at >= self.counts.len() {
            self.counts
                .resize((at + 1).next_power_of_two().clamp(64, DENSE_IDS), 0);
        }
        let count = &mut self.counts[at];
        if *count == 0 {
            self.ids.push(id);
        }
        *count += 1;
    }

    /// Forgets the current pane's counts (a batch dropped unfinished).
    fn discard(&mut self) {
        self.pane = None;
        for id in self.ids.drain(..) {
            self.counts[id as usize] = 0;
        }
    }

    fn flush(&mut self, partial: &mut FxHashMap<(i64, ValueId), u64>) {
        if let Some(pane) = self.pane.take() {
            for id in self.ids.drain(..) {
                let count = std::mem::take(&mut self.counts[id as usize]);
                *partial.entry((pane, id)).or_insert(0) += count;
            }
        }
    }
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
    id: u64,
    kind: Option<BatchKind>,
    watermark: Micros,
    late_threshold: Micros,
    event_times: EventTimeAccumulator,
    /// The latest event time before the batch, to give back if it is dropped unfinished.
    max_event_time_before: Option<Micros>,
}

/// A running batch: rows go in with [`Batch::push`], the output comes out of
/// [`Batch::finish`]. Dropped unfinished, the batch is undone as if it never began.
#[derive(Debug)]
pub struct Batch<'e> {
    engine: &'e mut Engine,
}

impl Batch<'_> {
    /// The batch's id.
    pub fn id(&self) -> u64 {
        self.engine.running.id
    }

    /// Adds one row. It counts in every window that holds `event_time`, except windows that
    /// closed before the batch began (late pairs, dropped and counted).
    ///
    /// `event_time` must lie between years 0000 and 9999, as the sources guarantee.
    #[inline]
    pub fn push(&mut self, event_time: Micros, value: &str) {
        self.engine.push(event_time, value);
    }

    /// Ends the batch: counts its rows into the windows, emits and evicts every key whose
    /// window ended at or before the batch's watermark, and advances the watermark.
    pub fn finish(self) -> BatchOutput {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.engine.finish()
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.engine.abort();
    }
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
            partial: FxHashMap::default(),
            last_pane: None,
            dense: DenseCounts::default(),
            dropped_keys: FxHashSet::default(),
            maybe_unused: Vec::new(),
            late: LateLog::default(),
            changed: Vec::new(),
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

    /// Starts batch `next_batch_id()`, fixing its watermark. Push its rows into the returned
    /// batch, then [`Batch::finish`] it.
    pub fn begin(&mut self, kind: BatchKind) -> Batch<'_> {
        let id = self.next_batch_id;
        self.running = Running {
            id,
            kind: Some(kind),
            watermark: self.next_watermark,
            late_threshold: self.batch_watermark,
            event_times: EventTimeAccumulator::default(),
            max_event_time_before: self.max_event_time,
        };
        self.next_batch_id += 1;
        self.batch_watermark = self.next_watermark;
        self.changed.clear();
        Batch { engine: self }
    }

    /// Gives back a batch dropped before it finished: its id, its watermark and its rows.
    fn abort(&mut self) {
        let running = std::mem::take(&mut self.running);
        self.next_batch_id = running.id;
        self.batch_watermark = running.late_threshold;
        self.max_event_time = running.max_event_time_before;
        self.partial.clear();
        self.dense.discard();
        self.last_pane = None;
        self.dropped_keys.clear();
        self.late.take();
        for id in self.maybe_unused.drain(..) {
            self.values.release_if_unused(id);
        }
    }

    /// Adds one row of the running batch (see [`Batch::push`]).
    #[inline]
    fn push(&mut self, event_time: Micros, value: &str) {
        self.running.event_times.add(event_time);
        let (id, fresh) = self.values.intern(value);
        if fresh {
            self.maybe_unused.push(id);
        }
        let spec = self.query.spec();
        let pane = match self.last_pane {
            Some(p) if event_time >= p.start && event_time - p.start < spec.pane() => p,
            _ => {
                let index = spec.pane_of(event_time);
                let first = spec.windows_of_pane(index).next();
                let pane = PaneCache {
                    start: index * spec.pane(),
                    index,
                    first_end: first.map_or(Micros::MAX, |w| w.end),
                };
                self.last_pane = Some(pane);
                pane
            }
        };
        if (id as usize) < DENSE_IDS {
            self.dense.add(pane.index, id, &mut self.partial);
        } else {
            *self.partial.entry((pane.index, id)).or_insert(0) += 1;
        }
        if self.max_event_time.is_none_or(|max| event_time > max) {
            self.max_event_time = Some(event_time);
        }
        // Keep a sample of late pairs for display; they are counted in `finish`.
        let threshold = self.running.late_threshold;
        if pane.first_end <= threshold {
            for window in spec
                .windows_of_pane(pane.index)
                .take_while(|w| w.end <= threshold)
            {
                self.late.record(event_time, value, window, threshold);
            }
        }
    }

    /// Folds the batch's (pane, value) counts into the windows: late pairs are dropped and
    /// counted, the rest are added to state. Returns `(keys updated, late pairs)`.
    fn fold_partial(&mut self) -> (u64, u64) {
        self.dense.flush(&mut self.partial);
        let spec = *self.query.spec();
        let (batch, threshold) = (self.running.id, self.running.late_threshold);
        let (mut updated, mut late_pairs) = (0, 0);
        for ((pane, id), rows) in self.partial.drain() {
            for window in spec.windows_of_pane(pane) {
                if window.end <= threshold {
                    late_pairs += rows;
                    self.dropped_keys.insert((window.start, id));
                    continue;
                }
                let slot = self.state.slot_for(window.start);
                let (new_key, first_change) = self.state.add(slot, id, rows, batch);
                if new_key {
                    self.values.acquire(id);
                }
                if first_change {
                    updated += 1;
                    self.changed.push((window.start, id));
                }
            }
        }
        (updated, late_pairs)
    }

    /// Ends the running batch (see [`Batch::finish`]).
    fn finish(&mut self) -> BatchOutput {
        let (updated, late_pairs) = self.fold_partial();
        let running = std::mem::take(&mut self.running);
        let dropped = self.dropped_keys.len() as u64;
        self.dropped_keys.clear();
        for id in self.maybe_unused.drain(..) {
            self.values.release_if_unused(id);
        }

        let mut rows = Vec::new();
        self.evict_through(running.watermark, |row| rows.push(row));
        rows.sort_unstable();

        if let Some(max_ms) = running.event_times.max_ms() {
            let candidate = max_ms
                .saturating_sub(self.query.delay().millis())
                .saturating_mul(MICROS_PER_MILLI);
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
                state_rows_updated: updated,
                state_rows_removed: rows.len() as u64,
                state_rows_dropped_by_watermark: dropped,
                late_pairs,
                state_memory_bytes: self.memory_bytes() as u64,
            },
            rows,
            late: self.late.take(),
        }
    }

    /// Removes every key whose window ended at or before `watermark`, handing each to `emit`.
    fn evict_through(&mut self, watermark: Micros, mut emit: impl FnMut(EmittedRow)) {
        let size = self.query.spec().size();
        while let Some(start) = self.state.first_start() {
            if start + size > watermark {
                break;
            }
            let values = &mut self.values;
            self.state.evict_first(|window| {
                let at = Window {
                    start,
                    end: start + size,
                };
                for (id, key) in window.counts.drain() {
                    emit(EmittedRow {
                        window: at,
                        value: values.release(id),
                        count: key.count,
                    });
                }
            });
        }
    }

    /// The engine's marks between batches: next batch id, watermarks, latest event time.
    pub fn marks(&self) -> Marks {
        Marks {
            next_batch_id: self.next_batch_id,
            batch_watermark: self.batch_watermark,
            next_watermark: self.next_watermark,
            max_event_time: self.max_event_time,
        }
    }

    /// The keys the last batch added to or changed that are still in state, with their counts:
    /// with [`Engine::marks`], what a checkpoint delta needs.
    pub fn last_changes(&self) -> impl Iterator<Item = (Micros, &str, u64)> {
        self.changed.iter().filter_map(|&(start, id)| {
            // A window evicted by the same batch is gone, and its ids may be too.
            let count = self.state.count(start, id)?;
            Some((start, self.values.text(id), count))
        })
    }

    /// An engine restored from a checkpoint: its marks and every key `(window start, value,
    /// count)` of its state.
    pub fn restore<'v>(
        query: Query,
        marks: Marks,
        keys: impl IntoIterator<Item = (Micros, &'v str, u64)>,
    ) -> Self {
        let mut engine = Engine::new(query);
        engine.apply(marks, keys);
        engine
    }

    /// Moves a restored engine on by one checkpointed batch: windows its watermark closed are
    /// dropped (they were emitted), then `upserts` set the counts the batch left.
    pub fn apply<'v>(
        &mut self,
        marks: Marks,
        upserts: impl IntoIterator<Item = (Micros, &'v str, u64)>,
    ) {
        self.evict_through(marks.batch_watermark, drop);
        for (start, value, count) in upserts {
            let (id, _) = self.values.intern(value);
            if self.state.set(start, id, count) {
                self.values.acquire(id);
            }
        }
        self.next_batch_id = marks.next_batch_id;
        self.batch_watermark = marks.batch_watermark;
        self.next_watermark = marks.next_watermark;
        self.max_event_time = marks.max_event_time;
    }

    /// Runs a whole batch of `rows` (a convenience over begin/push/finish).
    pub fn run_batch<'v>(
        &mut self,
        kind: BatchKind,
        rows: impl IntoIterator<Item = (Micros, &'v str)>,
    ) -> BatchOutput {
        let mut batch = self.begin(kind);
        for (t, value) in rows {
            batch.push(t, value);
        }
        batch.finish()
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

    /// Every open key as (window start, value, count): what a checkpoint snapshot holds.
    pub fn open_keys(&self) -> impl Iterator<Item = (Micros, &str, u64)> {
        self.open_windows()
            .flat_map(|(w, keys)| keys.map(move |(v, c)| (w.start, v, c)))
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

//! The engine: a synchronous state machine that runs micro-batches of a query of the family,
//! with Spark 3.5's answers, in any output mode.
//!
//! The caller owns time and I/O. At each trigger tick it asks [`Engine::tick`] what to run, then
//! [`Engine::begin`]s a batch: the returned [`Batch`] takes the batch's rows one by one and
//! [`Batch::finish`] turns it into a [`BatchOutput`]. The guard makes the protocol impossible to
//! misuse: no row outside a batch, no second finish, and a batch dropped unfinished leaves no
//! trace (its id and rows are given back). Rows themselves are never buffered.

use rustc_hash::FxHashSet;

use super::accumulate::Kind;
use super::batch::{BatchKind, BatchOutput, BatchStats, EventTimeAccumulator};
use super::changes::Changes;
use super::emit::{Emission, EmittedSize};
use super::exact_avg::ExactAvg;
use super::interner::{Id, Interner};
use super::late_log::LateLog;
use super::pane_state::PaneState;
use super::query::{OutputMode, Query};
use super::row::Row;
use super::session::SessionState;
use super::sliding::{Fold, Partial};
use super::time::{Micros, NULL_EVENT_TIME};
use super::types::DataType;
use super::updater::Updater;
use super::window::WindowSpec;
use super::window_state::SlidingState;

mod absorb;
mod by_pane;
mod held;
pub(super) mod keys;
mod watermark;

pub use absorb::NotAbsorbed;

/// The engine. See the module documentation for the protocol.
#[derive(Debug)]
pub struct Engine {
    pub(crate) query: Query,
    pub(crate) kinds: Vec<Kind>,
    /// How a row updates its key's buffers, planned from `kinds`.
    updater: Updater,
    /// Group keys and string `min`/`max` values.
    pub(crate) strings: Interner,
    pub(crate) windows: Windows,
    /// `wm[N]` of the last batch that ran (epoch 0 before the first).
    pub(crate) batch_watermark: Micros,
    /// The watermark the next batch will run with.
    pub(crate) next_watermark: Micros,
    pub(crate) next_batch_id: u64,
    pub(crate) max_event_time: Option<Micros>,
    running: Running,
    /// The group-by column when the key is that one STRING column (its keys are interned
    /// without being written out).
    string_key: Option<usize>,
    /// A row's group key, written out.
    key: Vec<u8>,
    /// The query's only aggregate is `count` ([`Query::counts_only`]).
    counts_only: bool,
    /// The pane of the last row, so the next row in it skips the division.
    last_pane: Option<PaneCache>,
    /// How much the last batch emitted: the next one's buffers start that large, rather than
    /// doubling their way there.
    last_emitted: EmittedSize,
    dropped_keys: FxHashSet<(Micros, Id)>,
    /// Keys new to the interner in the running batch, each holding a use until the batch
    /// ends: it holds them at no other use until they reach its windows, and a string
    /// `min`/`max` letting go of a text with a key's bytes (the same id) must not free them.
    new_keys: Vec<Id>,
    late: LateLog,
    /// State rows the last batch wrote, by (window start, key), for checkpoint deltas.
    pub(crate) changed: Changes,
    /// `--max-state-rows` (not Spark's): see [`Engine::limit_state_rows`].
    max_state_rows: Option<usize>,
    /// The averages of integers a batch may add up by pane while they are exact.
    exact_avg: Option<ExactAvg>,
}

/// The state of the query's windows.
#[derive(Debug)]
pub(crate) enum Windows {
    Sliding {
        /// The query's windows (kept here, where a row's push finds them without a lookup).
        spec: WindowSpec,
        state: SlidingState,
        partial: Partial,
    },
    /// Sliding windows kept by pane ([`PaneState::suits`] says when).
    Panes {
        spec: WindowSpec,
        state: PaneState,
        partial: Partial,
    },
    Session(SessionState),
}

/// The engine's marks between batches (its state rows are the rest of it).
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
    /// The keys new to the state the batch may take: `--max-state-rows` less the state's rows
    /// as it began, over the rows a new key opens at most (a window for each an event falls
    /// in, or a session); none without a limit. Rows of new keys past it are refused.
    room: Option<usize>,
    refused: u64,
    /// Rows whose event time is NULL.
    without_time: u64,
    /// The batch adds up its rows by window (in row order), not by pane: its aggregates depend
    /// on row order, or its averages of integers are no longer exact by pane.
    by_window: bool,
    /// The magnitudes of the batch's values of averages of integers, added up ([`ExactAvg`]).
    avg_spent: u64,
}

/// A running batch: rows go in with [`Batch::push`], the output comes out of
/// [`Batch::finish`]. Dropped unfinished, the batch is undone as if it never began.
///
/// A batch may have followers ([`Engine::begin_with`]): batches of other engines (the same
/// stream in other output modes) that take every row it takes.
#[derive(Debug)]
pub struct Batch<'e> {
    engine: &'e mut Engine,
    followers: Vec<Batch<'e>>,
}

impl Batch<'_> {
    /// The batch's id.
    pub fn id(&self) -> u64 {
        self.engine.running.id
    }

    /// The column types of the rows the batch takes (the query's schema).
    pub fn types(&self) -> &[DataType] {
        self.engine.query.schema().types()
    }

    /// Adds one row, with its event time (between years 0000 and 9999, as the sources
    /// guarantee, or [`NULL_EVENT_TIME`]). It counts in every window that holds `event_time`,
    /// except windows that closed before the batch began (late pairs, dropped and counted); a
    /// row without a time counts as input alone, as Spark has it.
    #[inline]
    pub fn push<R: Row + ?Sized>(&mut self, event_time: Micros, row: &R) {
        self.engine.push(event_time, row);
        for follower in &mut self.followers {
            follower.push(event_time, row);
        }
    }

    /// Ends the batch: folds its rows into the state, emits what the output mode emits, evicts
    /// what the watermark closed, and advances the watermark.
    pub fn finish(self) -> BatchOutput {
        self.finish_with_followers().0
    }

    /// [`Batch::finish`], and the followers' outputs in the order they were given.
    pub fn finish_with_followers(mut self) -> (BatchOutput, Vec<BatchOutput>) {
        let followers = std::mem::take(&mut self.followers);
        let outputs = followers.into_iter().map(Batch::finish).collect();
        let mut this = std::mem::ManuallyDrop::new(self);
        (this.engine.finish(), outputs)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.engine.abort();
    }
}

impl Engine {
    pub fn new(query: Query) -> Self {
        let kinds: Vec<Kind> = query.aggs().iter().map(Kind::of).collect();
        let string_key = query.string_key();
        let exact_avg = ExactAvg::of(&query);
        let windows = Windows::of(&query, &kinds, exact_avg.is_some());
        Engine {
            updater: Updater::new(query.aggs(), &kinds),
            kinds,
            strings: Interner::default(),
            windows,
            batch_watermark: 0,
            next_watermark: 0,
            next_batch_id: 0,
            max_event_time: None,
            running: Running::default(),
            string_key,
            key: Vec::new(),
            counts_only: query.counts_only(),
            last_pane: None,
            last_emitted: EmittedSize::default(),
            dropped_keys: FxHashSet::default(),
            new_keys: Vec::new(),
            late: LateLog::default(),
            changed: Changes::default(),
            max_state_rows: None,
            exact_avg,
            query,
        }
    }

    /// Not Spark's behaviour (`--max-state-rows`): a batch takes keys new to the state while the
    /// state's rows as it began, plus the rows those keys open at most (a window for each an
    /// event falls in, or a session), stay within `limit`; it refuses the rows of other new
    /// keys, and counts them ([`BatchStats::rows_refused`]). Keys already held go on as before
    /// (into their next windows too). Bounds a stream of ever-new keys, which Spark would let
    /// grow until memory runs out, within a batch too.
    pub fn limit_state_rows(&mut self, limit: Option<usize>) {
        self.max_state_rows = limit;
    }

    /// Whether batches note the state rows they change, which a checkpoint's delta reads
    /// ([`Engine::encode_delta`]); on from the start. An engine no checkpoint asks for deltas
    /// turns it off: a batch of a million keys would note millions of rows for nothing.
    pub fn note_deltas(&mut self, note: bool) {
        self.changed.note_all(note);
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The trigger rule: a data batch when rows arrived since the last batch; else a no-data batch
    /// when the watermark moved past the last batch's (append and update mode: complete mode
    /// evicts nothing, so Spark runs no such batch); else nothing.
    pub fn tick(&self, has_rows: bool) -> Tick {
        if has_rows {
            Tick::Run(BatchKind::Data)
        } else if self.next_watermark > self.batch_watermark
            && self.query.mode() != OutputMode::Complete
        {
            Tick::Run(BatchKind::NoData)
        } else {
            Tick::Idle
        }
    }

    /// Starts batch `next_batch_id()`, fixing its watermark. Push its rows into the returned
    /// batch, then [`Batch::finish`] it.
    pub fn begin(&mut self, kind: BatchKind) -> Batch<'_> {
        self.running = Running {
            id: self.next_batch_id,
            kind: Some(kind),
            watermark: self.next_watermark,
            late_threshold: self.batch_watermark,
            event_times: EventTimeAccumulator::default(),
            max_event_time_before: self.max_event_time,
            room: self
                .max_state_rows
                .map(|limit| limit.saturating_sub(self.state_rows()) / self.rows_per_new_key()),
            refused: 0,
            without_time: 0,
            by_window: self.query.order_sensitive() && self.exact_avg.is_none(),
            avg_spent: match &self.windows {
                Windows::Panes { state, .. } => state.spent(),
                _ => 0,
            },
        };
        self.next_batch_id += 1;
        self.batch_watermark = self.next_watermark;
        self.changed.clear();
        Batch {
            engine: self,
            followers: Vec::new(),
        }
    }

    /// [`Engine::begin`], with a batch of `kind` begun in each of `followers` too: every row
    /// pushed goes to all of them.
    pub fn begin_with<'e>(
        &'e mut self,
        kind: BatchKind,
        followers: impl IntoIterator<Item = &'e mut Engine>,
    ) -> Batch<'e> {
        let followers = followers.into_iter().map(|f| f.begin(kind)).collect();
        let mut batch = self.begin(kind);
        batch.followers = followers;
        batch
    }

    /// Gives back a batch dropped before it finished: its id, its watermark and its rows.
    fn abort(&mut self) {
        let running = std::mem::take(&mut self.running);
        self.next_batch_id = running.id;
        self.batch_watermark = running.late_threshold;
        self.max_event_time = running.max_event_time_before;
        match &mut self.windows {
            Windows::Sliding { partial, .. } | Windows::Panes { partial, .. } => {
                partial.discard(&self.kinds, &mut self.strings);
            }
            Windows::Session(sessions) => sessions.discard(&self.kinds, &mut self.strings),
        }
        self.last_pane = None;
        self.dropped_keys.clear();
        self.late.take();
        for id in self.new_keys.drain(..) {
            self.strings.release(id);
        }
    }

    #[inline]
    fn push<R: Row + ?Sized>(&mut self, event_time: Micros, row: &R) {
        if event_time == NULL_EVENT_TIME {
            return self.push_without_time();
        }
        let key = self.key_of(row);
        self.push_keyed(event_time, row, key);
    }

    /// A row whose event time is NULL: an input row whose time counts as 0 in the batch's
    /// event-time statistics, and nothing else ([`NULL_EVENT_TIME`]).
    #[cold]
    fn push_without_time(&mut self) {
        self.running.event_times.add_zeros(1);
        self.running.without_time += 1;
    }

    /// [`Engine::push`] of a row whose key is interned already: its id, and whether it was
    /// new to the interner.
    #[allow(clippy::inline_always)] // every row's, as it was before the key was taken out
    #[inline(always)]
    fn push_keyed<R: Row + ?Sized>(
        &mut self,
        event_time: Micros,
        row: &R,
        (id, fresh): (Id, bool),
    ) {
        self.running.event_times.add(event_time);
        if self.max_event_time.is_none_or(|max| event_time > max) {
            self.max_event_time = Some(event_time);
        }
        if fresh && self.full() {
            self.strings.release_if_unused(id);
            self.running.refused += 1;
            return;
        }
        if fresh {
            self.strings.acquire(id);
            self.new_keys.push(id);
        }
        let threshold = self.running.late_threshold;
        // A row past what its averages add up exactly by pane sends the batch by window.
        if let Some(avg) = &self.exact_avg
            && !self.running.by_window
            && !matches!(self.windows, Windows::Session(_))
            && !avg.take(&mut self.running.avg_spent, row)
        {
            self.by_window_from_here();
        }
        let (aggs, kinds, strings) = (self.query.aggs(), &self.kinds, &mut self.strings);
        match &mut self.windows {
            Windows::Sliding { spec, partial, .. } | Windows::Panes { spec, partial, .. } => {
                let pane = match self.last_pane {
                    Some(p) if event_time >= p.start && event_time < p.start + spec.pane() => p,
                    _ => {
                        let index = spec.pane_of(event_time);
                        let pane = PaneCache {
                            start: index * spec.pane(),
                            index,
                            first_end: spec
                                .windows_of_pane(index)
                                .next()
                                .map_or(Micros::MAX, |w| w.end),
                        };
                        self.last_pane = Some(pane);
                        pane
                    }
                };
                let n = self.kinds.len();
                if self.counts_only && fresh {
                    partial.count_new(pane.index, id);
                } else if self.counts_only {
                    partial.count(pane.index, id);
                } else if !self.running.by_window {
                    let (accs, rows) = partial.entry_near(pane.index, id, n);
                    *rows += 1;
                    self.updater.update((aggs, kinds), accs, row, strings);
                } else {
                    partial.add_by_window(spec, (event_time, id), (aggs, kinds), row, strings);
                }
                // Keep a sample of late pairs for display; they are counted in `finish`.
                if pane.first_end <= threshold && self.query.filters_late() {
                    for window in spec
                        .windows_of_pane(pane.index)
                        .take_while(|w| w.end <= threshold)
                    {
                        self.late
                            .record(event_time, strings.bytes(id), window, threshold);
                    }
                }
            }
            Windows::Session(sessions) => {
                let window = sessions.window_of(event_time);
                if window.end <= threshold {
                    self.late
                        .record(event_time, strings.bytes(id), window, threshold);
                }
                let accs = sessions.entry(id, event_time, self.kinds.len());
                self.updater.update((aggs, kinds), accs, row, strings);
            }
        }
    }

    fn finish(&mut self) -> BatchOutput {
        let running = std::mem::take(&mut self.running);
        let mode = self.query.mode();
        let threshold = if self.query.filters_late() {
            running.late_threshold
        } else {
            Micros::MIN
        };
        let mut out = Emission::sized(self.query.agg_types(), self.last_emitted);
        let (updated, late_pairs) = match &mut self.windows {
            Windows::Sliding {
                spec,
                state,
                partial,
            } => {
                let spec = *spec;
                let mut fold = Fold::new(
                    (&self.kinds, &mut self.strings),
                    (&mut self.dropped_keys, &mut self.changed),
                    (running.id, threshold),
                );
                fold.whole_windows = self.exact_avg.is_some();
                let (updated, late_pairs) =
                    partial.fold(&spec, !running.by_window, &mut fold, state);
                super::emit::sliding(
                    state,
                    spec.size(),
                    mode,
                    running.watermark,
                    running.id,
                    &self.kinds,
                    self.query.aggs(),
                    &mut self.strings,
                    &mut out,
                );
                (updated, late_pairs)
            }
            Windows::Panes { .. } => self.finish_by_pane(&running, threshold, &mut out),
            Windows::Session(sessions) => {
                let (updated, late_pairs, replaced) = sessions.fold(
                    &self.kinds,
                    &mut self.strings,
                    threshold,
                    &mut self.dropped_keys,
                    &mut self.changed,
                );
                out.removed += replaced;
                sessions.emit(
                    mode,
                    running.watermark,
                    &self.kinds,
                    self.query.aggs(),
                    &mut self.strings,
                    &mut out,
                );
                (updated, late_pairs)
            }
        };
        let dropped = self.dropped_keys.len() as u64;
        self.dropped_keys.clear();
        for id in self.new_keys.drain(..) {
            self.strings.release(id);
        }
        self.advance_watermark(running.event_times.max_ms());
        self.last_emitted = out.size();
        let Emission {
            rows,
            cells,
            keys,
            removed,
            ..
        } = out;
        BatchOutput {
            id: running.id,
            kind: running.kind.unwrap_or(BatchKind::Data),
            mode,
            watermark: running.watermark,
            late_threshold: running.late_threshold,
            next_watermark: self.next_watermark,
            stats: BatchStats {
                input_rows: running.event_times.count(),
                event_time: running.event_times.stats(),
                state_rows_total: self.state_rows() as u64,
                state_rows_updated: updated,
                state_rows_removed: removed,
                state_rows_dropped_by_watermark: dropped,
                late_pairs,
                state_memory_bytes: self.memory_bytes() as u64,
                rows_refused: running.refused,
                rows_without_event_time: running.without_time,
            },
            rows,
            cells,
            keys,
            late: self.late.take(),
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

    /// Runs a whole batch of `rows` (a convenience over begin/push/finish).
    pub fn run_batch<R: Row>(
        &mut self,
        kind: BatchKind,
        rows: impl IntoIterator<Item = (Micros, R)>,
    ) -> BatchOutput {
        let mut batch = self.begin(kind);
        for (t, row) in rows {
            batch.push(t, &row);
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
}

//! The view model the dashboard renders from: an immutable snapshot of the engine and the sinks
//! after each tick, plus short histories (batches, rates, late rows). The app builds it; the UI
//! only reads it, so rendering never touches the engine.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{BatchKind, Micros, OutputMode, Query, Window};

/// Batches kept for the Output batches panel.
pub const BATCH_HISTORY: usize = 200;
/// Points kept for each sparkline.
pub const RATE_HISTORY: usize = 120;
/// Late pairs kept for the Late data panel.
pub const LATE_HISTORY: usize = 100;
/// Open keys copied into a snapshot; beyond it the panel says how many it does not show.
pub const OPEN_KEYS_SHOWN: usize = 10_000;

/// The source and the controls, read when a frame is drawn (they change between ticks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub link: Link,
    /// Lines accepted by the reader.
    pub accepted: u64,
    /// Lines the reader rejected (too long, not UTF-8, bad payload).
    pub rejected: u64,
    /// Lines per second arriving lately.
    pub rate: f64,
    /// The source is paused (live) or playback is paused (replay).
    pub paused: bool,
    /// The embedded generator's delay between lines.
    pub delay: Option<Duration>,
    /// Playback speed in batches per second, in a replay that plays.
    pub speed: Option<f64>,
    /// Where the file sink writes (or will, once switched on).
    pub file_output: String,
    /// A short message for the footer (an export done, a sink error).
    pub notice: Option<String>,
}

/// The reader's connection, for the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Connecting,
    Connected,
    Retrying(String),
    /// The stream ended.
    Finished,
    /// A replay reads a file.
    File,
    /// A replay stopped on an error (a bad row, the file unreadable): no step runs again.
    Stopped,
}

/// What the dashboard is looking at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A live stream from `source`.
    Live { source: String },
    /// A recorded stream, stepped or played.
    Replay { file: String, finished: bool },
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub mode: Mode,
    pub query: Arc<Query>,
    /// The processing-time trigger interval (live runs).
    pub trigger: Option<Duration>,
    /// When the snapshot was taken (wall clock, µs).
    pub taken_at: Micros,
    /// Trigger ticks run so far.
    pub ticks: u64,
    /// When the next trigger fires (wall clock, µs); none in a replay.
    pub next_trigger: Option<Micros>,
    /// `wm[N]` of the last batch.
    pub watermark: Micros,
    /// The watermark the next batch runs with.
    pub next_watermark: Micros,
    pub max_event_time: Option<Micros>,
    pub next_batch_id: u64,
    pub open: Arc<OpenState>,
    /// Newest first.
    pub batches: Vec<Arc<BatchRecord>>,
    pub metrics: Metrics,
    /// Newest first.
    pub late: Vec<Arc<LateRecord>>,
    pub sinks: Vec<SinkStatus>,
    /// What each output mode emitted lately, when the run runs the other modes.
    pub modes: Option<Arc<ModesView>>,
    /// Where the run picked up, when it started from a checkpoint.
    pub resumed: Option<Resumed>,
    /// Why batches cannot run for now (the checkpoint cannot log them), while it lasts.
    pub stalled: Option<String>,
}

/// A run that started from its checkpoint, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// The run's first batch.
    pub batch: u64,
    /// The checkpoint folder, as the command line gave it.
    pub from: String,
    /// How old the checkpoint's last commit was when the run started.
    pub age: Option<Duration>,
    /// When the run started (wall clock, µs).
    pub at: Micros,
}

/// The modes view: the latest trigger ticks, and what append, update and complete mode each
/// ran and emitted at them for the same stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModesView {
    /// The run's own mode.
    pub main: OutputMode,
    /// Why a mode shows no batches (Spark refuses it for this query, or it stopped), in
    /// [`OutputMode::ALL`]'s order.
    pub notes: [Option<String>; 3],
    /// Newest first.
    pub ticks: Vec<ModesTick>,
}

/// One trigger tick in the modes view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModesTick {
    pub tick: u64,
    /// Each mode's batch at this tick, in [`OutputMode::ALL`]'s order; none when it ran none.
    pub batches: [Option<ModeBatch>; 3],
}

/// A batch one mode ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeBatch {
    pub id: u64,
    pub kind: BatchKind,
    /// `wm[N]`: in append mode, the rows are the windows that ended at or before it.
    pub watermark: Micros,
    /// The first rows emitted: the window, the group-by values and the aggregates, as Spark's
    /// `show()` prints them.
    pub rows: Vec<Vec<String>>,
    /// Rows emitted in all.
    pub emitted: usize,
}

/// The open state: windows in start order with their running aggregates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenState {
    pub windows: Vec<OpenWindow>,
    /// State keys in all (may be more than the windows here list).
    pub keys: usize,
}

impl OpenState {
    /// Keys listed in the snapshot.
    pub fn shown(&self) -> usize {
        self.windows.iter().map(|w| w.keys.len()).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenWindow {
    pub window: Window,
    /// `HHmmss-HHmmss`, as the sinks write it.
    pub text: String,
    /// Its keys, in key order.
    pub keys: Vec<OpenKey>,
    /// Keys of this window, listed or not.
    pub key_count: usize,
}

/// One state row of an open window: a key and its running aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenKey {
    /// The group-by values, then the aggregates, as Spark's `show()` prints them.
    pub cells: Vec<String>,
    /// The first aggregate as a number, for the bar (0 when it is not one, or NULL).
    pub bar: f64,
    /// The first group-by value as a number, when it is one (to sort numerically).
    pub number: Option<f64>,
}

/// One batch, as the Output batches panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    pub id: u64,
    pub kind: BatchKind,
    /// When it ran (wall clock, µs).
    pub at: Micros,
    pub watermark: Micros,
    pub input_rows: u64,
    pub emitted: u64,
    pub duration: Duration,
    /// What the console sink printed for it, when the console sink was on.
    pub console: Option<String>,
}

/// One late (row, window) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRecord {
    pub batch: u64,
    pub event_time: Micros,
    /// The row's group-by values, as `show()` prints them, comma-separated.
    pub key: String,
    pub window: String,
    pub watermark: Micros,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Input rows/s per batch, oldest first.
    pub input_rate: Vec<f64>,
    /// Processed rows/s per batch, oldest first.
    pub processed_rate: Vec<f64>,
    pub last_duration: Option<Duration>,
    pub state_rows: u64,
    pub state_bytes: u64,
    pub batches: u64,
    pub input_rows: u64,
    pub emitted_rows: u64,
    /// (row, window) pairs dropped as late, in all.
    pub late_pairs: u64,
    /// Rows `--max-state-rows` refused, in all.
    pub refused_rows: u64,
    /// Rows whose event time was NULL, in all: input rows in no window.
    pub rows_without_time: u64,
}

/// A sink, as the dashboard names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinkKind {
    Console,
    File,
    Json,
}

impl SinkKind {
    /// Every kind, in the order the dashboard lists them.
    pub const ALL: [SinkKind; 3] = [SinkKind::Console, SinkKind::File, SinkKind::Json];

    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Console => "console",
            SinkKind::File => "file",
            SinkKind::Json => "json",
        }
    }
}

/// A sink's state, for the Sinks panel and the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkStatus {
    pub kind: SinkKind,
    /// Whether it is on: over a replayed batch stepped back to, as it is now (what `c` and
    /// `f` switch, for the batches to come), the figures below staying the batch's.
    pub enabled: bool,
    pub description: Option<String>,
    pub batches: u64,
    pub rows: u64,
    pub files: u64,
    /// The last write failed with this.
    pub error: Option<String>,
}

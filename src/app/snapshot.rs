//! The dashboard's view of a run: an immutable snapshot of the engine and the sinks after each
//! tick, plus short histories (batches, rates, late rows). The trigger thread (or the replay
//! stepper) builds it; the UI only reads it, so rendering never touches the engine.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::app::pipeline::Pipeline;
use crate::app::sink::SinkStatus;
use crate::app::sink::window_text::WindowText;
use crate::engine::{BatchKind, BatchOutput, Micros, Query, Window};

/// Batches kept for the Append batches panel.
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
    pub query: Query,
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
}

/// The open state: windows in start order with their running counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    pub window: Window,
    /// `HHmmss-HHmmss`, as the sinks write it.
    pub text: String,
    /// (value, count), by value.
    pub keys: Vec<(String, u64)>,
    /// Keys of this window, listed or not.
    pub key_count: usize,
    /// Rows counted in this window (listed keys).
    pub rows: u64,
}

/// One batch, as the Append batches panel lists it.
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
    pub value: String,
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
}

/// Keeps the histories and turns a pipeline into snapshots.
pub struct SnapshotBuilder {
    mode: Mode,
    trigger: Option<Duration>,
    windows: WindowText,
    batches: VecDeque<Arc<BatchRecord>>,
    late: VecDeque<Arc<LateRecord>>,
    metrics: Metrics,
    open: Arc<OpenState>,
}

impl SnapshotBuilder {
    pub fn new(mode: Mode, trigger: Option<Duration>, windows: WindowText) -> Self {
        SnapshotBuilder {
            mode,
            trigger,
            windows,
            batches: VecDeque::new(),
            late: VecDeque::new(),
            metrics: Metrics::default(),
            open: Arc::new(OpenState::default()),
        }
    }

    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// Records a finished batch: `console` is what the console sink printed for it, if it was on;
    /// `at` is when it ran.
    pub fn record_batch(
        &mut self,
        pipeline: &Pipeline,
        batch: &BatchOutput,
        console: Option<String>,
        at: Micros,
    ) {
        let timing = pipeline.last_timing();
        let duration = timing.map_or(Duration::ZERO, |t| t.total);
        let rows = batch.stats.input_rows as f64;
        let input_rate = timing
            .and_then(|t| t.since_previous)
            .map_or(0.0, |d| rows / d.as_secs_f64().max(1e-6));
        let processed_rate = rows / duration.as_secs_f64().max(1e-6);
        push_bounded(&mut self.metrics.input_rate, input_rate, RATE_HISTORY);
        push_bounded(
            &mut self.metrics.processed_rate,
            processed_rate,
            RATE_HISTORY,
        );
        self.metrics.last_duration = Some(duration);
        self.metrics.batches += 1;
        self.metrics.input_rows += batch.stats.input_rows;
        self.metrics.emitted_rows += batch.rows.len() as u64;
        self.metrics.late_pairs += batch.stats.late_pairs;
        self.batches.push_front(Arc::new(BatchRecord {
            id: batch.id,
            kind: batch.kind,
            at,
            watermark: batch.watermark,
            input_rows: batch.stats.input_rows,
            emitted: batch.rows.len() as u64,
            duration,
            console,
        }));
        self.batches.truncate(BATCH_HISTORY);
        for late in &batch.late {
            self.late.push_front(Arc::new(LateRecord {
                batch: batch.id,
                event_time: late.event_time,
                value: late.value.clone(),
                window: self.windows.format(late.window).to_string(),
                watermark: late.watermark,
            }));
        }
        self.late.truncate(LATE_HISTORY);
        self.open = Arc::new(self.open_state(pipeline));
    }

    fn open_state(&mut self, pipeline: &Pipeline) -> OpenState {
        let engine = pipeline.engine();
        let mut budget = OPEN_KEYS_SHOWN;
        let windows = engine
            .open_windows()
            .map(|(window, keys)| {
                let key_count = keys.len();
                let mut listed: Vec<(String, u64)> = keys
                    .take(budget)
                    .map(|(value, count)| (value.to_string(), count))
                    .collect();
                budget -= listed.len();
                listed.sort_unstable();
                OpenWindow {
                    window,
                    text: self.windows.format(window).to_string(),
                    rows: listed.iter().map(|(_, c)| c).sum(),
                    keys: listed,
                    key_count,
                }
            })
            .collect();
        OpenState {
            windows,
            keys: engine.state_rows(),
        }
    }

    /// The snapshot after `ticks` ticks; the next trigger fires at `next_trigger`.
    pub fn snapshot(
        &mut self,
        pipeline: &Pipeline,
        ticks: u64,
        next_trigger: Option<Micros>,
        now: Micros,
    ) -> Arc<Snapshot> {
        let engine = pipeline.engine();
        self.metrics.state_rows = engine.state_rows() as u64;
        self.metrics.state_bytes = engine.memory_bytes() as u64;
        Arc::new(Snapshot {
            mode: self.mode.clone(),
            query: *engine.query(),
            trigger: self.trigger,
            taken_at: now,
            ticks,
            next_trigger,
            watermark: engine.watermark(),
            next_watermark: engine.next_watermark(),
            max_event_time: engine.max_event_time(),
            next_batch_id: engine.next_batch_id(),
            open: self.open.clone(),
            batches: self.batches.iter().cloned().collect(),
            metrics: self.metrics.clone(),
            late: self.late.iter().cloned().collect(),
            sinks: pipeline.sinks().status(),
        })
    }
}

fn push_bounded(history: &mut Vec<f64>, value: f64, limit: usize) {
    if history.len() == limit {
        history.remove(0);
    }
    history.push(value);
}

//! What one micro-batch produces: the rows it emits in append mode, its progress figures and a
//! sample of the late rows it dropped.

use super::time::{MICROS_PER_MILLI, Micros};
use super::window::Window;

/// Why a batch ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchKind {
    /// Rows arrived since the last batch.
    Data,
    /// No rows, but the watermark moved: the batch only evicts and emits.
    NoData,
}

impl BatchKind {
    pub fn label(self) -> &'static str {
        match self {
            BatchKind::Data => "data",
            BatchKind::NoData => "no-data",
        }
    }
}

/// One appended row: a (value, window) key whose window the watermark has passed, with its final count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EmittedRow {
    pub window: Window,
    pub value: Box<str>,
    pub count: u64,
}

/// A (row, window) pair dropped because the window had closed before the batch started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRow {
    pub event_time: Micros,
    pub value: String,
    pub window: Window,
    /// The watermark that had closed the window (the previous batch's).
    pub watermark: Micros,
}

/// Min, max and mean event time of a batch's rows, at Spark's millisecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTimeStats {
    pub min: Micros,
    pub max: Micros,
    pub avg: Micros,
}

/// Accumulates [`EventTimeStats`] in milliseconds, as Spark's `EventTimeStats` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventTimeAccumulator {
    min_ms: i64,
    max_ms: i64,
    sum_ms: i128,
    count: u64,
}

impl Default for EventTimeAccumulator {
    fn default() -> Self {
        EventTimeAccumulator {
            min_ms: i64::MAX,
            max_ms: i64::MIN,
            sum_ms: 0,
            count: 0,
        }
    }
}

impl EventTimeAccumulator {
    /// Adds one event time; Spark keeps `micros / 1000` (truncated toward zero).
    #[inline]
    pub fn add(&mut self, t: Micros) {
        let ms = t / MICROS_PER_MILLI;
        self.min_ms = self.min_ms.min(ms);
        self.max_ms = self.max_ms.max(ms);
        self.sum_ms += i128::from(ms);
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest event time in milliseconds, if any row was added.
    pub fn max_ms(&self) -> Option<i64> {
        (self.count > 0).then_some(self.max_ms)
    }

    pub fn stats(&self) -> Option<EventTimeStats> {
        (self.count > 0).then(|| EventTimeStats {
            min: self.min_ms * MICROS_PER_MILLI,
            max: self.max_ms * MICROS_PER_MILLI,
            avg: (self.sum_ms / i128::from(self.count)) as i64 * MICROS_PER_MILLI,
        })
    }
}

/// The engine's own figures for a batch, named after Spark's `StreamingQueryProgress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// `numInputRows`: every row of the batch, late ones included.
    pub input_rows: u64,
    /// `eventTime.{min,max,avg}`; none for a batch without rows.
    pub event_time: Option<EventTimeStats>,
    /// `numRowsTotal`: state keys after the batch.
    pub state_rows_total: u64,
    /// `numRowsUpdated`: distinct keys the batch's rows added to or changed.
    pub state_rows_updated: u64,
    /// `numRowsRemoved`: keys emitted and evicted.
    pub state_rows_removed: u64,
    /// `numRowsDroppedByWatermark`: distinct late (value, window) keys.
    pub state_rows_dropped_by_watermark: u64,
    /// Every late (row, window) pair, not only distinct keys.
    pub late_pairs: u64,
    /// The state's memory, roughly, after the batch.
    pub state_memory_bytes: u64,
}

/// Everything a finished batch hands to the sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutput {
    pub id: u64,
    pub kind: BatchKind,
    /// `wm[N]`: the eviction watermark, fixed when the batch started.
    pub watermark: Micros,
    /// `wm[N-1]`: windows ending at or before it dropped this batch's rows as late.
    pub late_threshold: Micros,
    /// The watermark the next batch will get.
    pub next_watermark: Micros,
    /// Emitted rows, ordered by window, then value.
    pub rows: Vec<EmittedRow>,
    pub stats: BatchStats,
    /// The batch's latest late pairs, oldest first, at most [`LATE_SAMPLE`].
    pub late: Vec<LateRow>,
}

/// How many late pairs a batch keeps for display.
pub const LATE_SAMPLE: usize = 16;

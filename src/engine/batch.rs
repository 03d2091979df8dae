//! What one micro-batch produces: the rows it emits (per the output mode), its progress figures
//! and a sample of the late rows it dropped.

use std::ops::Range;

use super::query::OutputMode;
use super::results::Results;
use super::time::{MICROS_PER_MILLI, Micros};
use super::types::{DataType, Value};
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

/// One emitted row: a window (or session) and a group key; its aggregates are
/// [`BatchOutput::aggs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedRow {
    pub window: Window,
    /// Where its encoded group key is in [`BatchOutput::keys`] ([`BatchOutput::key`]).
    key: Range<usize>,
    /// Where its aggregates start in [`BatchOutput::cells`].
    first_cell: usize,
}

impl EmittedRow {
    pub(crate) fn new(window: Window, key: Range<usize>, first_cell: usize) -> Self {
        EmittedRow {
            window,
            key,
            first_cell,
        }
    }
}

/// A (row, window) pair dropped because the window had closed before the batch started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRow {
    pub event_time: Micros,
    /// The row's group key, encoded.
    pub key: Vec<u8>,
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

/// Accumulates [`EventTimeStats`] of times in milliseconds, as Spark's `EventTimeStats`: the
/// mean truncated to the millisecond when reported. The mean is exact (a sum over the count);
/// Spark's is a running double (`avg += (t - avg) / count`) per partition, merged, whose
/// rounding depends on its partitions. That running mean was a division each row waited for
/// (a quarter of the samples in the seed's counting loop, a few per cent of its time); a sum is
/// one addition. The least and greatest times
/// are kept in microseconds (their milliseconds are theirs truncated, which keeps order).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventTimeAccumulator {
    min: Micros,
    max: Micros,
    /// The times' milliseconds, summed (no overflow: 2^127 ms over 2^63 rows).
    sum_ms: i128,
    count: u64,
}

impl Default for EventTimeAccumulator {
    fn default() -> Self {
        EventTimeAccumulator {
            min: Micros::MAX,
            max: Micros::MIN,
            sum_ms: 0,
            count: 0,
        }
    }
}

impl EventTimeAccumulator {
    /// Adds one event time; Spark keeps `micros / 1000` (truncated toward zero).
    #[inline]
    pub fn add(&mut self, t: Micros) {
        self.min = self.min.min(t);
        self.max = self.max.max(t);
        self.count += 1;
        self.sum_ms += i128::from(t / MICROS_PER_MILLI);
    }

    /// Adds `n` times 0, a NULL event time's place in Spark's statistics
    /// ([`super::NULL_EVENT_TIME`]).
    pub fn add_zeros(&mut self, n: u64) {
        if n > 0 {
            self.min = self.min.min(0);
            self.max = self.max.max(0);
            self.count += n;
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest event time in milliseconds, if any row was added.
    pub fn max_ms(&self) -> Option<i64> {
        self.max_micros().map(|max| max / MICROS_PER_MILLI)
    }

    /// The largest event time, if any row was added.
    pub fn max_micros(&self) -> Option<Micros> {
        (self.count > 0).then_some(self.max)
    }

    pub fn stats(&self) -> Option<EventTimeStats> {
        (self.count > 0).then(|| EventTimeStats {
            min: self.min / MICROS_PER_MILLI * MICROS_PER_MILLI,
            max: self.max / MICROS_PER_MILLI * MICROS_PER_MILLI,
            // Truncated toward zero, as Spark's `avg.toLong`; a mean of i64s fits one.
            #[allow(clippy::cast_possible_truncation)]
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
    /// `numRowsTotal`: state rows after the batch.
    pub state_rows_total: u64,
    /// `numRowsUpdated`: state rows the batch wrote.
    pub state_rows_updated: u64,
    /// `numRowsRemoved`: state rows evicted by the watermark.
    pub state_rows_removed: u64,
    /// `numRowsDroppedByWatermark`: distinct late keys.
    pub state_rows_dropped_by_watermark: u64,
    /// Every late (row, window) pair, not only distinct keys.
    pub late_pairs: u64,
    /// The state's memory, roughly, after the batch.
    pub state_memory_bytes: u64,
    /// Not Spark's: rows refused by `--max-state-rows` ([`super::Engine::limit_state_rows`]).
    pub rows_refused: u64,
    /// Not Spark's figure: rows whose event time is NULL ([`super::NULL_EVENT_TIME`]), in
    /// `input_rows` and in no window, as Spark has them.
    pub rows_without_event_time: u64,
}

/// Everything a finished batch hands to the sinks.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutput {
    pub id: u64,
    pub kind: BatchKind,
    pub mode: OutputMode,
    /// `wm[N]`: the eviction watermark, fixed when the batch started.
    pub watermark: Micros,
    /// `wm[N-1]`: windows ending at or before it dropped this batch's rows as late.
    pub late_threshold: Micros,
    /// The watermark the next batch will get.
    pub next_watermark: Micros,
    /// Emitted rows: sliding windows' one window after another in window order, each window's
    /// keys in the state's order; sessions' in no set order. Spark's order is arbitrary too, and
    /// sorting a million rows cost more than the rest of their batch:
    /// [`BatchOutput::first_in_order`] gives the order a person reads a table in.
    pub rows: Vec<EmittedRow>,
    /// The rows' aggregates, [`Results::width`] per row ([`BatchOutput::aggs`] reads a row's).
    pub cells: Results,
    /// The rows' encoded group keys, one after the other (a row's key is no allocation of its
    /// own).
    pub keys: Vec<u8>,
    pub stats: BatchStats,
    /// The batch's latest late pairs, oldest first, at most [`LATE_SAMPLE`].
    pub late: Vec<LateRow>,
}

impl BatchOutput {
    /// A data batch that emits rows of the seed's shape (`value` STRING, `count`), for tests and
    /// benchmarks of sinks; the rows are taken as they are, in order.
    pub fn of_counts(id: u64, rows: &[(Window, &str, i64)]) -> Self {
        let mut emitted = Vec::new();
        let mut cells = Results::with_capacity(&[DataType::Long], rows.len());
        let mut keys = Vec::new();
        for (window, value, count) in rows {
            let at = keys.len();
            super::key::encode(&[DataType::String], [Value::Str(value)], &mut keys);
            emitted.push(EmittedRow::new(*window, at..keys.len(), cells.len()));
            cells.push(Value::Long(*count));
        }
        BatchOutput {
            id,
            kind: BatchKind::Data,
            mode: OutputMode::Append,
            watermark: 0,
            late_threshold: 0,
            next_watermark: 0,
            rows: emitted,
            cells,
            keys,
            stats: BatchStats::default(),
            late: Vec::new(),
        }
    }

    /// A copy with only the rows in `range` (clamped to the rows there are) and their
    /// aggregates, without the late sample.
    #[must_use]
    pub fn excerpt(&self, range: std::ops::Range<usize>) -> BatchOutput {
        let end = range.end.min(self.rows.len());
        let kept = &self.rows[range.start.min(end)..end];
        let mut rows = Vec::with_capacity(kept.len());
        let mut cells = Results::with_capacity(self.cells.types(), kept.len() * self.cells.width());
        let mut keys = Vec::new();
        for row in kept {
            let at = keys.len();
            keys.extend_from_slice(self.key(row));
            rows.push(EmittedRow::new(row.window, at..keys.len(), cells.len()));
            self.aggs(row).for_each(|value| cells.push(value));
        }
        BatchOutput {
            id: self.id,
            kind: self.kind,
            mode: self.mode,
            watermark: self.watermark,
            late_threshold: self.late_threshold,
            next_watermark: self.next_watermark,
            rows,
            cells,
            keys,
            stats: self.stats,
            late: Vec::new(),
        }
    }

    /// The first `n` rows by window, then group-by values (keys of `key_types`): the order a
    /// person reads a table in.
    pub fn first_in_order(&self, n: usize, key_types: &[DataType]) -> Vec<&EmittedRow> {
        let order = |a: &&EmittedRow, b: &&EmittedRow| {
            a.window
                .cmp(&b.window)
                .then_with(|| super::key::compare(key_types, self.key(a), self.key(b)))
        };
        let mut rows: Vec<&EmittedRow> = self.rows.iter().collect();
        if rows.len() > n {
            rows.select_nth_unstable_by(n, order);
            rows.truncate(n);
        }
        rows.sort_unstable_by(order);
        rows
    }

    /// A row's group key, encoded ([`BatchOutput::key_values`] reads it).
    pub fn key(&self, row: &EmittedRow) -> &[u8] {
        &self.keys[row.key.clone()]
    }

    /// A row's group-by values, given their types ([`super::Query::key_types`]).
    pub fn key_values<'a>(
        &'a self,
        row: &EmittedRow,
        key_types: &'a [DataType],
    ) -> impl Iterator<Item = Value<'a>> + 'a {
        super::key::decode(key_types, self.key(row))
    }

    /// A row's aggregates, in the query's order.
    pub fn aggs(&self, row: &EmittedRow) -> impl ExactSizeIterator<Item = Value<'_>> {
        self.cells.row(row.first_cell)
    }
}

/// How many late pairs a batch keeps for display.
pub const LATE_SAMPLE: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    /// Times in microseconds: each counts as its milliseconds truncated toward zero, and the
    /// mean of those is truncated toward zero too (Spark's `avg.toLong`), before 1970 as after.
    #[test]
    fn event_time_stats_are_in_milliseconds_with_the_mean_truncated() {
        let stats = |times: &[Micros]| {
            let mut acc = EventTimeAccumulator::default();
            for &t in times {
                acc.add(t);
            }
            acc.stats()
        };
        assert_eq!(stats(&[]), None);
        let ms = MICROS_PER_MILLI;
        let got = stats(&[1_999, 2 * ms, 5 * ms + 700]).unwrap();
        // 1 + 2 + 5 ms over 3: 2.67 ms.
        assert_eq!((got.min, got.max, got.avg), (ms, 5 * ms, 2 * ms));
        let got = stats(&[-ms, -2 * ms - 300]).unwrap();
        // -1 and -2 ms: -1.5 ms, truncated to -1.
        assert_eq!((got.min, got.max, got.avg), (-2 * ms, -ms, -ms));
        // A mean of 1001 times near the last microsecond, whose milliseconds' sum no i64 holds.
        let last = Micros::MAX / ms * ms;
        assert!((last / ms).checked_mul(1001).is_none());
        assert_eq!(stats(&[last; 1001]).unwrap().avg, last);
    }
}

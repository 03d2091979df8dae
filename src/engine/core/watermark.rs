//! The engine's watermark moves: Spark's (the latest event time less the delay, in whole
//! milliseconds, never back) and `--flush-at-end`'s, which is not Spark's, and whether the
//! latter happened.

use super::Engine;
use crate::engine::query::WindowKind;
use crate::engine::time::{MICROS_PER_MILLI, Micros};

impl Engine {
    /// Moves the next batch's watermark to the latest event time seen (`max_ms`, in
    /// milliseconds) less the delay, if that is later.
    pub(super) fn advance_watermark(&mut self, max_ms: Option<i64>) {
        if let Some(max_ms) = max_ms {
            self.next_watermark = self.next_watermark.max(self.watermark_for(max_ms));
        }
    }

    /// The watermark the latest event time `max_ms` (milliseconds) gives: less the delay.
    fn watermark_for(&self, max_ms: i64) -> Micros {
        max_ms
            .saturating_sub(self.query.delay().millis())
            .saturating_mul(MICROS_PER_MILLI)
    }

    /// Not Spark's behaviour (`--flush-at-end`): moves the next batch's watermark (whole
    /// milliseconds) past the end of every open window or session, so a finite stream's last
    /// windows close. Returns whether it moved ([`Engine::tick`] then runs a no-data batch).
    pub fn flush_watermark(&mut self) -> bool {
        let Some(max) = self.max_event_time else {
            return false;
        };
        let span = match self.query.window() {
            WindowKind::Sliding(spec) => spec.size(),
            WindowKind::Session { gap } => gap.micros(),
        };
        let past =
            (max.saturating_add(span) / MICROS_PER_MILLI).saturating_add(1) * MICROS_PER_MILLI;
        let moved = past > self.next_watermark;
        self.next_watermark = self.next_watermark.max(past);
        moved
    }

    /// Whether the watermark is past what the events seen give it: `--flush-at-end` moved it,
    /// in this run or in the one whose checkpoint this engine came from.
    pub fn was_flushed(&self) -> bool {
        let justified = self.max_event_time.map_or(Micros::MIN, |max| {
            self.watermark_for(max / MICROS_PER_MILLI)
        });
        self.next_watermark > justified.max(0)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, MICROS_PER_SECOND, Query, Value};

    #[test]
    fn a_flushed_watermark_is_past_what_the_events_give() {
        let mut engine = Engine::new(Query::seed());
        assert!(!engine.was_flushed(), "no event, no flush");
        let mut batch = engine.begin(crate::engine::BatchKind::Data);
        let t = 1_795_455_180 * MICROS_PER_SECOND;
        batch.push(t, &[Value::Timestamp(t), Value::Str("a")]);
        batch.finish();
        assert!(!engine.was_flushed(), "the watermark the events give");
        assert!(engine.flush_watermark());
        assert!(engine.was_flushed());
    }
}

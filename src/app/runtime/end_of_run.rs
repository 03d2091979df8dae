//! What a finite run leaves open at its end. Append mode emits a window once the watermark
//! passes its end; when the stream stops, no later event moves the watermark there, so the last
//! windows stay open and are never emitted (as in Spark). The closing note says how many, and
//! that `--flush-at-end` (not Spark's behaviour) emits them where the source ended by itself (a
//! run stopped by a signal it does not apply to); and how many rows the state limit
//! (`--max-state-rows`, not Spark's either) refused.

use crate::engine::{Engine, Micros, OutputMode, WindowKind, Zone, text};

/// The windows (or sessions) and state rows a run still holds at its end.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpenAtEnd {
    pub windows: usize,
    pub rows: usize,
    pub watermark: Micros,
    mode: Option<OutputMode>,
    sessions: bool,
    /// The source ended by itself (where `--flush-at-end` applies), rather than being stopped.
    ended: bool,
}

impl OpenAtEnd {
    /// What `engine` holds at the end of a run whose source `ended` by itself, or was stopped.
    pub fn of(engine: &Engine, ended: bool) -> Self {
        let mode = engine.query().mode();
        // Only an append-mode note names the windows: the others skip reading the state.
        OpenAtEnd {
            windows: if mode == OutputMode::Append {
                engine.open_windows()
            } else {
                0
            },
            rows: engine.state_rows(),
            watermark: engine.watermark(),
            mode: Some(mode),
            sessions: matches!(engine.query().window(), WindowKind::Session { .. }),
            ended,
        }
    }

    /// The closing note of an append-mode run that ends with windows never emitted; none in
    /// update and complete mode, whose batches emitted every row as it changed.
    pub fn note(&self, zone: &Zone) -> Option<String> {
        if self.mode != Some(OutputMode::Append) || self.rows == 0 {
            return None;
        }
        let kind = match (self.sessions, self.windows) {
            (true, 1) => "session",
            (true, _) => "sessions",
            (false, 1) => "window",
            (false, _) => "windows",
        };
        let mut watermark = String::new();
        text::push_show_timestamp(
            &mut watermark,
            self.watermark,
            zone.offset_at(self.watermark),
        );
        let (windows, rows) = (self.windows, self.rows);
        Some(if self.ended {
            format!(
                "{windows} {kind} ({rows} rows) still open at the end, never emitted: append mode \
                 emits a window once the watermark passes its end, and no later event moved the \
                 watermark (at {watermark}) there; --flush-at-end emits them (not Spark's \
                 behaviour)"
            )
        } else {
            format!(
                "{windows} {kind} ({rows} rows) still open when the run stopped, not emitted: \
                 append mode emits a window once the watermark passes its end, and no event moved \
                 the watermark (at {watermark}) there before the stop (--flush-at-end applies \
                 only to a source that ends by itself)"
            )
        })
    }
}

/// The closing note on late rows: `pairs` (row, window) pairs dropped because the window had
/// closed when their batch began.
pub fn late_note(pairs: u64) -> String {
    format!(
        "{pairs} late (row, window) pair(s) dropped: the watermark had passed their window's end \
         before their batch began, as Spark drops them (--progress has each batch's \
         numRowsDroppedByWatermark, which counts them as Spark does, once per key and window)"
    )
}

/// The closing note of a run whose state limit refused rows.
pub fn refused_note(refused: u64) -> String {
    format!(
        "{refused} rows refused: the state was full (--max-state-rows) when their keys were new; \
         their windows lack them (Spark has no such limit)"
    )
}

/// The closing note of a run with rows whose event time was NULL (or missing).
pub fn without_time_note(rows: u64) -> String {
    format!(
        "{rows} row(s) without an event time (NULL or missing): input rows in no window, as \
         Spark has them (numInputRows counts them, and eventTime's min and avg take them as \
         1970-01-01, as Spark's do)"
    )
}

/// `n` of `one` thing, in the plural unless `n` is 1: `1 batch`, `2 batches`, `0 rows`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line's start, a live run's and a replay's: `3 batches, 1 row`.
pub fn batches_and_rows(batches: u64, rows: u64) -> String {
    format!(
        "{}, {}",
        counted(batches, "batch", "batches"),
        counted(rows, "row", "rows")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(batches_and_rows(1, 1), "1 batch, 1 row");
        assert_eq!(batches_and_rows(0, 2), "0 batches, 2 rows");
    }
}

//! What a finite run leaves open at its end. Append mode emits a window once the watermark
//! passes its end; when the stream stops, no later event moves the watermark there, so the last
//! windows stay open and are never emitted (as in Spark). The closing note says how many, and
//! that `--flush-at-end` (not Spark's behaviour) emits them; and how many rows the state limit
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
}

impl OpenAtEnd {
    pub fn of(engine: &Engine) -> Self {
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
        Some(format!(
            "{} {kind} ({} rows) still open at the end, never emitted: append mode emits a \
             window once the watermark passes its end, and no later event moved the watermark \
             (at {watermark}) there; --flush-at-end emits them (not Spark's behaviour)",
            self.windows, self.rows
        ))
    }
}

/// The closing note of a run whose state limit refused rows.
pub fn refused_note(refused: u64) -> String {
    format!(
        "{refused} rows refused: the state was full (--max-state-rows) when their keys were new; \
         their windows lack them (Spark has no such limit)"
    )
}

//! The sample of late rows a batch reports: the latest [`LATE_SAMPLE`] (event time, key,
//! window) pairs it dropped, kept in a ring so a batch full of late rows allocates nothing new.

use super::batch::{LATE_SAMPLE, LateRow};
use super::time::Micros;
use super::window::Window;

/// The latest late pairs of the running batch, in a ring that reuses its buffers.
#[derive(Debug, Default)]
pub(crate) struct LateLog {
    rows: Vec<LateRow>,
    next: usize,
}

impl LateLog {
    pub(crate) fn record(
        &mut self,
        event_time: Micros,
        key: &[u8],
        window: Window,
        watermark: Micros,
    ) {
        if self.rows.len() < LATE_SAMPLE {
            self.rows.push(LateRow {
                event_time,
                key: key.to_vec(),
                window,
                watermark,
            });
        } else {
            let row = &mut self.rows[self.next];
            row.event_time = event_time;
            row.key.clear();
            row.key.extend_from_slice(key);
            row.window = window;
            row.watermark = watermark;
        }
        self.next = (self.next + 1) % LATE_SAMPLE;
    }

    /// The recorded rows, oldest first; the log is empty afterwards.
    pub(crate) fn take(&mut self) -> Vec<LateRow> {
        let mut rows = std::mem::take(&mut self.rows);
        if rows.len() == LATE_SAMPLE {
            rows.rotate_left(self.next);
        }
        self.next = 0;
        rows
    }
}

//! The replay's progress bar: on stderr, only when stderr is a terminal (a long headless replay
//! otherwise prints nothing for minutes), by bytes read of the file, with the batches run.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over a replay file, or nothing when stderr is not a terminal (or `TERM=dumb`).
pub struct ReplayBar(Option<ProgressBar>);

impl ReplayBar {
    /// A bar for `events`: by its size when it is a regular file, else a running byte count.
    pub fn start(events: &Path) -> Self {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if !std::io::stderr().is_terminal() || dumb {
            return ReplayBar(None);
        }
        let size = std::fs::metadata(events)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        let bar = match size {
            Some(size) => ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{bar:30} {bytes}/{total_bytes} ({percent}%), {msg}, {eta} left",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} read, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        ReplayBar(Some(bar))
    }

    /// The replay has read `bytes` of the file and run `batches` batches.
    pub fn at(&self, bytes: u64, batches: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
            bar.set_message(format!("{batches} batches"));
        }
    }

    /// Clears the bar, leaving the terminal as it was for the closing line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ReplayBar {
    /// An error ends the replay with the bar cleared too.
    fn drop(&mut self) {
        self.finish();
    }
}

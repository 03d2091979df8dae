//! The terminal's lifecycle: raw mode and the alternate screen on, and off again however the
//! dashboard ends (quit, error, panic, a signal): ratatui's panic hook restores it on a panic,
//! and [`TerminalGuard`] on every other way out.

use ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Takes over the terminal; keep the guard until the dashboard is done.
pub fn init() -> anyhow::Result<(DefaultTerminal, TerminalGuard)> {
    let terminal =
        ratatui::try_init().map_err(|e| anyhow::anyhow!("cannot set up the terminal: {e}"))?;
    Ok((terminal, TerminalGuard))
}

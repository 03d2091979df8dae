//! The terminal's lifecycle: raw mode, the alternate screen and mouse capture on, and off again
//! however the dashboard ends (quit, error, panic, a signal): ratatui's panic hook, behind ours
//! that gives the mouse back first, restores it on a panic, and [`TerminalGuard`] on every other
//! way out.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        release_mouse();
        ratatui::restore();
    }
}

/// Stops mouse reporting (errors are of no use here: the terminal is going away).
fn release_mouse() {
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
}

/// Takes over the terminal; keep the guard until the dashboard is done.
pub fn init() -> anyhow::Result<(DefaultTerminal, TerminalGuard)> {
    let terminal =
        ratatui::try_init().map_err(|e| anyhow::anyhow!("cannot set up the terminal: {e}"))?;
    let guard = TerminalGuard;
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_mouse();
        restore(info);
    }));
    crossterm::execute!(std::io::stdout(), EnableMouseCapture)
        .map_err(|e| anyhow::anyhow!("cannot set up the terminal: {e}"))?;
    Ok((terminal, guard))
}

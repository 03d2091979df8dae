//! The terminal's lifecycle: raw mode, the alternate screen and mouse capture on, and off again
//! however the dashboard ends (quit, error, panic, a signal): ratatui's panic hook, behind ours
//! that gives the mouse back first, restores it on a panic, and [`TerminalGuard`] on every other
//! way out. [`suspend`] gives the terminal back while the process is stopped (Ctrl-Z).

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use ratatui::prelude::Backend;
use ratatui::{DefaultTerminal, Terminal};

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

/// Ctrl-Z, or a `SIGTSTP` from elsewhere: gives the terminal back to the shell, stops the
/// process (`SIGSTOP`: the `SIGTSTP` handler that brought it here would only catch a `SIGTSTP`),
/// and once it is continued (`fg`) takes the terminal again and has the next frame drawn whole.
/// The pipeline's threads stop with the process and go on with it.
pub fn suspend<B: Backend>(terminal: &mut Terminal<B>) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    release_mouse();
    ratatui::restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
    enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    terminal.clear()?;
    Ok(())
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

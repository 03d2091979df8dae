//! The terminal's lifecycle: raw mode, the alternate screen and mouse capture on, and off again
//! however the dashboard ends (quit, error, panic, a signal): ratatui's panic hook, behind ours
//! that gives the mouse back first, restores it on a panic, and [`TerminalGuard`] on every other
//! way out. [`suspend`] gives the terminal back while the process is stopped (Ctrl-Z).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use ratatui::prelude::Backend;
use ratatui::{DefaultTerminal, Terminal};
use rustix::process::{getpgid, getpgrp, getppid, getsid};

/// Whether the dashboard holds the terminal (not while suspended): what the guard gives back.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if TAKEN.swap(false, Ordering::SeqCst) {
            release_mouse();
            ratatui::restore();
        }
    }
}

/// Stops mouse reporting (errors are of no use here: the terminal is going away).
fn release_mouse() {
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
}

/// How a suspension ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspended {
    /// In the foreground again, the terminal taken back.
    Resumed,
    /// Told to end (`ended`) before it was in the foreground again: the terminal stays the
    /// shell's, as it was left.
    Ended,
    /// No job-control shell could bring it back: not suspended.
    Refused,
}

/// Ctrl-Z, or a `SIGTSTP` from elsewhere: gives the terminal back to the shell (the cursor
/// shown), stops the process (`SIGSTOP`: the `SIGTSTP` handler that brought it here would only
/// catch a `SIGTSTP`) and, once it is continued and in the terminal's foreground again (`fg`),
/// takes the terminal back and has the next frame drawn whole. Continued in the background
/// (`bg`, or `kill %1`, which continues it to end it), it waits without touching the terminal,
/// which would stop it again, until `ended()` says an ending signal came. The pipeline's
/// threads stop with the process and go on with it.
pub async fn suspend<B: Backend>(
    terminal: &mut Terminal<B>,
    ended: impl Fn() -> bool,
) -> anyhow::Result<Suspended>
where
    B::Error: Send + Sync + 'static,
{
    if !job_control() {
        return Ok(Suspended::Refused);
    }
    terminal.show_cursor()?;
    TAKEN.store(false, Ordering::SeqCst);
    release_mouse();
    ratatui::restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
    while !in_foreground() {
        if ended() {
            return Ok(Suspended::Ended);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    TAKEN.store(true, Ordering::SeqCst);
    terminal.clear()?;
    Ok(Suspended::Resumed)
}

/// Whether a job-control shell can continue the process once stopped: its parent is in
/// another process group of the same session. Without one (`ssh -t host window-tui`, `exec`),
/// a stopped run could never be continued from its terminal.
fn job_control() -> bool {
    let Some(parent) = getppid() else {
        return false;
    };
    getpgid(Some(parent)).is_ok_and(|group| group != getpgrp())
        && getsid(Some(parent)).ok() == getsid(None).ok()
}

/// Whether the process is in the terminal's foreground (stdin's), where it may take it.
fn in_foreground() -> bool {
    rustix::termios::tcgetpgrp(std::io::stdin()).is_ok_and(|group| group == getpgrp())
}

/// Takes over the terminal; keep the guard until the dashboard is done.
pub fn init() -> anyhow::Result<(DefaultTerminal, TerminalGuard)> {
    let terminal =
        ratatui::try_init().map_err(|e| anyhow::anyhow!("cannot set up the terminal: {e}"))?;
    TAKEN.store(true, Ordering::SeqCst);
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

//! The signals that stop a headless run, a replay or `serve` as a stop does (the running batch
//! finished, the sinks flushed, exit 0): SIGINT, SIGTERM and SIGHUP. SIGHUP only when the process was
//! not started with it ignored (`nohup`, `trap '' HUP`): listening for a signal replaces an
//! inherited "ignore", which would end a run `nohup` was asked to keep alive.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The stop signals, listened for from now on.
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Option<Signal>,
}

impl StopSignals {
    /// Listens for the stop signals (in a Tokio runtime).
    pub fn listen() -> std::io::Result<Self> {
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: if hangup_ignored() {
                None
            } else {
                Some(signal(SignalKind::hangup())?)
            },
        })
    }

    /// Waits for the next stop signal.
    pub async fn recv(&mut self) {
        let hangup = async {
            match &mut self.hangup {
                Some(hangup) => hangup.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = hangup => {}
        }
    }
}

/// A flag the stop signals set from now on: how a loop outside a Tokio runtime (a headless
/// replay) learns it is to stop. The first signal only sets it; a second, the run not yet
/// stopped, ends the process (exit 1), for a batch that takes too long.
pub fn flag() -> std::io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    let hangup = (!hangup_ignored()).then_some(SIGHUP);
    for signal in [SIGINT, SIGTERM].into_iter().chain(hangup) {
        // In this order: the second signal finds the flag set by the first.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    Ok(stop)
}

/// Whether SIGHUP is ignored in this process, as the `SigIgn` mask of `/proc/self/status` says
/// (bit 0 is signal 1, SIGHUP). Where that file cannot be read, not ignored.
pub fn hangup_ignored() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("SigIgn:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & 1 != 0)
    })
}

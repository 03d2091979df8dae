//! The signals that stop a headless run, a replay or `serve` as a stop does (the running batch
//! finished, the sinks flushed, exit 0): SIGINT, SIGTERM and SIGHUP. SIGHUP only when the process was
//! not started with it ignored (`nohup`, `trap '' HUP`): listening for a signal replaces an
//! inherited "ignore", which would end a run `nohup` was asked to keep alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// A flag the stop signals set, listened for from now on by a thread of its own: how a loop
/// outside a Tokio runtime (a headless replay) learns it is to stop.
pub fn flag() -> std::io::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&stop);
    let (listening, started) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("stop signals".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build();
            let outcome = runtime.and_then(|runtime| {
                let mut signals = runtime.block_on(async { StopSignals::listen() })?;
                let _ = listening.send(Ok(()));
                runtime.block_on(signals.recv());
                set.store(true, Ordering::Relaxed);
                Ok(())
            });
            if let Err(e) = outcome {
                let _ = listening.send(Err(e));
            }
        })?;
    // Listening before the caller goes on: a signal before then would end the process.
    started
        .recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread stopped")))?;
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

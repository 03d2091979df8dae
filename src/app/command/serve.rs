//! `window-tui serve`: the stream server alone, until a stop signal ([`StopSignals`]).

use std::sync::Arc;

use tokio::sync::watch;

use crate::app::config::ServeConfig;
use crate::app::logging;
use crate::app::source::server::{self, Echo, Pace, Program, Sent};
use crate::app::stop_signals::StopSignals;

pub fn run(args: &ServeConfig) -> anyhow::Result<()> {
    let _log = logging::init(&args.log, logging::Default::Stderr)?;
    let pace = &args.generator;
    let program = Program::new(pace)?;
    let runtime = crate::app::async_runtime()?;
    runtime.block_on(async {
        let listener = server::bind(&args.host, args.port).await?;
        crate::diag!(
            "window-tui: serving on {}: one line every {}",
            listener.local_addr()?,
            crate::engine::Duration::from_std(pace.delay)
        );
        let (_pace, pace_rx) = watch::channel(Pace {
            delay: pace.delay,
            paused: false,
        });
        let mut stop = StopSignals::listen()?;
        let sent = Arc::new(Sent::default());
        tokio::select! {
            result = server::serve(listener, program, pace_rx, Echo::Stdout, sent.clone()) => result?,
            () = stop.recv() => {}
        }
        crate::diag!("window-tui: stopped after sending {} lines", sent.get());
        Ok(())
    })
}

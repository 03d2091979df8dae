//! Everything around the engine that does I/O: the command line, sources, sinks, the progress
//! log and the drivers (replay, headless, dashboard).

pub mod cli;
pub mod durable;
pub mod error;
pub mod headless;
pub mod live;
pub mod logging;
pub mod pipeline;
pub mod progress;
pub mod replay;
pub mod serve;
pub mod sink;
pub mod source;

use cli::{Cli, Command};

/// Runs what the command line asks for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Replay(args)) => {
            let summary = replay::run(&args)?;
            if summary.skipped > 0 {
                eprintln!(
                    "window-tui: skipped {} bad row(s); the first: {}",
                    summary.skipped,
                    summary.first_skipped.unwrap_or_default()
                );
            }
            Ok(())
        }
        Some(Command::Serve(args)) => serve::run(&args),
        Some(Command::ExportSpark(_)) => Err(error::BadInput("not implemented yet".into()).into()),
        None => {
            use std::io::IsTerminal;
            if !cli.live.headless && !std::io::stdout().is_terminal() {
                eprintln!("window-tui: stdout is not a terminal; running headless (--headless)");
            }
            headless::run(&cli.live)
        }
    }
}
pub mod server;

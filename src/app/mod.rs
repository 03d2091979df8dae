//! Everything around the engine that does I/O: the command line, sources, sinks, the progress
//! log and the drivers (replay, headless, dashboard).

pub mod checkpoint;
pub mod cli;
pub mod dashboard;
pub mod durable;
pub mod error;
pub mod export;
pub mod headless;
pub mod live;
pub mod logging;
pub mod pipeline;
pub mod progress;
pub mod replay;
pub mod serve;
pub mod server;
pub mod sink;
pub mod snapshot;
pub mod source;

use cli::{Cli, Command};

/// The async runtime of the live commands: two workers, for the socket and the server (the
/// engine has a thread of its own).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Runs what the command line asks for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Replay(args)) => {
            use std::io::IsTerminal;
            if args.sinks.sinks.is_empty() {
                if std::io::stdout().is_terminal() {
                    return dashboard::run_replay(&args);
                }
                eprintln!("window-tui: stdout is not a terminal; replaying to --sink console");
                let mut args = args;
                args.sinks.sinks.push(cli::SinkKind::Console);
                return finish_replay(replay::run(&args)?);
            }
            finish_replay(replay::run(&args)?)
        }
        Some(Command::Serve(args)) => serve::run(&args),
        Some(Command::ExportSpark(args)) => export::run(&args),
        None => {
            use std::io::IsTerminal;
            if cli.live.headless {
                return headless::run(&cli.live);
            }
            if !std::io::stdout().is_terminal() {
                eprintln!("window-tui: stdout is not a terminal; running headless (--headless)");
                return headless::run(&cli.live);
            }
            dashboard::run_live(&cli.live)
        }
    }
}

fn finish_replay(summary: replay::ReplaySummary) -> anyhow::Result<()> {
    if summary.skipped > 0 {
        eprintln!(
            "window-tui: skipped {} bad row(s); the first: {}",
            summary.skipped,
            summary.first_skipped.unwrap_or_default()
        );
    }
    Ok(())
}

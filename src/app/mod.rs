//! Everything around the engine that does I/O, laid out along the data's path: `source` (the
//! stream server, the socket reader, replay files) → `runtime` (trigger, pipeline, checkpoint)
//! → `sink` (console, file, json); one module per command in `command`; and the command line
//! in `cli`, which stops at the plain [`config`].

pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod durable;
pub mod error;
pub mod lock;
pub mod logging;
pub mod runtime;
pub mod sink;
pub mod source;
pub mod stop_signals;
pub mod zone;

use std::io::IsTerminal;

use anyhow::Context as _;

use config::Command;

/// The async runtime of the live commands: two workers, for the socket and the server (the
/// engine has a thread of its own).
pub fn async_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Why the dashboard cannot be drawn here, if it cannot: stdout is not a terminal, or the
/// terminal says it cannot draw (`TERM=dumb`).
fn no_dashboard() -> Option<&'static str> {
    if !std::io::stdout().is_terminal() {
        return Some("stdout is not a terminal");
    }
    if std::env::var_os("TERM").is_some_and(|t| t == "dumb") {
        return Some("TERM=dumb: this terminal cannot draw the dashboard");
    }
    None
}

/// Runs a command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Replay(mut config) => {
            if config.sinks.kinds.is_empty() {
                match no_dashboard() {
                    None => return command::dashboard::run_replay(&config),
                    Some(why) => crate::diag!("window-tui: {why}; replaying to --sink console"),
                }
                config.sinks.kinds.push(config::SinkKind::Console);
            }
            command::replay::main(&config)
        }
        Command::Serve(config) => command::serve::run(&config),
        Command::Export(config) => command::export::run(&config),
        Command::Print(text) => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            (stdout.write_all(&text).and_then(|()| stdout.flush()))
                .context("cannot write to stdout")
        }
        Command::Live(config) => {
            if config.headless {
                return command::headless::run(&config);
            }
            if let Some(why) = no_dashboard() {
                crate::diag!("window-tui: {why}; running headless (--headless)");
                return command::headless::run(&config);
            }
            command::dashboard::run_live(&config)
        }
    }
}

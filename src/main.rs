//! The `window-tui` binary: parses the command line and maps errors to exit statuses
//! (0 success, 2 bad usage or input, 1 failure).

use std::process::ExitCode;

use clap::Parser;
use window_tui::app::{self, cli::Cli, error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let status = error::exit_status(&err);
            if !error::is_broken_pipe(&err) {
                eprintln!("window-tui: {err:#}");
            }
            ExitCode::from(status)
        }
    }
}

//! The `window-tui` binary: parses the command line and maps errors to exit statuses
//! (0 success, 2 bad usage or input, 1 failure).

use std::process::ExitCode;

use clap::error::ErrorKind;
use window_tui::app::error::escape_controls;
use window_tui::app::{self, cli, error};

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        // A bad value (a duration, say) is one line; other usage errors keep clap's tips.
        Err(e) if e.kind() == ErrorKind::ValueValidation => {
            let text = e.render().to_string();
            window_tui::diag!(
                "window-tui: {}",
                escape_controls(text.lines().next().unwrap_or_default())
            );
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let (zone, warning) = app::zone::system();
    if let Some(warning) = warning {
        window_tui::diag!("window-tui: {warning}");
    }
    let command = match cli.into_command(zone) {
        Ok(command) => command,
        Err(bad) => {
            window_tui::diag!("window-tui: error: {}", escape_controls(&bad.to_string()));
            return ExitCode::from(2);
        }
    };
    match app::run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !error::is_broken_pipe(&err) {
                window_tui::diag!(
                    "window-tui: error: {}",
                    escape_controls(&format!("{err:#}"))
                );
            }
            ExitCode::from(error::exit_status(&err))
        }
    }
}

//! The `window-tui` binary: parses the command line and maps errors to exit statuses
//! (0 success, 2 bad usage or input, 1 failure).

use std::io::Write as _;
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
        Err(e) => return print_clap(&e),
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

/// Prints what clap has to say (the help, the version, a usage error) and gives its exit
/// status, as [`clap::Error::exit`] does, but a failure to write the help or the version on
/// stdout (`> /dev/full`) is said on stderr, exit status 1: only a closed pipe (`| head -1`)
/// is no failure.
fn print_clap(e: &clap::Error) -> ExitCode {
    let printed = e.print().and_then(|()| std::io::stdout().flush());
    match printed {
        Err(err) if !e.use_stderr() && err.kind() != std::io::ErrorKind::BrokenPipe => {
            window_tui::diag!("window-tui: error: cannot write to stdout: {err}");
            ExitCode::FAILURE
        }
        _ => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1)),
    }
}

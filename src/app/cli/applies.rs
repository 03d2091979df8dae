//! Options typed on the command line that would do nothing in the run it asks for are refused
//! (exit status 2), saying why: the embedded server's pace beside `--source`, the dashboard's
//! playback beside a replay's `--sink`, `--output` without the file sink.
//! A variable of such an option is not refused: the environment holds settings for many runs,
//! and one that does not apply to this run is left unread (as a variable the command line
//! overrides is).

use clap::ArgMatches;
use clap::parser::ValueSource;

/// The option `id` as the command line gives it, when it does.
fn typed(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::CommandLine)
}

/// How the option `id` is set, for a message: `--flag`, or its variable when it comes from
/// the environment; `None` when it is not set (or only by its default).
fn setting(matches: &ArgMatches, id: &str, flag: &str, variable: &str) -> Option<String> {
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => Some(flag.to_string()),
        Some(ValueSource::EnvVariable) => Some(format!("{variable} (set in the environment)")),
        _ => None,
    }
}

/// The sinks `--sink` (or its variable) names, by their names.
fn sinks(matches: &ArgMatches) -> Vec<String> {
    matches
        .get_raw("sinks")
        .into_iter()
        .flatten()
        .map(|s| s.to_string_lossy().trim().to_ascii_lowercase())
        .collect()
}

/// The first option of `matches` (the running command's) that the command line gives but that
/// would do nothing in this run, with why; `running` is the subcommand's name (none for the
/// live pipeline).
pub(super) fn refusal(matches: &ArgMatches, running: Option<&str>) -> Option<String> {
    match running {
        None => live(matches),
        Some("replay") => matches.subcommand_matches("replay").and_then(replay),
        Some(_) => None,
    }
}

fn live(matches: &ArgMatches) -> Option<String> {
    if let Some(source) = setting(matches, "source", "--source", "WINDOW_TUI_SOURCE") {
        let pace = [
            ("delay", "--delay"),
            ("count", "--count"),
            ("repeat", "--repeat"),
            ("generator", "--generator"),
        ];
        if let Some((_, flag)) = pace.iter().find(|(id, _)| typed(matches, id)) {
            return Some(format!(
                "{flag} sets what the embedded stream server sends, and {source} reads an \
                 external server instead, whose pace and lines are its own: drop {flag} (or \
                 {source}, to run the embedded server)"
            ));
        }
    }
    None
}

fn replay(matches: &ArgMatches) -> Option<String> {
    let sinks = sinks(matches);
    let file_sink = sinks.iter().any(|s| s == "file");
    if !sinks.is_empty() {
        let sink = setting(matches, "sinks", "--sink", "WINDOW_TUI_SINK").unwrap_or_default();
        for (id, flag) in [("speed", "--speed"), ("play", "--play")] {
            if typed(matches, id) {
                return Some(format!(
                    "{flag} sets the dashboard's playback, and with {sink} the replay runs \
                     without the dashboard, as fast as it reads: drop {flag}, or {sink} to step \
                     through the replay in the dashboard"
                ));
            }
        }
        if typed(matches, "output") && !file_sink {
            return Some(
                "--output names the file sink's folder, and no --sink file is on: add --sink \
                 file, or drop --output"
                    .into(),
            );
        }
    }
    None
}

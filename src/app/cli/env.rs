//! Where the `WINDOW_TUI_*` variables apply. clap reads a command's variables once its command
//! line is parsed, the main command's too when a subcommand runs (the live options are the main
//! command's), and counts a variable's value in conflicts as if it were typed. So the variables
//! kept are the running command's only, less those of options that conflict with an option its
//! command line gives: the command line wins, and a variable it overrides is not even parsed.

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgMatches, Command, CommandFactory};

use super::Cli;

/// The command line's command with its variables scoped as above, and the name of the
/// subcommand that runs (none for the live pipeline). With `args_conflicts_with_subcommands`, a
/// subcommand is the first argument or not there at all.
pub(super) fn scoped(args: &[OsString]) -> (Command, Option<String>) {
    let full = Cli::command();
    let running = args
        .get(1)
        .and_then(|first| full.find_subcommand(first))
        .map(|sub| sub.get_name().to_owned());
    // The command line alone, no variable read: which options it gives. When it does not parse,
    // the full parse reports why.
    let typed = without_variables(full.clone())
        .try_get_matches_from(args)
        .ok();
    let command = match &running {
        None => without_false_flags(yield_to_typed(full, typed.as_ref())),
        Some(name) => {
            let typed = typed.as_ref().and_then(|t| t.subcommand_matches(name));
            full.mut_args(|a| a.env(None))
                .mut_subcommand(name, |sub| without_false_flags(yield_to_typed(sub, typed)))
        }
    };
    (command, running)
}

/// `command` without the variables of its flags that say false (`0`, `no`, `false`, `off`, `n`,
/// `f`, in any case, as clap's boolish parser reads them): that is the flag's default, and read,
/// it would count as given in conflicts (`WINDOW_TUI_NO_CHECKPOINT=0` against `--checkpoint`).
fn without_false_flags(command: Command) -> Command {
    let falsy = |value: std::ffi::OsString| {
        let value = value.to_string_lossy().to_ascii_lowercase();
        ["0", "no", "false", "off", "n", "f"].contains(&value.trim())
    };
    let false_flags: Vec<_> = command
        .get_arguments()
        .filter(|a| matches!(a.get_action(), clap::ArgAction::SetTrue))
        .filter(|a| a.get_env().and_then(std::env::var_os).is_some_and(falsy))
        .map(|a| a.get_id().clone())
        .collect();
    false_flags
        .into_iter()
        .fold(command, |command, id| command.mut_arg(id, |a| a.env(None)))
}

/// `command` and its subcommands with no variable.
fn without_variables(command: Command) -> Command {
    command
        .mut_args(|a| a.env(None))
        .mut_subcommands(without_variables)
}

/// `command` without the variables of options that conflict with an option `typed` (its command
/// line, parsed) gives.
fn yield_to_typed(command: Command, typed: Option<&ArgMatches>) -> Command {
    let Some(typed) = typed else {
        return command;
    };
    let given: Vec<_> = command
        .get_arguments()
        .filter(|a| typed.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
        .collect();
    let overridden: Vec<_> = command
        .get_arguments()
        .filter(|a| a.get_env().is_some() && !given.contains(a))
        .filter(|a| {
            given.iter().any(|g| {
                command.get_arg_conflicts_with(a).contains(g)
                    || command.get_arg_conflicts_with(g).contains(a)
            })
        })
        .map(|a| a.get_id().clone())
        .collect();
    overridden
        .into_iter()
        .fold(command, |command, id| command.mut_arg(id, |a| a.env(None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(args: &[&str]) -> (Command, Option<String>) {
        let args: Vec<OsString> = ["window-tui"].iter().chain(args).map(Into::into).collect();
        scoped(&args)
    }

    fn variable(command: &Command, long: &str) -> Option<String> {
        command
            .get_arguments()
            .find(|a| a.get_long() == Some(long))
            .and_then(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned())
    }

    #[test]
    fn a_subcommand_reads_its_own_variables_only() {
        let (command, running) = scope(&["replay", "e.csv"]);
        assert_eq!(running.as_deref(), Some("replay"));
        assert_eq!(variable(&command, "trigger"), None);
        let replay = command.find_subcommand("replay").unwrap();
        assert_eq!(
            variable(replay, "window").as_deref(),
            Some("WINDOW_TUI_WINDOW")
        );
        let (command, running) = scope(&["--headless"]);
        assert_eq!(running, None);
        assert_eq!(
            variable(&command, "trigger").as_deref(),
            Some("WINDOW_TUI_TRIGGER")
        );
    }

    #[test]
    fn a_variable_yields_to_a_conflicting_option_on_the_command_line() {
        let (command, _) = scope(&["replay", "e.csv", "--window", "5s"]);
        let replay = command.find_subcommand("replay").unwrap();
        assert_eq!(variable(replay, "session-gap"), None);
        assert!(
            variable(replay, "slide").is_some(),
            "no conflict with --window"
        );
        let (command, _) = scope(&["--session-gap", "5s"]);
        assert_eq!(variable(&command, "window"), None);
        assert_eq!(variable(&command, "slide"), None);
        assert!(variable(&command, "watermark").is_some());
        let (command, _) = scope(&["export-spark", "--replay-dir", "staged"]);
        let export = command.find_subcommand("export-spark").unwrap();
        assert_eq!(variable(export, "source"), None);
    }
}

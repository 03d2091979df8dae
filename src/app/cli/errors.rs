//! clap's errors, made to say what happened: a bad value that came from a `WINDOW_TUI_*`
//! variable names the variable (the command line has no such option), and a tip is kept only
//! when it is likely what was meant (a typo), never a different option that merely looks alike
//! (`--output-mode` is no misspelt `--output`).

use std::ffi::OsString;

use clap::FromArgMatches;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;

use super::env::scoped;
use super::{Cli, applies};

/// The most edits a suggestion may be from what was typed.
const TYPO_EDITS: usize = 2;

/// Parses the command line (`args` with the program name first) and the environment, as
/// [`Cli::try_parse_from`] does but with the variables [`scoped`] to the command that runs and
/// yielding to the command line, and with clearer errors.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let (mut command, running) = scoped(&args);
    let result = command
        .try_get_matches_from_mut(&args)
        .and_then(|mut matches| {
            if let Some(why) = applies::refusal(&matches, running.as_deref()) {
                return Err(clap::Error::raw(
                    ErrorKind::ArgumentConflict,
                    format!("{why}\n"),
                ));
            }
            let output_typed = matches.value_source("output") == Some(ValueSource::CommandLine);
            let mut cli = Cli::from_arg_matches_mut(&mut matches)?;
            cli.live.output_typed = output_typed;
            Ok(cli)
        });
    result.map_err(|mut err| {
        prune_tips(&mut err);
        let running = running
            .and_then(|name| command.find_subcommand(name))
            .unwrap_or(&command);
        name_the_variable(err, running, &args)
    })
}

/// Removes tips that do not look like a typo of what was typed.
fn prune_tips(err: &mut clap::Error) {
    if !matches!(
        err.kind(),
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
    ) {
        return;
    }
    let typed = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(typed)) => typed.clone(),
        _ => return,
    };
    // Passing the option as a value (`-- --output-mode`) is never what was meant here.
    err.remove(ContextKind::Suggested);
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand] {
        let close = match err.get(kind) {
            Some(ContextValue::String(tip)) => edits(&typed, tip) <= TYPO_EDITS,
            Some(ContextValue::Strings(tips)) => {
                tips.iter().all(|t| edits(&typed, t) <= TYPO_EDITS)
            }
            _ => true,
        };
        if !close {
            err.remove(kind);
        }
    }
}

/// The Levenshtein distance between two words.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// When the bad value came from the environment (its option is not on the command line but the
/// running command's variable for it is set), an error that says so, naming the variable; a
/// conflict with an option set from the environment names its variable too; else `err` as it
/// is.
fn name_the_variable(err: clap::Error, command: &clap::Command, args: &[OsString]) -> clap::Error {
    let from_env = |kind| match err.get(kind) {
        Some(ContextValue::String(arg)) => from_the_environment(command, args, arg),
        _ => None,
    };
    match err.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let Some(setting) = from_env(ContextKind::InvalidArg) else {
                return err;
            };
            let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
                return err;
            };
            let rendered = err.render().to_string();
            let why = rendered
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            let possible = rendered
                .lines()
                .find(|l| l.trim_start().starts_with("[possible values"))
                .map(|l| format!(" {}", l.trim()))
                .unwrap_or_default();
            let flag = command.get_arguments().any(|a| {
                matches!(a.get_action(), clap::ArgAction::SetTrue)
                    && a.get_long().is_some_and(|long| {
                        arg.split_whitespace().next() == Some(&format!("--{long}"))
                    })
            });
            let accepted = if flag {
                " (a flag's variable takes 1 or 0, true or false, yes or no, on or off, y or n, t or f)"
            } else {
                ""
            };
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("{setting} in the environment: {why}{possible}{accepted}\n"),
            )
        }
        ErrorKind::ArgumentConflict => {
            let (Some(ContextValue::String(arg)), Some(ContextValue::String(prior))) = (
                err.get(ContextKind::InvalidArg),
                err.get(ContextKind::PriorArg),
            ) else {
                return err;
            };
            let (arg_env, prior_env) = (
                from_env(ContextKind::InvalidArg),
                from_env(ContextKind::PriorArg),
            );
            if arg_env.is_none() && prior_env.is_none() {
                return err;
            }
            let source = |setting: Option<String>| {
                setting.map_or_else(String::new, |s| format!(" (set by {s})"))
            };
            clap::Error::raw(
                ErrorKind::ArgumentConflict,
                format!(
                    "the argument '{arg}'{} cannot be used with '{prior}'{}\n",
                    source(arg_env),
                    source(prior_env)
                ),
            )
        }
        _ => err,
    }
}

/// `VARIABLE="value"` when the option `arg` (as clap names it, `--long <VALUE>`) is not on the
/// command line but the running command's variable for it is set.
fn from_the_environment(command: &clap::Command, args: &[OsString], arg: &str) -> Option<String> {
    let long = arg
        .split_whitespace()
        .next()
        .and_then(|flag| flag.strip_prefix("--"))?;
    let given = args.iter().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a.strip_prefix("--")
            .is_some_and(|rest| rest == long || rest.starts_with(&format!("{long}=")))
    });
    if given {
        return None;
    }
    let variable = env_of(command, long)?;
    let value = std::env::var_os(&variable)?;
    Some(format!("{variable}={:?}", value.to_string_lossy()))
}

/// The variable of the option `--long` of the command that runs.
fn env_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(args: &[&str]) -> String {
        let mut full = vec!["window-tui"];
        full.extend_from_slice(args);
        parse(full).unwrap_err().render().to_string()
    }

    #[test]
    fn tips_are_for_typos_only() {
        let err = error(&["replay", "e.csv", "--output-dir", "out"]);
        assert!(err.contains("unexpected argument '--output-dir'"), "{err}");
        assert!(!err.contains("tip"), "{err}");
        let err = error(&["replay", "e.csv", "--windw", "1m"]);
        assert!(err.contains("'--window'"), "a typo keeps its tip: {err}");
        assert_eq!(edits("output-dir", "output"), 4);
        assert_eq!(edits("windw", "window"), 1);
    }
}

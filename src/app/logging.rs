//! Diagnostics through `tracing`: to a file for the dashboard (never over the screen), to stderr
//! for headless runs and the server, at the level `--log-level` gives.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::app::config::LogConfig;
use crate::app::error::OrBadInput;

/// Where the log goes when `--log` is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    Stderr,
    StateFile,
}

/// The dashboard's default log file: `$XDG_STATE_HOME/window-tui/window-tui.log`, else
/// `~/.local/state/window-tui/window-tui.log`, else the temporary folder.
pub fn default_log_file() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("window-tui").join("window-tui.log")
}

/// Where the log goes when the default one cannot be written (a read-only `$HOME`, an
/// unwritable `$XDG_STATE_HOME`): a file of this user's in the temporary folder.
pub fn fallback_log_file() -> PathBuf {
    std::env::temp_dir().join(format!(
        "window-tui-{}.log",
        log_owner(std::env::var("USER").ok())
    ))
}

/// Whose fallback log it is: `$USER` when it is a plain name, else the user's id as `uidN`
/// (the same file run after run), else this process's id.
fn log_owner(user: Option<String>) -> String {
    use std::os::unix::fs::MetadataExt;
    user.filter(|u| {
        !u.is_empty()
            && u.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    })
    .or_else(|| {
        let this = std::fs::metadata("/proc/self").ok()?;
        Some(format!("uid{}", this.uid()))
    })
    .unwrap_or_else(|| std::process::id().to_string())
}

/// Opens `path` for appending, creating its folder.
fn open_log(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log folder {}", dir.display()))?;
    }
    std::fs::File::options()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))
}

/// The default log file, or the fallback when it cannot be written; with the fallback, why.
fn open_default(
    default: &Path,
    fallback: &Path,
) -> anyhow::Result<(std::fs::File, PathBuf, Option<String>)> {
    match open_log(default) {
        Ok(file) => Ok((file, default.to_path_buf(), None)),
        Err(why) => {
            let file = open_log(fallback).with_context(|| format!("{why:#}"))?;
            let note = format!(
                "{why:#}; logging to {} instead (--log FILE chooses)",
                fallback.display()
            );
            Ok((file, fallback.to_path_buf(), Some(note)))
        }
    }
}

/// Installs the global subscriber. Keep the guard alive: it flushes the file on drop. When the
/// dashboard's default log file cannot be written, the log goes to [`fallback_log_file`], and
/// a line on stderr (before the screen takes over) and in the log says so.
pub fn init(args: &LogConfig, default: Default) -> anyhow::Result<Option<WorkerGuard>> {
    let filter = EnvFilter::try_new(&args.level)
        .map_err(|e| format!("--log-level {:?}: {e}", args.level))
        .and_then(|filter| match stray_target(&args.level) {
            Some(word) => Err(format!(
                "--log-level {:?}: {word:?} is no level (off, error, warn, info, debug, trace) \
                 and names none of window-tui's modules; write a level, or TARGET=LEVEL \
                 (window_tui=debug)",
                args.level
            )),
            None => Ok(filter),
        })
        .or_bad_input()?;
    // A log line that cannot be written is lost, not reported on stderr (tracing would
    // `eprintln!` it, which panics when stderr is what failed: `2>/dev/full`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false);
    let (file, note) = match (&args.file, default) {
        (Some(path), _) => (open_log(path)?, None),
        (None, Default::StateFile) => {
            let (file, _, note) = open_default(&default_log_file(), &fallback_log_file())?;
            (file, note)
        }
        (None, Default::Stderr) => {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none();
            let _ = builder
                .with_ansi(color)
                .with_writer(std::io::stderr)
                .try_init();
            return Ok(None);
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(file);
    let _ = builder.with_ansi(false).with_writer(writer).try_init();
    if let Some(note) = note {
        crate::diag!("window-tui: {note}");
        tracing::warn!("{note}");
    }
    Ok(Some(guard))
}

/// A directive of `filter` that is a bare word, neither a level (as `tracing` reads one:
/// `info`, `WARN`, `3`) nor one of window-tui's targets: `EnvFilter` reads it as a target to log
/// everything of, which logs nothing here, silently (a misspelt level, say).
fn stray_target(filter: &str) -> Option<&str> {
    filter.split(',').map(str::trim).find(|word| {
        !word.is_empty()
            && !word.contains(['=', '['])
            && word
                .parse::<tracing_subscriber::filter::LevelFilter>()
                .is_err()
            && !word.starts_with("window_tui")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a usable `$USER` the fallback log is the user's, by id, not this process's (a
    /// new file each run).
    #[test]
    fn the_fallback_log_is_the_users() {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(log_owner(Some("ana".into())), "ana");
        let uid = std::fs::metadata("/proc/self").unwrap().uid();
        for user in [None, Some(String::new()), Some("../etc".into())] {
            assert_eq!(log_owner(user), format!("uid{uid}"));
        }
    }

    #[test]
    fn a_bare_word_that_is_no_level_nor_ours_is_refused() {
        for good in [
            "info",
            "DEBUG",
            "3",
            "window_tui=trace",
            "window_tui",
            "warn,mio=debug",
            "",
        ] {
            assert_eq!(stray_target(good), None, "{good}");
        }
        assert_eq!(stray_target("garbage"), Some("garbage"));
        assert_eq!(stray_target("info, degub"), Some("degub"));
        let config = LogConfig {
            file: None,
            level: "garbage".into(),
        };
        let err = init(&config, Default::Stderr).err().unwrap();
        assert!(err.to_string().contains("\"garbage\" is no level"), "{err}");
    }

    #[test]
    fn an_unwritable_default_log_falls_back_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the state folder must go: unwritable, for root too.
        std::fs::write(dir.path().join("home"), "a file").unwrap();
        let default = dir
            .path()
            .join("home/.local/state/window-tui/window-tui.log");
        let fallback = dir.path().join("tmp/window-tui-me.log");
        let (_, path, note) = open_default(&default, &fallback).unwrap();
        assert_eq!(path, fallback);
        let note = note.unwrap();
        assert!(
            note.contains("cannot create the log folder") && note.contains("tmp/window-tui-me.log"),
            "{note}"
        );
        let fine = dir.path().join("state/window-tui.log");
        let (_, path, note) = open_default(&fine, &fallback).unwrap();
        assert_eq!((path, note), (fine, None));
    }
}

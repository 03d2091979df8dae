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

/// Installs the global subscriber. Keep the guard alive: it flushes the file on drop.
pub fn init(args: &LogConfig, default: Default) -> anyhow::Result<Option<WorkerGuard>> {
    let filter = EnvFilter::try_new(&args.level)
        .map_err(|e| format!("--log-level {:?}: {e}", args.level))
        .or_bad_input()?;
    let file = match (&args.file, default) {
        (Some(path), _) => Some(path.clone()),
        (None, Default::StateFile) => Some(default_log_file()),
        (None, Default::Stderr) => None,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let Some(path) = file else {
        let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none();
        let _ = builder
            .with_ansi(color)
            .with_writer(std::io::stderr)
            .try_init();
        return Ok(None);
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log folder {}", dir.display()))?;
    }
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let _ = builder.with_ansi(false).with_writer(writer).try_init();
    Ok(Some(guard))
}

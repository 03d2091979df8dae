//! `window-tui export-spark`'s command line: the query, the job's source, sink, folders and
//! trigger, and where the job is written.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, ValueEnum};

use super::args::{FormatArg, QueryArgs};
use crate::engine::Duration;

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub query: QueryArgs,

    /// How the job reads socket lines: text (the whole line is `value`), csv or json.
    #[arg(long, value_enum, env = "WINDOW_TUI_FORMAT", default_value = "text")]
    pub format: FormatArg,

    /// Processing-time trigger interval.
    #[arg(
        long,
        env = "WINDOW_TUI_TRIGGER",
        default_value = "15 seconds",
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub trigger: Duration,

    /// The job's sink.
    #[arg(
        long,
        value_enum,
        env = "WINDOW_TUI_EXPORT_SINK",
        default_value = "console"
    )]
    pub sink: JobSink,

    /// The job's file sink folder (by default not window-tui's `output`: the two must not share
    /// one).
    #[arg(
        long,
        env = "WINDOW_TUI_EXPORT_OUTPUT",
        default_value = "output-spark",
        value_name = "DIR"
    )]
    pub output: PathBuf,

    /// The job's checkpoint folder (by default not window-tui's `checkpoint`).
    #[arg(
        long,
        env = "WINDOW_TUI_EXPORT_CHECKPOINT",
        default_value = "checkpoint-spark",
        value_name = "DIR"
    )]
    pub checkpoint: PathBuf,

    /// The stream server the job reads.
    #[arg(
        long,
        env = "WINDOW_TUI_SOURCE",
        default_value = "localhost:9999",
        value_name = "HOST:PORT"
    )]
    pub source: String,

    /// Read staged CSV files from DIR, one per trigger tick, instead of a socket: each with the
    /// header `batch,<columns>` (the query's columns, as --record writes them;
    /// `batch,event_time,value` for the default query).
    #[arg(
        long,
        env = "WINDOW_TUI_REPLAY_DIR",
        value_name = "DIR",
        conflicts_with = "source"
    )]
    pub replay_dir: Option<PathBuf>,

    /// Stage a replay file's rows in --replay-dir (made if missing, else it must be empty), one
    /// file per batch, for the job to read.
    #[arg(
        long,
        env = "WINDOW_TUI_STAGE",
        value_name = "EVENTS.csv",
        requires = "replay_dir"
    )]
    pub stage: Option<PathBuf>,

    /// chrono pattern for each end of the window column (as the dashboard's), translated to a
    /// Spark datetime pattern: %H%M%S is `HHmmss`.
    #[arg(
        long,
        env = "WINDOW_TUI_WINDOW_FORMAT",
        default_value = "%H%M%S",
        value_name = "PATTERN"
    )]
    pub window_format: String,

    /// Where to write the job (`-` for stdout).
    #[arg(
        short = 'o',
        long = "out",
        env = "WINDOW_TUI_EXPORT",
        default_value = "-",
        value_name = "FILE"
    )]
    pub out: PathBuf,

    /// Overwrite FILE when it exists (without it, an existing file is an error).
    #[arg(long, env = "WINDOW_TUI_FORCE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub force: bool,
}

/// The exported job's sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobSink {
    /// Spark's console sink.
    Console,
    /// Spark's CSV file sink, partitioned by window.
    File,
}

//! The command line as clap sees it: Spark's option names and duration syntax, every flag also
//! read from a `WINDOW_TUI_*` environment variable (where, [`super::env`] says). [`super`]
//! turns these into the config.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

pub use super::export_args::{ExportArgs, JobSink};
use super::help::{
    COMPLETIONS_EXAMPLES, EXPORT_EXAMPLES, MAIN_EXAMPLES, REPLAY_EXAMPLES, SERVE_EXAMPLES,
};
use super::{ByteSize, playback_speed};
use crate::engine::{AggRequest, Duration, Use, parse_aggs};

/// A terminal dashboard for event-time windowed stream aggregation, with Apache Spark 3.5's
/// answers: sliding, tumbling or session windows grouped by columns, with count, sum, avg, min
/// and max, in append, update or complete mode.
#[derive(Debug, Parser)]
#[command(
    name = "window-tui",
    version,
    after_long_help = MAIN_EXAMPLES,
    after_help = "Run `window-tui --help` for examples.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the stream server alone: one value per line to every client that connects.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Replay a recorded stream deterministically, micro-batch by micro-batch.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Write the query as a standalone `PySpark` Structured Streaming job.
    #[command(name = "export-spark", after_help = EXPORT_EXAMPLES)]
    ExportSpark(ExportArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    #[command(after_help = "Example:\n  window-tui man | man -l -")]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The windowed count: window length, slide and watermark delay.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// The stream's columns, a Spark DDL string: "ts TIMESTAMP, user STRING, bytes LONG"
    /// (STRING, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT/LONG, FLOAT, DOUBLE, TIMESTAMP).
    /// Default: `value STRING` live; a replay's header names its columns, all STRING but the
    /// event time.
    #[arg(long, env = "WINDOW_TUI_SCHEMA", value_name = "DDL")]
    pub schema: Option<String>,

    /// Where each row's event time comes from: `arrival` (the time the reader read the line,
    /// Spark's `includeTimestamp`; a replay's `event_time` column), a TIMESTAMP column of the
    /// schema, or `payload` (short for --format csv --schema "timestamp TIMESTAMP, value
    /// STRING" --event-time timestamp).
    #[arg(
        long,
        env = "WINDOW_TUI_EVENT_TIME",
        default_value = "arrival",
        value_name = "arrival|COLUMN"
    )]
    pub event_time: String,

    /// The group-by columns, comma-separated (`""` groups by window alone).
    #[arg(
        long,
        env = "WINDOW_TUI_GROUP_BY",
        default_value = "value",
        value_name = "COLUMNS",
        value_parser = group_by_columns,
        allow_hyphen_values = true
    )]
    pub group_by: String,

    /// The aggregates, comma-separated: count, count(c), sum(c), avg(c), min(c), max(c).
    #[arg(
        long = "agg",
        env = "WINDOW_TUI_AGG",
        default_value = "count",
        value_name = "AGGS",
        value_parser = aggregates
    )]
    pub aggs: Aggs,

    /// Window length (`window(timestamp, WINDOW, SLIDE)`) [default: 30 seconds]
    #[arg(
        long,
        env = "WINDOW_TUI_WINDOW",
        value_name = "DURATION",
        value_parser = window_duration,
        allow_hyphen_values = true
    )]
    pub window: Option<Duration>,

    /// How far apart window starts are; at most the window length [default: 15 seconds; with
    /// --window alone, the window's length: tumbling windows, as Spark's `window()` without a
    /// slide]
    #[arg(
        long,
        env = "WINDOW_TUI_SLIDE",
        value_name = "DURATION",
        value_parser = slide_duration,
        allow_hyphen_values = true
    )]
    pub slide: Option<Duration>,

    /// Session windows instead of sliding ones (`session_window(timestamp, GAP)`): a key's
    /// events at most GAP apart make one session, as in Spark.
    #[arg(
        long,
        env = "WINDOW_TUI_SESSION_GAP",
        value_name = "DURATION",
        value_parser = session_gap,
        conflicts_with_all = ["window", "slide"],
        allow_hyphen_values = true
    )]
    pub session_gap: Option<Duration>,

    /// Watermark delay (`withWatermark("timestamp", DELAY)`): how late a row may be.
    #[arg(
        long,
        env = "WINDOW_TUI_WATERMARK",
        default_value = "15 seconds",
        value_name = "DURATION",
        value_parser = watermark_delay,
        allow_hyphen_values = true
    )]
    pub watermark: Duration,

    /// Spark's output mode: append (a window once, when the watermark passes its end),
    /// update (each batch, the rows it changed) or complete (each batch, the whole table);
    /// in any case, as Spark's `outputMode` takes it.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        env = "WINDOW_TUI_OUTPUT_MODE",
        default_value = "append"
    )]
    pub output_mode: OutputModeArg,

    /// Refuse a query whose events fall in more windows than this (`1 day` windows sliding
    /// every `1 millisecond` would put each event in 86,400,000).
    #[arg(
        long,
        env = "WINDOW_TUI_MAX_WINDOWS_PER_EVENT",
        default_value_t = crate::engine::MAX_WINDOWS_PER_EVENT,
        value_name = "N"
    )]
    pub max_windows_per_event: u64,
}

/// Spark's output modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputModeArg {
    Append,
    Update,
    Complete,
}

/// How live lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// The whole line is the `value` column (Spark's socket source).
    Text,
    /// The line's fields are the schema's columns, in order.
    Csv,
    /// The line is a JSON object; its members are the schema's columns, by name.
    Json,
}

/// `--group-by`'s list as given, if each of its items names a column: `""` (or blanks) alone
/// groups by the window alone, but an empty item in a list (`value,,`, `,value`, or an empty
/// quoted name) is refused, as `--agg` refuses one, rather than dropped unseen.
fn group_by_columns(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Ok(text.to_string());
    }
    let items: Vec<&str> = text.split(',').collect();
    match items
        .iter()
        .position(|item| item.trim().trim_matches('`').is_empty())
    {
        Some(at) => Err(format!(
            "item {} of {} is empty: name a column between each pair of commas, like \
             user,country (or give \"\" alone to group by the window alone)",
            at + 1,
            items.len()
        )),
        None => Ok(text.to_string()),
    }
}

/// `--agg`'s aggregates, parsed once, while the arguments are read.
#[derive(Debug, Clone)]
pub struct Aggs(pub Vec<AggRequest>);

/// `--agg`'s list, parsed: refused while the arguments are read, so that a bad
/// `WINDOW_TUI_AGG` is said to be the variable's.
fn aggregates(text: &str) -> Result<Aggs, String> {
    parse_aggs(text)
        .map(Aggs)
        .map_err(|e| e.to_string().trim_start_matches("--agg ").to_string())
}

fn duration_for(text: &str, what: Use) -> Result<Duration, String> {
    Duration::parse_for(text, what).map_err(|e| e.to_string())
}

fn window_duration(text: &str) -> Result<Duration, String> {
    duration_for(text, Use::Window)
}

fn slide_duration(text: &str) -> Result<Duration, String> {
    duration_for(text, Use::Slide)
}

fn session_gap(text: &str) -> Result<Duration, String> {
    duration_for(text, Use::SessionGap)
}

fn watermark_delay(text: &str) -> Result<Duration, String> {
    duration_for(text, Use::Watermark)
}

/// `--max-state-rows`: at least one row, since a bound of none would refuse every row.
fn state_rows(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err(
            "0 would refuse every row: give a bound of at least 1, or leave the option out for \
             no bound"
                .into(),
        ),
        Ok(rows) => Ok(rows),
        Err(_) => Err(format!("{text:?} is not a whole number of rows")),
    }
}

/// Where emitted rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum SinkKind {
    /// Spark's console sink: a `Batch: N` table per batch on stdout.
    Console,
    /// Spark's CSV file sink, partitioned by window, under --output.
    File,
    /// One JSON object per emitted row on stdout.
    Json,
}

/// Sinks and their options.
#[derive(Debug, Clone, Args)]
pub struct SinkArgs {
    /// Where emitted rows go; repeat it (or separate with commas) for several.
    #[arg(
        long = "sink",
        value_enum,
        env = "WINDOW_TUI_SINK",
        value_delimiter = ','
    )]
    pub sinks: Vec<SinkKind>,

    /// The file sink's folder.
    #[arg(
        long,
        env = "WINDOW_TUI_OUTPUT",
        default_value = "output",
        value_name = "DIR"
    )]
    pub output: PathBuf,

    /// Append one `StreamingQueryProgress` JSON object per batch to FILE.
    #[arg(long, env = "WINDOW_TUI_PROGRESS", value_name = "FILE")]
    pub progress: Option<PathBuf>,

    /// chrono pattern for each end of the window column, in the local time zone (TZ is
    /// honoured). The default, %H%M%S, drops the date, as the seed does: 173300-173330.
    #[arg(
        long,
        env = "WINDOW_TUI_WINDOW_FORMAT",
        default_value = "%H%M%S",
        value_name = "PATTERN"
    )]
    pub window_format: String,
}

/// What to do with a replay row that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnBadRow {
    /// Stop with `file:line: what is wrong` and exit status 2.
    Error,
    /// Count it, go on, and report the count at the end.
    Skip,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The recorded stream: CSV with the header `batch,<columns>` (`batch,event_time,value` for
    /// the default query), `\N` for NULL.
    #[arg(value_name = "EVENTS.csv")]
    pub events: PathBuf,

    #[command(flatten)]
    pub query: QueryArgs,

    #[command(flatten)]
    pub sinks: SinkArgs,

    /// What to do with a row that cannot be read.
    #[arg(
        long,
        value_enum,
        env = "WINDOW_TUI_ON_BAD_ROW",
        default_value = "error"
    )]
    pub on_bad_row: OnBadRow,

    /// Checkpoint folder: a replay killed at any moment continues from it when run again.
    #[arg(long, env = "WINDOW_TUI_CHECKPOINT", value_name = "DIR")]
    pub checkpoint: Option<PathBuf>,

    /// Start over: empty the checkpoint and (with --sink file) the output folder first, of what
    /// window-tui wrote there only; a folder that is not window-tui's is refused.
    #[arg(long, env = "WINDOW_TUI_CLEAN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub clean: bool,

    /// In the dashboard (no --sink): batches per second when playing, 0.125 to 1024 (`space`;
    /// `+`/`-` change it).
    #[arg(long, env = "WINDOW_TUI_SPEED", default_value_t = 2.0, value_name = "BATCHES/S", value_parser = playback_speed)]
    pub speed: f64,

    /// In the dashboard: start playing at --speed instead of waiting for `n`.
    #[arg(long, env = "WINDOW_TUI_PLAY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub play: bool,

    /// At the end of a finite source, move the watermark past every open window, so append
    /// mode emits the last windows too. Not Spark's behaviour: Spark keeps them open until a
    /// later event moves the watermark.
    #[arg(long, env = "WINDOW_TUI_FLUSH_AT_END", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub flush_at_end: bool,

    /// Not Spark's behaviour: rows of keys not in state yet are refused (counted and shown)
    /// once the state, with the rows the batch's new keys open, would pass N rows; keys already
    /// held go on. Bounds a stream of ever-new keys, which would grow until memory runs out.
    #[arg(long, env = "WINDOW_TUI_MAX_STATE_ROWS", value_name = "N", value_parser = state_rows)]
    pub max_state_rows: Option<usize>,

    /// The longest row accepted, in bytes (`64KiB`, `1MiB`, `1048576`).
    #[arg(
        long,
        env = "WINDOW_TUI_MAX_LINE_BYTES",
        default_value = "1MiB",
        value_name = "BYTES"
    )]
    pub max_line_bytes: ByteSize,
}

/// What the stream server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generator {
    /// A random integer 0..10 per line.
    Random,
    /// The lines of --file, in order.
    File,
}

/// The generator's pace and content, shared by `serve` and the embedded server.
#[derive(Debug, Clone, Args)]
pub struct GeneratorArgs {
    /// The file whose lines are sent (with the `file` generator).
    #[arg(long, env = "WINDOW_TUI_FILE", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Time between two lines.
    #[arg(
        long,
        env = "WINDOW_TUI_DELAY",
        default_value = "2 seconds",
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub delay: Duration,

    /// How many rounds to send; each round sends --count lines.
    #[arg(long, env = "WINDOW_TUI_REPEAT", default_value_t = 1, value_name = "N")]
    pub repeat: u64,

    /// Lines per round (default: 1000 random values, or every line of --file).
    #[arg(long, env = "WINDOW_TUI_COUNT", value_name = "N")]
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback unless you say otherwise.
    #[arg(long, env = "WINDOW_TUI_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "WINDOW_TUI_PORT", default_value_t = 9999)]
    pub port: u16,

    /// What to send.
    #[arg(
        long,
        value_enum,
        env = "WINDOW_TUI_SERVE_OUTPUT",
        default_value = "random"
    )]
    pub output: Generator,

    #[command(flatten)]
    pub generator: GeneratorArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

/// The main command: the live pipeline, with the dashboard or headless.
#[derive(Debug, Clone, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, one per flag"
)]
pub struct LiveArgs {
    #[command(flatten)]
    pub query: QueryArgs,

    #[command(flatten)]
    pub sinks: SinkArgs,

    /// Run without the dashboard (also chosen when stdout is not a terminal).
    #[arg(long, env = "WINDOW_TUI_HEADLESS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub headless: bool,

    /// Processing-time trigger interval.
    #[arg(
        long,
        env = "WINDOW_TUI_TRIGGER",
        default_value = "15 seconds",
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub trigger: Duration,

    /// Read an external stream server instead of the embedded one.
    #[arg(
        long,
        env = "WINDOW_TUI_SOURCE",
        value_name = "HOST:PORT",
        conflicts_with = "file"
    )]
    pub source: Option<String>,

    /// Read the --source server again whenever it closes or breaks a stream it sent lines on
    /// (by default that stream was the stream, as for Spark's socket source; the built-in
    /// server's stream ends with its program either way). A server that sends each new client
    /// its stream from the start (`window-tui serve`) is then counted again on every reconnect.
    #[arg(long, env = "WINDOW_TUI_RECONNECT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub reconnect: bool,

    /// How lines are read: text (the whole line is `value`), csv or json (the schema's
    /// columns).
    #[arg(long, value_enum, env = "WINDOW_TUI_FORMAT", default_value = "text")]
    pub format: FormatArg,

    /// Record every accepted line to FILE in the replay format.
    #[arg(long, env = "WINDOW_TUI_RECORD", value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// The longest line accepted from the socket; longer ones are counted as rejected.
    #[arg(
        long,
        env = "WINDOW_TUI_MAX_LINE_BYTES",
        default_value = "1MiB",
        value_name = "BYTES"
    )]
    pub max_line_bytes: ByteSize,

    /// What the embedded server sends (the seed's `--output random|file`).
    #[arg(
        long,
        value_enum,
        env = "WINDOW_TUI_GENERATOR",
        default_value = "random"
    )]
    pub generator: Generator,

    #[command(flatten)]
    pub pace: GeneratorArgs,

    /// Checkpoint folder: a restart with the same command continues where it stopped.
    #[arg(
        long,
        env = "WINDOW_TUI_CHECKPOINT",
        default_value = "checkpoint",
        value_name = "DIR"
    )]
    pub checkpoint: PathBuf,

    /// Run without a checkpoint: a restart starts over.
    #[arg(long, env = "WINDOW_TUI_NO_CHECKPOINT", conflicts_with = "checkpoint", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_checkpoint: bool,

    /// Start over (the seed's `cleanup()`): empty the checkpoint and (with --sink file) the
    /// output folder first, of what window-tui wrote there only; a folder that is not
    /// window-tui's is refused. With --no-checkpoint, the output folder alone.
    #[arg(long, env = "WINDOW_TUI_CLEAN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub clean: bool,

    /// At the end of a finite source, move the watermark past every open window, so append
    /// mode emits the last windows too. Not Spark's behaviour: Spark keeps them open until a
    /// later event moves the watermark.
    #[arg(long, env = "WINDOW_TUI_FLUSH_AT_END", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub flush_at_end: bool,

    /// Not Spark's behaviour: rows of keys not in state yet are refused (counted and shown)
    /// once the state, with the rows the batch's new keys open, would pass N rows; keys already
    /// held go on. Bounds a stream of ever-new keys, which would grow until memory runs out.
    #[arg(long, env = "WINDOW_TUI_MAX_STATE_ROWS", value_name = "N", value_parser = state_rows)]
    pub max_state_rows: Option<usize>,

    #[command(flatten)]
    pub log: LogArgs,

    /// Whether `--output` is on the command line (not its variable), set once it is parsed.
    #[arg(skip)]
    pub output_typed: bool,
}

/// Where diagnostics go.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log file. By default the dashboard logs to $XDG_STATE_HOME/window-tui/window-tui.log (or
    /// ~/.local/state/...; never over the screen; when that cannot be written, to
    /// window-tui-$USER.log in the temporary folder, and says so) and headless runs log to stderr.
    #[arg(long, env = "WINDOW_TUI_LOG", value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Log level or filter (`info`, `debug`, `window_tui=trace`).
    #[arg(
        long,
        env = "WINDOW_TUI_LOG_LEVEL",
        default_value = "info",
        value_name = "FILTER"
    )]
    pub log_level: String,
}

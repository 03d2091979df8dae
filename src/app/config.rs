//! What a run is asked to do, as plain, validated values. The command line (`cli`) builds these
//! once; sources, sinks, the runtime and the commands take them and never see clap.

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::{
    self, AggRequest, EventTime, OutputMode, Query, QueryError, QueryRequest, Schema,
    WindowRequest, Zone,
};

/// Where emitted rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinkKind {
    /// Spark's console sink: a `Batch: N` table per batch on stdout.
    Console,
    /// Spark's CSV file sink, partitioned by window, under the output folder.
    File,
    /// One JSON object per emitted row on stdout.
    Json,
}

impl SinkKind {
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Console => "console",
            SinkKind::File => "file",
            SinkKind::Json => "json",
        }
    }
}

/// The sinks of a run and their options.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// The sinks switched on at the start, in order.
    pub kinds: Vec<SinkKind>,
    /// The file sink's folder.
    pub output: PathBuf,
    /// Where one `StreamingQueryProgress` object per batch is appended.
    pub progress: Option<PathBuf>,
    /// A chrono pattern for each end of the window column (checked to be valid).
    pub window_format: String,
    /// Spark's session time zone, which window texts and timestamps are written in.
    pub zone: Zone,
}

impl SinkConfig {
    /// The output folder, when the file sink is among the sinks switched on at the start.
    pub fn file_output(&self) -> Option<&std::path::Path> {
        self.kinds
            .contains(&SinkKind::File)
            .then_some(self.output.as_path())
    }
}

/// What to do with a replay row that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBadRow {
    /// Stop with `file:line: what is wrong`.
    Error,
    /// Count it and go on.
    Skip,
}

/// How live lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The whole line is the one STRING column (Spark's socket source).
    Text,
    /// The line's fields are the schema's columns, in order.
    Csv,
    /// The line is a JSON object whose members are the schema's columns, by name.
    Json,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// The query as the command line states it, before it meets a schema (a replay's comes from
/// its file's header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConfig {
    /// `--schema`, when given.
    pub schema: Option<Schema>,
    pub event_time: EventTime,
    pub group_by: Vec<String>,
    pub aggs: Vec<AggRequest>,
    pub window: WindowRequest,
    pub delay: engine::Duration,
    pub mode: OutputMode,
    pub max_windows_per_event: u64,
}

impl QueryConfig {
    /// The seed's query: `groupBy(value, window(30 s, 15 s)).count()`, 15 s watermark, append.
    pub fn seed() -> Self {
        let secs = engine::Duration::from_secs;
        QueryConfig {
            schema: None,
            event_time: EventTime::Arrival,
            group_by: vec!["value".into()],
            aggs: vec![AggRequest {
                func: engine::AggFn::Count,
                column: None,
            }],
            window: WindowRequest::Sliding {
                size: secs(30),
                slide: secs(15),
            },
            delay: secs(15),
            mode: OutputMode::Append,
            max_windows_per_event: engine::MAX_WINDOWS_PER_EVENT,
        }
    }

    /// The query over `schema`.
    pub fn resolve(&self, schema: Schema) -> Result<Query, QueryError> {
        Query::new(QueryRequest {
            schema,
            event_time: self.event_time.clone(),
            group_by: self.group_by.clone(),
            aggs: self.aggs.clone(),
            window: self.window,
            delay: self.delay,
            mode: self.mode,
            max_windows_per_event: self.max_windows_per_event,
        })
    }
}

/// What the stream server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// A random integer 0..10 per line.
    Random,
    /// The lines of a file, in order.
    File,
}

/// The stream server's content and pace, shared by `serve` and the embedded server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub kind: Generator,
    /// The file whose lines are sent (the `file` generator; checked to be given).
    pub file: Option<PathBuf>,
    /// Time between two lines.
    pub delay: Duration,
    /// Rounds to send.
    pub repeat: u64,
    /// Lines a round (default: 1000 random values, or every line of the file).
    pub count: Option<u64>,
}

/// Where a live run reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// The seed's server, embedded on a loopback port.
    Embedded(GeneratorConfig),
    /// A server elsewhere: tried until it is up; once a stream it sent lines on ends, read
    /// again only with `reconnect` (`--reconnect`).
    External {
        host: String,
        port: u16,
        reconnect: bool,
    },
}

/// Where diagnostics go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The log file; the default depends on the command.
    pub file: Option<PathBuf>,
    /// A `tracing` filter: `info`, `debug`, `window_tui=trace`.
    pub level: String,
}

/// `window-tui replay`.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub events: PathBuf,
    pub query: QueryConfig,
    pub sinks: SinkConfig,
    pub on_bad_row: OnBadRow,
    pub checkpoint: Option<PathBuf>,
    pub clean: bool,
    /// Dashboard playback, batches per second.
    pub speed: f64,
    /// Start playing at once in the dashboard.
    pub play: bool,
    pub max_line_bytes: usize,
    /// `--flush-at-end` (not Spark's behaviour).
    pub flush_at_end: bool,
    /// `--max-state-rows` (not Spark's behaviour).
    pub max_state_rows: Option<usize>,
}

/// The main command: the live pipeline, headless or with the dashboard.
#[derive(Debug, Clone)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, one per flag"
)]
pub struct LiveConfig {
    pub query: Query,
    /// How lines are read.
    pub format: Format,
    pub sinks: SinkConfig,
    pub headless: bool,
    /// Whether `--output` was typed: a run without the dashboard (whose `f` key switches the
    /// file sink on) and without `--sink file` refuses it, as it would do nothing there.
    pub output_typed: bool,
    /// The processing-time trigger interval (positive).
    pub trigger: engine::Duration,
    pub source: SourceConfig,
    pub record: Option<PathBuf>,
    pub max_line_bytes: usize,
    /// The checkpoint folder; the run keeps no checkpoint when `checkpointing` is off.
    pub checkpoint: PathBuf,
    pub checkpointing: bool,
    pub clean: bool,
    /// `--flush-at-end` when the source ends (not Spark's behaviour).
    pub flush_at_end: bool,
    /// `--max-state-rows` (not Spark's behaviour).
    pub max_state_rows: Option<usize>,
    pub log: LogConfig,
}

impl LiveConfig {
    /// A hint when the schema has a TIMESTAMP column but the event time is the arrival time:
    /// the windows then follow when lines were read, which is seldom what such data means.
    pub fn arrival_hint(&self) -> Option<String> {
        if self.query.event_time_column().is_some() {
            return None;
        }
        let column = self
            .query
            .schema()
            .fields()
            .iter()
            .find(|f| f.ty == engine::DataType::Timestamp)?;
        let name = crate::app::error::escape_controls(&column.name);
        Some(format!(
            "{name} is a TIMESTAMP column but the event time is arrival (when each line is \
             read); --event-time {name}?"
        ))
    }
}

/// `window-tui serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub host: String,
    pub port: u16,
    pub generator: GeneratorConfig,
    pub log: LogConfig,
}

/// What an exported Spark job reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSource {
    /// The stream server, through Spark's socket source with arrival timestamps.
    Socket { host: String, port: u16 },
    /// CSV files of `event_time,value` staged one per trigger tick in a folder.
    ReplayDir(PathBuf),
}

/// `window-tui export-spark`.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub query: Query,
    /// How the job reads socket lines.
    pub format: Format,
    pub trigger: engine::Duration,
    /// The job's sink: console or file.
    pub sink: SinkKind,
    pub output: PathBuf,
    pub checkpoint: PathBuf,
    pub source: ExportSource,
    pub window_format: String,
    /// The time zone of the job's window texts (its session time zone).
    pub zone: Zone,
    /// Where the job goes; `-` is stdout.
    pub out: PathBuf,
    /// Replace `out` when it exists.
    pub force: bool,
    /// A replay file to stage in the job's replay folder.
    pub stage: Option<PathBuf>,
}

/// What the input of a live run is, for its checkpoint: another input is another query.
pub fn live_input(format: Format, query: &Query) -> String {
    match query.event_time_column() {
        None => format!("socket, {} lines, arrival time", format.name()),
        Some(_) => format!(
            "socket, {} lines, event time {}",
            format.name(),
            query.event_time_name()
        ),
    }
}

/// A command, ready to run.
#[derive(Debug, Clone)]
pub enum Command {
    Live(LiveConfig),
    Replay(ReplayConfig),
    Serve(ServeConfig),
    Export(ExportConfig),
    /// Text the command line gives about itself (shell completions, the manual page), for
    /// stdout.
    Print(Vec<u8>),
}

//! The command line: clap's view of it lives in [`args`]; this module turns it into the plain,
//! validated [`config`](crate::app::config) once, so nothing past it sees clap. A value that
//! cannot work (a bad duration, a slide longer than the window, a zero trigger, a bad pattern)
//! is one clear error here, before anything runs.

mod applies;
mod args;
mod env;
mod errors;
mod export_args;
mod help;
mod man;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::CommandFactory;

pub use args::*;
pub use errors::parse;

use crate::app::command::export::WindowPattern;
use crate::app::config::{
    self, ExportConfig, ExportSource, Format, GeneratorConfig, LiveConfig, LogConfig, QueryConfig,
    ReplayConfig, ServeConfig, SinkConfig, SourceConfig,
};
use crate::app::error::BadInput;
use crate::app::sink::file_sink_refusal;
use crate::app::sink::window_text::WindowText;
use crate::engine::{
    DataType, EventTime, OutputMode, Query, Schema, WindowRequest, Zone, parse_group_by,
};

impl Cli {
    /// The command this command line asks for, validated; times are written in `zone`.
    pub fn into_command(self, zone: Zone) -> Result<config::Command, BadInput> {
        Ok(match self.command {
            Some(Command::Replay(args)) => config::Command::Replay(args.into_config(zone)?),
            Some(Command::Serve(args)) => config::Command::Serve(args.into_config()?),
            Some(Command::ExportSpark(args)) => config::Command::Export(args.into_config(zone)?),
            Some(Command::Completions(args)) => config::Command::Print(completions(args.shell)),
            Some(Command::Man) => config::Command::Print(man_page()?),
            None => config::Command::Live(self.live.into_config(zone)?),
        })
    }
}

fn bad(e: impl std::fmt::Display) -> BadInput {
    BadInput(e.to_string())
}

/// The completion script for `shell`.
///
/// `clap_complete` 4.6's bash script spells a subcommand's state two ways for a name with a
/// hyphen (clap-rs/clap#6421): its loop sets `window__tui__subcmd__replay`, its `case` arms
/// read `window__subcmd__tui__subcmd__replay`, so no subcommand's options complete. The arms
/// are spelled as the loop spells them here until a release fixes it.
fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "window-tui", &mut out);
    if shell != clap_complete::Shell::Bash {
        return out;
    }
    String::from_utf8_lossy(&out)
        .replace("window__subcmd__tui", "window__tui")
        .into_bytes()
}

/// The manual page, roff: one page, the commands' sections in it ([`man`]).
fn man_page() -> Result<Vec<u8>, BadInput> {
    man::page().map_err(|e| BadInput(format!("cannot render the manual page: {e}")))
}

impl QueryArgs {
    /// The query as stated; `payload` stands for the `timestamp` column.
    fn into_config(self) -> Result<QueryConfig, BadInput> {
        let schema = self
            .schema
            .as_deref()
            .map(str::parse::<Schema>)
            .transpose()
            .map_err(bad)?;
        let event_time = match self.event_time.trim() {
            "arrival" => EventTime::Arrival,
            "payload" => EventTime::Column("timestamp".into()),
            column => EventTime::Column(column.trim_matches('`').to_string()),
        };
        let window = match self.session_gap {
            Some(gap) => WindowRequest::Session { gap },
            None => WindowRequest::Sliding {
                size: self
                    .window
                    .unwrap_or(crate::engine::Duration::from_secs(30)),
                slide: match (self.window, self.slide) {
                    (_, Some(slide)) => slide,
                    (Some(window), None) => window,
                    (None, None) => crate::engine::Duration::from_secs(15),
                },
            },
        };
        Ok(QueryConfig {
            schema,
            event_time,
            group_by: parse_group_by(&self.group_by),
            aggs: self.aggs.0,
            window,
            delay: self.watermark,
            mode: match self.output_mode {
                OutputModeArg::Append => OutputMode::Append,
                OutputModeArg::Update => OutputMode::Update,
                OutputModeArg::Complete => OutputMode::Complete,
            },
            max_windows_per_event: self.max_windows_per_event,
        })
    }
}

/// The query of a live stream read in `format`: its schema (by default the socket source's
/// `value STRING`; `--event-time payload` is `timestamp TIMESTAMP, value STRING` CSV lines).
fn live_query(args: QueryArgs, format: FormatArg) -> Result<(Query, Format), BadInput> {
    let payload = args.event_time.trim() == "payload";
    let mut config = args.into_config()?;
    let format = match (format, payload) {
        (FormatArg::Text, false) => Format::Text,
        (FormatArg::Json, false) => Format::Json,
        (FormatArg::Csv, _) | (_, true) => Format::Csv,
    };
    let schema = match (&config.schema, payload, format) {
        (None, true, _) => "timestamp TIMESTAMP, value STRING".parse().map_err(bad)?,
        (Some(_), true, _) => {
            return Err(BadInput(
                "--event-time payload stands for the schema \"timestamp TIMESTAMP, value STRING\"; with --schema, name the event-time column instead (--format csv --event-time COLUMN)".into(),
            ));
        }
        (None, false, Format::Text) => Schema::value_string(),
        (None, false, _) => {
            return Err(BadInput(format!(
                "--format {} reads the columns --schema names; give one, like --schema \"ts TIMESTAMP, user STRING, bytes LONG\"",
                format.name()
            )));
        }
        (Some(schema), false, Format::Text) => {
            if schema.len() != 1 || schema.field(0).ty != DataType::String {
                return Err(BadInput(format!(
                    "--format text reads the whole line as one STRING column; --schema \"{schema}\" has other columns (use --format csv or json)"
                )));
            }
            schema.clone()
        }
        (Some(schema), false, _) => schema.clone(),
    };
    config.schema = Some(schema.clone());
    Ok((config.resolve(schema).map_err(bad)?, format))
}

/// Spark's file sink takes append mode only.
fn check_sinks(sinks: &SinkConfig, mode: OutputMode) -> Result<(), BadInput> {
    match file_sink_refusal(mode) {
        Some(why) if sinks.kinds.contains(&config::SinkKind::File) => Err(BadInput(format!(
            "{why}; use --output-mode append, or the console or json sink"
        ))),
        _ => Ok(()),
    }
}

impl SinkArgs {
    fn into_config(self, zone: Zone) -> Result<SinkConfig, BadInput> {
        WindowText::new(&self.window_format, zone.clone()).map_err(bad)?;
        if self.sinks.contains(&SinkKind::Console) && self.sinks.contains(&SinkKind::Json) {
            return Err(BadInput(
                "--sink console and --sink json both write to stdout, where their lines would \
                 interleave (no reader takes both): choose one of them (--sink file goes with \
                 either)"
                    .into(),
            ));
        }
        Ok(SinkConfig {
            kinds: self.sinks.into_iter().map(config::SinkKind::from).collect(),
            output: self.output,
            progress: self.progress,
            window_format: self.window_format,
            zone,
        })
    }
}

impl From<SinkKind> for config::SinkKind {
    fn from(kind: SinkKind) -> Self {
        match kind {
            SinkKind::Console => config::SinkKind::Console,
            SinkKind::File => config::SinkKind::File,
            SinkKind::Json => config::SinkKind::Json,
        }
    }
}

impl From<LogArgs> for LogConfig {
    fn from(args: LogArgs) -> Self {
        LogConfig {
            file: args.log,
            level: args.log_level,
        }
    }
}

impl ReplayArgs {
    fn into_config(self, zone: Zone) -> Result<ReplayConfig, BadInput> {
        let query = self.query.into_config()?;
        let sinks = self.sinks.into_config(zone)?;
        check_sinks(&sinks, query.mode)?;
        Ok(ReplayConfig {
            query,
            sinks,
            on_bad_row: match self.on_bad_row {
                OnBadRow::Error => config::OnBadRow::Error,
                OnBadRow::Skip => config::OnBadRow::Skip,
            },
            // `-` is standard input, as for most tools that read a file.
            events: if self.events.as_os_str() == "-" {
                PathBuf::from("/dev/stdin")
            } else {
                self.events
            },
            checkpoint: self.checkpoint,
            clean: self.clean,
            speed: self.speed,
            play: self.play,
            max_line_bytes: self.max_line_bytes.0,
            flush_at_end: self.flush_at_end,
            max_state_rows: self.max_state_rows,
        })
    }
}

impl GeneratorArgs {
    /// The generator `kind` with these pace and content; `choose` is the option that chooses
    /// the file generator (`--generator file`, or serve's `--output file`).
    fn into_config(self, kind: Generator, choose: &str) -> Result<GeneratorConfig, BadInput> {
        if self.delay.micros() < 0 {
            return Err(BadInput("--delay must not be negative".into()));
        }
        let kind = match kind {
            Generator::Random => config::Generator::Random,
            Generator::File => config::Generator::File,
        };
        if kind == config::Generator::File && self.file.is_none() {
            return Err(BadInput("the file generator needs --file PATH".into()));
        }
        if kind == config::Generator::Random && self.file.is_some() {
            return Err(BadInput(format!(
                "--file (or WINDOW_TUI_FILE) is sent only by the file generator: add {choose}"
            )));
        }
        Ok(GeneratorConfig {
            kind,
            file: self.file,
            delay: self.delay.to_std(),
            repeat: self.repeat,
            count: self.count,
        })
    }
}

impl ServeArgs {
    fn into_config(self) -> Result<ServeConfig, BadInput> {
        Ok(ServeConfig {
            generator: self.generator.into_config(self.output, "--output file")?,
            host: self.host,
            port: self.port,
            log: self.log.into(),
        })
    }
}

impl LiveArgs {
    fn into_config(self, zone: Zone) -> Result<LiveConfig, BadInput> {
        let source = match &self.source {
            Some(text) => {
                let (host, port) =
                    parse_host_port(text).map_err(|e| BadInput(format!("--source: {e}")))?;
                SourceConfig::External {
                    host,
                    port,
                    reconnect: self.reconnect,
                }
            }
            None => {
                SourceConfig::Embedded(self.pace.into_config(self.generator, "--generator file")?)
            }
        };
        if self.trigger.micros() <= 0 {
            return Err(BadInput("--trigger must be longer than zero".into()));
        }
        let (query, format) = live_query(self.query, self.format)?;
        let sinks = self.sinks.into_config(zone)?;
        check_sinks(&sinks, query.mode())?;
        Ok(LiveConfig {
            query,
            format,
            sinks,
            headless: self.headless,
            output_typed: self.output_typed,
            trigger: self.trigger,
            source,
            record: self.record,
            max_line_bytes: self.max_line_bytes.0,
            checkpoint: self.checkpoint,
            checkpointing: !self.no_checkpoint,
            clean: self.clean,
            flush_at_end: self.flush_at_end,
            max_state_rows: self.max_state_rows,
            log: self.log.into(),
        })
    }
}

impl ExportArgs {
    fn into_config(self, zone: Zone) -> Result<ExportConfig, BadInput> {
        if self.trigger.micros() < 0 {
            return Err(BadInput(format!(
                "--trigger must not be negative (got {})",
                self.trigger
            )));
        }
        let source = if let Some(dir) = &self.replay_dir {
            ExportSource::ReplayDir(utf8("--replay-dir", dir)?)
        } else {
            let (host, port) =
                parse_host_port(&self.source).map_err(|e| BadInput(format!("--source: {e}")))?;
            ExportSource::Socket { host, port }
        };
        WindowPattern::from_chrono(&self.window_format)?;
        // Staged files are CSV whatever --format says (it is how socket lines are read): a
        // typed schema needs no --format csv there.
        let format = match self.format {
            FormatArg::Text if self.replay_dir.is_some() && self.query.schema.is_some() => {
                FormatArg::Csv
            }
            format => format,
        };
        let (query, format) = live_query(self.query, format)?;
        let sink = match self.sink {
            JobSink::Console => config::SinkKind::Console,
            JobSink::File => config::SinkKind::File,
        };
        if sink == config::SinkKind::File && query.mode() != OutputMode::Append {
            return Err(BadInput(format!(
                "the file sink takes append mode only (Spark's file sink supports append mode only, not {})",
                query.mode().name()
            )));
        }
        Ok(ExportConfig {
            query,
            format,
            trigger: self.trigger,
            sink,
            output: utf8("--output", &self.output)?,
            checkpoint: utf8("--checkpoint", &self.checkpoint)?,
            source,
            window_format: self.window_format,
            zone,
            out: self.out,
            force: self.force,
            stage: self.stage,
        })
    }
}

/// The path, if it is UTF-8 text (the exported program holds it in a Python string).
fn utf8(flag: &str, path: &Path) -> Result<PathBuf, BadInput> {
    match path.to_str() {
        Some(_) => Ok(path.to_path_buf()),
        None => Err(BadInput(format!(
            "{flag} {} is not UTF-8 text",
            path.display()
        ))),
    }
}

/// A byte count: `1048576`, `64KiB`, `1MiB`, `1GiB` (also `KB`, `MB`, `GB` as powers of 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl ByteSize {
    /// The largest size taken: a line is held whole in memory, and a longer one is surely not a
    /// line of a stream.
    pub const MAX: usize = 1 << 30;
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        if unit.starts_with(['.', ',']) {
            return Err(format!(
                "{text:?}: a whole number of bytes, KiB, MiB or GiB (no fraction, as in Spark's \
                 sizes: 1536KiB for 1.5MiB)"
            ));
        }
        let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kib" => 1 << 10,
            "m" | "mib" => 1 << 20,
            "g" | "gib" => 1 << 30,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            other => {
                return Err(format!(
                    "{other:?} is not a byte unit (use KiB, MiB or GiB)"
                ));
            }
        };
        let n: usize = number
            .parse()
            .map_err(|_| format!("{text:?} is not a byte count (write it like 1MiB)"))?;
        match n.checked_mul(scale) {
            Some(bytes @ 1..=ByteSize::MAX) => Ok(ByteSize(bytes)),
            _ => Err(format!("{text:?} must be between 1 byte and 1GiB")),
        }
    }
}

/// The slowest and fastest replay playback, in batches per second.
pub const SPEEDS: std::ops::RangeInclusive<f64> = 0.125..=1024.0;

fn playback_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if SPEEDS.contains(&speed) => Ok(speed),
        _ => Err(format!(
            "{text:?} is not a number of batches per second from {} to {}",
            SPEEDS.start(),
            SPEEDS.end()
        )),
    }
}

/// Parses `HOST:PORT` into something to connect to, keeping the host name for messages.
pub fn parse_host_port(text: &str) -> Result<(String, u16), String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok((addr.ip().to_string(), addr.port()));
    }
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?} is not HOST:PORT"))?;
    let port = port
        .parse()
        .map_err(|_| format!("{port:?} in {text:?} is not a port number"))?;
    if host.is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    Ok((host.trim_matches(['[', ']']).to_string(), port))
}

#[cfg(test)]
mod tests;

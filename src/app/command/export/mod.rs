//! `window-tui export-spark`: the query as a standalone `PySpark` Structured Streaming program, the
//! seed's `window_append_streaming.py` generalised to the whole query family.
//!
//! The program reads the stream server (Spark's socket source, lines stamped on arrival, parsed
//! as `--format` says: the whole line, CSV fields or a JSON object, into the schema's columns)
//! or a folder of staged CSV files (a window-tui recording's rows, one file per trigger tick),
//! and runs `withWatermark(ET, DELAY).groupBy(window(ET, W, S) | session_window(ET, GAP),
//! *GROUP_BY).agg(...)` in the query's output mode into Spark's console sink, or (append mode
//! only) its CSV file sink partitioned by the same window column, with the checkpoint and
//! trigger given. The dashboard's `e` key calls [`write_job`].
//!
//! [`query`] turns the engine's query into Python, [`command`] gives the window-tui command
//! line back, [`pattern`] translates `--window-format`, [`text`] quotes and fills the template.

mod command;
mod pattern;
mod query;
pub mod stage;
mod text;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use pattern::WindowPattern;

use crate::app::config::{ExportConfig, ExportSource, Format, SinkKind};
use crate::app::durable;
use crate::app::error::BadInput;
use crate::app::lock::LOCK_FILE;
use crate::engine::{Duration, OutputMode, Query};
use text::{doc_text, py_str, shell_lines, shell_word, wrap};

/// The Apache Spark release the program is written and checked against.
pub const SPARK_VERSION: &str = "3.5.3";

/// The seed's file name, the name to give a program that has none of its own.
pub const DEFAULT_JOB_FILE: &str = "window_append_streaming.py";

/// The program, with `@NAME@` placeholders and `# <block>` sections: the source (`socket`,
/// `replay`), the line format (`text`, `csv`, `json`) and the helpers they need.
const TEMPLATE: &str = include_str!("window_append_streaming.py.in");

/// Everything the program is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The query, as window-tui runs it on live lines.
    pub query: Query,
    /// How the job reads socket lines.
    pub format: Format,
    /// The processing-time trigger interval.
    pub trigger: Duration,
    /// Console or file (Spark has no JSON-lines sink to match window-tui's `json`); file in
    /// append mode only.
    pub sink: SinkKind,
    /// The file sink's folder (the program's `APP_DATA_OUTPUT_DIR`).
    pub output: PathBuf,
    /// The checkpoint folder.
    pub checkpoint: PathBuf,
    pub source: ExportSource,
    pub window_pattern: WindowPattern,
}

/// The program's text, naming itself [`DEFAULT_JOB_FILE`] in its instructions.
pub fn job(spec: &JobSpec) -> String {
    render(spec, DEFAULT_JOB_FILE)
}

/// Writes the program to `path` (executable), naming itself after `path`. A file already there
/// is replaced (atomically) only when `replace` is set; otherwise the error says it exists (see
/// [`durable::already_exists`]) and the file is left as it was.
pub fn write_job(spec: &JobSpec, path: &Path, replace: bool) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| DEFAULT_JOB_FILE.into(), |n| n.to_string_lossy());
    let text = render(spec, &name);
    // `durable` syncs the parent folder, which a bare file name must name.
    let path = if path.parent() == Some(Path::new("")) {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    if !replace {
        return durable::write_new(&path, 0o755, |out| out.write_all(text.as_bytes()));
    }
    durable::write_atomically(&path, |out| {
        out.write_all(text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            out.get_ref()
                .set_permissions(std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    })
}

/// `window-tui export-spark`: the program for the command line's query, to `-o FILE` or stdout.
pub fn run(config: &ExportConfig) -> anyhow::Result<()> {
    let spec = JobSpec::new(config)?;
    refuse_window_tui_folders(config)?;
    let to_stdout = config.out == Path::new("-");
    if let (Some(events), ExportSource::ReplayDir(dir)) = (&config.stage, &config.source) {
        // Checked before anything is written; the rows staged (the file checked against the
        // job's columns first) before the job is.
        if !to_stdout && !config.force && config.out.exists() {
            return Err(exists(&config.out).into());
        }
        let query = spec.job_query();
        let columns: Vec<&str> = std::iter::once("batch")
            .chain(query.schema().fields().iter().map(|f| f.name.as_str()))
            .collect();
        let staged = stage::stage(events, dir, Some(&columns))?;
        crate::diag!("window-tui: {}", staged.said(events, dir));
    }
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        (stdout
            .write_all(job(&spec).as_bytes())
            .and_then(|()| stdout.flush()))
        .context("cannot write to stdout")?;
        return Ok(());
    }
    if let Err(e) = write_job(&spec, &config.out, config.force) {
        if durable::already_exists(&e) {
            return Err(exists(&config.out).into());
        }
        return Err(e);
    }
    crate::diag!("window-tui: {}", written(&spec, &config.out));
    Ok(())
}

/// The job's checkpoint or output folder refused when it is window-tui's own (it holds
/// [`LOCK_FILE`]): Spark would write its files among window-tui's, and the job's `--clean`
/// (which removes what Spark writes there: `metadata`, `_spark_metadata`, `window=...`) would
/// remove window-tui's checkpoint and output. The job checks it again where it runs.
fn refuse_window_tui_folders(config: &ExportConfig) -> Result<(), BadInput> {
    let folders = [
        (&config.checkpoint, "--checkpoint", "checkpoint-spark"),
        (&config.output, "--output", "output-spark"),
    ];
    match folders
        .into_iter()
        .find(|(dir, ..)| dir.join(LOCK_FILE).exists())
    {
        Some((dir, flag, example)) => Err(BadInput(format!(
            "{flag} {} is a folder window-tui writes (it holds {LOCK_FILE}): the job needs one of \
             its own, or Spark would write among window-tui's files and the job's --clean would \
             remove them; give it another, like {flag} {example}",
            dir.display()
        ))),
        None => Ok(()),
    }
}

/// The refusal of a job file that exists.
fn exists(out: &Path) -> BadInput {
    BadInput(format!(
        "{} exists; export-spark does not overwrite a file without --force",
        out.display()
    ))
}

/// What the closing line says of the job written to `out`: its query as the job runs it (a
/// job of staged files names their event-time column, `event_time`).
fn written(spec: &JobSpec, out: &Path) -> String {
    format!(
        "wrote {}, a PySpark {SPARK_VERSION} job ({}, {} sink); run it with \
         `spark-submit --master local[2] {}`",
        out.display(),
        spec.job_query(),
        spec.sink.name(),
        shell_word(&out.to_string_lossy())
    )
}

/// Spark's file sink takes append mode only: asking for it in another mode is refused, as
/// Spark refuses it.
pub fn check_sink(sink: SinkKind, mode: OutputMode) -> Result<(), BadInput> {
    if sink == SinkKind::File && mode != OutputMode::Append {
        return Err(BadInput(format!(
            "the file sink takes append mode only (Spark's file sink supports append mode only, \
             not {}); export with --sink console",
            mode.name()
        )));
    }
    Ok(())
}

impl JobSpec {
    /// The program an export config describes.
    pub fn new(config: &ExportConfig) -> Result<Self, BadInput> {
        check_sink(config.sink, config.query.mode())?;
        if let ExportSource::ReplayDir(_) = config.source {
            query::staged_query(&config.query)?;
        }
        Ok(JobSpec {
            query: config.query.clone(),
            format: config.format,
            trigger: config.trigger,
            sink: config.sink,
            output: config.output.clone(),
            checkpoint: config.checkpoint.clone(),
            source: config.source.clone(),
            window_pattern: WindowPattern::from_chrono(&config.window_format)?,
        })
    }

    /// The query the program runs: over staged files, window-tui's replay query of a
    /// recording (its `event_time` column for rows stamped on arrival).
    fn job_query(&self) -> Query {
        match self.source {
            ExportSource::Socket { .. } => self.query.clone(),
            ExportSource::ReplayDir(_) => {
                query::staged_query(&self.query).unwrap_or_else(|_| self.query.clone())
            }
        }
    }
}

/// The template with the source's and format's blocks kept and every placeholder filled in.
fn render(spec: &JobSpec, file_name: &str) -> String {
    let q = spec.job_query();
    let schema = q.schema();
    let arrival = query::arrival_column(schema);
    let run = match &spec.source {
        ExportSource::Socket { host, port } => socket_run_doc(host, *port, spec.format, file_name),
        ExportSource::ReplayDir(dir) => format!(
            "    # stage the files in {dir} as said above (window-tui export-spark with this \
             job's options\n    # and --stage EVENTS.csv does), then:\n{}",
            submit_doc(file_name),
            dir = py_str(&dir.to_string_lossy()),
        ),
    };
    let (host, port, dir) = match &spec.source {
        ExportSource::Socket { host, port } => (py_str(host), port.to_string(), String::new()),
        ExportSource::ReplayDir(dir) => {
            (String::new(), String::new(), py_str(&dir.to_string_lossy()))
        }
    };
    let append = q.mode() == OutputMode::Append;
    let values = [
        ("WINDOW_TUI_VERSION", env!("CARGO_PKG_VERSION").to_string()),
        ("SPARK_VERSION", SPARK_VERSION.to_string()),
        ("TITLE", query::title(&q)),
        ("QUERY_CODE", query::code(&q)),
        (
            "MODE_TEXT",
            wrap(
                &format!(
                    "{} A micro-batch starts every {} (processing-time trigger).",
                    doc_text(&query::mode_text(&q)),
                    spec.trigger
                ),
                100,
                0,
                "",
            ),
        ),
        ("TRIGGER", spec.trigger.to_string()),
        (
            "INPUT",
            wrap(&doc_text(&input_doc(spec, &q)), 100, 7, "       "),
        ),
        ("SINK", spec.sink.name().to_string()),
        (
            "CONSOLE_DOC",
            wrap(
                &format!(
                    "a `Batch: N` table per micro-batch, columns {} (truncate=False);",
                    doc_text(&query::output_names(&q))
                ),
                100,
                11,
                "           ",
            ),
        ),
        ("FILE_SINK_DOC", file_sink_doc(spec, &q)),
        ("RUN", run),
        ("WINDOW_TUI_COMMAND", window_tui_command(spec)),
        ("WINDOW_CONSTANTS", query::window_constants(&q)),
        ("WATERMARK", q.delay().to_string()),
        ("MODE", q.mode().name().to_string()),
        ("EVENT_TIME", py_str(query::event_time(&q, &arrival))),
        ("ARRIVAL", py_str(&arrival)),
        ("TEXT_COLUMN", py_str(&schema.field(0).name)),
        ("COLUMNS_LIST", query::columns_list(schema)),
        ("CORRUPT", py_str(&query::corrupt_column(schema))),
        ("TRANSFORMATIONS_DOC", query::transformations_doc(&q)),
        ("GROUP_BY", query::group_by(&q)),
        ("AGGREGATES", query::aggregates(&q)),
        ("OUTPUT_COLUMNS", query::output_columns(&q)),
        (
            "SINKS",
            if append {
                r#"["console", "file"]"#
            } else {
                r#"["console"]"#
            }
            .to_string(),
        ),
        ("OUTPUT_DIR", py_str(&spec.output.to_string_lossy())),
        ("CHECKPOINT_DIR", py_str(&spec.checkpoint.to_string_lossy())),
        ("CHECKPOINT_DOC", checkpoint_doc(spec)),
        (
            "RESUMES",
            if matches!(spec.source, ExportSource::Socket { .. }) {
                "False"
            } else {
                "True"
            }
            .to_string(),
        ),
        ("WINDOW_PATTERN", py_str(spec.window_pattern.spark())),
        ("STREAM_HOST", host),
        ("STREAM_PORT", port),
        ("REPLAY_DIR", dir),
    ];
    text::substitute(&text::keep_blocks(TEMPLATE, &blocks(spec)), &values)
}

/// The template's blocks a job keeps: its source's, its line format's, and the helpers they use
/// (`columns` and `corrupt` for typed lines, `cells` to read text cells as values).
fn blocks(spec: &JobSpec) -> Vec<&'static str> {
    match (&spec.source, spec.format) {
        (ExportSource::ReplayDir(_), _) => vec!["replay", "columns", "cells"],
        (ExportSource::Socket { .. }, Format::Text) => vec!["socket", "text"],
        (ExportSource::Socket { .. }, Format::Csv) => {
            vec!["socket", "csv", "columns", "corrupt", "cells"]
        }
        (ExportSource::Socket { .. }, Format::Json) => {
            vec!["socket", "json", "columns", "corrupt", "cells"]
        }
    }
}

/// What the program reads, for its docstring.
fn input_doc(spec: &JobSpec, q: &Query) -> String {
    let schema = q.schema();
    let event_time = match q.event_time_column() {
        Some(at) => format!("The event time is the column {}.", schema.field(at).name),
        None => "Its event time is when Spark read it.".to_string(),
    };
    match (&spec.source, spec.format) {
        (ExportSource::Socket { host, port }, format) => {
            let lines = format!(
                "the lines a stream server sends to {}:{port} (Spark's socket source), each \
                 stamped with its arrival time (includeTimestamp)",
                command::display_host(host)
            );
            match format {
                Format::Text => format!(
                    "{lines}: the whole line is the value of the column {}, a string. \
                     {event_time}",
                    schema.field(0).name
                ),
                Format::Csv => format!(
                    "{lines}, each a CSV record of the columns {schema}, in order (RFC 4180 \
                     quoting; an empty field is NULL; a TIMESTAMP is text Spark reads as \
                     one, or epoch milliseconds). {event_time} A line that does not fit is dropped, as \
                     window-tui rejects it."
                ),
                Format::Json => format!(
                    "{lines}, each a JSON object whose members are the columns {schema}, by name \
                     (Spark's from_json). {event_time} A line that does not fit is dropped, as \
                     window-tui rejects it."
                ),
            }
        }
        (ExportSource::ReplayDir(dir), _) => {
            let header: Vec<&str> = std::iter::once("batch")
                .chain(schema.fields().iter().map(|f| f.name.as_str()))
                .collect();
            format!(
                "CSV files staged in \"{dir}\", one file per trigger tick, read oldest first (by \
                 modification time), one file per micro-batch. Each file has the header `{}`, \
                 as a window-tui recording (--record) has: the rows of batch N, as they are, \
                 make file N. `\\N` is NULL, quoting is RFC 4180's, and the columns are {schema}. \
                 {event_time} Write a file aside (a name starting with `.` or `_` is not read) and \
                 rename it into the folder once complete. A tick without rows gets no file: the \
                 trigger runs Spark's no-data batch by itself.",
                header.join(","),
                dir = dir.display(),
            )
        }
    }
}

/// What the docstring says of the checkpoint: Spark's socket source cannot continue from one.
fn checkpoint_doc(spec: &JobSpec) -> String {
    let dir = py_str(&spec.checkpoint.to_string_lossy());
    let text = match spec.source {
        ExportSource::ReplayDir(_) => format!(
            "The checkpoint folder, {dir}, keeps the job's progress: a restart continues where it \
             stopped; --clean removes the checkpoint and the output first (the seed's cleanup())."
        ),
        ExportSource::Socket { .. } => format!(
            "The checkpoint folder, {dir}, keeps the job's progress, but Spark's socket source \
             cannot continue from it (it keeps no lines to read again): the job refuses a local \
             checkpoint folder an earlier run left (not one on hdfs:// or s3a://), and --clean \
             removes it and the output first (the seed's cleanup())."
        ),
    };
    wrap(&doc_text(&text), 100, 0, "")
}

/// The file sink's lines of the docstring: where and what it writes, or (not in append mode)
/// that Spark has none for this query.
fn file_sink_doc(spec: &JobSpec, q: &Query) -> String {
    if q.mode() != OutputMode::Append {
        return format!(
            "  (no file sink: Spark's file sink takes append mode only, not {} mode)",
            q.mode().name()
        );
    }
    let partition = if spec.window_pattern == WindowPattern::default() {
        "window=173300-173330"
    } else {
        "window=<start>-<end>"
    };
    let text = format!(
        "CSV files partitioned by window, under {}: {partition}/part-00000-<uuid>.c000.csv, \
         holding `{}` rows without a header, quoted as RFC 4180 says (as window-tui writes \
         them).",
        py_str(&spec.output.to_string_lossy()),
        doc_text(&q.output_names()[1..].join(","))
    );
    format!("  file     {}", wrap(&text, 100, 11, "           "))
}

/// How to start the stream server and the program, for the docstring: the seed's server
/// sends integers, which a job of CSV or JSON lines would reject, so such a job's server
/// sends a file of its records instead.
fn socket_run_doc(host: &str, port: u16, format: Format, file_name: &str) -> String {
    let (what, records) = match format {
        Format::Text => (String::new(), "the stream server"),
        Format::Csv => (
            " --output file --file records.csv".to_string(),
            "one CSV record a line",
        ),
        Format::Json => (
            " --output file --file records.jsonl".to_string(),
            "one JSON object a line",
        ),
    };
    let server = if matches!(host, "localhost" | "127.0.0.1" | "::1") {
        format!("    window-tui serve --port {port}{what} &    # {records}")
    } else {
        format!(
            "    # on {}: window-tui serve --host 0.0.0.0 --port {port}{what}",
            doc_text(host)
        )
    };
    format!("{server}\n{}", submit_doc(file_name))
}

fn submit_doc(file_name: &str) -> String {
    let file = doc_text(&shell_word(file_name));
    format!(
        "    spark-submit --master local[2] {file}\n\
         or, with PySpark installed (pip install pyspark=={SPARK_VERSION}):\n    \
         python3 {file} --master local[2]"
    )
}

/// The window-tui command that runs the same query on the same input, continued (` \`) over
/// lines of at most 100 columns in the docstring.
fn window_tui_command(spec: &JobSpec) -> String {
    shell_lines(&command::window_tui_words(spec), 100 - 4, "        ")
        .lines()
        .map(doc_text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;

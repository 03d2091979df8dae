//! `window-tui export-spark`: the query as a standalone `PySpark` Structured Streaming program, the
//! seed's `window_append_streaming.py` generalised.
//!
//! The program reads the stream server (socket source with arrival timestamps) or a folder of
//! staged CSV files with event times, applies the watermark and
//! `groupBy(value, window(timestamp, WINDOW, SLIDE)).count()` in append mode, and writes Spark's
//! console sink or its CSV file sink partitioned by the same `HHmmss-HHmmss` window column,
//! with the checkpoint and trigger given. The dashboard's `e` key calls [`write_job`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::format::StrftimeItems;

use crate::app::config::{ExportConfig, ExportSource, Format, SinkKind};
use crate::app::durable;
use crate::app::error::BadInput;
use crate::engine::{Duration, Query, WindowKind};

/// The Apache Spark release the program is written and checked against.
pub const SPARK_VERSION: &str = "3.5.3";

/// The seed's file name, the name to give a program that has none of its own.
pub const DEFAULT_JOB_FILE: &str = "window_append_streaming.py";

/// The program, with `@NAME@` placeholders and `# <socket>` / `# <replay>` blocks.
const TEMPLATE: &str = include_str!("window_append_streaming.py.in");

/// The pattern of each end of the window column: a chrono pattern (window-tui's
/// `--window-format`) and the Spark datetime pattern that writes the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPattern {
    chrono: String,
    spark: String,
}

impl Default for WindowPattern {
    /// `%H%M%S`, Spark's `HHmmss`: the seed's `173300-173330`.
    fn default() -> Self {
        WindowPattern {
            chrono: "%H%M%S".into(),
            spark: "HHmmss".into(),
        }
    }
}

impl WindowPattern {
    /// Translates a chrono pattern; a specifier without a Spark equivalent is refused.
    pub fn from_chrono(pattern: &str) -> Result<Self, BadInput> {
        if pattern.is_empty() || StrftimeItems::new(pattern).parse().is_err() {
            return Err(BadInput(format!(
                "--window-format {pattern:?} is not a valid chrono pattern"
            )));
        }
        let mut spark = String::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            // A specifier runs to its conversion letter (or `%`): `%H`, `%-d`, `%.3f`, `%:z`.
            let mut spec = String::new();
            for next in chars.by_ref() {
                spec.push(next);
                if next.is_ascii_alphabetic() || next == '%' {
                    break;
                }
            }
            let (text, letters) = match spec.as_str() {
                "%" => ("%", ""),
                ".3f" => (".", "SSS"),
                ".6f" => (".", "SSSSSS"),
                ".9f" => (".", "SSSSSSSSS"),
                other => ("", spark_letters(other).ok_or_else(|| unsupported(&spec))?),
            };
            literal.push_str(text);
            if !letters.is_empty() {
                spark.push_str(&quote_literal(&std::mem::take(&mut literal)));
                spark.push_str(letters);
            }
        }
        spark.push_str(&quote_literal(&literal));
        Ok(WindowPattern {
            chrono: pattern.to_string(),
            spark,
        })
    }

    /// The chrono pattern, as window-tui's `--window-format` takes it.
    pub fn chrono(&self) -> &str {
        &self.chrono
    }

    /// The Spark datetime pattern (`date_format`).
    pub fn spark(&self) -> &str {
        &self.spark
    }
}

/// The Spark pattern letters of a chrono specifier (without its `%`).
fn spark_letters(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "Y" => "yyyy",
        "y" => "yy",
        "m" => "MM",
        "-m" => "M",
        "b" | "h" => "MMM",
        "B" => "MMMM",
        "d" => "dd",
        "-d" => "d",
        "j" => "DDD",
        "a" => "EEE",
        "A" => "EEEE",
        "H" => "HH",
        "-H" => "H",
        "I" => "hh",
        "-I" => "h",
        "M" => "mm",
        "-M" => "m",
        "S" => "ss",
        "-S" => "s",
        "p" => "a",
        "3f" => "SSS",
        "6f" => "SSSSSS",
        "9f" => "SSSSSSSSS",
        "z" => "Z",
        ":z" => "xxx",
        "F" => "yyyy-MM-dd",
        "T" => "HH:mm:ss",
        "R" => "HH:mm",
        "D" => "MM/dd/yy",
        _ => return None,
    })
}

fn unsupported(spec: &str) -> BadInput {
    BadInput(format!(
        "--window-format: %{spec} has no Spark equivalent here; use %Y %y %m %b %B %d %j %a %A \
         %H %I %M %S %p %3f %6f %9f %.3f %.6f %.9f %z %:z %F %T %R %D %%, %-d %-m %-H %-I %-M %-S \
         and plain text"
    ))
}

/// Literal text in a Spark (java.time) pattern: quoted when it holds a letter or a reserved
/// character, with `'` doubled.
fn quote_literal(text: &str) -> String {
    if text
        .chars()
        .any(|c| c.is_ascii_alphabetic() || "'[]{}#".contains(c))
    {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_string()
    }
}

/// Everything the program is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The query.
    pub query: Query,
    /// How the job reads socket lines.
    pub format: Format,
    /// The processing-time trigger interval.
    pub trigger: Duration,
    /// Console or file (Spark has no JSON-lines sink to match window-tui's `json`).
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
    if config.out == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(job(&spec).as_bytes())?;
        stdout.flush()?;
        return Ok(());
    }
    if let Err(e) = write_job(&spec, &config.out, config.force) {
        if durable::already_exists(&e) {
            return Err(BadInput(format!(
                "{} exists; export-spark does not overwrite a file without --force",
                config.out.display()
            ))
            .into());
        }
        return Err(e);
    }
    eprintln!(
        "window-tui: wrote {}, a PySpark {SPARK_VERSION} job ({}, {} sink); run it with \
         `spark-submit --master local[2] {}`",
        config.out.display(),
        spec.query,
        spec.sink.name(),
        shell_word(&config.out.to_string_lossy())
    );
    Ok(())
}

impl JobSpec {
    /// The program an export config describes.
    pub fn new(config: &ExportConfig) -> Result<Self, BadInput> {
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
}

/// The template with the source's block kept and every placeholder filled in.
fn render(spec: &JobSpec, file_name: &str) -> String {
    let (block, input, run) = match &spec.source {
        ExportSource::Socket { host, port } => (
            "socket",
            format!(
                "the lines a stream server sends to {}:{port} (Spark's socket source), each \
                 stamped with its arrival time (includeTimestamp): the value is the whole line, \
                 a string; its event time is when Spark read it.",
                display_host(host)
            ),
            socket_run_doc(host, *port, file_name),
        ),
        ExportSource::ReplayDir(dir) => (
            "replay",
            format!(
                "CSV files staged in {dir}, one file per trigger tick, read oldest first (by \
                 modification time), one file per micro-batch. Each file has the header \
                 `event_time,value`; event_time is RFC 3339 (2026-11-23T17:33:14.999999Z), value \
                 any string, quoted as RFC 4180 says. Write a file aside (a name starting with `.` \
                 or `_` is not read) and rename it into the folder once complete. A tick without \
                 rows gets no file: the trigger runs Spark's no-data batch by itself. From a \
                 window-tui recording (`batch,event_time,value`), the rows of batch N make file N.",
                dir = py_str(&dir.to_string_lossy()),
            ),
            format!(
                "    # stage files in {} as said above, then:\n{}",
                py_str(&dir.to_string_lossy()),
                submit_doc(file_name)
            ),
        ),
    };
    let values = [
        ("WINDOW_TUI_VERSION", env!("CARGO_PKG_VERSION").to_string()),
        ("SPARK_VERSION", SPARK_VERSION.to_string()),
        ("WINDOW", window_and_slide(&spec.query).0.to_string()),
        ("SLIDE", window_and_slide(&spec.query).1.to_string()),
        ("WATERMARK", spec.query.delay().to_string()),
        ("TRIGGER", spec.trigger.to_string()),
        ("SINK", spec.sink.name().to_string()),
        (
            "PARTITION",
            if spec.window_pattern == WindowPattern::default() {
                "window=173300-173330".into()
            } else {
                "window=<start>-<end>".into()
            },
        ),
        ("INPUT", wrap(&input, 100, "Input: ".len(), "       ")),
        ("RUN", run),
        ("WINDOW_TUI_COMMAND", doc_text(&window_tui_command(spec))),
        ("OUTPUT_DIR", py_str(&spec.output.to_string_lossy())),
        ("CHECKPOINT_DIR", py_str(&spec.checkpoint.to_string_lossy())),
        ("WINDOW_PATTERN", py_str(spec.window_pattern.spark())),
        (
            "STREAM_HOST",
            match &spec.source {
                ExportSource::Socket { host, .. } => py_str(host),
                ExportSource::ReplayDir(_) => String::new(),
            },
        ),
        (
            "STREAM_PORT",
            match &spec.source {
                ExportSource::Socket { port, .. } => port.to_string(),
                ExportSource::ReplayDir(_) => String::new(),
            },
        ),
        (
            "REPLAY_DIR",
            match &spec.source {
                ExportSource::ReplayDir(dir) => py_str(&dir.to_string_lossy()),
                ExportSource::Socket { .. } => String::new(),
            },
        ),
    ];
    substitute(&keep_block(TEMPLATE, block), &values)
}

/// How to start the stream server and the program, for the docstring.
fn socket_run_doc(host: &str, port: u16, file_name: &str) -> String {
    let server = if matches!(host, "localhost" | "127.0.0.1" | "::1") {
        format!("    window-tui serve --port {port} &    # the stream server")
    } else {
        format!(
            "    # on {}: window-tui serve --host 0.0.0.0 --port {port}",
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

/// The window length and slide of a query (a session's gap, twice, for session windows).
fn window_and_slide(query: &Query) -> (Duration, Duration) {
    match query.window() {
        WindowKind::Sliding(spec) => (
            Duration::from_micros(spec.size()),
            Duration::from_micros(spec.slide()),
        ),
        WindowKind::Session { gap } => (gap, gap),
    }
}

/// The window-tui command that runs the same query on the same input, into window-tui's own
/// output folder (never the job's: the two must not write one folder).
fn window_tui_command(spec: &JobSpec) -> String {
    let q = &spec.query;
    let mut words: Vec<String> = vec!["window-tui".into()];
    match &spec.source {
        ExportSource::Socket { host, port } => {
            words.push("--source".into());
            words.push(format!("{}:{port}", display_host(host)));
        }
        ExportSource::ReplayDir(_) => words.extend(["replay".into(), "EVENTS.csv".into()]),
    }
    let (window, slide) = window_and_slide(q);
    for (flag, value) in [
        ("--window", window),
        ("--slide", slide),
        ("--watermark", q.delay()),
    ] {
        words.push(flag.into());
        words.push(value.to_string());
    }
    if matches!(spec.source, ExportSource::Socket { .. }) {
        words.push("--trigger".into());
        words.push(spec.trigger.to_string());
    }
    words.push("--sink".into());
    words.push(spec.sink.name().into());
    if spec.window_pattern != WindowPattern::default() {
        words.push("--window-format".into());
        words.push(spec.window_pattern.chrono().into());
    }
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(&shell_word(word));
    }
    line
}

/// `[::1]` for an IPv6 address, the host as it is otherwise.
fn display_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A word for a POSIX shell: as it is when safe, else in single quotes.
fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A Python string literal in double quotes.
fn py_str(text: &str) -> String {
    format!("\"{}\"", doc_text(text))
}

/// Text made safe inside a Python string or docstring: backslashes, quotes and control
/// characters escaped.
fn doc_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Fills `@NAME@` placeholders in one pass (a value is never scanned again).
fn substitute(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        let value = (after[name_len..].starts_with('@'))
            .then(|| values.iter().find(|(n, _)| *n == &after[..name_len]))
            .flatten();
        if let Some((_, value)) = value {
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('@');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Keeps the lines of `# <block>` ... `# </block>` for the chosen block, drops the other
/// blocks, and drops the marker lines.
fn keep_block(template: &str, keep: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut inside: Option<&str> = None;
    for line in template.split_inclusive('\n') {
        let marker = line.trim_end();
        if let Some(name) = marker
            .strip_prefix("# </")
            .and_then(|m| m.strip_suffix('>'))
        {
            debug_assert_eq!(inside, Some(name), "unbalanced template block");
            inside = None;
            continue;
        }
        if let Some(name) = marker.strip_prefix("# <").and_then(|m| m.strip_suffix('>')) {
            inside = Some(name);
            continue;
        }
        if inside.is_none_or(|name| name == keep) {
            out.push_str(line);
        }
    }
    out
}

/// `text` wrapped at `width` columns; the first line starts `first` columns in, the others
/// with `indent`.
fn wrap(text: &str, width: usize, first: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut column = first;
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && column + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            column = indent.len();
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        line_empty = false;
    }
    out
}

#[cfg(test)]
mod tests;

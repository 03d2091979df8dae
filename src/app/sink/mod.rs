//! Sinks: where a finished batch goes. Console (Spark's `Batch: N` tables), file (Spark's
//! partitioned CSV layout with its `_spark_metadata` log) and json (one object per row).

pub mod background;
pub mod cells;
pub mod console;
pub mod file;
pub mod json;
pub mod part_name;
pub mod paths;
pub mod sink_log;
pub mod window_text;

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use crate::app::config::{SinkConfig, SinkKind};
use crate::app::error::OrBadInput;
use crate::engine::{BatchOutput, MICROS_PER_SECOND, OutputMode, Query};

/// Where a checkpointed run resumes, for its sinks: the next batch, and the query's id (the same
/// after every restart), which names the file sink's part files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub next_batch: u64,
    pub query_id: String,
}

/// One destination for finished batches.
pub trait Sink: Send {
    /// Writes a finished batch, whole, before returning.
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()>;

    /// [`Sink::write_batch`] of a batch its caller shares: a sink that holds on to a batch after
    /// returning (one written on a thread of its own) takes a reference rather than a copy.
    fn write_shared(&mut self, batch: &Arc<BatchOutput>) -> anyhow::Result<()> {
        self.write_batch(batch)
    }

    /// A one-line description for progress reports (`sink.description`).
    fn describe(&self) -> String;

    /// Files written so far (the file sink's part files).
    fn files_written(&self) -> u64 {
        0
    }

    /// Waits until every batch given is written, for a sink that writes on a thread of its own
    /// ([`background::Background`]); the error of a batch that was not.
    fn sync(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Opens a sink of a kind, when it is first switched on.
pub type SinkOpener = Box<dyn FnMut(SinkKind) -> anyhow::Result<Box<dyn Sink>> + Send>;

/// The sinks of a run, each on or off; a sink is opened when it is first switched on.
pub struct SinkSet {
    opener: SinkOpener,
    slots: Vec<Slot>,
}

struct Slot {
    kind: SinkKind,
    sink: Option<Box<dyn Sink>>,
    enabled: bool,
    batches: u64,
    rows: u64,
    error: Option<String>,
    /// The last batch this sink took: a batch retried after another sink failed is not written
    /// twice.
    written: Option<u64>,
}

/// A sink's state, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkStatus {
    pub kind: SinkKind,
    pub enabled: bool,
    pub description: Option<String>,
    pub batches: u64,
    pub rows: u64,
    pub files: u64,
    /// The last write failed with this.
    pub error: Option<String>,
}

/// The batch a sink could not write, as an error's context: `cannot write batch 31`.
#[derive(Debug)]
pub struct WrittenBatch(pub u64);

impl std::fmt::Display for WrittenBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write batch {}", self.0)
    }
}

impl SinkSet {
    /// Opens the `enabled` sinks now, so a bad output folder is an error before anything runs.
    pub fn new(opener: SinkOpener, enabled: &[SinkKind]) -> anyhow::Result<Self> {
        let mut set = SinkSet {
            opener,
            slots: Vec::new(),
        };
        for &kind in enabled {
            set.set_enabled(kind, true)?;
        }
        Ok(set)
    }

    /// Switches a sink on (opening it the first time) or off.
    pub fn set_enabled(&mut self, kind: SinkKind, on: bool) -> anyhow::Result<()> {
        let index = if let Some(index) = self.slots.iter().position(|s| s.kind == kind) {
            index
        } else {
            self.slots.push(Slot {
                kind,
                sink: None,
                enabled: false,
                batches: 0,
                rows: 0,
                error: None,
                written: None,
            });
            self.slots.len() - 1
        };
        let slot = &mut self.slots[index];
        if on && slot.sink.is_none() {
            match (self.opener)(kind) {
                Ok(sink) => slot.sink = Some(sink),
                Err(e) => {
                    slot.error = Some(format!("{e:#}"));
                    return Err(e);
                }
            }
        }
        slot.enabled = on;
        Ok(())
    }

    pub fn is_enabled(&self, kind: SinkKind) -> bool {
        self.slots.iter().any(|s| s.kind == kind && s.enabled)
    }

    /// Writes the batch to every sink that is on, in the order they were first switched on.
    pub fn write_batch(&mut self, batch: &Arc<BatchOutput>) -> anyhow::Result<()> {
        for slot in self.slots.iter_mut().filter(|s| s.enabled) {
            let Some(sink) = slot.sink.as_mut() else {
                continue;
            };
            if slot.written.is_some_and(|id| id >= batch.id) {
                continue;
            }
            if let Err(e) = sink.write_shared(batch) {
                slot.error = Some(format!("{e:#}"));
                // A sink written in the background says which batch failed (an earlier one).
                let e = if e.downcast_ref::<WrittenBatch>().is_some() {
                    e
                } else {
                    e.context(WrittenBatch(batch.id))
                };
                return Err(e.context(format!("the {} sink", slot.kind.name())));
            }
            slot.error = None;
            slot.written = Some(batch.id);
            slot.batches += 1;
            slot.rows += batch.rows.len() as u64;
        }
        Ok(())
    }

    /// Waits until every sink has written every batch given ([`Sink::sync`]).
    pub fn sync(&mut self) -> anyhow::Result<()> {
        for slot in &mut self.slots {
            let Some(sink) = slot.sink.as_mut() else {
                continue;
            };
            if let Err(e) = sink.sync() {
                slot.error = Some(format!("{e:#}"));
                return Err(e.context(format!("the {} sink", slot.kind.name())));
            }
        }
        Ok(())
    }

    /// The sinks that are on, for progress reports.
    pub fn describe(&self) -> String {
        let names: Vec<String> = self
            .slots
            .iter()
            .filter(|s| s.enabled)
            .filter_map(|s| s.sink.as_ref().map(|sink| sink.describe()))
            .collect();
        names.join(", ")
    }

    pub fn status(&self) -> Vec<SinkStatus> {
        self.slots
            .iter()
            .map(|s| SinkStatus {
                kind: s.kind,
                enabled: s.enabled,
                description: s.sink.as_ref().map(|sink| sink.describe()),
                batches: s.batches,
                rows: s.rows,
                files: s.sink.as_ref().map_or(0, |sink| sink.files_written()),
                error: s.error.clone(),
            })
            .collect()
    }
}

/// Why the file sink cannot take a query in `mode`: Spark's file sink takes append mode only.
pub fn file_sink_refusal(mode: OutputMode) -> Option<String> {
    (mode != OutputMode::Append).then(|| {
        format!(
            "the file sink takes append mode only, as Spark's does, and this query runs in {} mode",
            mode.name()
        )
    })
}

/// Standard output, buffered; sinks flush at the end of every batch.
pub fn stdout() -> BufWriter<io::Stdout> {
    BufWriter::with_capacity(64 * 1024, io::stdout())
}

/// Where the console sink writes: stdout, or the dashboard's buffer.
pub type ConsoleOut = Box<dyn Fn() -> Box<dyn Write + Send> + Send>;

/// Who is told what the file sink left in its folder, and why (the log always is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notices {
    /// Also stderr: a headless run.
    Stderr,
    /// The log only: the dashboard draws on the terminal.
    LogOnly,
}

/// Opens the sinks of `query`'s rows: console to `console`, json to stdout, file to
/// `config.output`. `resume` is where a checkpointed run resumes (see
/// [`file::FileSink::open`]).
pub fn opener(
    config: &SinkConfig,
    query: &Query,
    resume: Option<Resume>,
    console: ConsoleOut,
    notices: Notices,
) -> anyhow::Result<SinkOpener> {
    let cells =
        cells::Cells::new(query, config.zone.clone(), &config.window_format).or_bad_input()?;
    let output = config.output.clone();
    let mode = query.mode();
    // Said once, when the console or file sink (which name windows so) first opens.
    let mut shared_name = query
        .spec()
        .and_then(|spec| shared_window_name(config, spec));
    Ok(Box::new(move |kind| {
        if kind != SinkKind::Json
            && let Some(note) = shared_name.take()
        {
            match notices {
                Notices::Stderr => crate::diag!("window-tui: {note}"),
                Notices::LogOnly => tracing::warn!("{note}"),
            }
        }
        Ok(match kind {
            SinkKind::Console => Box::new(console::ConsoleSink::new(console(), cells.clone())),
            SinkKind::File => {
                if let Some(why) = file_sink_refusal(mode) {
                    return Err(crate::app::error::BadInput(why).into());
                }
                let sink = file::FileSink::open(&output, cells.clone(), resume.as_ref())?;
                if let (Some(notice), Notices::Stderr) = (sink.notice(), notices) {
                    crate::diag!("window-tui: {}", crate::app::error::escape_controls(notice));
                }
                Box::new(sink)
            }
            SinkKind::Json => Box::new(json::JsonSink::new(stdout(), cells.clone())),
        })
    }))
}

/// What to say when `--window-format` names two windows open together alike
/// ([`window_text::WindowText::shared_by_windows`]).
fn shared_window_name(config: &SinkConfig, spec: &crate::engine::WindowSpec) -> Option<String> {
    let text = window_text::WindowText::new(&config.window_format, config.zone.clone()).ok()?;
    let shared = text.shared_by_windows(spec, 0)?;
    Some(format!(
        "--window-format {:?} names two windows open together alike ({shared}): the console \
         and file sinks cannot tell their rows apart, and the file sink puts them in one \
         folder; a finer pattern tells them apart, like {}",
        config.window_format,
        if spec.slide() < MICROS_PER_SECOND {
            "%H%M%S%.3f"
        } else {
            "%Y%m%d%H%M%S"
        }
    ))
}

/// `opener`, with the json sink written on a thread of its own ([`background::Background`]):
/// `replay`'s, where a sink error ends the run (a live run retries a batch whose sink failed,
/// which needs the sink to fail on that batch).
pub fn json_in_background(mut opener: SinkOpener) -> SinkOpener {
    Box::new(move |kind| {
        let sink = opener(kind)?;
        Ok(match kind {
            SinkKind::Json => Box::new(background::Background::new(sink)?),
            _ => sink,
        })
    })
}

/// [`opener`] with the console sink on stdout.
pub fn stdout_opener(
    config: &SinkConfig,
    query: &Query,
    resume: Option<Resume>,
) -> anyhow::Result<SinkOpener> {
    opener(
        config,
        query,
        resume,
        Box::new(|| Box::new(stdout())),
        Notices::Stderr,
    )
}

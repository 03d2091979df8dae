//! Sinks: where a finished batch goes. Console (Spark's `Batch: N` tables), file (Spark's
//! partitioned CSV layout with its `_spark_metadata` log) and json (one object per row).

pub mod console;
pub mod file;
pub mod json;
pub mod sink_log;
pub mod window_text;

use crate::engine::BatchOutput;

/// The sinks a pipeline writes to, in order.
pub type Sinks = Vec<Box<dyn Sink>>;

/// One destination for finished batches.
pub trait Sink {
    /// Writes a finished batch, whole, before returning.
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()>;

    /// A one-line description for progress reports (`sink.description`).
    fn describe(&self) -> String;
}

use std::io::{self, BufWriter};

use crate::app::cli::{SinkArgs, SinkKind};
use crate::app::error::OrBadInput;
use crate::app::progress::ProgressLog;

/// Standard output, buffered; sinks flush at the end of every batch.
pub fn stdout() -> BufWriter<io::Stdout> {
    BufWriter::with_capacity(64 * 1024, io::stdout())
}

/// Opens the sinks `--sink` names (each once) and the `--progress` log.
pub fn open(args: &SinkArgs) -> anyhow::Result<(Sinks, Option<ProgressLog>)> {
    let windows = window_text::WindowText::new(&args.window_format, window_text::Zone::Local)
        .or_bad_input()?;
    let mut sinks: Sinks = Vec::new();
    let mut seen = Vec::new();
    for kind in &args.sinks {
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        sinks.push(match kind {
            SinkKind::Console => Box::new(console::ConsoleSink::new(stdout(), windows.clone())),
            SinkKind::File => Box::new(file::FileSink::open(&args.output, windows.clone())?),
            SinkKind::Json => Box::new(json::JsonSink::new(stdout())),
        });
    }
    let progress = args
        .progress
        .as_deref()
        .map(ProgressLog::create)
        .transpose()?;
    Ok((sinks, progress))
}

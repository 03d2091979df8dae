//! `window-tui replay`: a recorded stream, replayed deterministically. Rows of one `batch` tick
//! form one data batch; a gap in tick numbers is an idle tick; the replay ends with one idle tick.
//!
//! [`ReplayStepper`] runs it one batch at a time, so the dashboard can step through a recording;
//! [`run`] simply steps to the end.

use crate::app::cli::{OnBadRow, ReplayArgs};
use crate::app::error::{BadInput, OrBadInput};
use crate::app::pipeline::Pipeline;
use crate::app::progress::{ProgressLog, QueryIdentity};
use crate::app::sink::{self, SinkSet};
use crate::app::source::replay_file::{ReadError, ReplayReader};
use crate::engine::{BatchOutput, Engine, Micros};

/// What a replay did, for its closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub rows: u64,
    pub batches: u64,
    pub skipped: u64,
    pub first_skipped: Option<String>,
}

/// Where the stepper is between two batches.
#[derive(Debug)]
enum Phase {
    /// Reading rows into the open batch (if any).
    Reading,
    /// A row of a new tick was read: first an idle tick for any gap, then its batch.
    NewTick {
        tick: u64,
        event_time: Micros,
        value: String,
    },
    /// The file is read; one idle tick is left.
    FinalIdle,
    Done,
}

/// Replays a file through a pipeline, one batch per [`ReplayStepper::step`].
pub struct ReplayStepper<R> {
    reader: ReplayReader<R>,
    pipeline: Pipeline,
    on_bad_row: OnBadRow,
    /// The tick whose batch is open.
    open: Option<u64>,
    /// The last tick that ran a batch.
    last: Option<u64>,
    phase: Phase,
    summary: ReplaySummary,
}

impl<R: std::io::Read> ReplayStepper<R> {
    pub fn new(reader: ReplayReader<R>, pipeline: Pipeline, on_bad_row: OnBadRow) -> Self {
        ReplayStepper {
            reader,
            pipeline,
            on_bad_row,
            open: None,
            last: None,
            phase: Phase::Reading,
            summary: ReplaySummary::default(),
        }
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    pub fn pipeline_mut(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    pub fn summary(&self) -> &ReplaySummary {
        &self.summary
    }

    /// Ticks the replay has gone through.
    pub fn ticks(&self) -> u64 {
        self.last.map_or(0, |t| t + 1)
    }

    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Runs up to and including the next batch; `None` once the replay is over.
    pub fn step(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Reading) {
                Phase::Done => {
                    self.phase = Phase::Done;
                    return Ok(None);
                }
                Phase::FinalIdle => {
                    self.phase = Phase::Done;
                    if let Some(batch) = self.pipeline.idle_tick()? {
                        self.summary.batches += 1;
                        return Ok(Some(batch));
                    }
                }
                Phase::NewTick {
                    tick,
                    event_time,
                    value,
                } => {
                    let gap = self.last.map_or(tick > 0, |last| tick > last + 1);
                    if gap {
                        // The gap's idle ticks are passed, whatever the idle tick runs.
                        self.last = Some(tick - 1);
                    }
                    if gap && let Some(batch) = self.pipeline.idle_tick()? {
                        self.summary.batches += 1;
                        self.phase = Phase::NewTick {
                            tick,
                            event_time,
                            value,
                        };
                        return Ok(Some(batch));
                    }
                    self.begin(tick, event_time, &value);
                }
                Phase::Reading => {
                    if let Some(batch) = self.read()? {
                        return Ok(Some(batch));
                    }
                }
            }
        }
    }

    fn begin(&mut self, tick: u64, event_time: Micros, value: &str) {
        self.pipeline.start_tick(true);
        self.pipeline.push(event_time, value);
        self.summary.rows += 1;
        self.open = Some(tick);
    }

    /// Reads rows into the open batch until its tick ends; returns the finished batch then.
    fn read(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        loop {
            let row = match self.reader.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => {
                    self.phase = Phase::FinalIdle;
                    return self.close_open();
                }
                Err(ReadError::Bad(bad)) if self.on_bad_row == OnBadRow::Skip => {
                    self.summary.skipped += 1;
                    self.summary
                        .first_skipped
                        .get_or_insert_with(|| bad.to_string());
                    continue;
                }
                Err(ReadError::Bad(bad)) => {
                    // Rows come in ascending ticks: a bad row of a later tick means the open
                    // tick was complete, so it is still written whole.
                    if self
                        .open
                        .is_some_and(|open| bad.tick.is_some_and(|t| t > open))
                    {
                        self.close_open()?;
                    }
                    self.phase = Phase::Done;
                    return Err(BadInput(bad.to_string()).into());
                }
                Err(e @ ReadError::Io { .. }) => {
                    self.phase = Phase::Done;
                    return Err(e.into());
                }
            };
            if self.open == Some(row.tick) {
                self.pipeline.push(row.event_time, row.value);
                self.summary.rows += 1;
                continue;
            }
            self.phase = Phase::NewTick {
                tick: row.tick,
                event_time: row.event_time,
                value: row.value.to_owned(),
            };
            return self.close_open();
        }
    }

    /// Finishes the open batch, if any.
    fn close_open(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        let Some(tick) = self.open.take() else {
            return Ok(None);
        };
        self.last = Some(tick);
        self.summary.batches += 1;
        self.pipeline.finish_batch().map(Some)
    }
}

/// Opens the file `args` names, then a pipeline writing to the sinks `sinks` opens (and to
/// `--progress`): nothing is created when the file cannot be read.
pub fn open(
    args: &ReplayArgs,
    sinks: impl FnOnce() -> anyhow::Result<SinkSet>,
) -> anyhow::Result<ReplayStepper<std::fs::File>> {
    let query = args.query.query().or_bad_input()?;
    let reader = ReplayReader::open(&args.events, args.max_line_bytes.0)
        .map_err(|e| BadInput(e.to_string()))?;
    let sinks = sinks()?;
    let identity = QueryIdentity::new(format!("Replay[{}]", args.events.display()));
    let progress = args
        .sinks
        .progress
        .as_deref()
        .map(ProgressLog::create)
        .transpose()?;
    let pipeline = Pipeline::new(Engine::new(query), sinks, progress, identity);
    Ok(ReplayStepper::new(reader, pipeline, args.on_bad_row))
}

/// Replays the whole file into the sinks `--sink` names.
pub fn run(args: &ReplayArgs) -> anyhow::Result<ReplaySummary> {
    let opener = sink::stdout_opener(&args.sinks)?;
    let mut stepper = open(args, || SinkSet::new(opener, &args.sinks.sinks))?;
    while stepper.step()?.is_some() {}
    Ok(stepper.summary.clone())
}

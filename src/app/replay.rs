//! `window-tui replay`: a recorded stream, replayed deterministically. Rows of one `batch` tick
//! form one data batch; a gap in tick numbers is an idle tick; the replay ends with one idle tick.
//!
//! [`ReplayStepper`] runs it one batch at a time, so the dashboard can step through a recording;
//! [`run`] simply steps to the end. With `--checkpoint`, every batch commits the position of the
//! first row it has not used, and a restart continues from there: the replay is deterministic,
//! so a batch that was cut short runs again exactly as it was.

use std::io::Read;
use std::path::Path;

use crate::app::checkpoint::{Checkpoint, Position, QuerySpec};
use crate::app::cli::{OnBadRow, ReplayArgs};
use crate::app::durable;
use crate::app::error::{BadInput, OrBadInput};
use crate::app::pipeline::Pipeline;
use crate::app::progress::{ProgressLog, QueryIdentity};
use crate::app::sink::{self, SinkSet};
use crate::app::source::read_ahead::ReadAhead;
use crate::app::source::replay_file::{ReadError, ReplayReader, RowSource};
use crate::engine::{BatchOutput, Engine, Micros};

/// What a replay did, for its closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub rows: u64,
    pub batches: u64,
    pub skipped: u64,
    pub first_skipped: Option<String>,
    /// The batch a checkpointed replay resumed at.
    pub resumed_at: Option<u64>,
}

/// A row that opened a new tick, read but not yet in a batch.
#[derive(Debug)]
struct Waiting {
    tick: u64,
    event_time: Micros,
    value: String,
    offset: u64,
    line: u64,
}

/// Where the stepper is between two batches.
#[derive(Debug)]
enum Phase {
    /// Reading rows into the open batch (if any).
    Reading,
    /// A row of a new tick was read: first an idle tick for any gap, then its batch.
    NewTick(Waiting),
    /// The file is read; one idle tick is left.
    FinalIdle,
    /// A bad row stops the replay once the batch before it is written.
    Stopped(String),
    Done,
}

/// Replays a file through a pipeline, one batch per [`ReplayStepper::step`].
pub struct ReplayStepper<S> {
    reader: S,
    pipeline: Pipeline,
    on_bad_row: OnBadRow,
    /// The tick whose batch is open.
    open: Option<u64>,
    /// The last tick passed (its batch run, or its idle tick gone by).
    last: Option<u64>,
    phase: Phase,
    summary: ReplaySummary,
}

impl<S: RowSource> ReplayStepper<S> {
    pub fn new(reader: S, pipeline: Pipeline, on_bad_row: OnBadRow) -> Self {
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

    /// Whether every batch has run and been written.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done) && !self.pipeline.has_unwritten()
    }

    /// Where a restart would resume: the first row not yet in a batch.
    fn position(&self) -> Position {
        let (offset, line) = match &self.phase {
            Phase::NewTick(row) => (row.offset, row.line),
            _ => self.reader.position(),
        };
        Position::Replay {
            last_tick: self.last,
            offset,
            line,
        }
    }

    /// Runs up to and including the next batch; `None` once the replay is over.
    pub fn step(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        let result = if self.pipeline.has_unwritten() {
            // A sink failed on the last batch: it gets that batch again before anything new runs.
            self.pipeline.retry()
        } else {
            self.run_next()
        };
        if let Ok(Some(_)) = result {
            self.summary.batches += 1;
        }
        result
    }

    fn run_next(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Reading) {
                Phase::Done => {
                    self.phase = Phase::Done;
                    return Ok(None);
                }
                Phase::Stopped(bad) => {
                    self.phase = Phase::Done;
                    return Err(BadInput(bad).into());
                }
                Phase::FinalIdle => {
                    let tick = self.ticks();
                    self.last = Some(tick);
                    self.phase = Phase::Done;
                    if let Some(batch) = self.pipeline.idle_tick(tick, self.position())? {
                        return Ok(Some(batch));
                    }
                }
                Phase::NewTick(row) => {
                    let gap = self.last.map_or(row.tick > 0, |last| row.tick > last + 1);
                    if gap {
                        // The gap's idle ticks are passed, whatever the idle tick runs.
                        let idle = self.ticks();
                        self.last = Some(row.tick - 1);
                        self.phase = Phase::NewTick(row);
                        if let Some(batch) = self.pipeline.idle_tick(idle, self.position())? {
                            return Ok(Some(batch));
                        }
                        let Phase::NewTick(row) =
                            std::mem::replace(&mut self.phase, Phase::Reading)
                        else {
                            unreachable!("set just above");
                        };
                        self.begin(row)?;
                    } else {
                        self.begin(row)?;
                    }
                }
                Phase::Reading => {
                    if let Some(batch) = self.read()? {
                        return Ok(Some(batch));
                    }
                }
            }
        }
    }

    fn begin(&mut self, row: Waiting) -> anyhow::Result<()> {
        self.pipeline.start_tick(true, row.tick, None)?;
        self.pipeline.push(row.event_time, &row.value);
        let pipeline = &mut self.pipeline;
        self.summary.rows += 1 + self
            .reader
            .rows_of_tick(row.tick, |t, value| pipeline.push(t, value));
        self.open = Some(row.tick);
        Ok(())
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
                    // tick was complete, so it is still written whole (and a restart resumes at
                    // the bad row). Should a sink fail on it, the stop waits for its retry.
                    self.phase = Phase::Stopped(bad.to_string());
                    if self
                        .open
                        .is_some_and(|open| bad.tick.is_some_and(|t| t > open))
                    {
                        self.close_open_at(bad.offset, bad.line)?;
                    }
                    self.phase = Phase::Done;
                    return Err(BadInput(bad.to_string()).into());
                }
                Err(e @ ReadError::Io { .. }) => {
                    self.phase = Phase::Done;
                    return Err(e.into());
                }
            };
            let tick = row.tick;
            if self.open == Some(tick) {
                self.pipeline.push(row.event_time, row.value);
                let pipeline = &mut self.pipeline;
                self.summary.rows += 1 + self
                    .reader
                    .rows_of_tick(tick, |t, value| pipeline.push(t, value));
                continue;
            }
            self.phase = Phase::NewTick(Waiting {
                tick: row.tick,
                event_time: row.event_time,
                value: row.value.to_owned(),
                offset: row.offset,
                line: row.line,
            });
            return self.close_open();
        }
    }

    /// Finishes the open batch, if any.
    fn close_open(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        let (offset, line) = match &self.phase {
            Phase::NewTick(row) => (row.offset, row.line),
            _ => self.reader.position(),
        };
        self.close_open_at(offset, line)
    }

    /// Finishes the open batch, if any; a restart resumes at `offset`, `line`.
    fn close_open_at(&mut self, offset: u64, line: u64) -> anyhow::Result<Option<BatchOutput>> {
        let Some(tick) = self.open.take() else {
            return Ok(None);
        };
        self.last = Some(tick);
        let position = Position::Replay {
            last_tick: self.last,
            offset,
            line,
        };
        self.pipeline.finish_batch(position).map(Some)
    }
}

/// What identifies a replay file for its checkpoint: path, size, and a checksum of its start.
fn replay_input(path: &Path) -> anyhow::Result<String> {
    let canonical = std::fs::canonicalize(path).or_bad_input()?;
    let size = std::fs::metadata(&canonical).or_bad_input()?.len();
    let mut head = vec![0; 64 * 1024];
    let mut file = std::fs::File::open(&canonical).or_bad_input()?;
    let n = file.read(&mut head).or_bad_input()?;
    Ok(format!(
        "replay of {} ({size} bytes, crc {:08x})",
        canonical.display(),
        crc32fast::hash(&head[..n])
    ))
}

/// Opens the file `args` names, then a pipeline writing to the sinks `sinks` opens (given the
/// next batch of a checkpointed run) and to
/// `--progress`: nothing is created when the file cannot be read. With `--checkpoint`, the
/// replay continues where the checkpoint says.
pub fn open<S: RowSource>(
    args: &ReplayArgs,
    sinks: impl FnOnce(Option<u64>) -> anyhow::Result<SinkSet>,
    source: impl FnOnce(ReplayReader<std::fs::File>) -> S,
) -> anyhow::Result<ReplayStepper<S>> {
    let query = args.query.query().or_bad_input()?;
    let mut reader = ReplayReader::open(&args.events, args.max_line_bytes.0)
        .map_err(|e| BadInput(e.to_string()))?;
    if args.clean {
        if let Some(dir) = &args.checkpoint {
            durable::remove_dir(dir)?;
        }
        durable::remove_dir(&args.sinks.output)?;
    }
    let mut identity = QueryIdentity::new(format!("Replay[{}]", args.events.display()));
    let mut engine = Engine::new(query);
    let mut checkpoint = None;
    let mut resume = None;
    if let Some(dir) = &args.checkpoint {
        let spec = QuerySpec::new(
            &query,
            &args.sinks.window_format,
            replay_input(&args.events)?,
        );
        let (opened, restored) = Checkpoint::open(dir, query, &spec)?;
        identity.id = restored.query_id;
        engine = restored.engine;
        if let Some(last) = restored.last {
            let Position::Replay {
                last_tick,
                offset,
                line,
            } = last.position
            else {
                return Err(BadInput(format!(
                    "the checkpoint {} is not a replay's",
                    dir.display()
                ))
                .into());
            };
            reader
                .seek(offset, line, last_tick)
                .map_err(|e| BadInput(e.to_string()))?;
            resume = Some((last_tick, last.batch_id + 1));
        }
        checkpoint = Some(opened);
    }
    let sinks = sinks(checkpoint.as_ref().map(|_| engine.next_batch_id()))?;
    let progress = ProgressLog::optional(args.sinks.progress.as_deref())?;
    let mut pipeline = Pipeline::new(engine, sinks, progress, identity);
    if let Some(checkpoint) = checkpoint {
        pipeline = pipeline.with_checkpoint(checkpoint);
    }
    let mut stepper = ReplayStepper::new(source(reader), pipeline, args.on_bad_row);
    if let Some((last_tick, next_batch)) = resume {
        stepper.last = last_tick;
        stepper.summary.resumed_at = Some(next_batch);
    }
    Ok(stepper)
}

/// Replays the whole file into the sinks `--sink` names, reading it ahead on a second thread.
pub fn run(args: &ReplayArgs) -> anyhow::Result<ReplaySummary> {
    let sinks = |resume| SinkSet::new(sink::stdout_opener(&args.sinks, resume)?, &args.sinks.sinks);
    let mut stepper = open(args, sinks, ReadAhead::start)?;
    if let Some(batch) = stepper.summary.resumed_at {
        eprintln!("window-tui: resuming the replay at batch {batch} (checkpoint)");
    }
    while stepper.step()?.is_some() {}
    Ok(stepper.summary.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::app::cli::SinkKind;
    use crate::app::sink::Sink;
    use crate::engine::Query;

    /// A sink that fails each batch id listed, once per listing, and records what it wrote.
    struct Flaky {
        fail: Arc<Mutex<VecDeque<u64>>>,
        written: Arc<Mutex<Vec<u64>>>,
    }

    impl Sink for Flaky {
        fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
            let mut fail = self.fail.lock().unwrap();
            if let Some(at) = fail.iter().position(|&id| id == batch.id) {
                fail.remove(at);
                anyhow::bail!("No space left on device");
            }
            self.written.lock().unwrap().push(batch.id);
            Ok(())
        }

        fn describe(&self) -> String {
            "Flaky".into()
        }
    }

    /// A stepper over `rows` (without the header) into a sink failing batches `fail`.
    fn stepper(
        rows: &str,
        fail: &[u64],
    ) -> (
        ReplayStepper<ReadAhead>,
        Arc<Mutex<Vec<u64>>>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(&path, format!("batch,event_time,value\n{rows}")).unwrap();
        let fail = Arc::new(Mutex::new(fail.iter().copied().collect()));
        let written = Arc::new(Mutex::new(Vec::new()));
        let opener: sink::SinkOpener = {
            let written = written.clone();
            Box::new(move |_| {
                Ok(Box::new(Flaky {
                    fail: fail.clone(),
                    written: written.clone(),
                }) as Box<dyn Sink>)
            })
        };
        let pipeline = Pipeline::new(
            Engine::new(Query::seed()),
            SinkSet::new(opener, &[SinkKind::File]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        );
        let reader = ReadAhead::start(ReplayReader::open(&path, 1 << 20).unwrap());
        (
            ReplayStepper::new(reader, pipeline, OnBadRow::Error),
            written,
            dir,
        )
    }

    #[test]
    fn a_final_batch_a_sink_failed_on_is_retried_before_the_replay_is_done() {
        let (mut replay, written, _dir) =
            stepper("0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n", &[2]);
        assert_eq!(replay.step().unwrap().unwrap().id, 0);
        assert_eq!(replay.step().unwrap().unwrap().id, 1);
        // The final idle tick runs a no-data batch (the watermark moved); its sink fails.
        assert!(replay.step().is_err());
        assert!(!replay.is_done(), "batch 2 is not written yet");
        assert_eq!(replay.step().unwrap().unwrap().id, 2);
        assert!(replay.is_done());
        assert_eq!(replay.step().unwrap(), None);
        assert_eq!(*written.lock().unwrap(), [0, 1, 2]);
        assert_eq!(replay.summary().batches, 3, "each batch counted once");
    }

    #[test]
    fn a_bad_row_still_stops_the_replay_when_the_batch_before_it_had_to_be_retried() {
        let (mut replay, written, _dir) = stepper(
            "0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n2,yesterday,c\n3,2026-11-23T17:35:00Z,d\n",
            &[1],
        );
        assert_eq!(replay.step().unwrap().unwrap().id, 0);
        // Batch 1 closes on the bad row of tick 2, and its sink fails.
        let err = format!("{:#}", replay.step().unwrap_err());
        assert!(err.contains("No space left"), "{err}");
        assert_eq!(replay.step().unwrap().unwrap().id, 1, "the retry");
        let err = replay.step().unwrap_err();
        assert!(
            err.downcast_ref::<BadInput>()
                .is_some_and(|e| e.to_string().contains(":4: event_time")),
            "{err:#}"
        );
        assert!(replay.is_done());
        assert_eq!(*written.lock().unwrap(), [0, 1], "nothing past the bad row");
    }
}

//! `window-tui replay`: a recorded stream, replayed deterministically. Rows of one `batch` tick
//! form one data batch; a gap in tick numbers is an idle tick; the replay ends with one idle tick.
//!
//! [`ReplayStepper`] runs it one batch at a time, so the dashboard can step through a recording;
//! [`run`] simply steps to the end. With `--checkpoint`, every batch commits the position of the
//! first row it has not used, and a restart continues from there: the replay is deterministic,
//! so a batch that was cut short runs again exactly as it was.

use std::io::Read;
use std::path::Path;

use crate::app::runtime::checkpoint::{Checkpoint, Position, QuerySpec};
use crate::app::command::replay_bar::ReplayBar;
use crate::app::config::{OnBadRow, ReplayConfig};
use crate::app::error::{BadInput, OrBadInput, escape_controls};
use crate::app::runtime::folders;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::runtime::progress::{ProgressLog, QueryIdentity};
use crate::app::sink::{self, SinkSet};
use crate::app::source::read_ahead::ReadAhead;
use crate::app::source::replay_file::{BadRow, ReadError, ReplayReader, Row, RowSource};
use crate::engine::{Batch, BatchKind, BatchOutput, Engine, Micros};

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
    /// No batch is open: the next row read opens the next tick.
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
                Phase::Reading => self.phase = self.read_head()?,
                Phase::NewTick(row) => {
                    let gap = self.last.map_or(row.tick > 0, |last| row.tick > last + 1);
                    if !gap {
                        return self.run_tick(row).map(Some);
                    }
                    // The gap's idle ticks are passed, whatever the idle tick runs.
                    let idle = self.ticks();
                    self.last = Some(row.tick - 1);
                    self.phase = Phase::NewTick(row);
                    if let Some(batch) = self.pipeline.idle_tick(idle, self.position())? {
                        return Ok(Some(batch));
                    }
                }
            }
        }
    }

    /// Reads the row that opens the next tick: what comes next.
    fn read_head(&mut self) -> anyhow::Result<Phase> {
        loop {
            return match self.reader.next_row() {
                Ok(Some(row)) => Ok(Phase::NewTick(Waiting::from(&row))),
                Ok(None) => Ok(Phase::FinalIdle),
                Err(ReadError::Bad(bad)) if self.on_bad_row == OnBadRow::Skip => {
                    self.skipped(&bad);
                    continue;
                }
                Err(ReadError::Bad(bad)) => {
                    self.phase = Phase::Done;
                    Err(BadInput(bad.to_string()).into())
                }
                Err(e @ ReadError::Io { .. }) => {
                    self.phase = Phase::Done;
                    Err(e.into())
                }
            };
        }
    }

    fn skipped(&mut self, bad: &BadRow) {
        self.summary.skipped += 1;
        self.summary
            .first_skipped
            .get_or_insert_with(|| bad.to_string());
    }

    /// Runs the batch of the tick `head` opens: its rows up to the next tick, a bad row or the
    /// end of the file.
    fn run_tick(&mut self, head: Waiting) -> anyhow::Result<BatchOutput> {
        let tick = head.tick;
        let mut first = Some(head);
        let mut next = None;
        let (reader, summary, on_bad_row) = (&mut self.reader, &mut self.summary, self.on_bad_row);
        let result = self
            .pipeline
            .run_batch(BatchKind::Data, tick, None, |batch| {
                let head = first.take().expect("fed once");
                let (phase, offset, line) = feed_tick(reader, summary, on_bad_row, &head, batch)?;
                next = Some(phase);
                Ok(Position::Replay {
                    last_tick: Some(tick),
                    offset,
                    line,
                })
            });
        self.phase = match (first, next) {
            // The batch could not be logged: its rows wait, untouched.
            (Some(head), _) => Phase::NewTick(head),
            // The batch ran (a sink may still owe it): the replay goes on past it.
            (None, Some(phase)) => {
                self.last = Some(tick);
                phase
            }
            // Its rows could not be read: the replay stops.
            (None, None) => Phase::Done,
        };
        result
    }
}

/// Pushes the rows of `head`'s tick into `batch`: `head`, then every row up to the next tick.
/// Returns what comes after them, and where it starts in the file.
fn feed_tick<S: RowSource>(
    reader: &mut S,
    summary: &mut ReplaySummary,
    on_bad_row: OnBadRow,
    head: &Waiting,
    batch: &mut Batch<'_>,
) -> anyhow::Result<(Phase, u64, u64)> {
    let tick = head.tick;
    batch.push(head.event_time, &head.value);
    summary.rows += 1 + reader.rows_of_tick(tick, |t, value| batch.push(t, value));
    loop {
        let row = match reader.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => {
                let (offset, line) = reader.position();
                return Ok((Phase::FinalIdle, offset, line));
            }
            Err(ReadError::Bad(bad)) if on_bad_row == OnBadRow::Skip => {
                summary.skipped += 1;
                summary
                    .first_skipped
                    .get_or_insert_with(|| bad.to_string());
                continue;
            }
            // Rows come in ascending ticks: a bad row of a later tick means this tick is
            // complete, so its batch is still written whole (and a restart resumes at the bad
            // row); one of this tick (or of no known tick) stops the replay without it.
            Err(ReadError::Bad(bad)) if bad.tick.is_some_and(|t| t > tick) => {
                return Ok((Phase::Stopped(bad.to_string()), bad.offset, bad.line));
            }
            Err(ReadError::Bad(bad)) => return Err(BadInput(bad.to_string()).into()),
            Err(e @ ReadError::Io { .. }) => return Err(e.into()),
        };
        if row.tick != tick {
            let next = Waiting::from(&row);
            let (offset, line) = (next.offset, next.line);
            return Ok((Phase::NewTick(next), offset, line));
        }
        batch.push(row.event_time, row.value);
        summary.rows += 1 + reader.rows_of_tick(tick, |t, value| batch.push(t, value));
    }
}

impl From<&Row<'_>> for Waiting {
    fn from(row: &Row<'_>) -> Self {
        Waiting {
            tick: row.tick,
            event_time: row.event_time,
            value: row.value.to_owned(),
            offset: row.offset,
            line: row.line,
        }
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
    args: &ReplayConfig,
    sinks: impl FnOnce(Option<sink::Resume>) -> anyhow::Result<SinkSet>,
    source: impl FnOnce(ReplayReader<std::fs::File>) -> S,
) -> anyhow::Result<ReplayStepper<S>> {
    let query = args.query;
    let mut reader = ReplayReader::open(&args.events, args.max_line_bytes)
        .map_err(|e| BadInput(e.to_string()))?;
    folders::claim(
        args.checkpoint.as_deref(),
        args.sinks.file_output(),
        args.clean,
    )?;
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
    let resumes = checkpoint.as_ref().map(|_| sink::Resume {
        next_batch: engine.next_batch_id(),
        query_id: identity.id.clone(),
    });
    let sinks = sinks(resumes.clone())?;
    let progress = ProgressLog::optional(args.sinks.progress.as_deref(), resumes.as_ref())?;
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

/// `window-tui replay` with sinks: the replay, then a closing line of what it did (batches, rows,
/// rows skipped) as the live run's, and the first bad row it skipped.
pub fn main(config: &ReplayConfig) -> anyhow::Result<()> {
    let summary = run(config)?;
    eprintln!(
        "window-tui: {} batches, {} rows; bad rows skipped: {}",
        summary.batches,
        summary.rows,
        if summary.skipped == 0 {
            "none".to_string()
        } else {
            summary.skipped.to_string()
        }
    );
    if summary.skipped > 0 {
        eprintln!(
            "window-tui: skipped {} bad row(s); the first: {}",
            summary.skipped,
            escape_controls(&summary.first_skipped.unwrap_or_default())
        );
    }
    Ok(())
}

/// Replays the whole file into the sinks `--sink` names, reading it ahead on a second thread.
/// When stderr is a terminal a progress bar there shows how much of the file is read.
pub fn run(args: &ReplayConfig) -> anyhow::Result<ReplaySummary> {
    let sinks = |resume| SinkSet::new(sink::stdout_opener(&args.sinks, resume)?, &args.sinks.kinds);
    let mut stepper = open(args, sinks, ReadAhead::start)?;
    if let Some(batch) = stepper.summary.resumed_at {
        eprintln!("window-tui: resuming the replay at batch {batch} (checkpoint)");
    }
    let bar = ReplayBar::start(&args.events);
    loop {
        let next = stepper.step();
        if let Position::Replay { offset, .. } = stepper.position() {
            bar.at(offset, stepper.summary.batches);
        }
        if next?.is_none() {
            break;
        }
    }
    bar.finish();
    Ok(stepper.summary.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::app::config::SinkKind;
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

//! A recorded stream replayed deterministically, one batch per [`ReplayStepper::step`]: rows of
//! one `batch` tick form one data batch; a gap in tick numbers is an idle tick; the replay ends
//! with one idle tick (and, with `--flush-at-end`, one more whose watermark is past every open
//! window: not Spark's behaviour). The dashboard steps through a recording with it; `replay` steps to the
//! end. With a checkpoint, every batch commits the position of the first row it has not used,
//! and a restart continues from there: the replay is deterministic, so a batch that was cut
//! short runs again exactly as it was.

use std::sync::Arc;

use crate::app::config::OnBadRow;
use crate::app::error::BadInput;
use crate::app::runtime::checkpoint::Position;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::source::replay::{BadRow, CountedTick, Head, ReadError, RowRef, RowSource};
use crate::engine::{Batch, BatchKind, BatchOutput, DataType, Row, Rows, TickPartial};

/// What a replay did, for its closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub rows: u64,
    pub batches: u64,
    pub skipped: u64,
    pub first_skipped: Option<String>,
    /// The batch a checkpointed replay resumed at.
    pub resumed_at: Option<u64>,
    /// `--flush-at-end` moved the watermark past every open window at the end.
    pub flushed: bool,
}

/// A row that opened a new tick, read but not yet in a batch, or a whole tick counted.
#[derive(Debug)]
struct Waiting {
    head: Head,
    first: First,
}

#[derive(Debug)]
enum First {
    /// The row alone.
    Row(Rows),
    /// The whole tick, counted; where the row after it starts.
    Counted(Box<TickPartial>, (u64, u64)),
}

impl Waiting {
    fn tick(&self) -> u64 {
        self.head.tick
    }
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
    /// `--flush-at-end`: after the final idle tick, one whose watermark is past every window.
    Flush,
    /// A bad row stops the replay once the batch before it is written.
    Stopped(String),
    Done,
}

/// Replays a file through a pipeline, one batch per [`ReplayStepper::step`].
pub struct ReplayStepper<S> {
    reader: S,
    /// The schema's column types, to read the rows.
    types: Vec<DataType>,
    pipeline: Pipeline,
    on_bad_row: OnBadRow,
    flush_at_end: bool,
    /// The last tick passed (its batch run, or its idle tick gone by).
    last: Option<u64>,
    phase: Phase,
    summary: ReplaySummary,
}

impl<S: RowSource> ReplayStepper<S> {
    pub fn new(reader: S, pipeline: Pipeline, on_bad_row: OnBadRow) -> Self {
        ReplayStepper {
            reader,
            types: pipeline.engine().query().schema().types().to_vec(),
            pipeline,
            on_bad_row,
            flush_at_end: false,
            last: None,
            phase: Phase::Reading,
            summary: ReplaySummary::default(),
        }
    }

    /// `--flush-at-end`: the replay ends with a tick whose watermark is past every open window,
    /// so append mode emits them (not Spark's behaviour).
    #[must_use]
    pub fn flush_at_end(mut self, flush: bool) -> Self {
        self.flush_at_end = flush;
        self
    }

    /// Goes on from a checkpoint: `last_tick` passed, batch `next_batch` next.
    pub fn resume(&mut self, last_tick: Option<u64>, next_batch: u64) {
        self.last = last_tick;
        self.summary.resumed_at = Some(next_batch);
    }

    /// Where the rows come from.
    pub fn source(&self) -> &S {
        &self.reader
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
    pub fn position(&self) -> Position {
        let (offset, line) = match &self.phase {
            Phase::NewTick(row) => (row.head.offset, row.head.line),
            _ => self.reader.position(),
        };
        Position::Replay {
            last_tick: self.last,
            offset,
            line,
        }
    }

    /// Runs up to and including the next batch; `None` once the replay is over.
    pub fn step(&mut self) -> anyhow::Result<Option<Arc<BatchOutput>>> {
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

    fn run_next(&mut self) -> anyhow::Result<Option<Arc<BatchOutput>>> {
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
                phase @ (Phase::FinalIdle | Phase::Flush) => {
                    let flush = matches!(phase, Phase::Flush);
                    let tick = self.ticks();
                    self.last = Some(tick);
                    self.phase = if self.flush_at_end && !flush {
                        Phase::Flush
                    } else {
                        Phase::Done
                    };
                    let moved = flush && self.pipeline.flush_watermark();
                    let batch = self.pipeline.idle_tick(tick, self.position())?;
                    // Complete mode runs no batch for a watermark that moved.
                    self.summary.flushed |= moved && batch.is_some();
                    if let Some(batch) = batch {
                        return Ok(Some(batch));
                    }
                }
                Phase::Reading => self.phase = self.read_head()?,
                Phase::NewTick(row) => {
                    let tick = row.tick();
                    let gap = self.last.map_or(tick > 0, |last| tick > last + 1);
                    if !gap {
                        return self.run_tick(row).map(Some);
                    }
                    // The gap's idle ticks are passed, whatever the idle tick runs.
                    let idle = self.ticks();
                    self.last = Some(tick - 1);
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
        if let Some(counted) = self.reader.counted_tick() {
            return Ok(Phase::NewTick(Waiting::from(counted)));
        }
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
    /// end of the file; or, when the source counted the tick a row of `head` opens, the count.
    fn run_tick(&mut self, head: Waiting) -> anyhow::Result<Arc<BatchOutput>> {
        let tick = head.tick();
        let head = match head.first {
            First::Counted(partial, end) => return self.run_counted(head.head, partial, end),
            First::Row(_) => match self.reader.counted_tick_at(&head.head) {
                Some(counted) => {
                    return self.run_counted(counted.head, counted.partial, counted.end);
                }
                None => head,
            },
        };
        let mut first = Some(head);
        let mut next = None;
        let (reader, summary, on_bad_row) = (&mut self.reader, &mut self.summary, self.on_bad_row);
        let types = &self.types;
        let result = self
            .pipeline
            .run_batch(BatchKind::Data, tick, None, |batch| {
                let head = first.take().expect("fed once");
                let feed = Feed {
                    reader,
                    summary,
                    on_bad_row,
                    types,
                };
                let (phase, offset, line) = feed.tick(&head, batch)?;
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

impl<S: RowSource> ReplayStepper<S> {
    /// Runs the batch of a tick counted whole (`head`, rows up to `end`): the batch takes it
    /// in one step.
    fn run_counted(
        &mut self,
        head: Head,
        partial: Box<TickPartial>,
        end: (u64, u64),
    ) -> anyhow::Result<Arc<BatchOutput>> {
        let tick = head.tick;
        // Whether the batch took the tick: not asked (the batch did not run), yes or no.
        let mut absorbed = None;
        let result = self
            .pipeline
            .run_batch(BatchKind::Data, tick, None, |batch| {
                let taken = batch.absorb(&partial);
                absorbed = Some(taken.is_ok());
                taken?;
                Ok(Position::Replay {
                    last_tick: Some(tick),
                    offset: end.0,
                    line: end.1,
                })
            });
        self.phase = match absorbed {
            None => Phase::NewTick(Waiting {
                head,
                first: First::Counted(partial, end),
            }),
            Some(true) => {
                self.last = Some(tick);
                self.summary.rows += partial.rows();
                Phase::Reading
            }
            Some(false) => Phase::Done,
        };
        result
    }
}

/// What feeding a tick's rows into a batch reads and counts.
struct Feed<'a, S> {
    reader: &'a mut S,
    summary: &'a mut ReplaySummary,
    on_bad_row: OnBadRow,
    types: &'a [DataType],
}

impl<S: RowSource> Feed<'_, S> {
    /// Pushes the rows of `tick` the reader holds into `batch`; returns how many.
    fn rest_of_tick(&mut self, tick: u64, batch: &mut Batch<'_>) -> u64 {
        self.reader.rows_of_tick(tick, |rows, range, types| {
            batch.push_rows(rows, range, types);
        })
    }

    /// Pushes the rows of `head`'s tick into `batch`: `head`, then every row up to the next
    /// tick. Returns what comes after them, and where it starts in the file.
    fn tick(mut self, head: &Waiting, batch: &mut Batch<'_>) -> anyhow::Result<(Phase, u64, u64)> {
        let tick = head.tick();
        if let First::Row(row) = &head.first {
            for (t, row) in row.iter(self.types) {
                batch.push(t, &row);
            }
        }
        self.summary.rows += 1 + self.rest_of_tick(tick, batch);
        loop {
            let row = match self.reader.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => {
                    let (offset, line) = self.reader.position();
                    return Ok((Phase::FinalIdle, offset, line));
                }
                Err(ReadError::Bad(bad)) if self.on_bad_row == OnBadRow::Skip => {
                    self.summary.skipped += 1;
                    self.summary
                        .first_skipped
                        .get_or_insert_with(|| bad.to_string());
                    continue;
                }
                // Rows come in ascending ticks: a bad row of a later tick means this tick is
                // complete, so its batch is still written whole (and a restart resumes at the
                // bad row); one of this tick (or of no known tick) stops the replay without it.
                Err(ReadError::Bad(bad)) if bad.tick.is_some_and(|t| t > tick) => {
                    return Ok((Phase::Stopped(bad.to_string()), bad.offset, bad.line));
                }
                Err(ReadError::Bad(bad)) => return Err(BadInput(bad.to_string()).into()),
                Err(e @ ReadError::Io { .. }) => return Err(e.into()),
            };
            if row.head.tick != tick {
                let next = Waiting::from(&row);
                let (offset, line) = (next.head.offset, next.head.line);
                return Ok((Phase::NewTick(next), offset, line));
            }
            batch.push(row.event_time, &row.row);
            self.summary.rows += 1 + self.rest_of_tick(tick, batch);
        }
    }
}

impl From<CountedTick> for Waiting {
    fn from(counted: CountedTick) -> Self {
        Waiting {
            head: counted.head,
            first: First::Counted(counted.partial, counted.end),
        }
    }
}

impl From<&RowRef<'_>> for Waiting {
    fn from(row: &RowRef<'_>) -> Self {
        let mut rows = Rows::default();
        let columns = row.row.columns();
        let mut writer = rows.writer(columns);
        for column in 0..columns {
            writer.value(row.row.get(column));
        }
        writer.finish(row.event_time);
        Waiting {
            head: row.head,
            first: First::Row(rows),
        }
    }
}

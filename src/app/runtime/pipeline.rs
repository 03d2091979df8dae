//! Runs micro-batches end to end: the trigger rule, the checkpoint's log, the engine, every sink,
//! the checkpoint's commit, then the progress report. Replay, headless and the dashboard all run
//! batches through this one type.
//!
//! A batch is committed only once every sink has it. When a sink fails, the batch's output is
//! kept and [`Pipeline::retry`] writes it again (the dashboard retries each tick; headless runs
//! stop and a restart re-runs the batch from the checkpoint).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;

use crate::app::clock::{Clock, SystemClock};
use crate::app::runtime::checkpoint::{Checkpoint, Commit, Offsets, Position};
use crate::app::runtime::modes::OtherModes;
use crate::app::runtime::progress::{Progress, ProgressLog, QueryIdentity, Timing};
use crate::app::sink::SinkSet;
use crate::app::source::inbox::Rows;
use crate::engine::{Batch, BatchKind, BatchOutput, Engine, Tick};

pub struct Pipeline {
    engine: Engine,
    sinks: SinkSet,
    progress: Option<ProgressLog>,
    checkpoint: Option<Checkpoint>,
    identity: QueryIdentity,
    clock: Box<dyn Clock>,
    previous_trigger: Option<Instant>,
    /// A finished batch a sink could not take yet.
    unwritten: Option<(Arc<BatchOutput>, Started, Position)>,
    last_timing: Option<Timing>,
    /// The same stream in the other output modes, for the modes view.
    other_modes: Option<OtherModes>,
    /// Rows `--max-state-rows` refused, in all.
    refused_rows: u64,
    /// Rows without an event time (NULL), in all.
    rows_without_time: u64,
    /// Late (row, window) pairs dropped, in all.
    late_pairs: u64,
    /// Why batches cannot run for now (the checkpoint cannot log them), until one runs.
    stalled: Option<String>,
}

/// Rows of a live batch from which its log is written on a thread of its own, beside the
/// engine taking them (a few milliseconds of encoding and writing, against a thread's start).
const LOG_ASIDE_ROWS: usize = 64 * 1024;

/// When a batch started, and how long logging it took.
#[derive(Debug, Clone, Copy)]
struct Started {
    at: SystemTime,
    clock: Instant,
    wal: Option<Duration>,
}

impl Pipeline {
    pub fn new(
        mut engine: Engine,
        sinks: SinkSet,
        progress: Option<ProgressLog>,
        identity: QueryIdentity,
    ) -> Self {
        // No checkpoint asks for deltas until one is given ([`Pipeline::with_checkpoint`]).
        engine.note_deltas(false);
        Pipeline {
            engine,
            sinks,
            progress,
            checkpoint: None,
            identity,
            clock: Box::new(SystemClock),
            previous_trigger: None,
            unwritten: None,
            last_timing: None,
            other_modes: None,
            refused_rows: 0,
            rows_without_time: 0,
            late_pairs: 0,
            stalled: None,
        }
    }

    /// Why batches cannot run for now, if they cannot (see [`Pipeline::set_stalled`]).
    pub fn stalled(&self) -> Option<&str> {
        self.stalled.as_deref()
    }

    /// Notes why batches cannot run for now (`None`: a batch ran), for the dashboard to show
    /// while it lasts.
    pub fn set_stalled(&mut self, why: Option<String>) {
        self.stalled = why;
    }

    /// Rows `--max-state-rows` refused since the run began.
    pub fn refused_rows(&self) -> u64 {
        self.refused_rows
    }

    /// Rows whose event time was NULL since the run began: input rows in no window.
    pub fn rows_without_time(&self) -> u64 {
        self.rows_without_time
    }

    /// Late (row, window) pairs dropped since the run began: their windows had closed.
    pub fn late_pairs(&self) -> u64 {
        self.late_pairs
    }

    /// From now on, also runs the stream through the other output modes, for the modes view
    /// ([`OtherModes`]).
    pub fn run_other_modes(&mut self) {
        self.other_modes = Some(OtherModes::new(self.engine.query()));
    }

    /// What every output mode did lately, when the pipeline runs the other modes.
    pub fn other_modes(&self) -> Option<&OtherModes> {
        self.other_modes.as_ref()
    }

    /// Logs every batch in `checkpoint` before it runs and commits it after the sinks.
    #[must_use]
    pub fn with_checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.engine.note_deltas(true);
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Reads the time from `clock` (tests move one by hand).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    #[cfg(test)]
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// Whether batch `id` is the last the checkpoint committed.
    #[cfg(test)]
    pub fn committed(&self, id: u64) -> bool {
        self.checkpoint()
            .is_some_and(|c| c.committed_at(id).is_some())
    }

    /// What the clock said about the last batch.
    pub fn last_timing(&self) -> Option<&Timing> {
        self.last_timing.as_ref()
    }

    pub fn sinks(&self) -> &SinkSet {
        &self.sinks
    }

    pub fn sinks_mut(&mut self) -> &mut SinkSet {
        &mut self.sinks
    }

    /// Runs a batch of `kind` at trigger tick `tick`: logs it (a live tick passes its rows as
    /// `input`, to be logged before the batch runs), lets `feed` push its rows, then hands it to
    /// every sink, commits it (resuming at the position `feed` returns after a restart) and
    /// reports its progress. Should `feed` fail, the batch is undone in the engine.
    pub fn run_batch(
        &mut self,
        kind: BatchKind,
        tick: u64,
        input: Option<&Rows>,
        feed: impl FnOnce(&mut Batch<'_>) -> anyhow::Result<Position>,
    ) -> anyhow::Result<Arc<BatchOutput>> {
        // Batches are neither skipped nor merged: one a sink failed on goes first (`retry`).
        if let Some((unwritten, ..)) = &self.unwritten {
            anyhow::bail!(
                "batch {} is not written yet; it must be before batch {} runs",
                unwritten.id,
                self.engine.next_batch_id()
            );
        }
        let now = self.clock.now();
        let log = self.checkpoint.as_ref().map(|checkpoint| {
            let offsets = Offsets {
                batch_id: self.engine.next_batch_id(),
                kind,
                tick,
                watermark: self.engine.next_watermark(),
            };
            (checkpoint, offsets)
        });
        let clock = &*self.clock;
        // The log is durable before the batch changes any state: written first, or, for a large
        // live batch, beside the engine taking its rows, then waited for before it finishes.
        let write_log = |(checkpoint, offsets): &(&Checkpoint, Offsets)| {
            checkpoint
                .begin(offsets, input)
                .with_context(|| format!("checkpoint: cannot log batch {}", offsets.batch_id))?;
            anyhow::Ok(clock.now().mono.duration_since(now.mono))
        };
        let aside = input.is_some_and(|rows| rows.len() >= LOG_ASIDE_ROWS);
        let (engine, other_modes) = (&mut self.engine, &mut self.other_modes);
        let (output, position, wal) = std::thread::scope(|scope| {
            let (wal, logging) = match &log {
                Some(log) if aside => (None, Some(scope.spawn(|| write_log(log)))),
                Some(log) => (Some(write_log(log)?), None),
                None => (None, None),
            };
            // How long logging took, once it is done.
            let logged = || match logging {
                Some(thread) => thread
                    .join()
                    .map_err(|_| anyhow::anyhow!("checkpoint: the log writer panicked"))?
                    .map(Some),
                None => Ok(wal),
            };
            anyhow::Ok(match other_modes {
                Some(modes) if kind == BatchKind::Data => {
                    let mut batch = engine.begin_with(kind, modes.engines_mut());
                    let position = feed(&mut batch)?;
                    let wal = logged()?;
                    let (output, followers) = batch.finish_with_followers();
                    modes.record_data(tick, &output, &followers);
                    (output, position, wal)
                }
                modes => {
                    let mut batch = engine.begin(kind);
                    let position = feed(&mut batch)?;
                    let wal = logged()?;
                    let output = batch.finish();
                    if let Some(modes) = modes {
                        modes.idle(tick, Some(&output));
                    }
                    (output, position, wal)
                }
            })
        })?;
        let started = Started {
            at: now.wall,
            clock: now.mono,
            wal,
        };
        self.refused_rows += output.stats.rows_refused;
        self.rows_without_time += output.stats.rows_without_event_time;
        self.late_pairs += output.stats.late_pairs;
        self.deliver(Arc::new(output), started, position)
    }

    /// A tick without rows: a no-data batch if the watermark moved, else nothing.
    pub fn idle_tick(
        &mut self,
        tick: u64,
        position: Position,
    ) -> anyhow::Result<Option<Arc<BatchOutput>>> {
        match self.engine.tick(false) {
            Tick::Run(kind) => self.run_batch(kind, tick, None, |_| Ok(position)).map(Some),
            Tick::Idle => {
                self.pass_tick(tick);
                Ok(None)
            }
        }
    }

    /// `--flush-at-end` (not Spark's behaviour): the next batch's watermark, in every mode's
    /// engine, passes every open window. Returns whether the run's watermark moved.
    pub fn flush_watermark(&mut self) -> bool {
        if let Some(modes) = &mut self.other_modes {
            for engine in modes.engines_mut() {
                engine.flush_watermark();
            }
        }
        self.engine.flush_watermark()
    }

    /// A tick at which the run's engine runs nothing: the other modes may run a no-data batch.
    pub fn pass_tick(&mut self, tick: u64) {
        if let Some(modes) = &mut self.other_modes {
            modes.idle(tick, None);
        }
    }

    /// Whether a finished batch still waits for a sink.
    pub fn has_unwritten(&self) -> bool {
        self.unwritten.is_some()
    }

    /// Writes the batch a sink failed on again; returns it once every sink has it.
    pub fn retry(&mut self) -> anyhow::Result<Option<Arc<BatchOutput>>> {
        match self.unwritten.take() {
            Some((output, started, position)) => self.deliver(output, started, position).map(Some),
            None => Ok(None),
        }
    }

    fn deliver(
        &mut self,
        output: Arc<BatchOutput>,
        started: Started,
        position: Position,
    ) -> anyhow::Result<Arc<BatchOutput>> {
        let sinks_started = self.clock.now().mono;
        // A checkpoint commits only what every sink has written.
        let written = match self.sinks.write_batch(&output) {
            Ok(()) if self.checkpoint.is_some() => self.sinks.sync(),
            outcome => outcome,
        };
        if let Err(e) = written {
            self.unwritten = Some((output, started, position));
            return Err(e);
        }
        let done = self.clock.now().mono;
        let add_batch = done.duration_since(sinks_started);
        let timing = Timing {
            started: started.at,
            since_previous: self
                .previous_trigger
                .map(|p| started.clock.duration_since(p)),
            add_batch,
            wal_commit: started.wal,
            total: self.clock.now().mono.duration_since(started.clock),
        };
        self.previous_trigger = Some(started.clock);
        self.last_timing = Some(timing);
        // The progress line goes before the commit (the log is exactly-once: a restart removes
        // lines of batches after the last committed one).
        if let Some(log) = &mut self.progress {
            self.identity.sink = self.sinks.describe();
            if let Err(e) = log.write(&Progress::new(
                &output,
                &timing,
                &self.identity,
                self.engine.query(),
            )) {
                self.unwritten = Some((output, started, position));
                return Err(e);
            }
        }
        if let Some(checkpoint) = &self.checkpoint {
            let commit = Commit {
                batch_id: output.id,
                position,
            };
            if let Err(e) = checkpoint.commit(&self.engine, &commit) {
                self.unwritten = Some((output, started, position));
                return Err(e.context(format!(
                    "checkpoint: cannot commit batch {}",
                    commit.batch_id
                )));
            }
        }
        Ok(output)
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;

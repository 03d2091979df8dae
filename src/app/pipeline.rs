//! Runs micro-batches end to end: the trigger rule, the checkpoint's log, the engine, every sink,
//! the checkpoint's commit, then the progress report. Replay, headless and the dashboard all run
//! batches through this one type.
//!
//! A batch is committed only once every sink has it. When a sink fails, the batch's output is
//! kept and [`Pipeline::retry`] writes it again (the dashboard retries each tick; headless runs
//! stop and a restart re-runs the batch from the checkpoint).

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;

use crate::app::checkpoint::{Checkpoint, Commit, Offsets, Position};
use crate::app::progress::{Progress, ProgressLog, QueryIdentity, Timing};
use crate::app::sink::SinkSet;
use crate::app::source::inbox::Rows;
use crate::engine::{BatchKind, BatchOutput, Engine, Micros, Tick};

pub struct Pipeline {
    engine: Engine,
    sinks: SinkSet,
    progress: Option<ProgressLog>,
    checkpoint: Option<Checkpoint>,
    identity: QueryIdentity,
    previous_trigger: Option<Instant>,
    running: Option<Running>,
    /// A finished batch a sink could not take yet.
    unwritten: Option<(BatchOutput, Running, Position)>,
    last_timing: Option<Timing>,
}

#[derive(Debug, Clone, Copy)]
struct Running {
    started: SystemTime,
    clock: Instant,
    wal: Option<Duration>,
}

impl Pipeline {
    pub fn new(
        engine: Engine,
        sinks: SinkSet,
        progress: Option<ProgressLog>,
        identity: QueryIdentity,
    ) -> Self {
        Pipeline {
            engine,
            sinks,
            progress,
            checkpoint: None,
            identity,
            previous_trigger: None,
            running: None,
            unwritten: None,
            last_timing: None,
        }
    }

    /// Logs every batch in `checkpoint` before it runs and commits it after the sinks.
    pub fn with_checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
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

    /// A trigger tick: starts the batch the trigger rule calls for, if any, and returns its id.
    /// A live tick passes its rows as `input`, to be logged before the batch runs.
    pub fn start_tick(
        &mut self,
        has_rows: bool,
        tick: u64,
        input: Option<&Rows>,
    ) -> anyhow::Result<Option<u64>> {
        match self.engine.tick(has_rows) {
            Tick::Run(kind) => self.start_batch(kind, tick, input).map(Some),
            Tick::Idle => Ok(None),
        }
    }

    /// Starts a batch of `kind` (a restart re-runs a logged batch this way).
    pub fn start_batch(
        &mut self,
        kind: BatchKind,
        tick: u64,
        input: Option<&Rows>,
    ) -> anyhow::Result<u64> {
        // Batches are neither skipped nor merged: one a sink failed on goes first (`retry`).
        if let Some((unwritten, ..)) = &self.unwritten {
            anyhow::bail!(
                "batch {} is not written yet; it must be before batch {} runs",
                unwritten.id,
                self.engine.next_batch_id()
            );
        }
        let (started, clock) = (SystemTime::now(), Instant::now());
        let wal = match &self.checkpoint {
            Some(checkpoint) => {
                let offsets = Offsets {
                    batch_id: self.engine.next_batch_id(),
                    kind,
                    tick,
                    watermark: self.engine.next_watermark(),
                };
                checkpoint.begin(&offsets, input).with_context(|| {
                    format!("checkpoint: cannot log batch {}", offsets.batch_id)
                })?;
                Some(clock.elapsed())
            }
            None => None,
        };
        self.running = Some(Running {
            started,
            clock,
            wal,
        });
        Ok(self.engine.begin(kind))
    }

    /// Adds a row to the running batch.
    #[inline]
    pub fn push(&mut self, event_time: Micros, value: &str) {
        self.engine.push(event_time, value);
    }

    /// Finishes the running batch and hands it to every sink, then commits it (resuming at
    /// `position` after a restart) and reports its progress.
    pub fn finish_batch(&mut self, position: Position) -> anyhow::Result<BatchOutput> {
        let running = self
            .running
            .take()
            .context("finish_batch without a running batch")?;
        let output = self.engine.finish();
        self.deliver(output, running, position)
    }

    /// A tick without rows: a no-data batch if the watermark moved, else nothing.
    pub fn idle_tick(
        &mut self,
        tick: u64,
        position: Position,
    ) -> anyhow::Result<Option<BatchOutput>> {
        match self.start_tick(false, tick, None)? {
            Some(_) => self.finish_batch(position).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a finished batch still waits for a sink.
    pub fn has_unwritten(&self) -> bool {
        self.unwritten.is_some()
    }

    /// Writes the batch a sink failed on again; returns it once every sink has it.
    pub fn retry(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        match self.unwritten.take() {
            Some((output, running, position)) => self.deliver(output, running, position).map(Some),
            None => Ok(None),
        }
    }

    fn deliver(
        &mut self,
        output: BatchOutput,
        running: Running,
        position: Position,
    ) -> anyhow::Result<BatchOutput> {
        let sinks_started = Instant::now();
        if let Err(e) = self.sinks.write_batch(&output) {
            self.unwritten = Some((output, running, position));
            return Err(e);
        }
        let add_batch = sinks_started.elapsed();
        if let Some(checkpoint) = &self.checkpoint {
            let commit = Commit {
                batch_id: output.id,
                position,
            };
            if let Err(e) = checkpoint.commit(&self.engine, &commit) {
                self.unwritten = Some((output, running, position));
                return Err(e.context(format!(
                    "checkpoint: cannot commit batch {}",
                    commit.batch_id
                )));
            }
        }
        let timing = Timing {
            started: running.started,
            since_previous: self
                .previous_trigger
                .map(|p| running.clock.duration_since(p)),
            add_batch,
            wal_commit: running.wal,
            total: running.clock.elapsed(),
        };
        self.previous_trigger = Some(running.clock);
        self.last_timing = Some(timing);
        if let Some(log) = &mut self.progress {
            self.identity.sink = self.sinks.describe();
            log.write(&Progress::new(&output, &timing, &self.identity))?;
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::app::checkpoint::QuerySpec;
    use crate::app::cli::SinkKind;
    use crate::app::sink::Sink;
    use crate::engine::Query;

    /// A sink that fails a number of times (a full disk), then works.
    struct Flaky {
        failures: Arc<AtomicU32>,
        written: Arc<Mutex<Vec<u64>>>,
    }

    impl Sink for Flaky {
        fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
            if self.failures.load(Ordering::SeqCst) > 0 {
                self.failures.fetch_sub(1, Ordering::SeqCst);
                anyhow::bail!("No space left on device");
            }
            self.written.lock().unwrap().push(batch.id);
            Ok(())
        }

        fn describe(&self) -> String {
            "Flaky".into()
        }
    }

    #[test]
    fn a_failed_sink_keeps_the_batch_uncommitted_until_a_retry_gets_it_through() {
        let dir = tempfile::tempdir().unwrap();
        let query = Query::seed();
        let spec = QuerySpec::new(&query, "%H%M%S", "test".into());
        let (checkpoint, restored) = Checkpoint::open(dir.path(), query, &spec).unwrap();
        let failures = Arc::new(AtomicU32::new(0));
        let written = Arc::new(Mutex::new(Vec::new()));
        let opener = {
            let (failures, written) = (failures.clone(), written.clone());
            Box::new(move |_| {
                Ok(Box::new(Flaky {
                    failures: failures.clone(),
                    written: written.clone(),
                }) as Box<dyn Sink>)
            })
        };
        let sinks = SinkSet::new(opener, &[SinkKind::File]).unwrap();
        let mut pipeline = Pipeline::new(
            restored.engine,
            sinks,
            None,
            QueryIdentity::new("test".into()),
        )
        .with_checkpoint(checkpoint);
        let position = |tick| Position::Live { tick };

        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_000, "a");
        pipeline.start_tick(true, 0, Some(&rows)).unwrap();
        pipeline.push(1_795_455_180_000_000, "a");
        pipeline.finish_batch(position(0)).unwrap();

        failures.store(2, Ordering::SeqCst);
        rows.clear();
        rows.push(1_795_455_240_000_000, "b");
        pipeline.start_tick(true, 1, Some(&rows)).unwrap();
        pipeline.push(1_795_455_240_000_000, "b");
        let err = pipeline.finish_batch(position(1)).unwrap_err();
        assert!(format!("{err:#}").contains("No space left"), "{err:#}");
        assert!(pipeline.has_unwritten());
        let status = &pipeline.sinks().status()[0];
        assert!(
            status
                .error
                .as_deref()
                .unwrap_or("")
                .contains("No space left")
        );
        assert!(
            !dir.path().join("commits/1").exists(),
            "not committed while a sink lacks it"
        );

        let refused = pipeline.start_tick(true, 2, Some(&rows)).unwrap_err();
        assert!(
            refused.to_string().contains("batch 1 is not written yet"),
            "no batch runs past one a sink lacks: {refused}"
        );

        assert!(pipeline.retry().is_err(), "still full");
        let batch = pipeline.retry().unwrap().expect("written at last");
        assert_eq!(batch.id, 1);
        assert!(!pipeline.has_unwritten());
        assert!(dir.path().join("commits/1").exists());
        assert_eq!(
            *written.lock().unwrap(),
            vec![0, 1],
            "each batch once, in order"
        );
        assert_eq!(pipeline.sinks().status()[0].error, None);
        assert_eq!(
            pipeline.engine().next_batch_id(),
            2,
            "no batch ran meanwhile"
        );
    }
}

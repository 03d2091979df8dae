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
    /// Late (row, window) pairs dropped, in all.
    late_pairs: u64,
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
            late_pairs: 0,
        }
    }

    /// Rows `--max-state-rows` refused since the run began.
    pub fn refused_rows(&self) -> u64 {
        self.refused_rows
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
            if let Err(e) = log.write(&Progress::new(&output, &timing, &self.identity)) {
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
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::app::clock::ManualClock;
    use crate::app::config::SinkKind;
    use crate::app::runtime::checkpoint::QuerySpec;
    use crate::app::sink::{Sink, SinkOpener};
    use crate::engine::{Query, Value};

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

    /// Runs `rows` as the data batch of live tick `tick`.
    fn run(pipeline: &mut Pipeline, tick: u64, rows: &Rows) -> anyhow::Result<Arc<BatchOutput>> {
        pipeline.run_batch(BatchKind::Data, tick, Some(rows), |batch| {
            let types = batch.types().to_vec();
            batch.push_rows(rows, 0..rows.len(), &types);
            Ok(Position::Live { tick })
        })
    }

    /// The seed's query with a checkpoint in `dir` and a [`Flaky`] sink of `kind`: the pipeline,
    /// the sink's failures to come, and the batches it wrote.
    fn checkpointed(
        dir: &std::path::Path,
        kind: SinkKind,
    ) -> (Pipeline, Arc<AtomicU32>, Arc<Mutex<Vec<u64>>>) {
        checkpointed_with(dir, kind, |opener| opener)
    }

    /// [`checkpointed`], its sinks opened through `wrap`.
    fn checkpointed_with(
        dir: &std::path::Path,
        kind: SinkKind,
        wrap: impl FnOnce(SinkOpener) -> SinkOpener,
    ) -> (Pipeline, Arc<AtomicU32>, Arc<Mutex<Vec<u64>>>) {
        let query = Query::seed();
        let spec = QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
        let (checkpoint, restored) = Checkpoint::open(dir, query, &spec).unwrap();
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
        let pipeline = Pipeline::new(
            restored.engine,
            SinkSet::new(wrap(opener), &[kind]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        )
        .with_checkpoint(checkpoint);
        (pipeline, failures, written)
    }

    /// A sink that takes `cost` of the clock's time per batch.
    struct Slow {
        clock: ManualClock,
        cost: Duration,
    }

    impl Sink for Slow {
        fn write_batch(&mut self, _: &BatchOutput) -> anyhow::Result<()> {
            self.clock.advance(self.cost);
            Ok(())
        }

        fn describe(&self) -> String {
            "Slow".into()
        }
    }

    #[test]
    fn batch_timings_come_from_the_clock() {
        let clock = ManualClock::at(1_795_455_180_000_000);
        let opener = {
            let clock = clock.clone();
            Box::new(move |_| {
                Ok(Box::new(Slow {
                    clock: clock.clone(),
                    cost: Duration::from_millis(7),
                }) as Box<dyn Sink>)
            })
        };
        let mut pipeline = Pipeline::new(
            Engine::new(Query::seed()),
            SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        )
        .with_clock(clock.clone());
        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
        run(&mut pipeline, 0, &rows).unwrap();
        let first = *pipeline.last_timing().unwrap();
        assert_eq!(first.add_batch, Duration::from_millis(7));
        assert_eq!(first.total, Duration::from_millis(7));
        assert_eq!(first.since_previous, None);
        assert_eq!(first.wal_commit, None);
        assert_eq!(
            first.started,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_455_180)
        );
        clock.advance(Duration::from_secs(15) - Duration::from_millis(7));
        run(&mut pipeline, 1, &rows).unwrap();
        let second = pipeline.last_timing().unwrap();
        assert_eq!(second.since_previous, Some(Duration::from_secs(15)));
    }

    #[test]
    fn a_batch_whose_rows_cannot_be_read_is_undone() {
        let opener = Box::new(|_| {
            Ok(Box::new(Slow {
                clock: ManualClock::at(0),
                cost: Duration::ZERO,
            }) as Box<dyn Sink>)
        });
        let mut pipeline = Pipeline::new(
            Engine::new(Query::seed()),
            SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        );
        let failed = pipeline.run_batch(BatchKind::Data, 0, None, |batch| {
            batch.push(1_795_455_180_000_000, "a");
            anyhow::bail!("the disk caught fire")
        });
        assert!(failed.is_err());
        let engine = pipeline.engine();
        assert_eq!(engine.next_batch_id(), 0, "the id is given back");
        assert_eq!((engine.state_rows(), engine.max_event_time()), (0, None));
        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_000, &[Value::Str("b")]);
        let batch = run(&mut pipeline, 0, &rows).unwrap();
        assert_eq!((batch.id, batch.stats.input_rows), (0, 1));
        assert_eq!(
            pipeline.engine().state_rows(),
            2,
            "only b, in its two windows"
        );
    }

    #[test]
    fn a_failed_sink_keeps_the_batch_uncommitted_until_a_retry_gets_it_through() {
        let dir = tempfile::tempdir().unwrap();
        let (mut pipeline, failures, written) = checkpointed(dir.path(), SinkKind::File);

        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
        run(&mut pipeline, 0, &rows).unwrap();

        failures.store(2, Ordering::SeqCst);
        rows.clear();
        rows.push(1_795_455_240_000_000, &[Value::Str("b")]);
        let err = run(&mut pipeline, 1, &rows).unwrap_err();
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
            !pipeline.committed(1),
            "not committed while a sink lacks it"
        );

        let refused = run(&mut pipeline, 2, &rows).unwrap_err();
        assert!(
            refused.to_string().contains("batch 1 is not written yet"),
            "no batch runs past one a sink lacks: {refused}"
        );

        assert!(pipeline.retry().is_err(), "still full");
        let batch = pipeline.retry().unwrap().expect("written at last");
        assert_eq!(batch.id, 1);
        assert!(!pipeline.has_unwritten());
        assert!(pipeline.committed(1));
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

    #[test]
    fn a_checkpoint_commits_only_what_a_background_sink_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let (mut pipeline, failures, written) = checkpointed_with(
            dir.path(),
            SinkKind::Json,
            crate::app::sink::json_in_background,
        );
        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
        run(&mut pipeline, 0, &rows).unwrap();
        assert_eq!(*written.lock().unwrap(), [0], "written before the commit");
        assert!(pipeline.committed(0));

        failures.store(1, Ordering::SeqCst);
        rows.clear();
        rows.push(1_795_455_240_000_000, &[Value::Str("b")]);
        let err = run(&mut pipeline, 1, &rows).unwrap_err();
        assert!(format!("{err:#}").contains("No space left"), "{err:#}");
        assert!(
            pipeline.has_unwritten(),
            "the batch that failed, not a later one"
        );
        assert!(!pipeline.committed(1));
    }

    #[test]
    fn a_large_batch_is_logged_beside_the_engine_and_undone_if_the_log_fails() {
        let dir = tempfile::tempdir().unwrap();
        let (mut pipeline, failures, _) = checkpointed(dir.path(), SinkKind::Json);
        // The sink fails once, so the batch stays uncommitted and its log stays to be read.
        failures.store(1, Ordering::SeqCst);
        let values: Vec<String> = (0..10).map(|v| v.to_string()).collect();
        let mut rows = Rows::default();
        for i in 0..LOG_ASIDE_ROWS {
            rows.push(1_795_455_180_000_000, &[Value::Str(&values[i % 10])]);
        }
        assert!(run(&mut pipeline, 0, &rows).is_err(), "the sink failed");
        assert!(pipeline.last_timing().is_none());
        let query = Query::seed();
        let spec = QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
        let (_, again) = Checkpoint::open(dir.path(), query, &spec).unwrap();
        let pending = again.pending.expect("batch 0 is logged");
        assert_eq!(pending.input.as_ref(), Some(&rows));
        let logged = std::fs::metadata(dir.path().join("log/0")).unwrap().len();
        assert!(logged < 3 * LOG_ASIDE_ROWS as u64 + 200, "{logged} bytes");
        pipeline.retry().unwrap();
        assert!(pipeline.last_timing().unwrap().wal_commit.is_some());
        let state_rows = pipeline.engine().state_rows();

        // The log cannot be written: the batch fails, and the engine is as it was.
        pipeline.checkpoint().unwrap().fail_after(Some(0));
        let err = run(&mut pipeline, 1, &rows).unwrap_err();
        assert!(format!("{err:#}").contains("cannot log batch 1"), "{err:#}");
        let engine = pipeline.engine();
        assert_eq!(engine.next_batch_id(), 1, "the id is given back");
        assert_eq!(engine.state_rows(), state_rows);
    }
}

//! The processing-time trigger: a thread that, every interval, takes the rows that arrived and
//! runs the tick rule through the pipeline (data batch, no-data batch, or nothing).
//!
//! Ticks fall on a fixed grid from the start, as Spark's `ProcessingTimeExecutor` does: a batch
//! that runs long (a slow sink) delays the next tick, which then runs at once with everything that
//! arrived meanwhile; no tick is skipped or merged. The engine runs on this thread, never on the
//! async runtime, so a large batch cannot stall the reader or the dashboard.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, UNIX_EPOCH};

use crate::app::clock::{Clock, Moment, SystemClock, now_micros};
use crate::app::config::SinkKind;
use crate::app::runtime::checkpoint::{Offsets, Pending, Position};
use crate::app::runtime::end_of_run::OpenAtEnd;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::runtime::record::Recorder;
use crate::app::source::inbox::{Inbox, Rows};
use crate::engine::{Batch, BatchOutput, DataType, Micros, Query, Tick, Value, WindowKind};

/// Commands to the trigger thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Finish: a last data batch with what is waiting, one idle tick, then stop.
    Stop,
    /// Switch a sink on or off from the next batch on.
    Sink(SinkKind, bool),
    /// Add a row whose windows have all closed, to watch it be dropped as late.
    InjectLate,
}

/// Where a tick stands, for the observer.
#[derive(Debug, Clone, Copy)]
pub struct TickInfo {
    /// The tick that just ran.
    pub tick: u64,
    /// When the next one is due.
    pub next: Instant,
}

/// Sees every tick (the dashboard builds its snapshots here).
pub trait Observer: Send {
    /// The reader is about to read `address`.
    fn started(&mut self, _address: &str) {}

    fn after_tick(&mut self, pipeline: &Pipeline, batch: Option<&BatchOutput>, tick: TickInfo);

    /// A control was applied (a sink switched, say); `error` if it failed.
    fn after_control(&mut self, pipeline: &Pipeline, control: &Control, error: Option<String>);
}

/// An observer that sees nothing (headless runs).
pub struct Unobserved;

impl Observer for Unobserved {
    fn after_tick(&mut self, _: &Pipeline, _: Option<&BatchOutput>, _: TickInfo) {}
    fn after_control(&mut self, _: &Pipeline, _: &Control, _: Option<String>) {}
}

/// What a live run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LiveSummary {
    pub ticks: u64,
    pub batches: u64,
    pub rows: u64,
    /// What the run left open at its end.
    pub open: OpenAtEnd,
    /// Rows `--max-state-rows` refused.
    pub refused: u64,
    /// Late (row, window) pairs dropped.
    pub late: u64,
    /// Rows whose event time was NULL (input rows in no window).
    pub without_time: u64,
}

pub struct TriggerLoop<O> {
    pub pipeline: Pipeline,
    pub inbox: Arc<Inbox>,
    pub interval: Duration,
    pub recorder: Option<Recorder>,
    /// True once the source has ended for good (the embedded server finished its program).
    pub source_finished: Box<dyn Fn() -> bool + Send>,
    pub observer: O,
    /// The first tick's number (a restart goes on from the checkpoint's).
    pub first_tick: u64,
    /// A batch the last run logged but did not commit: it runs first, with its logged rows.
    pub pending: Option<Pending>,
    /// When a sink fails, keep the batch and try again each tick (the dashboard), rather than
    /// stop (headless; a restart re-runs the batch from the checkpoint).
    pub retry_failed_sinks: bool,
    /// `--flush-at-end`: when the source ends, one last tick whose watermark is past every open
    /// window (not Spark's behaviour).
    pub flush_at_end: bool,
}

/// The trigger grid's origin, given the time `now`: the last wall-clock multiple of `interval`
/// since the epoch, as Spark's `ProcessingTimeExecutor` aligns its triggers (a 15 s trigger
/// fires at :00, :15, :30 and :45 of each minute). The first tick runs at once, as Spark's
/// first batch does.
fn grid_origin(interval: Duration, now: Moment) -> Instant {
    let since_epoch = now.wall.duration_since(UNIX_EPOCH).unwrap_or_default();
    let phase = since_epoch.as_nanos() % interval.as_nanos();
    now.mono
        .checked_sub(Duration::from_nanos(u64::try_from(phase).unwrap_or(0)))
        .unwrap_or(now.mono)
}

/// The first point of the grid from `start` after `now`; in u128 nanoseconds, so that neither a
/// long run nor a long interval saturates into a point in the past.
fn next_grid_point(start: Instant, interval: Duration, now: Instant) -> Instant {
    let step = interval.as_nanos();
    let ticks = now.saturating_duration_since(start).as_nanos() / step + 1;
    let offset = u64::try_from(ticks.saturating_mul(step)).unwrap_or(u64::MAX);
    // Beyond what an Instant holds: a tick that never comes.
    start
        .checked_add(Duration::from_nanos(offset))
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

impl<O: Observer> TriggerLoop<O> {
    /// Runs ticks until `Stop`, a dropped control sender, or the end of the source.
    pub fn run(mut self, controls: &Receiver<Control>) -> anyhow::Result<LiveSummary> {
        let interval = self.interval.max(Duration::from_micros(1));
        let start = grid_origin(interval, SystemClock.now());
        let mut summary = LiveSummary {
            ticks: self.first_tick,
            ..LiveSummary::default()
        };
        let mut rows = Rows::default();
        if let Some(pending) = self.pending.take() {
            self.rerun(pending, &mut summary)?;
        }
        let mut next = start;
        let mut source_ended = false;
        loop {
            match controls.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(control) => {
                    let error = self.apply(&control).err().map(|e| format!("{e:#}"));
                    if let Some(error) = &error {
                        tracing::warn!("{control:?}: {error}");
                    }
                    self.observer.after_control(&self.pipeline, &control, error);
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            next = next_grid_point(start, interval, Instant::now());
            if self.pipeline.has_unwritten() {
                // A sink failed on the last batch: nothing new runs until it has it.
                let info = TickInfo {
                    tick: summary.ticks.saturating_sub(1),
                    next,
                };
                match self.pipeline.retry() {
                    Ok(batch) => {
                        tracing::info!("the sinks took the batch they had failed on");
                        self.observer
                            .after_tick(&self.pipeline, batch.as_deref(), info);
                    }
                    Err(e) => {
                        tracing::warn!("still failing: {e:#}");
                        self.observer.after_tick(&self.pipeline, None, info);
                        continue;
                    }
                }
            }
            self.take_waiting(&mut rows);
            self.tick(&mut summary, &mut rows, next)?;
            if (self.source_finished)() && self.inbox.is_empty() {
                tracing::info!("the source is over");
                source_ended = true;
                break;
            }
        }
        // Last, a batch a sink failed on gets one more try, then the rows still waiting run, then
        // one idle tick, as a replay of the record ends. Nothing is kept for a later tick any
        // more: a failure is the run's error.
        self.retry_failed_sinks = false;
        self.write_unwritten()?;
        self.take_waiting(&mut rows);
        if !rows.is_empty() {
            self.tick(&mut summary, &mut rows, Instant::now())?;
        }
        self.tick(&mut summary, &mut rows, Instant::now())?;
        if self.flush_at_end && source_ended && self.pipeline.flush_watermark() {
            tracing::info!("--flush-at-end: the watermark passes every open window");
            self.tick(&mut summary, &mut rows, Instant::now())?;
        }
        summary.open = OpenAtEnd::of(self.pipeline.engine(), source_ended);
        summary.refused = self.pipeline.refused_rows();
        summary.late = self.pipeline.late_pairs();
        summary.without_time = self.pipeline.rows_without_time();
        Ok(summary)
    }

    /// Adds the rows waiting in the inbox to `rows` (which holds rows a failed tick kept, if any).
    fn take_waiting(&self, rows: &mut Rows) {
        if rows.is_empty() {
            self.inbox.take(rows);
        } else {
            let mut arrived = Rows::default();
            self.inbox.take(&mut arrived);
            rows.append(&mut arrived);
        }
    }

    /// Writes the batch a sink failed on, if any, at the end of a run: an error if it still fails.
    fn write_unwritten(&mut self) -> anyhow::Result<()> {
        if self.pipeline.has_unwritten() {
            self.pipeline.retry().map_err(|e| {
                e.context(
                    "a batch could not be written; it runs again when this command is run again",
                )
            })?;
        }
        Ok(())
    }

    /// Runs again the batch the last run logged but did not commit.
    fn rerun(&mut self, pending: Pending, summary: &mut LiveSummary) -> anyhow::Result<()> {
        let Offsets {
            kind,
            tick,
            batch_id,
            ..
        } = pending.offsets;
        tracing::info!("running batch {batch_id} again, from the checkpoint's log");
        let rows = pending.input.unwrap_or_default();
        let recorder = &mut self.recorder;
        let batch = self.pipeline.run_batch(kind, tick, Some(&rows), |batch| {
            feed(recorder.as_mut(), tick, &rows, batch)
        })?;
        summary.ticks = summary.ticks.max(tick + 1);
        summary.batches += 1;
        summary.rows += rows.len() as u64;
        self.observer.after_tick(
            &self.pipeline,
            Some(&batch),
            TickInfo {
                tick,
                next: Instant::now(),
            },
        );
        Ok(())
    }

    fn apply(&mut self, control: &Control) -> anyhow::Result<()> {
        match control {
            Control::Sink(kind, on) => self.pipeline.sinks_mut().set_enabled(*kind, *on),
            Control::InjectLate => {
                let mut late = Rows::default();
                late_row(
                    self.pipeline.engine().query(),
                    self.pipeline.engine().watermark(),
                    &mut late,
                );
                self.inbox.put(&mut late);
                Ok(())
            }
            Control::Stop => Ok(()),
        }
    }

    /// One trigger tick over `rows` (emptied afterwards).
    fn tick(
        &mut self,
        summary: &mut LiveSummary,
        rows: &mut Rows,
        next: Instant,
    ) -> anyhow::Result<()> {
        let tick = summary.ticks;
        let kind = match self.pipeline.engine().tick(!rows.is_empty()) {
            Tick::Run(kind) => kind,
            Tick::Idle => {
                self.pipeline.pass_tick(tick);
                summary.ticks += 1;
                self.observer
                    .after_tick(&self.pipeline, None, TickInfo { tick, next });
                return Ok(());
            }
        };
        let input = (!rows.is_empty()).then_some(&*rows);
        let mut fed = false;
        let recorder = &mut self.recorder;
        let result = self.pipeline.run_batch(kind, tick, input, |batch| {
            fed = true;
            feed(recorder.as_mut(), tick, rows, batch)
        });
        let batch = match result {
            Ok(batch) => {
                self.pipeline.set_stalled(None);
                Some(batch)
            }
            Err(e) if !fed && self.retry_failed_sinks && !self.pipeline.has_unwritten() => {
                // The batch could not be logged (a full checkpoint disk): nothing ran, so its
                // rows wait for the next tick, which takes this tick's number.
                tracing::warn!("{e:#}; the rows wait for the next tick");
                self.pipeline
                    .set_stalled(Some(format!("{e:#}; its rows wait for the next tick")));
                self.observer
                    .after_tick(&self.pipeline, None, TickInfo { tick, next });
                return Ok(());
            }
            Err(e) if fed && self.retry_failed_sinks && self.pipeline.has_unwritten() => {
                tracing::warn!("{e:#}; the batch waits until the sink can take it");
                None
            }
            Err(e) => return Err(e),
        };
        summary.ticks += 1;
        summary.batches += 1;
        summary.rows += rows.len() as u64;
        rows.clear();
        self.observer
            .after_tick(&self.pipeline, batch.as_deref(), TickInfo { tick, next });
        Ok(())
    }
}

/// A row every window of which closed before `watermark`, to watch it be dropped as late: its
/// time two windows (or sessions) before the watermark, its strings `late`, its other columns
/// NULL.
fn late_row(query: &Query, watermark: Micros, rows: &mut Rows) {
    let span = match query.window() {
        WindowKind::Sliding(spec) => spec.size() + spec.slide(),
        WindowKind::Session { gap } => 2 * gap.micros(),
    };
    let event_time = watermark.saturating_sub(span).min(now_micros());
    let mut row = rows.writer(query.schema().len());
    for (column, field) in query.schema().fields().iter().enumerate() {
        row.value(if Some(column) == query.event_time_column() {
            Value::Timestamp(event_time)
        } else if field.ty == DataType::String {
            Value::Str("late")
        } else {
            Value::Null
        });
    }
    row.finish(event_time);
}

/// A live batch's rows: recorded first (when the run records), then pushed into the batch.
fn feed(
    recorder: Option<&mut Recorder>,
    tick: u64,
    rows: &Rows,
    batch: &mut Batch<'_>,
) -> anyhow::Result<Position> {
    if let Some(recorder) = recorder
        && !rows.is_empty()
    {
        recorder.write_tick(tick, rows)?;
    }
    let types = batch.types().to_vec();
    batch.push_rows(rows, 0..rows.len(), &types);
    Ok(Position::Live { tick })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::runtime::progress::QueryIdentity;
    use crate::app::sink::{Sink, SinkOpener, SinkSet};
    use crate::engine::{Engine, Query, Value};

    /// A file sink on a disk that stays full.
    struct Full;

    impl Sink for Full {
        fn write_batch(&mut self, _: &BatchOutput) -> anyhow::Result<()> {
            anyhow::bail!("No space left on device")
        }

        fn describe(&self) -> String {
            "Full".into()
        }
    }

    #[test]
    fn the_grid_is_aligned_to_wall_clock_multiples_and_never_falls_behind() {
        let interval = Duration::from_millis(250);
        let mono = Instant::now() + Duration::from_secs(3600);
        // 1000.1 s after the epoch: 100 ms past a multiple of 250 ms.
        let now = Moment {
            wall: UNIX_EPOCH + Duration::from_millis(1_000_100),
            mono,
        };
        let origin = grid_origin(interval, now);
        assert_eq!(mono - origin, Duration::from_millis(100));
        assert_eq!(
            next_grid_point(origin, interval, mono),
            origin + interval,
            "the next multiple, 150 ms on"
        );
        assert_eq!(
            next_grid_point(origin, interval, origin + interval),
            origin + 2 * interval,
            "a tick due now is past: the next one"
        );
        // A start so long ago that a u32 count of 1 µs ticks would have saturated.
        let later = mono + Duration::from_secs(5 * 3600);
        assert_eq!(
            next_grid_point(mono, Duration::from_micros(1), later),
            later + Duration::from_micros(1)
        );
        let far = next_grid_point(mono, Duration::from_secs(u64::MAX / 2), mono);
        assert!(far > mono + Duration::from_secs(3600));
    }

    /// A trigger loop as the dashboard runs it (failed sinks retried), ticking once an hour.
    fn dashboard_trigger(pipeline: Pipeline, inbox: Arc<Inbox>) -> TriggerLoop<Unobserved> {
        TriggerLoop {
            pipeline,
            inbox,
            interval: Duration::from_secs(3600),
            recorder: None,
            source_finished: Box::new(|| false),
            observer: Unobserved,
            first_tick: 0,
            pending: None,
            retry_failed_sinks: true,
            flush_at_end: false,
        }
    }

    #[test]
    fn rows_a_full_checkpoint_could_not_log_wait_for_the_next_tick() {
        let dir = tempfile::tempdir().unwrap();
        let query = Query::seed();
        let spec =
            crate::app::runtime::checkpoint::QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
        let (checkpoint, restored) =
            crate::app::runtime::checkpoint::Checkpoint::open(dir.path(), query, &spec).unwrap();
        let written = Arc::new(std::sync::Mutex::new(Vec::new()));
        let opener: SinkOpener = {
            let written = written.clone();
            Box::new(move |_| Ok(Box::new(Recording(written.clone())) as Box<dyn Sink>))
        };
        let pipeline = Pipeline::new(
            restored.engine,
            SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        )
        .with_checkpoint(checkpoint);
        let inbox = Arc::new(Inbox::new(1 << 20));
        let mut trigger = dashboard_trigger(pipeline, inbox.clone());
        let mut summary = LiveSummary::default();
        let mut rows = Rows::default();
        rows.push(now_micros(), &[Value::Str("a")]);
        // The checkpoint cannot log the batch.
        trigger.pipeline.checkpoint().unwrap().fail_after(Some(0));
        trigger
            .tick(&mut summary, &mut rows, Instant::now())
            .unwrap();
        assert_eq!((summary.ticks, rows.len()), (0, 1), "kept, tick not used");
        let stalled = trigger.pipeline.stalled().unwrap();
        assert!(stalled.contains("cannot log batch 0"), "{stalled}");
        // Room again: the next tick runs them with what arrived meanwhile, as tick 0.
        trigger.pipeline.checkpoint().unwrap().fail_after(None);
        let mut arrived = Rows::default();
        arrived.push(now_micros(), &[Value::Str("b")]);
        inbox.put(&mut arrived);
        trigger.take_waiting(&mut rows);
        trigger
            .tick(&mut summary, &mut rows, Instant::now())
            .unwrap();
        assert_eq!((summary.ticks, summary.rows), (1, 2));
        assert_eq!(*written.lock().unwrap(), [0], "batch 0, once");
        assert_eq!(
            trigger.pipeline.stalled(),
            None,
            "said no more once a batch runs"
        );
    }

    /// A sink that records the batch ids it was given.
    struct Recording(Arc<std::sync::Mutex<Vec<u64>>>);

    impl Sink for Recording {
        fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
            self.0.lock().unwrap().push(batch.id);
            Ok(())
        }

        fn describe(&self) -> String {
            "Recording".into()
        }
    }

    #[test]
    fn a_last_batch_no_sink_can_take_ends_the_run_with_an_error() {
        let opener: SinkOpener = Box::new(|_| Ok(Box::new(Full) as Box<dyn Sink>));
        let pipeline = Pipeline::new(
            Engine::new(Query::seed()),
            SinkSet::new(opener, &[SinkKind::File]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        );
        // Rows still waiting when the run is told to stop: they make the last data batch.
        let inbox = Arc::new(Inbox::new(1 << 20));
        let mut rows = Rows::default();
        rows.push(now_micros(), &[Value::Str("7")]);
        inbox.put(&mut rows);
        let trigger = dashboard_trigger(pipeline, inbox);
        let (controls, control_rx) = std::sync::mpsc::channel();
        controls.send(Control::Stop).unwrap();
        let err = trigger
            .run(&control_rx)
            .expect_err("the batch was never written");
        let err = format!("{err:#}");
        assert!(err.contains("No space left"), "{err}");
    }
}

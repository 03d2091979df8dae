//! Runs micro-batches end to end: the trigger rule, the engine, every sink, then the progress
//! report. Replay, headless and the dashboard all run batches through this one type.

use std::time::{Instant, SystemTime};

use anyhow::Context;

use crate::app::progress::{Progress, ProgressLog, QueryIdentity, Timing};
use crate::app::sink::SinkSet;
use crate::engine::{BatchOutput, Engine, Micros, Tick};

pub struct Pipeline {
    engine: Engine,
    sinks: SinkSet,
    progress: Option<ProgressLog>,
    identity: QueryIdentity,
    previous_trigger: Option<Instant>,
    running: Option<(SystemTime, Instant)>,
    last_timing: Option<Timing>,
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
            identity,
            previous_trigger: None,
            running: None,
            last_timing: None,
        }
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
    pub fn start_tick(&mut self, has_rows: bool) -> Option<u64> {
        let Tick::Run(kind) = self.engine.tick(has_rows) else {
            return None;
        };
        self.running = Some((SystemTime::now(), Instant::now()));
        Some(self.engine.begin(kind))
    }

    /// Adds a row to the running batch.
    #[inline]
    pub fn push(&mut self, event_time: Micros, value: &str) {
        self.engine.push(event_time, value);
    }

    /// Finishes the running batch and hands it to every sink, then to the progress log.
    pub fn finish_batch(&mut self) -> anyhow::Result<BatchOutput> {
        let (started, clock) = self
            .running
            .take()
            .context("finish_batch without a running batch")?;
        let output = self.engine.finish();
        let sinks_started = Instant::now();
        self.sinks.write_batch(&output)?;
        let timing = Timing {
            started,
            since_previous: self.previous_trigger.map(|p| clock.duration_since(p)),
            add_batch: sinks_started.elapsed(),
            wal_commit: None,
            total: clock.elapsed(),
        };
        self.previous_trigger = Some(clock);
        self.last_timing = Some(timing);
        if let Some(log) = &mut self.progress {
            self.identity.sink = self.sinks.describe();
            log.write(&Progress::new(&output, &timing, &self.identity))?;
        }
        Ok(output)
    }

    /// A tick without rows: a no-data batch if the watermark moved, else nothing.
    pub fn idle_tick(&mut self) -> anyhow::Result<Option<BatchOutput>> {
        match self.start_tick(false) {
            Some(_) => self.finish_batch().map(Some),
            None => Ok(None),
        }
    }
}

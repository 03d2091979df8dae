//! Builds the dashboard's view model ([`crate::ui::model`]) from the pipeline after each tick:
//! the open state, the batch, rate and late histories, and the sinks' status.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::app::runtime::pipeline::Pipeline;
use crate::app::sink::window_text::WindowText;
use super::console_buffer::SharedBuffer;
use crate::app::config::SinkKind;
use crate::app::sink::SinkStatus;
use crate::engine::{BatchOutput, Micros};
use crate::ui::model::{
    BATCH_HISTORY, BatchRecord, LATE_HISTORY, LateRecord, Metrics, Mode, OPEN_KEYS_SHOWN,
    OpenState, OpenWindow, RATE_HISTORY, Snapshot,
};
use crate::ui::model;

/// Keeps the histories and turns a pipeline into snapshots.
pub struct SnapshotBuilder {
    mode: Mode,
    /// What the console sink printed since the last batch.
    console: SharedBuffer,
    trigger: Option<Duration>,
    windows: WindowText,
    batches: VecDeque<Arc<BatchRecord>>,
    late: VecDeque<Arc<LateRecord>>,
    metrics: Metrics,
    open: Arc<OpenState>,
}

impl SnapshotBuilder {
    /// A builder for a run shown in `mode`; `console` is where the console sink writes.
    pub fn new(
        mode: Mode,
        trigger: Option<Duration>,
        windows: WindowText,
        console: SharedBuffer,
    ) -> Self {
        SnapshotBuilder {
            mode,
            trigger,
            windows,
            console,
            batches: VecDeque::new(),
            late: VecDeque::new(),
            metrics: Metrics::default(),
            open: Arc::new(OpenState::default()),
        }
    }

    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// Records a finished batch, with what the console sink printed for it if it was on; `at`
    /// is when it ran.
    pub fn record_batch(&mut self, pipeline: &Pipeline, batch: &BatchOutput, at: Micros) {
        let text = self.console.take();
        let console = pipeline
            .sinks()
            .is_enabled(SinkKind::Console)
            .then_some(text);
        let timing = pipeline.last_timing();
        let duration = timing.map_or(Duration::ZERO, |t| t.total);
        let rows = batch.stats.input_rows as f64;
        let input_rate = timing
            .and_then(|t| t.since_previous)
            .map_or(0.0, |d| rows / d.as_secs_f64().max(1e-6));
        let processed_rate = rows / duration.as_secs_f64().max(1e-6);
        push_bounded(&mut self.metrics.input_rate, input_rate, RATE_HISTORY);
        push_bounded(
            &mut self.metrics.processed_rate,
            processed_rate,
            RATE_HISTORY,
        );
        self.metrics.last_duration = Some(duration);
        self.metrics.batches += 1;
        self.metrics.input_rows += batch.stats.input_rows;
        self.metrics.emitted_rows += batch.rows.len() as u64;
        self.metrics.late_pairs += batch.stats.late_pairs;
        self.batches.push_front(Arc::new(BatchRecord {
            id: batch.id,
            kind: batch.kind,
            at,
            watermark: batch.watermark,
            input_rows: batch.stats.input_rows,
            emitted: batch.rows.len() as u64,
            duration,
            console,
        }));
        self.batches.truncate(BATCH_HISTORY);
        for late in &batch.late {
            self.late.push_front(Arc::new(LateRecord {
                batch: batch.id,
                event_time: late.event_time,
                value: late.value.clone(),
                window: self.windows.format(late.window).to_string(),
                watermark: late.watermark,
            }));
        }
        self.late.truncate(LATE_HISTORY);
        self.open = Arc::new(self.open_state(pipeline));
    }

    fn open_state(&mut self, pipeline: &Pipeline) -> OpenState {
        let engine = pipeline.engine();
        let mut budget = OPEN_KEYS_SHOWN;
        let windows = engine
            .open_windows()
            .map(|(window, keys)| {
                let key_count = keys.len();
                let mut listed: Vec<(String, u64)> = keys
                    .take(budget)
                    .map(|(value, count)| (value.to_string(), count))
                    .collect();
                budget -= listed.len();
                listed.sort_unstable();
                OpenWindow {
                    window,
                    text: self.windows.format(window).to_string(),
                    rows: listed.iter().map(|(_, c)| c).sum(),
                    keys: listed,
                    key_count,
                }
            })
            .collect();
        OpenState {
            windows,
            keys: engine.state_rows(),
        }
    }

    /// The sinks' status as the dashboard shows it.
    pub fn sinks(&self, pipeline: &Pipeline) -> Vec<model::SinkStatus> {
        pipeline
            .sinks()
            .status()
            .into_iter()
            .map(sink_status)
            .collect()
    }

    /// The snapshot after `ticks` ticks; the next trigger fires at `next_trigger`.
    pub fn snapshot(
        &mut self,
        pipeline: &Pipeline,
        ticks: u64,
        next_trigger: Option<Micros>,
        now: Micros,
    ) -> Arc<Snapshot> {
        let engine = pipeline.engine();
        self.metrics.state_rows = engine.state_rows() as u64;
        self.metrics.state_bytes = engine.memory_bytes() as u64;
        Arc::new(Snapshot {
            mode: self.mode.clone(),
            query: *engine.query(),
            trigger: self.trigger,
            taken_at: now,
            ticks,
            next_trigger,
            watermark: engine.watermark(),
            next_watermark: engine.next_watermark(),
            max_event_time: engine.max_event_time(),
            next_batch_id: engine.next_batch_id(),
            open: self.open.clone(),
            batches: self.batches.iter().cloned().collect(),
            metrics: self.metrics.clone(),
            late: self.late.iter().cloned().collect(),
            sinks: self.sinks(pipeline),
        })
    }
}

fn push_bounded(history: &mut Vec<f64>, value: f64, limit: usize) {
    if history.len() == limit {
        history.remove(0);
    }
    history.push(value);
}

/// A sink's status as the dashboard shows it.
fn sink_status(status: SinkStatus) -> model::SinkStatus {
    model::SinkStatus {
        kind: match status.kind {
            SinkKind::Console => model::SinkKind::Console,
            SinkKind::File => model::SinkKind::File,
            SinkKind::Json => model::SinkKind::Json,
        },
        enabled: status.enabled,
        description: status.description,
        batches: status.batches,
        rows: status.rows,
        files: status.files,
        error: status.error,
    }
}

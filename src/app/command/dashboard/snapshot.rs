//! Builds the dashboard's view model ([`crate::ui::model`]) from the pipeline after each tick:
//! the open state, the batch, rate and late histories, and the sinks' status.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::console_buffer::SharedBuffer;
use crate::app::config::SinkKind;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::sink::SinkStatus;
use crate::app::sink::cells::Cells;
use crate::engine::{BatchOutput, Micros};
use crate::engine::{Datum, Query, Value};
use crate::ui::model;
use crate::ui::model::{
    BATCH_HISTORY, BatchRecord, LATE_HISTORY, LateRecord, Metrics, Mode, ModesTick, ModesView,
    OPEN_KEYS_SHOWN, OpenKey, OpenState, OpenWindow, RATE_HISTORY, Resumed, Snapshot,
};

/// Keeps the histories and turns a pipeline into snapshots.
pub struct SnapshotBuilder {
    mode: Mode,
    /// What the console sink printed since the last batch.
    console: SharedBuffer,
    trigger: Option<Duration>,
    cells: Cells,
    batches: VecDeque<Arc<BatchRecord>>,
    late: VecDeque<Arc<LateRecord>>,
    metrics: Metrics,
    /// The open state after the last batch; none until one ran or a snapshot was taken (then
    /// it is the state the run started with: a resumed run's windows show before its first
    /// batch).
    open: Option<Arc<OpenState>>,
    query: Option<Arc<Query>>,
    /// The modes view, and what it was made from.
    modes: Option<(ModesSeen, Arc<ModesView>)>,
    resumed: Option<Resumed>,
}

/// Each tick of the modes view with the id of each mode's batch: when it is unchanged, so is
/// the view.
type ModesSeen = Vec<(u64, [Option<u64>; 3])>;

impl SnapshotBuilder {
    /// A builder for a run shown in `mode`; `console` is where the console sink writes.
    pub fn new(mode: Mode, trigger: Option<Duration>, cells: Cells, console: SharedBuffer) -> Self {
        SnapshotBuilder {
            mode,
            trigger,
            cells,
            console,
            batches: VecDeque::new(),
            late: VecDeque::new(),
            metrics: Metrics::default(),
            open: None,
            query: None,
            modes: None,
            resumed: None,
        }
    }

    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// The run started from a checkpoint, as `resumed` says.
    pub fn set_resumed(&mut self, resumed: Resumed) {
        self.resumed = Some(resumed);
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
        self.metrics.refused_rows += batch.stats.rows_refused;
        self.metrics.rows_without_time += batch.stats.rows_without_event_time;
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
        let key_types = pipeline.engine().query().key_types();
        for late in &batch.late {
            let key: Vec<String> = crate::engine::key_values(key_types, &late.key)
                .map(|v| self.cells.show_value(v))
                .collect();
            self.late.push_front(Arc::new(LateRecord {
                batch: batch.id,
                event_time: late.event_time,
                key: key.join(", "),
                window: self.cells.window(late.window).to_string(),
                watermark: late.watermark,
            }));
        }
        self.late.truncate(LATE_HISTORY);
        self.open = Some(Arc::new(self.open_state(pipeline)));
    }

    fn open_state(&mut self, pipeline: &Pipeline) -> OpenState {
        let engine = pipeline.engine();
        let mut windows: Vec<OpenWindow> = Vec::new();
        let cells = &mut self.cells;
        engine.open_rows(OPEN_KEYS_SHOWN, |window, key, aggs| {
            if windows.last().is_none_or(|w| w.window != window) {
                windows.push(OpenWindow {
                    window,
                    text: cells.window(window).to_string(),
                    keys: Vec::new(),
                    key_count: 0,
                });
            }
            let mut shown = Vec::new();
            cells.show_values(key, aggs.iter().map(Datum::as_value), &mut shown);
            let bar = aggs.first().map_or(0.0, |a| match a.as_value() {
                Value::Long(v) => v as f64,
                Value::Double(v) if v.is_finite() => v,
                Value::Float(v) if v.is_finite() => f64::from(v),
                _ => 0.0,
            });
            let number = crate::engine::key_values(engine.query().key_types(), key)
                .next()
                .and_then(|v| match v {
                    Value::Str(s) => s.trim().parse::<f64>().ok(),
                    other => other.as_f64(),
                });
            let open = windows.last_mut().expect("pushed above");
            open.key_count += 1;
            open.keys.push(OpenKey {
                cells: shown,
                bar,
                number,
            });
        });
        // Sessions come key by key: the panels show windows in start order.
        windows.sort_by_key(|w| w.window);
        windows.dedup_by(|later, earlier| {
            if later.window == earlier.window {
                earlier.keys.append(&mut later.keys);
                earlier.key_count += later.key_count;
                true
            } else {
                false
            }
        });
        for window in &mut windows {
            window.keys.sort_by(|a, b| a.cells.cmp(&b.cells));
        }
        OpenState {
            windows,
            keys: engine.state_rows(),
        }
    }

    /// The query, shared by every snapshot.
    fn query(&mut self, query: &Query) -> Arc<Query> {
        match &self.query {
            Some(shared) if **shared == *query => shared.clone(),
            _ => {
                let shared = Arc::new(query.clone());
                self.query = Some(shared.clone());
                shared
            }
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
        let open = if let Some(open) = &self.open {
            open.clone()
        } else {
            let open = Arc::new(self.open_state(pipeline));
            self.open = Some(open.clone());
            open
        };
        Arc::new(Snapshot {
            mode: self.mode.clone(),
            query: self.query(engine.query()),
            trigger: self.trigger,
            taken_at: now,
            ticks,
            next_trigger,
            watermark: engine.watermark(),
            next_watermark: engine.next_watermark(),
            max_event_time: engine.max_event_time(),
            next_batch_id: engine.next_batch_id(),
            open,
            batches: self.batches.iter().cloned().collect(),
            metrics: self.metrics.clone(),
            late: self.late.iter().cloned().collect(),
            sinks: self.sinks(pipeline),
            modes: self.modes(pipeline),
            resumed: self.resumed.clone(),
            stalled: pipeline.stalled().map(str::to_string),
        })
    }

    /// The modes view of what the pipeline's other modes did (made again only when a mode ran
    /// a batch since the last one).
    fn modes(&mut self, pipeline: &Pipeline) -> Option<Arc<ModesView>> {
        let modes = pipeline.other_modes()?;
        let seen: ModesSeen = modes
            .recent()
            .iter()
            .map(|t| {
                (
                    t.tick,
                    t.batches
                        .each_ref()
                        .map(|b| b.as_ref().map(|b| b.output.id)),
                )
            })
            .collect();
        if let Some((made_from, view)) = &self.modes
            && *made_from == seen
        {
            return Some(view.clone());
        }
        let cells = &mut self.cells;
        let ticks = modes
            .recent()
            .iter()
            .map(|t| ModesTick {
                tick: t.tick,
                batches: t.batches.each_ref().map(|batch| {
                    batch.as_ref().map(|batch| {
                        let out = &batch.output;
                        let mut rows: Vec<Vec<String>> = out
                            .rows
                            .iter()
                            .map(|row| {
                                let mut shown = vec![cells.window(row.window).to_string()];
                                cells.show_values(out.key(row), out.aggs(row), &mut shown);
                                shown
                            })
                            .collect();
                        rows.sort_by(|a, b| shown_order(a, b));
                        model::ModeBatch {
                            id: out.id,
                            kind: out.kind,
                            watermark: out.watermark,
                            rows,
                            emitted: batch.emitted,
                        }
                    })
                }),
            })
            .collect();
        let view = Arc::new(ModesView {
            main: modes.main(),
            notes: modes.notes(),
            ticks,
        });
        self.modes = Some((seen, view.clone()));
        Some(view)
    }
}

/// A modes-view row's order: by window, then by the first value, numerically when both are
/// numbers (`2` before `10`), as Open windows lists them.
fn shown_order(a: &[String], b: &[String]) -> std::cmp::Ordering {
    let number = |row: &[String]| row.get(1).and_then(|v| v.parse::<f64>().ok());
    a.first()
        .cmp(&b.first())
        .then_with(|| match (number(a), number(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a[1..].cmp(&b[1..]),
        })
}

fn push_bounded(history: &mut Vec<f64>, value: f64, limit: usize) {
    if history.len() == limit {
        history.remove(0);
    }
    history.push(value);
}

/// `snapshot` with each sink of `switches` on or off as it says: the switches as they are
/// now, shown over a batch already run. What each sink wrote, and its error, stay the
/// snapshot's; a sink first switched on after it shows as on, having written nothing then.
/// In place, unless something else holds the snapshot too (the frame on screen).
pub fn show_switches(snapshot: &mut Arc<Snapshot>, switches: &[(model::SinkKind, bool)]) {
    let shown = |kind| snapshot.sinks.iter().any(|s| s.kind == kind && s.enabled);
    if switches.iter().all(|&(kind, on)| shown(kind) == on) {
        return;
    }
    let sinks = &mut Arc::make_mut(snapshot).sinks;
    for &(kind, on) in switches {
        match sinks.iter_mut().find(|s| s.kind == kind) {
            Some(sink) => sink.enabled = on,
            None if on => sinks.push(model::SinkStatus {
                kind,
                enabled: true,
                description: None,
                batches: 0,
                rows: 0,
                files: 0,
                error: None,
            }),
            None => {}
        }
    }
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

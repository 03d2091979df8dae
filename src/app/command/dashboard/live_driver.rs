//! The dashboard over the live pipeline: the trigger thread publishes a snapshot after every tick
//! (through [`SnapshotPublisher`], its observer); keys become controls sent to it, or changes of
//! the embedded server's pace and the reader's pause switch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::export_key::{Export, export_job};
use super::render_loop::Driver;
use super::snapshot::SnapshotBuilder;
use crate::app::clock::now_micros;
use crate::app::config::SinkKind;
use crate::app::runtime::live::Live;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::runtime::trigger::{Control, Observer, TickInfo};
use crate::app::sink::file_sink_refusal;
use crate::app::source::server::Pace;
use crate::app::source::socket::Connection;
use crate::engine::BatchOutput;
use crate::ui::format;
use crate::ui::keymap::Action;
use crate::ui::model::{self, Link, Mode, Snapshot, Status};

/// Turns ticks into snapshots for the dashboard (runs on the trigger thread).
pub struct SnapshotPublisher {
    pub builder: SnapshotBuilder,
    pub tx: watch::Sender<Option<Arc<Snapshot>>>,
}

impl Observer for SnapshotPublisher {
    fn started(&mut self, address: &str) {
        self.builder.set_mode(Mode::Live {
            source: address.to_string(),
        });
    }

    fn after_tick(&mut self, pipeline: &Pipeline, batch: Option<&BatchOutput>, tick: TickInfo) {
        let now = now_micros();
        if let Some(batch) = batch {
            self.builder.record_batch(pipeline, batch, now);
        }
        let until = tick.next.saturating_duration_since(Instant::now());
        let next = now.saturating_add(i64::try_from(until.as_micros()).unwrap_or(i64::MAX));
        let snapshot = self
            .builder
            .snapshot(pipeline, tick.tick + 1, Some(next), now);
        self.tx.send_replace(Some(snapshot));
    }

    fn after_control(&mut self, pipeline: &Pipeline, _: &Control, _: Option<String>) {
        let previous = self.tx.borrow().clone();
        if let Some(previous) = previous {
            let snapshot = self.builder.snapshot(
                pipeline,
                previous.ticks,
                previous.next_trigger,
                now_micros(),
            );
            self.tx.send_replace(Some(snapshot));
        }
    }
}

/// The live pipeline, as the dashboard drives it.
pub struct LiveDriver {
    pub live: Live,
    pub snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    pub file_output: String,
    pub paused: bool,
    pub rate: RateMeter,
    pub export: Export,
    /// The pipeline has ended: the source is over, or it failed (then the dashboard closes and
    /// the error is printed).
    pub ended: bool,
}

impl LiveDriver {
    fn sink_on(&self, kind: model::SinkKind) -> bool {
        self.snapshot()
            .is_some_and(|s| s.sinks.iter().any(|sink| sink.kind == kind && sink.enabled))
    }
}

impl Driver for LiveDriver {
    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshots.borrow().clone()
    }

    fn status(&mut self) -> Status {
        let reader = &self.live.reader;
        let accepted = reader.accepted();
        Status {
            link: match reader.connection() {
                Connection::Connecting => Link::Connecting,
                Connection::Connected => Link::Connected,
                Connection::Retrying { reason, .. } => Link::Retrying(reason),
                Connection::Finished => Link::Finished,
            },
            accepted,
            rejected: reader.rejected_total(),
            rate: self.rate.update(accepted),
            paused: self.paused,
            delay: self.live.pace.as_ref().map(|p| p.borrow().delay),
            speed: None,
            file_output: self.file_output.clone(),
            notice: lasting_notice(
                self.ended,
                self.snapshot()
                    .as_deref()
                    .and_then(|s| s.stalled.as_deref()),
            ),
        }
    }

    fn act(&mut self, action: Action) -> Option<String> {
        match action {
            Action::ToggleFile
                if let Some(why) = self
                    .snapshot()
                    .and_then(|s| file_sink_refusal(s.query.mode())) =>
            {
                Some(why)
            }
            Action::ToggleConsole | Action::ToggleFile => {
                let (kind, shown) = if action == Action::ToggleFile {
                    (SinkKind::File, model::SinkKind::File)
                } else {
                    (SinkKind::Console, model::SinkKind::Console)
                };
                let on = !self.sink_on(shown);
                let _ = self.live.controls.send(Control::Sink(kind, on));
                Some(format!(
                    "{} sink {}",
                    kind.name(),
                    if on { "on" } else { "off" }
                ))
            }
            Action::Pause => {
                self.paused = !self.paused;
                let _ = self.live.reader_paused.send(self.paused);
                if let Some(pace) = &self.live.pace {
                    pace.send_modify(|p| p.paused = self.paused);
                }
                Some(
                    if self.paused {
                        "source paused"
                    } else {
                        "source resumed"
                    }
                    .to_string(),
                )
            }
            Action::Faster | Action::Slower => {
                let Some(pace) = &self.live.pace else {
                    return Some("an external server sets its own pace".to_string());
                };
                pace.send_modify(|p: &mut Pace| {
                    p.delay = if action == Action::Faster {
                        (p.delay / 2).max(Duration::from_micros(1))
                    } else {
                        (p.delay.max(Duration::from_micros(1)) * 2).min(Duration::from_secs(60))
                    };
                });
                let delay = pace.borrow().delay;
                Some(format!("one line every {}", format::duration(delay)))
            }
            Action::InjectLate => {
                let _ = self.live.controls.send(Control::InjectLate);
                Some("a late row is on its way".to_string())
            }
            Action::Export => Some(
                export_job(&self.export, self.sink_on(model::SinkKind::File)).map_or_else(
                    |why| why,
                    |written| format!("{}: spark-submit it", written.said),
                ),
            ),
            _ => None,
        }
    }

    async fn changed(&mut self) {
        if self.ended {
            return std::future::pending().await;
        }
        if self.snapshots.changed().await.is_err() {
            // The trigger thread is gone (its observer held the sender): show how it ended.
            self.live.wait_ended().await;
            self.ended = true;
        }
    }

    fn failed(&self) -> bool {
        self.live.failed()
    }
}

/// Lines per second over the last second or so.
#[derive(Default)]
pub struct RateMeter {
    last: Option<(Instant, u64)>,
    rate: f64,
}

impl RateMeter {
    fn update(&mut self, total: u64) -> f64 {
        let now = Instant::now();
        match self.last {
            Some((at, count)) if now.duration_since(at) >= Duration::from_secs(1) => {
                self.rate = (total - count) as f64 / now.duration_since(at).as_secs_f64();
                self.last = Some((now, total));
            }
            None => self.last = Some((now, total)),
            _ => {}
        }
        self.rate
    }
}

/// What stays in the footer while it is true: the source's end, else why batches cannot run
/// (the checkpoint cannot log them), which the log alone would not show.
fn lasting_notice(ended: bool, stalled: Option<&str>) -> Option<String> {
    if ended {
        Some("the source is over: q quits".to_string())
    } else {
        stalled.map(|why| format!("no batch runs: {why}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_that_cannot_log_stays_in_the_footer_while_it_lasts() {
        let why = "checkpoint: cannot log batch 76: No space left on device (os error 28)";
        let notice = lasting_notice(false, Some(why)).unwrap();
        assert!(notice.contains("No space left"), "{notice}");
        assert_eq!(lasting_notice(false, None), None);
        assert_eq!(
            lasting_notice(true, Some(why)).as_deref(),
            Some("the source is over: q quits")
        );
    }
}

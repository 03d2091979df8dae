//! The dashboard over a recorded stream. The replay runs on a worker thread of its own, with the
//! same read-ahead as a headless replay, so a large batch never freezes the keys: the dashboard
//! asks for steps and shows each snapshot the worker sends back. Stepping back shows snapshots
//! already seen; playback asks for as many steps as its speed says are due, so the speed is real
//! even above the frame rate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::export_key::{Export, export_replay_job};
use super::render_loop::Driver;
use super::snapshot::{SnapshotBuilder, show_switches};
use crate::app::clock::now_micros;
use crate::app::command::export::stage;
use crate::app::command::replay::ReplayStepper;
use crate::app::config::SinkKind;
use crate::app::sink::file_sink_refusal;
use crate::app::source::replay::ReplaySource;
use crate::ui::keymap::Action;
use crate::ui::model::{self, Link, Mode, Snapshot, Status};

/// The slowest and fastest playback, in batches per second.
pub const SPEEDS: std::ops::RangeInclusive<f64> = 0.125..=1024.0;

/// Snapshots kept for stepping back; older ones are dropped.
const HISTORY: usize = 2_000;

/// What the dashboard asks the worker for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    /// Run this many more batches.
    Steps(u32),
    /// Switch a sink on or off.
    Sink(SinkKind, bool),
    /// Stage the replayed file's rows in the folder the job `job` reads.
    Stage { dir: PathBuf, job: String },
}

/// What the worker says back.
#[derive(Debug)]
struct Update {
    /// A snapshot to show: after a new batch (`replaces_last` false), or the last one with
    /// news (a sink switched, the replay finished).
    snapshot: Option<Arc<Snapshot>>,
    replaces_last: bool,
    /// Whether this answers steps.
    stepped: bool,
    /// How many requests (steps, or a switched sink) this answers: the steps left after one
    /// that failed are answered with it.
    answers: u32,
    notice: Option<String>,
    /// The step failed: playback stops and the error shows until a step works.
    error: Option<String>,
    /// The error the replay stopped on (a bad row, the file unreadable): no step works again,
    /// and the run ends with it once the dashboard closes, as a headless replay does.
    stopped: Option<anyhow::Error>,
    rows: u64,
    skipped: u64,
    done: bool,
    /// Which sinks are on: the console sink, the file sink.
    on: [bool; 2],
    /// The folder staging the rows in failed: the next `e` stages them afresh.
    unstaged: Option<PathBuf>,
}

/// Runs the replay on the worker thread.
struct Worker {
    stepper: ReplayStepper<ReplaySource>,
    builder: SnapshotBuilder,
    file: String,
    /// The replayed file, staged for an exported job on request.
    events: PathBuf,
    updates: mpsc::UnboundedSender<Update>,
    /// The snapshot last sent: the final idle tick may only mark it finished.
    last: Option<Arc<Snapshot>>,
}

impl Worker {
    fn run(mut self, requests: &std_mpsc::Receiver<Request>) {
        while let Ok(request) = requests.recv() {
            let sent = match request {
                Request::Steps(n) => self.steps(n),
                Request::Sink(kind, on) => self.switch(kind, on),
                Request::Stage { dir, job } => self.stage(&dir, &job),
            };
            if !sent {
                return;
            }
        }
    }

    fn update(&self, stepped: bool) -> Update {
        Update {
            snapshot: None,
            replaces_last: false,
            stepped,
            answers: 1,
            notice: None,
            error: None,
            stopped: None,
            rows: self.stepper.summary().rows,
            skipped: self.stepper.summary().skipped,
            done: self.stepper.is_done(),
            on: sinks_on(&self.stepper),
            unstaged: None,
        }
    }

    /// Runs up to `n` batches, sending what each shows; a failure or the end answers the
    /// steps left. False once nobody listens.
    fn steps(&mut self, n: u32) -> bool {
        for i in 0..n {
            let mut update = self.step();
            let stop = update.error.is_some() || update.notice.is_some();
            if stop {
                update.answers = n - i;
            }
            if self.updates.send(update).is_err() {
                return false;
            }
            if stop {
                break;
            }
        }
        true
    }

    /// Runs the next batch; returns what it shows.
    fn step(&mut self) -> Update {
        let mut update = self.update(true);
        if self.stepper.is_done() {
            update.notice = Some("the replay is over".to_string());
            return update;
        }
        match self.stepper.step() {
            Ok(batch) => {
                let now = now_micros();
                let pipeline = self.stepper.pipeline();
                if let Some(batch) = &batch {
                    self.builder.record_batch(pipeline, batch, now);
                }
                self.builder.set_mode(Mode::Replay {
                    file: self.file.clone(),
                    finished: self.stepper.is_done(),
                });
                let snapshot = self
                    .builder
                    .snapshot(pipeline, self.stepper.ticks(), None, now);
                // The final idle tick may run nothing: then the last snapshot only turns finished.
                let snapshot = match (&batch, &self.last) {
                    (None, Some(last)) => {
                        update.replaces_last = true;
                        let mut finished = (**last).clone();
                        finished.mode = snapshot.mode.clone();
                        Arc::new(finished)
                    }
                    _ => snapshot,
                };
                self.last = Some(snapshot.clone());
                update.snapshot = Some(snapshot);
            }
            Err(e) => {
                update.error = Some(format!("{e:#}"));
                update.snapshot = Some(self.refreshed());
                update.replaces_last = true;
                if self.stepper.is_done() {
                    update.stopped = Some(e);
                }
            }
        }
        update.done = self.stepper.is_done();
        update.rows = self.stepper.summary().rows;
        update.skipped = self.stepper.summary().skipped;
        update
    }

    fn switch(&mut self, kind: SinkKind, on: bool) -> bool {
        let result = self
            .stepper
            .pipeline_mut()
            .sinks_mut()
            .set_enabled(kind, on);
        let mut update = self.update(false);
        update.notice = Some(match result {
            Ok(()) => format!("{} sink {}", kind.name(), if on { "on" } else { "off" }),
            Err(e) => format!("{} sink: {e:#}", kind.name()),
        });
        update.snapshot = Some(self.refreshed());
        update.replaces_last = true;
        self.updates.send(update).is_ok()
    }

    /// Stages the replayed file's rows in `dir` for the exported job `job`, and says how that
    /// went. A large file takes a while, during which no step runs (the footer says staging).
    fn stage(&mut self, dir: &Path, job: &str) -> bool {
        let mut update = self.update(false);
        let staged = stage::stage(&self.events, dir, None);
        update.unstaged = staged.is_err().then(|| dir.to_path_buf());
        update.notice = Some(match staged {
            // What to run last: a footer too narrow keeps a notice's start and end.
            Ok(staged) => format!(
                "staged the {} rows in ./{} ({}{}): spark-submit ./{job}",
                staged.rows,
                dir.display(),
                staged.files(),
                staged.idle_briefly()
            ),
            Err(e) => format!("cannot stage the rows in {}: {e:#}", dir.display()),
        });
        self.updates.send(update).is_ok()
    }

    /// The run as it is now (the sinks on or off, their errors, the engine past a batch a sink
    /// failed on), to show in place of the last snapshot.
    fn refreshed(&mut self) -> Arc<Snapshot> {
        let snapshot = self.builder.snapshot(
            self.stepper.pipeline(),
            self.stepper.ticks(),
            None,
            now_micros(),
        );
        self.last = Some(snapshot.clone());
        snapshot
    }
}

/// A recorded stream, as the dashboard drives it.
pub struct ReplayDriver {
    requests: std_mpsc::Sender<Request>,
    updates: mpsc::UnboundedReceiver<Update>,
    history: std::collections::VecDeque<Arc<Snapshot>>,
    at: usize,
    playing: bool,
    speed: f64,
    /// When playback asks for the next step.
    next_step: Option<Instant>,
    /// Steps asked for and not answered yet.
    in_flight: u32,
    /// `n` and `p` pressed while steps were in flight: each acts, in order, once they land.
    queued: std::collections::VecDeque<Action>,
    /// Answers the worker owes (a step or a switched sink each).
    owed: u32,
    done: bool,
    rows: u64,
    skipped: u64,
    /// Which sinks are on: the console sink, the file sink.
    on: [bool; 2],
    file_output: String,
    /// The last step failed with this; it shows until a step works.
    error: Option<String>,
    /// The error the replay stopped on, if it did: the run's outcome.
    stopped: Option<anyhow::Error>,
    /// What the worker last said (a sink switched, the end).
    notice: Option<String>,
    export: Export,
    /// Where an earlier `e` staged the replayed rows.
    staged: Option<PathBuf>,
}

impl ReplayDriver {
    /// Starts the worker on `stepper`, the replay of `events`; `first` is the snapshot before
    /// any batch.
    pub fn start(
        stepper: ReplayStepper<ReplaySource>,
        mut builder: SnapshotBuilder,
        events: PathBuf,
        file_output: String,
        export: Export,
    ) -> anyhow::Result<Self> {
        let first = builder.snapshot(stepper.pipeline(), 0, None, now_micros());
        let on = sinks_on(&stepper);
        let (requests, request_rx) = std_mpsc::channel();
        let (update_tx, updates) = mpsc::unbounded_channel();
        let worker = Worker {
            stepper,
            builder,
            file: events.display().to_string(),
            events,
            updates: update_tx,
            last: Some(first.clone()),
        };
        std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || worker.run(&request_rx))
            .map_err(|e| anyhow::anyhow!("cannot start the replay thread: {e}"))?;
        Ok(ReplayDriver {
            requests,
            updates,
            history: std::collections::VecDeque::from([first]),
            at: 0,
            playing: false,
            speed: 2.0,
            next_step: None,
            in_flight: 0,
            queued: std::collections::VecDeque::new(),
            owed: 0,
            done: false,
            rows: 0,
            skipped: 0,
            on,
            file_output,
            error: None,
            stopped: None,
            notice: None,
            export,
            staged: None,
        })
    }

    /// `e`: the job of this replay, reading its rows staged once for all its jobs: by the
    /// worker, the first time, in the first free `staged` folder.
    fn export_staged(&mut self) -> String {
        match export_replay_job(&self.export, self.on[1], self.staged.as_deref()) {
            Ok((written, dir)) if self.staged.is_some() => format!(
                "{} for the rows staged in ./{}: spark-submit it",
                written.said,
                dir.display()
            ),
            Ok((written, dir)) => {
                let said = format!("{}; staging the rows in ./{}…", written.said, dir.display());
                let job = written.name;
                if self
                    .requests
                    .send(Request::Stage {
                        dir: dir.clone(),
                        job,
                    })
                    .is_ok()
                {
                    self.owed += 1;
                    self.staged = Some(dir);
                }
                said
            }
            Err(why) => why,
        }
    }

    /// Plays at `speed` batches per second from the start.
    pub fn play(&mut self, speed: f64) {
        self.speed = speed.clamp(*SPEEDS.start(), *SPEEDS.end());
        self.playing = true;
    }

    /// Shows the next batch: one already seen, or asks the worker for it.
    fn next(&mut self, steps: u32) -> Option<String> {
        if self.at + 1 < self.history.len() {
            self.at += 1;
            return None;
        }
        if self.done {
            self.playing = false;
            return Some("the replay is over".to_string());
        }
        if self.in_flight == 0 && self.requests.send(Request::Steps(steps)).is_ok() {
            self.in_flight = steps;
            self.owed += steps;
        }
        None
    }

    /// How the replay went: the error it stopped on (a bad row under `--on-bad-row error`, the
    /// file unreadable), a step that failed and was not tried again before the user quit (a
    /// sink that could not write a batch), or fine when it finished or the user quit before
    /// the end.
    pub fn outcome(self) -> anyhow::Result<()> {
        if let Some(stopped) = self.stopped {
            return Err(stopped);
        }
        match self.error {
            Some(error) => Err(anyhow::anyhow!(
                "{error} (the dashboard was quit before a step got past it)"
            )),
            None => Ok(()),
        }
    }

    fn apply(&mut self, update: Update) {
        self.owed = self.owed.saturating_sub(update.answers);
        if update.unstaged.is_some() && update.unstaged == self.staged {
            self.staged = None;
        }
        if update.stepped {
            self.in_flight = self.in_flight.saturating_sub(update.answers);
        }
        let following = self.at + 1 == self.history.len();
        if let Some(snapshot) = update.snapshot {
            if update.replaces_last && !self.history.is_empty() {
                *self.history.back_mut().expect("not empty") = snapshot;
            } else {
                self.history.push_back(snapshot);
                if self.history.len() > HISTORY {
                    self.history.pop_front();
                    self.at = self.at.saturating_sub(1);
                }
                if following {
                    self.at = self.history.len() - 1;
                }
            }
        }
        if update.stepped {
            // Whatever failed before (a sink) works again once a step does.
            self.error.clone_from(&update.error);
        }
        if update.error.is_some() {
            self.playing = false;
        }
        if update.stopped.is_some() {
            self.stopped = update.stopped;
        }
        if let Some(notice) = update.notice {
            if update.stepped {
                self.playing = false;
            }
            self.notice = Some(notice);
        }
        self.done = update.done;
        self.rows = update.rows;
        self.skipped = update.skipped;
        if update.on != self.on {
            self.on = update.on;
            self.show_switches();
        }
        // The keys pressed meanwhile, in order, until one waits for a step again.
        while self.in_flight == 0
            && let Some(action) = self.queued.pop_front()
        {
            if let Some(notice) = self.step_now(action) {
                self.notice = Some(notice);
            }
        }
    }

    /// A sink switched on or off (`c`, `f`) is switched for the batches to come, whichever
    /// batch is shown: every kept snapshot shows the switches as they are now (the worker
    /// refreshes only the newest), so no step back or forth shows a switch as `c` or `f` has
    /// not left it.
    fn show_switches(&mut self) {
        let switches = [
            (model::SinkKind::Console, self.on[0]),
            (model::SinkKind::File, self.on[1]),
        ];
        for snapshot in &mut self.history {
            show_switches(snapshot, &switches);
        }
    }

    /// `n` or `p`: the next batch or the one before; pressed while a step is on its way, it
    /// waits for it (every press counts, in order).
    fn step_key(&mut self, action: Action) -> Option<String> {
        self.playing = false;
        if self.in_flight > 0 || !self.queued.is_empty() {
            self.queued.push_back(action);
            return None;
        }
        self.step_now(action)
    }

    fn step_now(&mut self, action: Action) -> Option<String> {
        if action == Action::StepNext {
            self.next(1)
        } else {
            self.at = self.at.saturating_sub(1);
            None
        }
    }

    /// What the worker said last, or the error it stopped on (tests).
    #[cfg(test)]
    pub fn take_notice(&mut self) -> Option<String> {
        self.news().or_else(|| self.error.clone())
    }

    #[cfg(test)]
    pub fn playback(&self) -> (bool, f64) {
        (self.playing, self.speed)
    }

    /// Waits for every step asked for (tests drive the worker without a runtime).
    #[cfg(test)]
    pub fn settle(&mut self) {
        while self.owed > 0 {
            match self.updates.blocking_recv() {
                Some(update) => self.apply(update),
                None => return,
            }
        }
    }
}

impl Driver for ReplayDriver {
    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.history.get(self.at).cloned()
    }

    fn status(&mut self) -> Status {
        Status {
            link: if self.stopped.is_some() {
                Link::Stopped
            } else {
                Link::File
            },
            accepted: self.rows,
            rejected: self.skipped,
            rate: 0.0,
            paused: false,
            delay: None,
            speed: self.playing.then_some(self.speed),
            file_output: self.file_output.clone(),
            notice: self.error.clone(),
        }
    }

    fn news(&mut self) -> Option<String> {
        self.notice.take()
    }

    fn act(&mut self, action: Action) -> Option<String> {
        match action {
            Action::StepNext | Action::StepPrev => self.step_key(action),
            Action::Pause => {
                self.playing = !self.playing;
                self.next_step = None;
                None
            }
            Action::Export => Some(self.export_staged()),
            Action::Faster => {
                self.speed = (self.speed * 2.0).min(*SPEEDS.end());
                Some(format!("{} batches/s", self.speed))
            }
            Action::Slower => {
                self.speed = (self.speed / 2.0).max(*SPEEDS.start());
                Some(format!("{} batches/s", self.speed))
            }
            Action::ToggleFile
                if let Some(why) = self
                    .snapshot()
                    .and_then(|s| file_sink_refusal(s.query.mode())) =>
            {
                Some(why)
            }
            Action::ToggleConsole | Action::ToggleFile => {
                let (kind, on) = if action == Action::ToggleFile {
                    (SinkKind::File, !self.on[1])
                } else {
                    (SinkKind::Console, !self.on[0])
                };
                if self.requests.send(Request::Sink(kind, on)).is_ok() {
                    self.owed += 1;
                }
                None
            }
            _ => None,
        }
    }

    async fn changed(&mut self) {
        // Playback: when the next step is due, ask for every step due by then.
        let due = (self.playing && self.in_flight == 0).then(|| {
            let every = Duration::from_secs_f64(1.0 / self.speed);
            *self.next_step.get_or_insert_with(|| Instant::now() + every)
        });
        tokio::select! {
            Some(update) = self.updates.recv() => self.apply(update),
            () = sleep_until(due), if due.is_some() => {
                let every = Duration::from_secs_f64(1.0 / self.speed);
                let due = due.unwrap_or_else(Instant::now);
                let late = Instant::now().saturating_duration_since(due);
                let steps = 1 + (late.as_secs_f64() * self.speed).floor().min(1024.0) as u32;
                self.next_step = Some(due + every * steps);
                if let Some(notice) = self.next(steps) {
                    self.notice = Some(notice);
                }
            }
            else => std::future::pending().await,
        }
    }
}

/// Whether the console sink and the file sink are on.
fn sinks_on(stepper: &ReplayStepper<ReplaySource>) -> [bool; 2] {
    let sinks = stepper.pipeline().sinks();
    [
        sinks.is_enabled(SinkKind::Console),
        sinks.is_enabled(SinkKind::File),
    ]
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

//! The dashboard's run loop: terminal set-up and restore (also on panic and SIGTERM), key events
//! to actions, and drawing at most 30 times a second, only when something changed.
//!
//! Two drivers feed it: a live pipeline (snapshots published by the trigger thread) and a replay
//! stepped by key or played at a speed. Rendering is `ui::draw`, a pure function of the snapshot,
//! the source status and the view state.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};
use ratatui::prelude::Backend;
use ratatui::{DefaultTerminal, Terminal};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::app::cli::{LiveArgs, ReplayArgs, SPEEDS, SinkArgs, SinkKind};
use crate::app::error::{BadInput, OrBadInput};
use crate::app::export::{self, JobSink, JobSource, JobSpec, WindowPattern};
use crate::app::headless::live_options;
use crate::app::live::trigger::{Control, Observer, TickInfo};
use crate::app::live::{self, Live, LiveOptions};
use crate::app::logging;
use crate::app::pipeline::Pipeline;
use crate::app::progress::ProgressLog;
use crate::app::replay::{self, ReplayStepper};
use crate::app::server::Pace;
use crate::app::sink::console::ConsoleSink;
use crate::app::sink::file::FileSink;
use crate::app::sink::json::JsonSink;
use crate::app::sink::window_text::{WindowText, Zone};
use crate::app::sink::{SinkOpener, SinkSet, stdout};
use crate::app::snapshot::{Link, Mode, Snapshot, SnapshotBuilder, Status};
use crate::app::source::replay_file::ReplayReader;
use crate::app::source::socket::{Connection, now_micros};
use crate::engine::{BatchOutput, Query};
use crate::ui::keymap::{self, Action};
use crate::ui::theme::Theme;
use crate::ui::view::ViewState;
use crate::ui::{self, Screen};

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// How often the source status (counters, countdowns) is looked at between events.
const POLL: Duration = Duration::from_millis(250);

/// What the console sink prints, kept for the Append batches panel.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// The text written since the last call.
    pub fn take(&self) -> String {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&buf).into_owned();
        buf.clear();
        text
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sinks for the dashboard: the console sink writes into `console` (shown in Append batches),
/// the file sink into `--output`; the json sink needs stdout, which the dashboard uses.
fn dashboard_sinks(
    args: &SinkArgs,
    console: SharedBuffer,
    resume: Option<u64>,
) -> anyhow::Result<SinkSet> {
    if args.sinks.contains(&SinkKind::Json) {
        return Err(BadInput(
            "the json sink writes to stdout, which the dashboard draws on; add --headless".into(),
        )
        .into());
    }
    let windows = WindowText::new(&args.window_format, Zone::Local).or_bad_input()?;
    let output = args.output.clone();
    let opener: SinkOpener = Box::new(move |kind| {
        Ok(match kind {
            SinkKind::Console => Box::new(ConsoleSink::new(console.clone(), windows.clone())),
            SinkKind::File => Box::new(FileSink::open(&output, windows.clone(), resume)?),
            SinkKind::Json => Box::new(JsonSink::new(stdout())),
        })
    });
    let enabled = if args.sinks.is_empty() {
        vec![SinkKind::Console]
    } else {
        args.sinks.clone()
    };
    SinkSet::new(opener, &enabled)
}

/// The `e` key: writes the query on screen as a PySpark job in the current folder; the file sink
/// is the job's sink when it is on here.
fn export_job(base: &Result<JobSpec, String>, file_sink_on: bool) -> String {
    let mut spec = match base {
        Ok(spec) => spec.clone(),
        Err(why) => return format!("cannot export: {why}"),
    };
    spec.sink = if file_sink_on {
        JobSink::File
    } else {
        JobSink::Console
    };
    match export::write_job(&spec, Path::new(export::DEFAULT_JOB_FILE)) {
        Ok(()) => format!(
            "wrote ./{} (Spark {}): spark-submit it",
            export::DEFAULT_JOB_FILE,
            export::SPARK_VERSION
        ),
        Err(e) => format!("cannot export: {e:#}"),
    }
}

/// The export spec of a run: its query, trigger, output and a checkpoint folder of Spark's own.
fn job_spec(
    query: Query,
    trigger: crate::engine::Duration,
    sinks: &SinkArgs,
    checkpoint: &Path,
    source: JobSource,
) -> Result<JobSpec, String> {
    let mut spark_checkpoint = checkpoint.as_os_str().to_owned();
    spark_checkpoint.push("-spark");
    Ok(JobSpec {
        query,
        trigger,
        sink: JobSink::Console,
        output: sinks.output.clone(),
        checkpoint: spark_checkpoint.into(),
        source,
        window_pattern: WindowPattern::from_chrono(&sinks.window_format)
            .map_err(|e| e.to_string())?,
    })
}

/// Turns ticks into snapshots for the dashboard.
struct SnapshotPublisher {
    builder: SnapshotBuilder,
    console: SharedBuffer,
    tx: watch::Sender<Option<Arc<Snapshot>>>,
}

impl SnapshotPublisher {
    fn record(&mut self, pipeline: &Pipeline, batch: &BatchOutput) {
        let text = self.console.take();
        let console = pipeline
            .sinks()
            .is_enabled(SinkKind::Console)
            .then_some(text);
        self.builder
            .record_batch(pipeline, batch, console, now_micros());
    }
}

impl Observer for SnapshotPublisher {
    fn started(&mut self, address: &str) {
        self.builder.set_mode(Mode::Live {
            source: address.to_string(),
        });
    }

    fn after_tick(&mut self, pipeline: &Pipeline, batch: Option<&BatchOutput>, tick: TickInfo) {
        if let Some(batch) = batch {
            self.record(pipeline, batch);
        }
        let now = now_micros();
        let until = tick
            .next
            .saturating_duration_since(std::time::Instant::now());
        let next = now + until.as_micros() as i64;
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

/// One of the two things the dashboard can show.
trait Driver {
    fn snapshot(&self) -> Option<Arc<Snapshot>>;
    fn status(&mut self) -> Status;
    /// Carries out an action that is not the view's; returns a notice for the footer.
    fn act(&mut self, action: Action) -> Option<String>;
    /// Resolves when the driver has something new to show (it may never resolve).
    async fn changed(&mut self);
    /// Whether the dashboard must close: what it shows has failed for good.
    fn failed(&self) -> bool {
        false
    }
}

/// The live pipeline.
struct LiveDriver {
    live: Live,
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    file_output: String,
    paused: bool,
    rate: RateMeter,
    export: Result<JobSpec, String>,
    /// The pipeline has ended: the source is over, or it failed (then the dashboard closes and
    /// the error is printed).
    ended: bool,
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
            notice: self
                .ended
                .then(|| "the source is over: q quits".to_string()),
        }
    }

    fn act(&mut self, action: Action) -> Option<String> {
        let sinks = self.snapshot().map(|s| s.sinks.clone()).unwrap_or_default();
        let enabled = |kind| sinks.iter().any(|s| s.kind == kind && s.enabled);
        match action {
            Action::ToggleConsole | Action::ToggleFile => {
                let kind = if action == Action::ToggleFile {
                    SinkKind::File
                } else {
                    SinkKind::Console
                };
                let on = !enabled(kind);
                let _ = self.live.controls.send(Control::Sink(kind, on));
                let name = if kind == SinkKind::File {
                    "file"
                } else {
                    "console"
                };
                Some(format!("{name} sink {}", if on { "on" } else { "off" }))
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
                Some(format!("one line every {}", ui::format::duration(delay)))
            }
            Action::InjectLate => {
                let _ = self.live.controls.send(Control::InjectLate);
                Some("a late row is on its way".to_string())
            }
            Action::Export => Some(export_job(&self.export, enabled(SinkKind::File))),
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
struct RateMeter {
    last: Option<(std::time::Instant, u64)>,
    rate: f64,
}

impl RateMeter {
    fn update(&mut self, total: u64) -> f64 {
        let now = std::time::Instant::now();
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

/// A recorded stream, one batch per step; stepping back shows the snapshots already seen.
struct ReplayDriver {
    stepper: ReplayStepper<ReplayReader<std::fs::File>>,
    builder: SnapshotBuilder,
    console: SharedBuffer,
    history: Vec<Arc<Snapshot>>,
    at: usize,
    playing: bool,
    speed: f64,
    /// When playback shows the next batch.
    next_step: Option<Instant>,
    file: String,
    file_output: String,
    error: Option<String>,
    export: Result<JobSpec, String>,
}

impl ReplayDriver {
    fn current_mode(&self) -> Mode {
        Mode::Replay {
            file: self.file.clone(),
            finished: self.stepper.is_done() && self.at + 1 == self.history.len(),
        }
    }

    /// Shows the next batch, running it if it was not run yet.
    fn next(&mut self) -> Option<String> {
        if self.at + 1 < self.history.len() {
            self.at += 1;
            return None;
        }
        if self.stepper.is_done() {
            self.playing = false;
            return Some("the replay is over".to_string());
        }
        match self.stepper.step() {
            Ok(batch) => {
                // Whatever failed before (a sink) works again.
                self.error = None;
                let now = now_micros();
                if let Some(batch) = &batch {
                    let text = self.console.take();
                    let pipeline = self.stepper.pipeline();
                    let console = pipeline
                        .sinks()
                        .is_enabled(SinkKind::Console)
                        .then_some(text);
                    self.builder.record_batch(pipeline, batch, console, now);
                }
                self.builder.set_mode(self.current_mode());
                let ticks = self.stepper.ticks();
                let snapshot = self
                    .builder
                    .snapshot(self.stepper.pipeline(), ticks, None, now);
                let last = self.history.last().cloned();
                // The final idle tick may run nothing: then the last snapshot only turns finished.
                if batch.is_none()
                    && let Some(last) = last
                {
                    let mut finished = (*last).clone();
                    finished.mode = snapshot.mode.clone();
                    *self.history.last_mut().expect("not empty") = Arc::new(finished);
                } else {
                    self.history.push(snapshot);
                    self.at = self.history.len() - 1;
                }
                None
            }
            Err(e) => {
                self.playing = false;
                let message = format!("{e:#}");
                self.error = Some(message.clone());
                // A sink that failed says so in the Sinks panel.
                self.show_sinks();
                Some(message)
            }
        }
    }

    /// Puts the sinks' state as it is now (on or off, errors) into the newest snapshot.
    fn show_sinks(&mut self) {
        let sinks = self.stepper.pipeline().sinks().status();
        if let Some(last) = self.history.last_mut() {
            let mut updated = (**last).clone();
            updated.sinks = sinks;
            *last = Arc::new(updated);
        }
    }
}

impl Driver for ReplayDriver {
    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.history.get(self.at).cloned()
    }

    fn status(&mut self) -> Status {
        Status {
            link: Link::File,
            accepted: self.stepper.summary().rows,
            rejected: self.stepper.summary().skipped,
            rate: 0.0,
            paused: false,
            delay: None,
            speed: self.playing.then_some(self.speed),
            file_output: self.file_output.clone(),
            notice: self.error.clone(),
        }
    }

    fn act(&mut self, action: Action) -> Option<String> {
        match action {
            Action::StepNext => {
                self.playing = false;
                self.next()
            }
            Action::StepPrev => {
                self.playing = false;
                self.at = self.at.saturating_sub(1);
                None
            }
            Action::Pause => {
                self.playing = !self.playing;
                None
            }
            Action::Export => {
                let file_on = self.stepper.pipeline().sinks().is_enabled(SinkKind::File);
                Some(export_job(&self.export, file_on))
            }
            Action::Faster => {
                self.speed = (self.speed * 2.0).min(*SPEEDS.end());
                Some(format!("{} batches/s", self.speed))
            }
            Action::Slower => {
                self.speed = (self.speed / 2.0).max(*SPEEDS.start());
                Some(format!("{} batches/s", self.speed))
            }
            Action::ToggleConsole | Action::ToggleFile => {
                let kind = if action == Action::ToggleFile {
                    SinkKind::File
                } else {
                    SinkKind::Console
                };
                let sinks = self.stepper.pipeline_mut().sinks_mut();
                let on = !sinks.is_enabled(kind);
                let result = sinks.set_enabled(kind, on);
                self.show_sinks();
                let name = if kind == SinkKind::File {
                    "file"
                } else {
                    "console"
                };
                Some(match result {
                    Ok(()) => format!("{name} sink {}", if on { "on" } else { "off" }),
                    Err(e) => format!("{name} sink: {e:#}"),
                })
            }
            _ => None,
        }
    }

    async fn changed(&mut self) {
        if !self.playing {
            self.next_step = None;
            return std::future::pending().await;
        }
        // A deadline that outlives this future: `select!` drops it whenever a key or a poll
        // comes first, and the next call must wait for the same step, not start over.
        let every = Duration::from_secs_f64(1.0 / self.speed);
        let due = *self.next_step.get_or_insert_with(|| Instant::now() + every);
        tokio::time::sleep_until(due).await;
        self.next_step = Some(due + every);
        if let Some(notice) = self.next() {
            self.error.get_or_insert(notice);
        }
    }
}

/// Restores the terminal when dropped, however the dashboard ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the dashboard over `driver` until the user quits or a signal comes.
async fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    driver: &mut impl Driver,
    mut keys: mpsc::UnboundedReceiver<Event>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    // Raw mode turns Ctrl-C into a key, but `kill -INT` still comes as a signal: every way of
    // being told to go ends the loop, so the terminal is given back.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let theme = Theme::from_env();
    let mut view = ViewState::default();
    let mut notice: Option<String> = None;
    let mut drawn: Option<(Option<Arc<Snapshot>>, Status, ViewState, i64)> = None;
    let mut last_frame = Instant::now() - FRAME;
    let mut poll = tokio::time::interval(POLL);
    let mut resized = true;
    let replay = driver
        .snapshot()
        .is_some_and(|s| matches!(s.mode, Mode::Replay { .. }));
    loop {
        if driver.failed() {
            return Ok(());
        }
        // Draw if anything on screen would differ, at most once per frame.
        let snapshot = driver.snapshot();
        let mut status = driver.status();
        if status.notice.is_none() {
            status.notice = notice.clone();
        }
        let now = now_micros();
        let second = now / 1_000_000;
        let same = drawn.as_ref().is_some_and(|(s, st, v, sec)| {
            same_snapshot(s, &snapshot) && *st == status && *v == view && *sec == second
        });
        if (!same || resized)
            && let Some(shown) = &snapshot
        {
            let wait = FRAME.saturating_sub(last_frame.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            terminal.draw(|frame| {
                ui::draw(
                    frame,
                    &Screen {
                        snapshot: shown,
                        status: &status,
                        view: &view,
                        now,
                        zone: Zone::Local,
                        theme,
                    },
                )
            })?;
            last_frame = Instant::now();
            resized = false;
            drawn = Some((snapshot.clone(), status, view.clone(), second));
        }
        tokio::select! {
            key = keys.recv() => {
                let Some(event) = key else { return Ok(()) };
                match event {
                    Event::Key(key) => {
                        let Some(action) = keymap::action(&key, replay) else { continue };
                        if action == Action::Quit {
                            return Ok(());
                        }
                        let current = driver.snapshot();
                        let handled = current.as_ref().is_some_and(|s| view.apply(action, s));
                        if !handled && let Some(text) = driver.act(action) {
                            notice = Some(text);
                        }
                    }
                    Event::Resize(..) => resized = true,
                    _ => {}
                }
            }
            () = driver.changed() => {}
            _ = poll.tick() => {}
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        }
    }
}

fn same_snapshot(a: &Option<Arc<Snapshot>>, b: &Option<Arc<Snapshot>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Reads terminal events on a thread of their own (crossterm's read blocks).
fn spawn_event_reader() -> mpsc::UnboundedReceiver<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("terminal-events".into())
        .spawn(move || {
            while let Ok(event) = event::read() {
                if tx.send(event).is_err() {
                    break;
                }
            }
        })
        .expect("cannot start the terminal event thread");
    rx
}

fn init_terminal() -> anyhow::Result<(DefaultTerminal, TerminalGuard)> {
    let terminal =
        ratatui::try_init().map_err(|e| anyhow::anyhow!("cannot set up the terminal: {e}"))?;
    Ok((terminal, TerminalGuard))
}

fn file_output_label(args: &SinkArgs) -> String {
    args.output.display().to_string()
}

/// The dashboard over the live pipeline.
pub fn run_live(args: &LiveArgs) -> anyhow::Result<()> {
    let query = args.query.query().or_bad_input()?;
    let mut options: LiveOptions = live_options(args)?;
    options.retry_failed_sinks = true;
    let prepared = live::prepare(query, args)?;
    let console = SharedBuffer::default();
    let resume = prepared.resume_batch();
    let sinks = dashboard_sinks(&args.sinks, console.clone(), resume)?;
    let progress = ProgressLog::optional(args.sinks.progress.as_deref())?;
    let windows = WindowText::new(&args.sinks.window_format, Zone::Local).or_bad_input()?;
    let _log = logging::init(&args.log, logging::Default::StateFile)?;
    let runtime = crate::app::runtime()?;
    runtime.block_on(async {
        let (tx, snapshots) = watch::channel(None);
        let trigger = options.trigger;
        let live::Prepared {
            engine,
            checkpoint,
            query_id,
            resume,
        } = prepared;
        let live = Live::start(
            options,
            |source| {
                Ok(live::pipeline(
                    engine, sinks, progress, checkpoint, query_id, source,
                ))
            },
            resume,
            SnapshotPublisher {
                builder: SnapshotBuilder::new(
                    Mode::Live {
                        source: String::new(),
                    },
                    Some(trigger),
                    windows,
                ),
                console,
                tx,
            },
        )
        .await?;
        let (host, port) = live
            .address
            .rsplit_once(':')
            .map(|(h, p)| {
                (
                    h.trim_matches(['[', ']']).to_string(),
                    p.parse().unwrap_or(9999),
                )
            })
            .unwrap_or_else(|| ("localhost".into(), 9999));
        let export = job_spec(
            query,
            args.trigger,
            &args.sinks,
            &args.checkpoint,
            JobSource::Socket { host, port },
        );
        let mut driver = LiveDriver {
            live,
            snapshots,
            file_output: file_output_label(&args.sinks),
            paused: false,
            rate: RateMeter::default(),
            export,
            ended: false,
        };
        let (mut terminal, guard) = init_terminal()?;
        let result = run_loop(&mut terminal, &mut driver, spawn_event_reader()).await;
        drop(guard);
        driver.live.stop().await;
        let summary = driver.live.finished().await;
        result?;
        summary.map(|_| ())
    })
}

/// The dashboard over a recorded stream.
pub fn run_replay(args: &ReplayArgs) -> anyhow::Result<()> {
    let console = SharedBuffer::default();
    let windows = WindowText::new(&args.sinks.window_format, Zone::Local).or_bad_input()?;
    let stepper = replay::open(
        args,
        |resume| dashboard_sinks(&args.sinks, console.clone(), resume),
        |reader| reader,
    )?;
    let file = args.events.display().to_string();
    let mut builder = SnapshotBuilder::new(
        Mode::Replay {
            file: file.clone(),
            finished: false,
        },
        None,
        windows,
    );
    let first = builder.snapshot(stepper.pipeline(), 0, None, now_micros());
    let mut driver = ReplayDriver {
        stepper,
        builder,
        console,
        history: vec![first],
        at: 0,
        playing: args.play,
        speed: args.speed,
        next_step: None,
        file,
        file_output: file_output_label(&args.sinks),
        error: None,
        export: job_spec(
            args.query.query().or_bad_input()?,
            crate::engine::Duration::from_secs(15),
            &args.sinks,
            args.checkpoint
                .as_deref()
                .unwrap_or(Path::new("checkpoint")),
            JobSource::Socket {
                host: "localhost".into(),
                port: 9999,
            },
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (mut terminal, guard) = init_terminal()?;
        let result = run_loop(&mut terminal, &mut driver, spawn_event_reader()).await;
        drop(guard);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::cli::Cli;
    use clap::Parser;

    fn replay_driver(case: &str) -> ReplayDriver {
        replay_driver_with(case, &[])
    }

    fn replay_driver_with(case: &str, options: &[&str]) -> ReplayDriver {
        let events = format!(
            "{}/tests/conformance/{case}/events.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let command_line = ["window-tui", "replay", events.as_str()];
        let command_line = command_line.iter().chain(options);
        let Some(crate::app::cli::Command::Replay(args)) =
            Cli::try_parse_from(command_line).unwrap().command
        else {
            panic!("a replay command");
        };
        let console = SharedBuffer::default();
        let stepper = replay::open(
            &args,
            |resume| dashboard_sinks(&args.sinks, console.clone(), resume),
            |reader| reader,
        )
        .unwrap();
        let mut builder = SnapshotBuilder::new(
            Mode::Replay {
                file: events.clone(),
                finished: false,
            },
            None,
            WindowText::default(),
        );
        let first = builder.snapshot(stepper.pipeline(), 0, None, 0);
        ReplayDriver {
            stepper,
            builder,
            console,
            history: vec![first],
            at: 0,
            playing: false,
            speed: 2.0,
            next_step: None,
            file: events,
            file_output: "output".into(),
            error: None,
            export: Err("not in this test".into()),
        }
    }

    fn shown_batch(driver: &ReplayDriver) -> Option<u64> {
        driver
            .snapshot()
            .and_then(|s| s.batches.first().map(|b| b.id))
    }

    #[test]
    fn stepping_forward_and_back_through_a_replay() {
        let mut driver = replay_driver("boundaries");
        assert_eq!(shown_batch(&driver), None, "nothing before the first step");
        driver.act(Action::StepNext);
        assert_eq!(shown_batch(&driver), Some(0));
        driver.act(Action::StepNext);
        driver.act(Action::StepNext);
        assert_eq!(shown_batch(&driver), Some(2));
        let console = driver.snapshot().unwrap().batches[0]
            .console
            .clone()
            .unwrap();
        assert!(
            console.contains("Batch: 2"),
            "the console sink fills Append batches"
        );
        driver.act(Action::StepPrev);
        assert_eq!(shown_batch(&driver), Some(1), "back to what was seen");
        driver.act(Action::StepNext);
        assert_eq!(
            shown_batch(&driver),
            Some(2),
            "forward again without running it twice"
        );
        assert_eq!(driver.stepper.pipeline().engine().next_batch_id(), 3);
        for _ in 0..20 {
            driver.act(Action::StepNext);
        }
        assert_eq!(
            shown_batch(&driver),
            Some(9),
            "Spark ran batches 0..=9 on this case"
        );
        let finished = driver.snapshot().unwrap();
        assert!(matches!(finished.mode, Mode::Replay { finished: true, .. }));
        assert_eq!(
            driver.act(Action::StepNext).as_deref(),
            Some("the replay is over")
        );
    }

    #[test]
    fn play_and_speed_keys() {
        let mut driver = replay_driver("seed_random");
        driver.act(Action::Pause);
        assert!(driver.playing);
        driver.act(Action::Faster);
        assert_eq!(driver.speed, 4.0);
        driver.act(Action::Slower);
        driver.act(Action::Slower);
        assert_eq!(driver.speed, 1.0);
        driver.act(Action::StepNext);
        assert!(!driver.playing, "stepping by hand stops playback");
    }

    #[test]
    fn a_sink_that_fails_shows_in_the_sinks_panel_and_its_batch_waits() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut driver = replay_driver_with("boundaries", &["--output", out.to_str().unwrap()]);
        driver.act(Action::StepNext);
        let said = driver.act(Action::ToggleFile).unwrap();
        assert_eq!(said, "file sink on");
        // The output folder goes away and a file takes its place: the next batch cannot be
        // written.
        let away = dir.path().join("away");
        std::fs::rename(&out, &away).unwrap();
        std::fs::write(&out, "in the way").unwrap();
        let said = driver.act(Action::StepNext).expect("the error is said");
        assert!(said.contains("out"), "{said}");
        let shown = driver.snapshot().unwrap();
        let file = shown.sinks.iter().find(|s| s.kind == SinkKind::File);
        assert!(
            file.and_then(|s| s.error.as_deref()).is_some(),
            "the Sinks panel shows the error: {:?}",
            shown.sinks
        );
        assert!(!driver.playing);
        let pipeline = driver.stepper.pipeline();
        assert!(pipeline.has_unwritten(), "the batch waits for the sink");
        assert_eq!(
            pipeline.engine().next_batch_id(),
            2,
            "the engine keeps its state"
        );

        // Still in the way: the same batch fails again, nothing new runs.
        assert!(driver.act(Action::StepNext).is_some());
        assert_eq!(driver.stepper.pipeline().engine().next_batch_id(), 2);
        // Once there is room, the next step writes the batch that waited, then goes on.
        std::fs::remove_file(&out).unwrap();
        std::fs::rename(&away, &out).unwrap();
        assert_eq!(driver.act(Action::StepNext), None);
        assert_eq!(
            driver.status().notice,
            None,
            "the error is gone once it works"
        );
        assert_eq!(shown_batch(&driver), Some(1));
        assert!(!driver.stepper.pipeline().has_unwritten());
        driver.act(Action::StepNext);
        assert_eq!(shown_batch(&driver), Some(2));
        let log = out.join("_spark_metadata");
        assert!(
            log.join("1").exists() && log.join("2").exists(),
            "batch 1 was not skipped"
        );
    }
}

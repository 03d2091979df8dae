//! The dashboard: the live pipeline or a replay, drawn in the terminal. Split by job:
//! [`terminal`] (set-up and restore), [`input`] (keys), [`render_loop`] (drawing), the two
//! drivers ([`live_driver`], [`replay_driver`]), [`snapshot`] (the view model from the pipeline),
//! the console buffer and the export key.

mod console_buffer;
mod export_key;
mod input;
mod live_driver;
mod render_loop;
mod replay_driver;
pub mod snapshot;
mod terminal;

use std::path::Path;

use tokio::sync::watch;

pub use console_buffer::SharedBuffer;
use console_buffer::dashboard_sinks;
use export_key::{job_spec, replay_job_spec};
use input::Keys;
use live_driver::{LiveDriver, RateMeter, SnapshotPublisher};
use replay_driver::ReplayDriver;
pub use replay_driver::SPEEDS;
use snapshot::SnapshotBuilder;

use crate::app::command::replay::{self, ReplayStepper};
use crate::app::config::{ExportSource, LiveConfig, ReplayConfig};
use crate::app::error::OrBadInput;
use crate::app::logging;
use crate::app::runtime::live::{self, Live, Source, Watcher};
use crate::app::sink::cells::Cells;
use crate::app::sink::{Resume, SinkSet};
use crate::app::source::replay::ReplaySource;
use crate::engine::Query;
use crate::ui::model::{Mode, Resumed};

/// The dashboard over the live pipeline.
pub fn run_live(config: &LiveConfig) -> anyhow::Result<()> {
    let runtime = crate::app::async_runtime()?;
    let source = runtime.block_on(Source::open(&config.source))?;
    let prepared = live::prepare(config)?;
    let console = SharedBuffer::default();
    let sinks = dashboard_sinks(
        &config.sinks,
        &config.query,
        console.clone(),
        prepared.resume_batch(),
    )?;
    let cells = Cells::new(
        &config.query,
        config.sinks.zone.clone(),
        &config.sinks.window_format,
    )
    .or_bad_input()?;
    let _log = logging::init(&config.log, logging::Default::StateFile)?;
    runtime.block_on(async {
        let (tx, snapshots) = watch::channel(None);
        let mode = Mode::Live {
            source: String::new(),
        };
        let mut builder = SnapshotBuilder::new(mode, Some(config.trigger.to_std()), cells, console);
        if let Some(resumed) = resumed(&prepared, &config.checkpoint) {
            builder.set_resumed(resumed);
        }
        let publisher = SnapshotPublisher { builder, tx };
        let live = Live::start(
            config,
            source,
            prepared,
            sinks,
            Watcher::Dashboard,
            publisher,
        )?;
        let export = job_spec(
            config.query.clone(),
            config.format,
            config.trigger,
            &config.sinks,
            &config.checkpoint,
            ExportSource::Socket {
                host: live.host.clone(),
                port: live.port,
            },
        );
        let mut driver = LiveDriver {
            live,
            snapshots,
            file_output: config.sinks.output.display().to_string(),
            paused: false,
            rate: RateMeter::default(),
            export,
            ended: false,
        };
        let (mut terminal, guard) = terminal::init()?;
        let result = render_loop::run(
            &mut terminal,
            &mut driver,
            Keys::new(false),
            &config.sinks.zone,
        )
        .await;
        drop(guard);
        driver.live.stop().await;
        let summary = driver.live.finished().await;
        result?;
        summary.map(|_| ())
    })
}

/// Where a live run picks up, when it resumes from the checkpoint in `dir`: its first batch and
/// the age of the last commit.
fn resumed(prepared: &live::Prepared, dir: &Path) -> Option<Resumed> {
    let checkpoint = prepared.checkpoint.as_ref()?;
    prepared.resume.committed_tick?;
    let batch = prepared.engine.next_batch_id();
    let age = batch
        .checked_sub(1)
        .and_then(|last| checkpoint.committed_at(last))
        .and_then(|at| at.elapsed().ok());
    Some(Resumed {
        batch,
        from: dir.display().to_string(),
        age,
        at: crate::app::clock::now_micros(),
    })
}

/// A replay of `config` into the sinks `sinks` opens for its query (the dashboard's:
/// [`dashboard_sinks`], with the console into `console`), and the builder of its snapshots in
/// `mode`, `trigger` apart. Nothing runs yet.
pub fn open_replay(
    config: &ReplayConfig,
    mode: Mode,
    trigger: Option<std::time::Duration>,
    console: SharedBuffer,
    sinks: impl FnOnce(&Query, Option<Resume>) -> anyhow::Result<SinkSet>,
) -> anyhow::Result<(ReplayStepper<ReplaySource>, SnapshotBuilder)> {
    let mut stepper = replay::open(config, sinks)?;
    stepper.pipeline_mut().run_other_modes();
    let cells = Cells::new(
        stepper.pipeline().engine().query(),
        config.sinks.zone.clone(),
        &config.sinks.window_format,
    )
    .or_bad_input()?;
    let mut builder = SnapshotBuilder::new(mode, trigger, cells, console);
    if let (Some(batch), Some(dir)) = (stepper.summary().resumed_at, &config.checkpoint) {
        builder.set_resumed(Resumed {
            batch,
            from: dir.display().to_string(),
            age: None,
            at: crate::app::clock::now_micros(),
        });
    }
    Ok((stepper, builder))
}

/// The dashboard's sinks for a replay of `config`, the console into `console`.
pub fn replay_sinks(
    config: &ReplayConfig,
    console: SharedBuffer,
) -> impl FnOnce(&Query, Option<Resume>) -> anyhow::Result<SinkSet> {
    move |query, resume| dashboard_sinks(&config.sinks, query, console, resume)
}

/// The replay's driver: the stepper on its worker thread, and the first snapshot.
fn replay_driver(config: &ReplayConfig) -> anyhow::Result<ReplayDriver> {
    let console = SharedBuffer::default();
    let file = config.events.display().to_string();
    let mode = Mode::Replay {
        file,
        finished: false,
    };
    let (stepper, builder) = open_replay(
        config,
        mode,
        None,
        console.clone(),
        replay_sinks(config, console),
    )?;
    let query = stepper.pipeline().engine().query().clone();
    let checkpoint = config.checkpoint.as_deref();
    let export = replay_job_spec(
        query,
        &config.sinks,
        checkpoint.unwrap_or(Path::new("checkpoint")),
    );
    let mut driver = ReplayDriver::start(
        stepper,
        builder,
        config.events.clone(),
        config.sinks.output.display().to_string(),
        export,
    )?;
    if config.play {
        driver.play(config.speed);
    }
    Ok(driver)
}

/// The dashboard over a recorded stream. Once it closes, the run ends with the error the replay
/// stopped on, if it stopped on one (`file:line: what is wrong`, exit status 2 for a bad row).
pub fn run_replay(config: &ReplayConfig) -> anyhow::Result<()> {
    let mut driver = replay_driver(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (mut terminal, guard) = terminal::init()?;
        let result = render_loop::run(
            &mut terminal,
            &mut driver,
            Keys::new(true),
            &config.sinks.zone,
        )
        .await;
        drop(guard);
        result
    })?;
    driver.outcome()
}

#[cfg(test)]
mod tests;

//! The live pipeline: an embedded stream server (or an external one), the socket reader, and the
//! trigger thread running batches through the pipeline. Headless runs and the dashboard start it
//! the same way and differ only in their sinks and observer.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::app::config::{LiveConfig, SourceConfig, live_input};
use crate::app::error::BadInput;
use crate::app::runtime::checkpoint::{self, Checkpoint, Pending, Position, QuerySpec};
use crate::app::runtime::folders;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::runtime::progress::{ProgressLog, QueryIdentity};
use crate::app::runtime::record::{Layout, Recorder};
use crate::app::runtime::trigger::{Control, LiveSummary, Observer, TriggerLoop};
use crate::app::sink::{self, SinkSet};
use crate::app::source::decode::LineDecoder;
use crate::app::source::inbox::Inbox;
use crate::app::source::resolve;
use crate::app::source::server::{self, Echo, Pace, Program, Sent};
use crate::app::source::socket::{self, Connection, ReaderConfig, ReaderStats, Reconnect};
use crate::engine::Engine;

/// Who watches a live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watcher {
    /// The dashboard: a failing sink is retried each tick (the run goes on), and the other
    /// output modes run for the modes view.
    Dashboard,
    /// Nobody: a failing sink ends the run (a restart runs the batch again).
    Headless,
}

/// Where a restarted run picks up (all empty for a first run).
#[derive(Debug, Default)]
pub struct Resume {
    /// The first tick's number.
    pub first_tick: u64,
    /// A batch logged but not committed, to run again first.
    pub pending: Option<Pending>,
    /// The last committed tick: the record file keeps its rows up to it.
    pub committed_tick: Option<u64>,
}

/// The engine and checkpoint a live run starts from.
pub struct Prepared {
    pub engine: Engine,
    pub checkpoint: Option<Checkpoint>,
    /// The query's id, kept across restarts.
    pub query_id: Option<String>,
    pub resume: Resume,
}

impl Prepared {
    /// Where a checkpointed run resumes, for the sinks (the file sink's next batch and names).
    pub fn resume_batch(&self) -> Option<sink::Resume> {
        let query_id = self.query_id.clone()?;
        self.checkpoint.as_ref().map(|_| sink::Resume {
            next_batch: self.engine.next_batch_id(),
            query_id,
        })
    }
}

/// Opens the live run's checkpoint (unless `--no-checkpoint`), after claiming it and the output
/// folder ([`folders::claim`]: refused when another run holds them, emptied with `--clean`).
pub fn prepare(config: &LiveConfig) -> anyhow::Result<Prepared> {
    let mut prepared = open_state(config)?;
    prepared.engine.limit_state_rows(config.max_state_rows);
    Ok(prepared)
}

fn open_state(config: &LiveConfig) -> anyhow::Result<Prepared> {
    folders::check_files([
        (config.sinks.progress.as_deref(), "--progress"),
        (config.record.as_deref(), "--record"),
    ])?;
    // A recording is continued only by a restart of the checkpointed run that began it; a file
    // with anything in it is no other run's to write over (a device such as /dev/null is no
    // file's content).
    let holds_data =
        |path: &&std::path::Path| path.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
    let restarting =
        config.checkpointing && !config.clean && config.checkpoint.join("metadata").exists();
    if let Some(record) = config.record.as_deref().filter(holds_data)
        && !restarting
    {
        return Err(BadInput(format!(
            "--record {} exists, and window-tui writes over no file it did not begin: move it \
             away or name another (a checkpointed run continues its own recording when it \
             restarts)",
            record.display()
        ))
        .into());
    }
    folders::claim(
        config.checkpointing.then_some(config.checkpoint.as_path()),
        config.sinks.file_output(),
        config.clean,
    )?;
    if !config.checkpointing {
        return Ok(Prepared {
            engine: Engine::new(config.query.clone()),
            checkpoint: None,
            query_id: None,
            resume: Resume::default(),
        });
    }
    let spec = QuerySpec::new(
        &config.query,
        &config.sinks.window_format,
        config.sinks.zone.id(),
        live_input(config.format, &config.query),
    );
    let (checkpoint, restored) = Checkpoint::open(&config.checkpoint, config.query.clone(), &spec)?;
    let committed_tick = restored.last.as_ref().map(|c| match c.position {
        Position::Live { tick } => tick,
        Position::Replay { .. } => 0,
    });
    if let Some(record) = config.record.as_deref()
        && restored.engine.was_flushed()
    {
        return Err(BadInput(format!(
            "--record {}: the checkpoint's last run ended with --flush-at-end, which moved the \
             watermark past every window; a record cannot hold that, so a replay of it would not \
             give this run's answers. Continue without --record, or start over with --clean",
            record.display()
        ))
        .into());
    }
    if let Some(last) = &restored.last {
        crate::diag!(
            "{}",
            checkpoint::resuming(last.batch_id + 1, &config.checkpoint)
        );
    }
    Ok(Prepared {
        engine: restored.engine,
        checkpoint: Some(checkpoint),
        query_id: Some(restored.query_id),
        resume: Resume {
            first_tick: committed_tick.map_or(0, |t| t + 1),
            pending: restored.pending,
            committed_tick,
        },
    })
}

/// The inbox holds at most this much (value text plus each row's index) before the reader waits for a tick.
const INBOX_LIMIT: usize = 256 << 20;

/// A running live pipeline and the handles to steer it.
pub struct Live {
    pub controls: mpsc::Sender<Control>,
    /// The embedded server's pace (none for an external server).
    pub pace: Option<watch::Sender<Pace>>,
    pub reader_paused: watch::Sender<bool>,
    pub reader: Arc<ReaderStats>,
    /// Lines the embedded server sent.
    pub sent: Option<Arc<Sent>>,
    /// The address the reader reads, as `HOST:PORT`.
    pub address: String,
    /// The host and port the reader reads.
    pub host: String,
    pub port: u16,
    done: oneshot::Receiver<anyhow::Result<LiveSummary>>,
    /// How the trigger thread ended, once it has and someone looked ([`Live::wait_ended`]).
    outcome: Option<anyhow::Result<LiveSummary>>,
    /// The socket reader; it stops before the trigger does (see [`Live::stop`]).
    reader_task: JoinHandle<()>,
    /// The embedded server, if any.
    tasks: Vec<JoinHandle<()>>,
}

impl Live {
    /// Starts the reader on `source` and the trigger thread running `prepared` into `sinks`,
    /// for `watcher` (the dashboard keeps and retries a batch a sink failed on, rather than
    /// ending the run). Call it within a tokio runtime.
    pub fn start<O: Observer + 'static>(
        config: &LiveConfig,
        source: Source,
        prepared: Prepared,
        sinks: SinkSet,
        watcher: Watcher,
        observer: O,
    ) -> anyhow::Result<Live> {
        let progress = ProgressLog::optional(
            config.sinks.progress.as_deref(),
            prepared.resume_batch().as_ref(),
        )?;
        let inbox = Arc::new(Inbox::new(INBOX_LIMIT));
        let reader = Arc::new(ReaderStats::default());
        let Source {
            host,
            port,
            pace,
            sent,
            reconnect,
            tasks,
        } = source;
        let reader_config = ReaderConfig {
            host,
            port,
            max_line_bytes: config.max_line_bytes,
            decoder: LineDecoder::new(
                config.format,
                config.query.schema().clone(),
                config.query.event_time_column(),
                config.sinks.zone.clone(),
            ),
            reconnect,
        };
        let address = reader_config.address();
        let reader_config_host = reader_config.host.clone();
        let Prepared {
            engine,
            checkpoint,
            query_id,
            resume,
        } = prepared;
        let mut identity = QueryIdentity::new(format!(
            "TextSocketV2[host: {}, port: {}]",
            reader_config.host, reader_config.port
        ));
        if let Some(id) = query_id {
            identity.id = id;
        }
        let mut pipeline = Pipeline::new(engine, sinks, progress, identity);
        if let Some(checkpoint) = checkpoint {
            pipeline = pipeline.with_checkpoint(checkpoint);
        }
        if watcher == Watcher::Dashboard {
            pipeline.run_other_modes();
        }
        let (paused_tx, paused_rx) = watch::channel(false);
        let reader_task = tokio::spawn(socket::run(
            reader_config,
            inbox.clone(),
            reader.clone(),
            paused_rx,
        ));

        let mut observer = observer;
        observer.started(&address);
        let recorder = recorder(config, resume.committed_tick)?;
        let finished = reader.clone();
        let trigger = TriggerLoop {
            pipeline,
            inbox,
            interval: config.trigger.to_std().max(Duration::from_millis(1)),
            recorder,
            source_finished: Box::new(move || finished.connection() == Connection::Finished),
            observer,
            first_tick: resume.first_tick,
            pending: resume.pending,
            retry_failed_sinks: watcher == Watcher::Dashboard,
            flush_at_end: config.flush_at_end,
        };
        let (controls, control_rx) = mpsc::channel();
        let (done_tx, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("trigger".into())
            .spawn(move || {
                let _ = done_tx.send(trigger.run(&control_rx));
            })
            .context("cannot start the trigger thread")?;
        Ok(Live {
            controls,
            pace,
            reader_paused: paused_tx,
            reader,
            sent,
            address,
            host: reader_config_host,
            port,
            done,
            outcome: None,
            reader_task,
            tasks,
        })
    }

    /// Asks the trigger thread to finish: the running batch completes, what is waiting runs as a
    /// last batch, then one idle tick. The reader stops first, so that every line it read is
    /// waiting when the last batch takes them (it puts what it reads before it awaits again).
    pub async fn stop(&mut self) {
        self.reader_task.abort();
        let _ = (&mut self.reader_task).await;
        let _ = self.controls.send(Control::Stop);
    }

    /// Waits for the trigger thread to end (after `stop`, when the source is over, or on an
    /// error) and keeps how it ended for [`Live::finished`].
    pub async fn wait_ended(&mut self) {
        if self.outcome.is_none() {
            let result = (&mut self.done)
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the trigger thread panicked")));
            self.outcome = Some(result);
        }
    }

    /// Whether the trigger thread ended with an error (known once [`Live::wait_ended`] returned).
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Some(Err(_)))
    }

    /// Waits for the trigger thread to end, stops the other tasks and returns what the run did.
    pub async fn finished(&mut self) -> anyhow::Result<LiveSummary> {
        self.wait_ended().await;
        self.reader_task.abort();
        for task in &self.tasks {
            task.abort();
        }
        self.outcome
            .take()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the run's outcome was already taken")))
    }
}

/// Where the reader connects: the embedded server (started here) or an external one. It is
/// opened before the checkpoint ([`prepare`]), so that a run refused for its source (a
/// `--source` that does not resolve, a `--file` that cannot be read) leaves no checkpoint.
pub struct Source {
    host: String,
    port: u16,
    pace: Option<watch::Sender<Pace>>,
    sent: Option<Arc<Sent>>,
    reconnect: Reconnect,
    tasks: Vec<JoinHandle<()>>,
}

impl Source {
    /// Starts the embedded server (reading its `--file`), or checks that `--source` resolves.
    /// Call it within a tokio runtime.
    pub async fn open(source: &SourceConfig) -> anyhow::Result<Source> {
        match source {
            SourceConfig::Embedded(generator) => {
                let program = Program::new(generator)?;
                let listener = server::bind("127.0.0.1", 0).await?;
                let port = listener.local_addr()?.port();
                let (pace_tx, pace_rx) = watch::channel(Pace {
                    delay: generator.delay,
                    paused: false,
                });
                let sent = Arc::new(Sent::default());
                let serving = server::serve(listener, program, pace_rx, Echo::Log, sent.clone());
                let task = tokio::spawn(async move {
                    if let Err(e) = serving.await {
                        tracing::error!("the embedded server stopped: {e:#}");
                    }
                });
                Ok(Source {
                    host: "127.0.0.1".to_string(),
                    port,
                    pace: Some(pace_tx),
                    sent: Some(sent),
                    reconnect: Reconnect::Never,
                    tasks: vec![task],
                })
            }
            SourceConfig::External {
                host,
                port,
                reconnect,
            } => {
                // A name that does not resolve at the start is a typo, not a server still down.
                resolve::resolve(host, *port)
                    .await
                    .map_err(|why| BadInput(format!("--source {host}:{port}: {why}")))?;
                Ok(Source {
                    host: host.clone(),
                    port: *port,
                    pace: None,
                    sent: None,
                    reconnect: if *reconnect {
                        Reconnect::Always
                    } else {
                        Reconnect::UntilStream
                    },
                    tasks: Vec::new(),
                })
            }
        }
    }
}

/// The `--record` file: created, or continued after the last tick a checkpoint committed.
fn recorder(config: &LiveConfig, committed_tick: Option<u64>) -> anyhow::Result<Option<Recorder>> {
    let layout = Layout {
        schema: config.query.schema().clone(),
        arrival: config.query.event_time_column().is_none(),
    };
    let event_time = config
        .query
        .event_time_column()
        .map(|at| config.query.schema().field(at).name.as_str());
    Ok(match (&config.record, committed_tick) {
        (Some(path), Some(tick)) => Some(Recorder::resume(
            path,
            layout,
            event_time,
            tick,
            config.max_line_bytes,
        )?),
        (Some(path), None) => Some(Recorder::create(path, layout)?),
        (None, _) => None,
    })
}

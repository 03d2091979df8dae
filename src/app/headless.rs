//! `window-tui --headless`: the live pipeline without the dashboard, for scripts and servers.
//! SIGINT or SIGTERM finishes the running batch, runs what is waiting, flushes the sinks and
//! exits 0; so does the end of the embedded server's program.

use tokio::signal::unix::{SignalKind, signal};

use crate::app::cli::{LiveArgs, SinkKind};
use crate::app::error::OrBadInput;
use crate::app::live::trigger::Unobserved;
use crate::app::live::{self, Live, LiveOptions, Source};
use crate::app::progress::ProgressLog;
use crate::app::server::{Pace, Program};
use crate::app::sink::{SinkSet, stdout_opener};
use crate::app::{cli, logging};

/// The live options the command line describes.
pub fn live_options(args: &LiveArgs) -> anyhow::Result<LiveOptions> {
    let source = match &args.source {
        Some(text) => {
            let (host, port) = cli::parse_host_port(text)
                .map_err(|e| format!("--source: {e}"))
                .or_bad_input()?;
            Source::External { host, port }
        }
        None => Source::Embedded {
            program: Program::new(
                args.generator,
                args.pace.file.as_deref(),
                args.pace.count,
                args.pace.repeat,
            )?,
            pace: Pace {
                delay: args.pace.delay.to_std(),
                paused: false,
            },
        },
    };
    if args.pace.delay.micros() < 0 {
        return Err(crate::app::error::BadInput("--delay must not be negative".into()).into());
    }
    if args.trigger.micros() <= 0 {
        return Err(
            crate::app::error::BadInput("--trigger must be longer than zero".into()).into(),
        );
    }
    Ok(LiveOptions {
        source,
        trigger: args.trigger.to_std(),
        event_time: args.event_time,
        max_line_bytes: args.max_line_bytes.0,
        record: args.record.clone(),
        retry_failed_sinks: false,
    })
}

pub fn run(args: &LiveArgs) -> anyhow::Result<()> {
    let query = args.query.query().or_bad_input()?;
    let options = live_options(args)?;
    let _log = logging::init(&args.log, logging::Default::Stderr)?;
    let kinds = if args.sinks.sinks.is_empty() {
        vec![SinkKind::Console]
    } else {
        args.sinks.sinks.clone()
    };
    let prepared = live::prepare(query, args)?;
    let resume = prepared.resume_batch();
    let sinks = SinkSet::new(stdout_opener(&args.sinks, resume)?, &kinds)?;
    let progress = ProgressLog::optional(args.sinks.progress.as_deref())?;
    let runtime = crate::app::runtime()?;
    runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let live::Prepared {
            engine,
            checkpoint,
            query_id,
            resume,
        } = prepared;
        let mut live = Live::start(
            options,
            |source| {
                Ok(live::pipeline(
                    engine, sinks, progress, checkpoint, query_id, source,
                ))
            },
            resume,
            Unobserved,
        )
        .await?;
        tracing::info!("reading {}; {query}", live.address);
        let summary = tokio::select! {
            summary = live.finished() => summary?,
            _ = interrupt.recv() => { live.stop().await; live.finished().await? }
            _ = terminate.recv() => { live.stop().await; live.finished().await? }
        };
        let rejected: Vec<String> = live
            .reader
            .rejected()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(why, n)| format!("{n} {}", why.label()))
            .collect();
        eprintln!(
            "window-tui: {} batches, {} rows; lines rejected: {}",
            summary.batches,
            summary.rows,
            if rejected.is_empty() {
                "none".to_string()
            } else {
                rejected.join(", ")
            }
        );
        Ok(())
    })
}

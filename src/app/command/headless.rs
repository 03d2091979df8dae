//! `window-tui --headless`: the live pipeline without the dashboard, for scripts and servers.
//! A stop signal ([`StopSignals`]: SIGINT, SIGTERM, or SIGHUP unless ignored) finishes the
//! running batch, runs what is waiting, flushes the sinks and exits 0; so does the end of the
//! embedded server's program.

use crate::app::config::{LiveConfig, SinkKind};
use crate::app::error::BadInput;
use crate::app::logging;
use crate::app::runtime::end_of_run::{
    batches_and_rows, late_note, refused_note, without_time_note,
};
use crate::app::runtime::live::{self, Live, Source, Watcher};
use crate::app::runtime::trigger::Unobserved;
use crate::app::sink::{SinkSet, stdout_opener};
use crate::app::stop_signals::StopSignals;

/// `window-tui --headless`: the live run into the sinks `--sink` names (console by default).
pub fn run(config: &LiveConfig) -> anyhow::Result<()> {
    if config.output_typed && config.sinks.file_output().is_none() {
        return Err(BadInput(
            "--output names the file sink's folder, and no --sink file is on (a headless run \
             has no `f` key to switch it on): add --sink file, or drop --output"
                .into(),
        )
        .into());
    }
    if let Some(hint) = config.arrival_hint() {
        crate::diag!("window-tui: {hint}");
    }
    let _log = logging::init(&config.log, logging::Default::Stderr)?;
    let kinds = if config.sinks.kinds.is_empty() {
        vec![SinkKind::Console]
    } else {
        config.sinks.kinds.clone()
    };
    let runtime = crate::app::async_runtime()?;
    let source = runtime.block_on(Source::open(&config.source))?;
    let prepared = live::prepare(config)?;
    let opener = stdout_opener(&config.sinks, &config.query, prepared.resume_batch())?;
    let sinks = SinkSet::new(opener, &kinds)?;
    runtime.block_on(async {
        let mut stop = StopSignals::listen()?;
        let mut live = Live::start(
            config,
            source,
            prepared,
            sinks,
            Watcher::Headless,
            Unobserved,
        )?;
        tracing::info!("reading {}; {}", live.address, config.query);
        let summary = tokio::select! {
            summary = live.finished() => summary?,
            () = stop.recv() => { live.stop().await; live.finished().await? }
        };
        let rejected: Vec<String> = live
            .reader
            .rejected()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(why, n)| format!("{n} {}", why.label()))
            .collect();
        crate::diag!(
            "window-tui: {}; lines rejected: {}",
            batches_and_rows(summary.batches, summary.rows),
            if rejected.is_empty() {
                "none".to_string()
            } else {
                rejected.join(", ")
            }
        );
        if summary.late > 0 {
            crate::diag!("window-tui: {}", late_note(summary.late));
        }
        if summary.refused > 0 {
            crate::diag!("window-tui: {}", refused_note(summary.refused));
        }
        if summary.without_time > 0 {
            crate::diag!("window-tui: {}", without_time_note(summary.without_time));
        }
        if let Some(note) = summary.open.note(&config.sinks.zone) {
            crate::diag!("window-tui: {note}");
        }
        Ok(())
    })
}

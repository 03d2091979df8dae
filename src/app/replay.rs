//! `window-tui replay`: a recorded stream, replayed deterministically. Rows of one `batch` tick
//! form one data batch; a gap in tick numbers is an idle tick; the replay ends with one idle tick.

use crate::app::cli::{OnBadRow, ReplayArgs};
use crate::app::error::{BadInput, OrBadInput};
use crate::app::pipeline::Pipeline;
use crate::app::progress::QueryIdentity;
use crate::app::sink;
use crate::app::source::replay_file::{ReadError, ReplayReader};
use crate::engine::Engine;

/// What a replay did, for its closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub rows: u64,
    pub batches: u64,
    pub skipped: u64,
    pub first_skipped: Option<String>,
}

pub fn run(args: &ReplayArgs) -> anyhow::Result<ReplaySummary> {
    let query = args.query.query().or_bad_input()?;
    if args.sinks.sinks.is_empty() {
        return Err(BadInput("choose where rows go with --sink console|file|json".into()).into());
    }
    let mut reader = match ReplayReader::open(&args.events, args.max_line_bytes.0) {
        Ok(reader) => reader,
        Err(e) => return Err(BadInput(e.to_string()).into()),
    };
    let identity = QueryIdentity::new(format!("Replay[{}]", args.events.display()));
    let (sinks, progress) = sink::open(&args.sinks)?;
    let mut pipeline = Pipeline::new(Engine::new(query), sinks, progress, identity);

    let mut summary = ReplaySummary::default();
    let mut current: Option<u64> = None;
    let mut last: Option<u64> = None;
    loop {
        let row = match reader.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(ReadError::Bad(bad)) if args.on_bad_row == OnBadRow::Skip => {
                summary.skipped += 1;
                summary.first_skipped.get_or_insert_with(|| bad.to_string());
                continue;
            }
            Err(ReadError::Bad(bad)) => {
                // Rows come in ascending ticks: a bad row of a later tick means the running
                // tick was complete, so it is still written whole.
                if current.is_some_and(|tick| bad.tick.is_some_and(|bad_tick| bad_tick > tick)) {
                    pipeline.finish_batch()?;
                }
                return Err(BadInput(bad.to_string()).into());
            }
            Err(e @ ReadError::Io { .. }) => return Err(e.into()),
        };
        if current != Some(row.tick) {
            if current.is_some() {
                pipeline.finish_batch()?;
                summary.batches += 1;
                last = current;
            }
            let gap = last.map_or(row.tick > 0, |last| row.tick > last + 1);
            if gap && pipeline.idle_tick()?.is_some() {
                summary.batches += 1;
            }
            pipeline.start_tick(true);
            current = Some(row.tick);
        }
        pipeline.push(row.event_time, row.value);
        summary.rows += 1;
    }
    if current.is_some() {
        pipeline.finish_batch()?;
        summary.batches += 1;
    }
    if pipeline.idle_tick()?.is_some() {
        summary.batches += 1;
    }
    Ok(summary)
}

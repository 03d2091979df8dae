//! `window-tui replay`: a recorded stream, `batch,<columns>`, replayed deterministically into
//! the sinks (the stepping itself is [`crate::app::runtime::stepper`]). The file's header names
//! its columns; `--schema` types them (by default every column is a STRING but the event time).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::command::replay_bar::ReplayBar;
use crate::app::config::{QueryConfig, ReplayConfig};
use crate::app::error::{BadInput, OrBadInput, escape_controls};
use crate::app::runtime::checkpoint::{self, Checkpoint, Position, QuerySpec};
use crate::app::runtime::end_of_run::{
    OpenAtEnd, batches_and_rows, counted, late_note, refused_note, without_time_note,
};
use crate::app::runtime::folders;
use crate::app::runtime::pipeline::Pipeline;
use crate::app::runtime::progress::{ProgressLog, QueryIdentity};
pub use crate::app::runtime::stepper::{ReplayStepper, ReplaySummary};
use crate::app::sink::{self, SinkSet};
use crate::app::source::replay::{Binding, Counting, ReadError, ReplayReader, ReplaySource};
use crate::app::stop_signals;
use crate::engine::{DataType, Engine, EventTime, Field, Query, Schema};

/// The replay's query over a file with `columns`, and how the file maps onto it. A query
/// stamped on arrival reads the record's `event_time` column.
pub fn query_of(config: &QueryConfig, columns: &[String]) -> Result<(Query, Binding), BadInput> {
    let event_time = match &config.event_time {
        EventTime::Arrival => "event_time".to_string(),
        EventTime::Column(name) => name.clone(),
    };
    // No --event-time: the file's `event_time` column, which the user may not know they asked for.
    if config.event_time == EventTime::Arrival
        && !columns.iter().any(|c| c.eq_ignore_ascii_case(&event_time))
    {
        let looks_like_time = |c: &&String| {
            let c = c.to_ascii_lowercase();
            c == "ts" || c.contains("time") || c.contains("date")
        };
        let example = (columns.iter().find(looks_like_time))
            .map_or_else(String::new, |c| format!(" (--event-time {c}?)"));
        return Err(BadInput(format!(
            "the file has no event_time column, where a replay takes each row's event time unless \
             --event-time names another TIMESTAMP column; its columns are {}{example}",
            columns.join(", "),
        )));
    }
    let given = config.schema.as_ref().map(|schema| {
        if config.event_time == EventTime::Arrival && schema.index_of(&event_time).is_none() {
            let mut fields = vec![Field {
                name: event_time.clone(),
                ty: DataType::Timestamp,
            }];
            fields.extend(schema.fields().iter().cloned());
            Schema::new(fields).unwrap_or_else(|_| schema.clone())
        } else {
            schema.clone()
        }
    });
    let schema = Binding::schema_of(columns, given.as_ref(), &event_time).map_err(BadInput)?;
    let mut config = config.clone();
    config.event_time = EventTime::Column(event_time);
    let query = config
        .resolve(schema.clone())
        .map_err(|e| BadInput(e.to_string()))?;
    let mut read = vec![false; schema.len()];
    for &column in query.group_by() {
        read[column] = true;
    }
    for column in query.aggs().iter().filter_map(|agg| agg.column) {
        read[column] = true;
    }
    let event_time = query.event_time_column().unwrap_or(0);
    Ok((query, Binding::new(columns, schema, event_time, read)))
}

/// What identifies a replay file for its checkpoint: path, size, and a checksum of its start.
fn replay_input(path: &Path) -> anyhow::Result<String> {
    let canonical = std::fs::canonicalize(path).or_bad_input()?;
    let size = std::fs::metadata(&canonical).or_bad_input()?.len();
    let mut head = vec![0; 64 * 1024];
    let mut file = std::fs::File::open(&canonical).or_bad_input()?;
    let n = file.read(&mut head).or_bad_input()?;
    Ok(format!(
        "replay of {} ({size} bytes, crc {:08x})",
        canonical.display(),
        crc32fast::hash(&head[..n])
    ))
}

/// Opens the file `args` names and the replay's pipeline, writing to the sinks `sinks` opens
/// for the query (given the next batch of a checkpointed run) and to `--progress`: nothing is
/// created when the file cannot be read or the query cannot run. With `--checkpoint`, the
/// replay continues where the checkpoint says.
pub fn open(
    args: &ReplayConfig,
    sinks: impl FnOnce(&Query, Option<sink::Resume>) -> anyhow::Result<SinkSet>,
) -> anyhow::Result<ReplayStepper<ReplaySource>> {
    open_unless(args, sinks, None)
}

/// A replay's file was not opened: a stop signal came while the open waited.
#[derive(Debug, thiserror::Error)]
#[error("stopped by a signal while waiting for a writer to open {0}")]
pub struct StoppedWaiting(String);

/// [`open`], given up ([`StoppedWaiting`]) when `stop` is set while the file's open waits: a
/// FIFO no writer has opened yet waits in the kernel, where a stop signal does not end the wait.
pub fn open_unless(
    args: &ReplayConfig,
    sinks: impl FnOnce(&Query, Option<sink::Resume>) -> anyhow::Result<SinkSet>,
    stop: Option<&AtomicBool>,
) -> anyhow::Result<ReplayStepper<ReplaySource>> {
    let zone = args.sinks.zone.clone();
    let mut reader = match ReplayReader::open_unless(&args.events, args.max_line_bytes, zone, stop)
    {
        Err(ReadError::Io { error, .. })
            if error.kind() == std::io::ErrorKind::Interrupted
                && stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) =>
        {
            return Err(StoppedWaiting(args.events.display().to_string()).into());
        }
        opened => opened.map_err(|e| BadInput(e.to_string()))?,
    };
    let (query, binding) = query_of(&args.query, reader.columns())?;
    reader.bind(binding);
    if args.checkpoint.is_some() && !reader.file_metadata().is_ok_and(|m| m.is_file()) {
        return Err(BadInput(format!(
            "{} is not a regular file (a pipe?): a checkpoint resumes a replay at a place in its \
             file, which a stream read once does not have; copy it to a file, or replay it \
             without --checkpoint",
            args.events.display()
        ))
        .into());
    }
    folders::check_files([(args.sinks.progress.as_deref(), "--progress")])?;
    folders::claim(
        args.checkpoint.as_deref(),
        args.sinks.file_output(),
        args.clean,
    )?;
    let mut identity = QueryIdentity::new(format!("Replay[{}]", args.events.display()));
    let mut engine = Engine::new(query.clone());
    let mut checkpoint = None;
    let mut resume = None;
    if let Some(dir) = &args.checkpoint {
        let spec = QuerySpec::new(
            &query,
            &args.sinks.window_format,
            args.sinks.zone.id(),
            replay_input(&args.events)?,
        );
        let (opened, restored) = Checkpoint::open(dir, query.clone(), &spec)?;
        identity.id = restored.query_id;
        engine = restored.engine;
        if let Some(last) = restored.last {
            let Position::Replay {
                last_tick,
                offset,
                line,
            } = last.position
            else {
                return Err(BadInput(format!(
                    "the checkpoint {} is not a replay's",
                    dir.display()
                ))
                .into());
            };
            reader
                .seek(offset, line, last_tick)
                .map_err(|e| BadInput(e.to_string()))?;
            resume = Some((last_tick, last.batch_id + 1));
        }
        checkpoint = Some(opened);
    }
    engine.limit_state_rows(args.max_state_rows);
    let resumes = checkpoint.as_ref().map(|_| sink::Resume {
        next_batch: engine.next_batch_id(),
        query_id: identity.id.clone(),
    });
    let sinks = sinks(&query, resumes.clone())?;
    let progress = ProgressLog::optional(args.sinks.progress.as_deref(), resumes.as_ref())?;
    let mut pipeline = Pipeline::new(engine, sinks, progress, identity);
    if let Some(checkpoint) = checkpoint {
        pipeline = pipeline.with_checkpoint(checkpoint);
    }
    // Rows of new keys are refused one by one once the state is full: whole ticks are
    // counted only without that limit.
    let source = if args.max_state_rows.is_none() {
        let counting = Counting {
            path: args.events.clone(),
            max_row: args.max_line_bytes,
            zone: args.sinks.zone.clone(),
            query: query.clone(),
            last_tick: resume.and_then(|(last_tick, _)| last_tick),
        };
        ReplaySource::counted(reader, counting)
    } else {
        ReplaySource::rows(reader, query.schema().types().to_vec())
    };
    let mut stepper =
        ReplayStepper::new(source, pipeline, args.on_bad_row).flush_at_end(args.flush_at_end);
    if let Some((last_tick, next_batch)) = resume {
        stepper.resume(last_tick, next_batch);
    }
    Ok(stepper)
}

/// `window-tui replay` with sinks: the replay, then a closing line of what it did (batches, rows,
/// rows skipped) as the live run's, and the first bad row it skipped.
pub fn main(config: &ReplayConfig) -> anyhow::Result<()> {
    let summary = run(config)?;
    crate::diag!(
        "window-tui: {}; bad rows skipped: {}",
        batches_and_rows(summary.batches, summary.rows),
        if summary.skipped == 0 {
            "none".to_string()
        } else {
            summary.skipped.to_string()
        }
    );
    if summary.skipped > 0 {
        crate::diag!(
            "window-tui: skipped {}; the first: {}",
            counted(summary.skipped, "bad row", "bad rows"),
            escape_controls(&summary.first_skipped.unwrap_or_default())
        );
    }
    Ok(())
}

/// Replays the whole file into the sinks `--sink` names, reading it ahead on a second thread.
/// When stderr is a terminal a progress bar there shows how much of the file is read.
pub fn run(args: &ReplayConfig) -> anyhow::Result<ReplaySummary> {
    let sinks = |query: &Query, resume| {
        let opener = sink::stdout_opener(&args.sinks, query, resume)?;
        SinkSet::new(sink::json_in_background(opener), &args.sinks.kinds)
    };
    // From the start, so that a signal while the folders are claimed and cleaned waits for it.
    let stop = stop_signals::flag()?;
    let mut stepper = match open_unless(args, sinks, Some(&stop)) {
        Err(e) if e.is::<StoppedWaiting>() => {
            crate::diag!("window-tui: {e}; nothing replayed");
            return Ok(ReplaySummary::default());
        }
        opened => opened?,
    };
    if let (Some(batch), Some(dir)) = (stepper.summary().resumed_at, &args.checkpoint) {
        crate::diag!("{}", checkpoint::resuming(batch, dir));
    }
    let bar = ReplayBar::start(&args.events);
    let mut stopped = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            stopped = true;
            break;
        }
        let next = stepper.step();
        if let Position::Replay { offset, .. } = stepper.position() {
            bar.at(offset, stepper.summary().batches);
        }
        if next?.is_none() {
            break;
        }
    }
    stepper.pipeline_mut().sinks_mut().sync()?;
    bar.finish();
    if stepper.summary().flushed {
        crate::diag!(
            "window-tui: --flush-at-end: the last batch ran with the watermark past every open \
             window (not Spark's behaviour)"
        );
    }
    let late = stepper.pipeline().late_pairs();
    if late > 0 {
        crate::diag!("window-tui: {}", late_note(late));
    }
    let refused = stepper.pipeline().refused_rows();
    if refused > 0 {
        crate::diag!("window-tui: {}", refused_note(refused));
    }
    let without_time = stepper.pipeline().rows_without_time();
    if without_time > 0 {
        crate::diag!("window-tui: {}", without_time_note(without_time));
    }
    if let Some(note) = OpenAtEnd::of(stepper.pipeline().engine(), !stopped).note(&args.sinks.zone)
    {
        crate::diag!("window-tui: {note}");
    }
    if stopped {
        let then = match &args.checkpoint {
            Some(dir) => format!(
                "the same command continues it from the checkpoint {}",
                dir.display()
            ),
            None => "without --checkpoint, a replay starts over".to_string(),
        };
        crate::diag!(
            "window-tui: stopped by a signal before the end of {}; {then}",
            args.events.display()
        );
    }
    Ok(stepper.summary().clone())
}

#[cfg(test)]
mod counted_tests;

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::app::config::{OnBadRow, SinkKind};
    use crate::app::sink::Sink;
    use crate::app::source::replay::ReadAhead;
    use crate::engine::{BatchOutput, Zone};

    /// A sink that fails each batch id listed, once per listing, and records what it wrote.
    struct Flaky {
        fail: Arc<Mutex<VecDeque<u64>>>,
        written: Arc<Mutex<Vec<u64>>>,
    }

    impl Sink for Flaky {
        fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
            let mut fail = self.fail.lock().unwrap();
            if let Some(at) = fail.iter().position(|&id| id == batch.id) {
                fail.remove(at);
                anyhow::bail!("No space left on device");
            }
            self.written.lock().unwrap().push(batch.id);
            Ok(())
        }

        fn describe(&self) -> String {
            "Flaky".into()
        }
    }

    /// A stepper over `rows` (without the header) into a sink failing batches `fail`.
    fn stepper(
        rows: &str,
        fail: &[u64],
    ) -> (
        ReplayStepper<ReadAhead>,
        Arc<Mutex<Vec<u64>>>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(&path, format!("batch,event_time,value\n{rows}")).unwrap();
        let fail = Arc::new(Mutex::new(fail.iter().copied().collect()));
        let written = Arc::new(Mutex::new(Vec::new()));
        let opener: sink::SinkOpener = {
            let written = written.clone();
            Box::new(move |_| {
                Ok(Box::new(Flaky {
                    fail: fail.clone(),
                    written: written.clone(),
                }) as Box<dyn Sink>)
            })
        };
        let mut reader = ReplayReader::open(&path, 1 << 20, Zone::utc()).unwrap();
        let (query, binding) = query_of(&QueryConfig::seed(), reader.columns()).unwrap();
        reader.bind(binding);
        let types = query.schema().types().to_vec();
        let pipeline = Pipeline::new(
            Engine::new(query),
            SinkSet::new(opener, &[SinkKind::File]).unwrap(),
            None,
            QueryIdentity::new("test".into()),
        );
        let reader = ReadAhead::start(reader, types);
        (
            ReplayStepper::new(reader, pipeline, OnBadRow::Error),
            written,
            dir,
        )
    }

    #[test]
    fn a_final_batch_a_sink_failed_on_is_retried_before_the_replay_is_done() {
        let (mut replay, written, _dir) =
            stepper("0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n", &[2]);
        assert_eq!(replay.step().unwrap().unwrap().id, 0);
        assert_eq!(replay.step().unwrap().unwrap().id, 1);
        // The final idle tick runs a no-data batch (the watermark moved); its sink fails.
        assert!(replay.step().is_err());
        assert!(!replay.is_done(), "batch 2 is not written yet");
        assert_eq!(replay.step().unwrap().unwrap().id, 2);
        assert!(replay.is_done());
        assert_eq!(replay.step().unwrap(), None);
        assert_eq!(*written.lock().unwrap(), [0, 1, 2]);
        assert_eq!(replay.summary().batches, 3, "each batch counted once");
    }

    #[test]
    fn a_bad_row_still_stops_the_replay_when_the_batch_before_it_had_to_be_retried() {
        let (mut replay, written, _dir) = stepper(
            "0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n2,yesterday,c\n3,2026-11-23T17:35:00Z,d\n",
            &[1],
        );
        assert_eq!(replay.step().unwrap().unwrap().id, 0);
        // Batch 1 closes on the bad row of tick 2, and its sink fails.
        let err = format!("{:#}", replay.step().unwrap_err());
        assert!(err.contains("No space left"), "{err}");
        assert_eq!(replay.step().unwrap().unwrap().id, 1, "the retry");
        let err = replay.step().unwrap_err();
        assert!(
            err.downcast_ref::<BadInput>()
                .is_some_and(|e| e.to_string().contains(":4: event_time")),
            "{err:#}"
        );
        assert!(replay.is_done());
        assert_eq!(*written.lock().unwrap(), [0, 1], "nothing past the bad row");
    }
}

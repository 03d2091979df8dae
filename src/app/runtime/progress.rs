//! Per-batch progress in the shape of Spark's `StreamingQueryProgress`, one JSON object per line
//! (`--progress FILE`), built from the engine's figures and the driver's clock.
//!
//! With a checkpoint the log is exactly-once: a batch's line is written (and synced) before the
//! batch commits, and a restart first removes this query's lines for batches after the last
//! committed one (and a line cut short at the end), so each batch id appears once whatever
//! moment the last run was killed at. Lines of other queries are kept as they are.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde::Serialize;

use crate::app::durable;
use crate::app::sink::Resume;
use crate::engine::{BatchOutput, Fraction, Micros, Query, Utc, WindowKind};

/// What the driver measured around one batch.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// When the trigger fired.
    pub started: SystemTime,
    /// Time since the previous batch's trigger; none for the first batch.
    pub since_previous: Option<Duration>,
    /// Time spent in the sinks.
    pub add_batch: Duration,
    /// Time spent making the batch's input durable (checkpointed runs).
    pub wal_commit: Option<Duration>,
    /// The whole batch, from trigger to commit.
    pub total: Duration,
}

/// One batch's progress report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub id: String,
    pub run_id: String,
    pub name: Option<String>,
    #[serde(serialize_with = "millis")]
    pub timestamp: Micros,
    pub batch_id: u64,
    pub batch_duration: u64,
    pub num_input_rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_rows_per_second: Option<f64>,
    pub processed_rows_per_second: f64,
    pub duration_ms: Durations,
    pub event_time: EventTime,
    pub state_operators: [StateOperator; 1],
    pub sources: [SourceProgress; 1],
    pub sink: SinkProgress,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Durations {
    pub add_batch: u64,
    pub trigger_execution: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wal_commit: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventTime {
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_millis")]
    pub avg: Option<Micros>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_millis")]
    pub max: Option<Micros>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_millis")]
    pub min: Option<Micros>,
    #[serde(serialize_with = "millis")]
    pub watermark: Micros,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOperator {
    pub operator_name: &'static str,
    pub num_rows_total: u64,
    pub num_rows_updated: u64,
    pub num_rows_removed: u64,
    pub num_rows_dropped_by_watermark: u64,
    pub memory_used_bytes: u64,
    pub num_shuffle_partitions: u32,
    pub num_state_store_instances: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceProgress {
    pub description: String,
    pub num_input_rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_rows_per_second: Option<f64>,
    pub processed_rows_per_second: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkProgress {
    pub description: String,
    pub num_output_rows: u64,
}

// serde's `serialize_with` passes references.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn millis<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Utc(*t, Fraction::Millis))
}

#[allow(clippy::ref_option)]
fn opt_millis<S: serde::Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => millis(t, s),
        None => s.serialize_none(),
    }
}

/// Names the query in every report, as Spark's `id` and `runId` do.
#[derive(Debug, Clone)]
pub struct QueryIdentity {
    pub id: String,
    pub run_id: String,
    pub name: Option<String>,
    pub source: String,
    pub sink: String,
}

impl QueryIdentity {
    /// A new query reading `source`; the sinks are filled in by the pipeline.
    pub fn new(source: String) -> Self {
        QueryIdentity {
            id: uuid::Uuid::new_v4().to_string(),
            run_id: uuid::Uuid::new_v4().to_string(),
            name: None,
            source,
            sink: String::new(),
        }
    }
}

/// The name Spark 3.5's progress gives the query's state operator: `StateStoreSaveExec`'s for
/// time windows; `SessionWindowStateStoreSaveExec` does not name itself, so `StateStoreWriter`'s
/// default (checked with `PySpark` 3.5.3).
fn state_operator(query: &Query) -> &'static str {
    match query.window() {
        WindowKind::Sliding(_) => "stateStoreSave",
        WindowKind::Session { .. } => "defaultName",
    }
}

impl Progress {
    /// The report of `batch` of `query`.
    pub fn new(batch: &BatchOutput, timing: &Timing, who: &QueryIdentity, query: &Query) -> Self {
        let rows = batch.stats.input_rows;
        let per_second = |d: Duration| rows as f64 / d.as_secs_f64().max(1e-6);
        let input_rate = timing.since_previous.map(per_second);
        let processed_rate = per_second(timing.total);
        let ms = |d: Duration| d.as_millis() as u64;
        let started = timing
            .started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as Micros);
        let event_time = batch.stats.event_time;
        Progress {
            id: who.id.clone(),
            run_id: who.run_id.clone(),
            name: who.name.clone(),
            timestamp: started,
            batch_id: batch.id,
            batch_duration: ms(timing.total),
            num_input_rows: rows,
            input_rows_per_second: input_rate,
            processed_rows_per_second: processed_rate,
            duration_ms: Durations {
                add_batch: ms(timing.add_batch),
                trigger_execution: ms(timing.total),
                wal_commit: timing.wal_commit.map(ms),
            },
            event_time: EventTime {
                avg: event_time.map(|e| e.avg),
                max: event_time.map(|e| e.max),
                min: event_time.map(|e| e.min),
                watermark: batch.watermark,
            },
            state_operators: [StateOperator {
                operator_name: state_operator(query),
                num_rows_total: batch.stats.state_rows_total,
                num_rows_updated: batch.stats.state_rows_updated,
                num_rows_removed: batch.stats.state_rows_removed,
                num_rows_dropped_by_watermark: batch.stats.state_rows_dropped_by_watermark,
                memory_used_bytes: batch.stats.state_memory_bytes,
                num_shuffle_partitions: 1,
                num_state_store_instances: 1,
            }],
            sources: [SourceProgress {
                description: who.source.clone(),
                num_input_rows: rows,
                input_rows_per_second: input_rate,
                processed_rows_per_second: processed_rate,
            }],
            sink: SinkProgress {
                description: who.sink.clone(),
                num_output_rows: batch.rows.len() as u64,
            },
        }
    }
}

/// Appends one progress object per line to a file.
pub struct ProgressLog {
    file: File,
    path: PathBuf,
    /// The file's length after the last whole line: a failed write is cut back to it.
    len: u64,
    /// The last batch written: a batch retried after its line was written is not written again.
    last: Option<u64>,
    /// Sync each line before the batch commits (checkpointed runs).
    durable: bool,
}

impl ProgressLog {
    /// Appends to `path` (a run without a checkpoint).
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        Self::open(path, false)
    }

    /// The `--progress` log of a run resuming as `resume` says (`None` without a checkpoint).
    pub fn optional(path: Option<&Path>, resume: Option<&Resume>) -> anyhow::Result<Option<Self>> {
        path.map(|path| match resume {
            Some(resume) => Self::resume(path, &resume.query_id, resume.next_batch),
            None => Self::create(path),
        })
        .transpose()
    }

    /// Opens the log of the query `query_id` resuming at batch `next_batch`: its lines for that
    /// batch and later ones (written before a crash, not committed) are removed first.
    pub fn resume(path: &Path, query_id: &str, next_batch: u64) -> anyhow::Result<Self> {
        let cannot = || format!("cannot read the progress log {}", path.display());
        match std::fs::read(path) {
            Ok(text) => {
                if let Some(kept) = without_uncommitted(&text, query_id, next_batch) {
                    durable::write_atomically(path, |out| out.write_all(&kept))
                        .with_context(cannot)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(cannot),
        }
        Self::open(path, true)
    }

    fn open(path: &Path, durable: bool) -> anyhow::Result<Self> {
        let mut file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open progress log {}", path.display()))?;
        let len = file.seek(SeekFrom::End(0))?;
        Ok(ProgressLog {
            file,
            path: path.to_path_buf(),
            len,
            last: None,
            durable,
        })
    }

    pub fn write(&mut self, progress: &Progress) -> anyhow::Result<()> {
        if self.last.is_some_and(|last| progress.batch_id <= last) {
            return Ok(());
        }
        let mut line = serde_json::to_vec(progress).map_err(std::io::Error::from)?;
        line.push(b'\n');
        let written = self.file.write_all(&line).and_then(|()| {
            if self.durable {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            // Nothing half-written stays: the batch's line is written whole when it is retried.
            let _ = self.file.set_len(self.len);
            return Err(e)
                .with_context(|| format!("cannot write the progress log {}", self.path.display()));
        }
        self.len += line.len() as u64;
        self.last = Some(progress.batch_id);
        Ok(())
    }
}

/// The log's text without the query's lines for batches from `next_batch` on, and without a
/// line of it cut short at the end; `None` when there is nothing to remove.
fn without_uncommitted(text: &[u8], query_id: &str, next_batch: u64) -> Option<Vec<u8>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Line {
        id: String,
        batch_id: u64,
    }
    let ours = format!("{{\"id\":{}", serde_json::Value::from(query_id));
    let mut kept = Vec::with_capacity(text.len());
    let mut removed = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let whole = line.ends_with(b"\n");
        let parsed: Option<Line> = serde_json::from_slice(line).ok();
        let uncommitted = match parsed {
            Some(p) => p.id == query_id && p.batch_id >= next_batch,
            // A line of this query cut short by a crash, at the end (before or after its id).
            None => {
                !whole && (line.starts_with(ours.as_bytes()) || ours.as_bytes().starts_with(line))
            }
        };
        if uncommitted {
            removed = true;
            continue;
        }
        kept.extend_from_slice(line);
        if !whole {
            kept.push(b'\n');
            removed = true;
        }
    }
    removed.then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchStats, EventTimeStats, MICROS_PER_SECOND};

    fn progress(id: &str, batch_id: u64) -> Progress {
        let mut batch = sample_batch();
        batch.id = batch_id;
        let who = QueryIdentity {
            id: id.into(),
            run_id: "r".into(),
            name: None,
            source: "replay".into(),
            sink: "console".into(),
        };
        Progress::new(&batch, &sample_timing(), &who, &Query::seed())
    }

    fn batch_ids(path: &Path) -> Vec<(String, u64)> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().to_string(),
                    v["batchId"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn a_restart_removes_this_querys_uncommitted_lines_and_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.jsonl");
        let mut log = ProgressLog::resume(&path, "q", 0).unwrap();
        for id in 0..4 {
            log.write(&progress("q", id)).unwrap();
        }
        log.write(&progress("q", 3)).unwrap();
        drop(log);
        let mut other = ProgressLog::create(&path).unwrap();
        other.write(&progress("other", 9)).unwrap();
        drop(other);
        // Killed while writing batch 4's line.
        let mut text = std::fs::read(&path).unwrap();
        let torn = serde_json::to_vec(&progress("q", 4)).unwrap();
        text.extend_from_slice(&torn[..torn.len() / 2]);
        std::fs::write(&path, text).unwrap();
        // The checkpoint committed batches up to 1: batch 2 runs again.
        let mut log = ProgressLog::resume(&path, "q", 2).unwrap();
        assert_eq!(
            batch_ids(&path),
            [("q".into(), 0), ("q".into(), 1), ("other".into(), 9)]
        );
        for id in 2..5 {
            log.write(&progress("q", id)).unwrap();
        }
        let ids: Vec<u64> = batch_ids(&path).into_iter().map(|(_, b)| b).collect();
        assert_eq!(ids, [0, 1, 9, 2, 3, 4], "each batch once");
        drop(log);
        // Cut short anywhere, even before its query's id is whole, the line goes.
        let whole = std::fs::read(&path).unwrap();
        for cut in 1..torn.len() {
            let mut text = whole.clone();
            text.extend_from_slice(&torn[..cut]);
            std::fs::write(&path, text).unwrap();
            drop(ProgressLog::resume(&path, "q", 5).unwrap());
            assert_eq!(std::fs::read(&path).unwrap(), whole, "cut at {cut}");
        }
    }

    fn sample_batch() -> BatchOutput {
        let t = 1_795_455_180 * MICROS_PER_SECOND;
        let mut batch = BatchOutput::of_counts(7, &[]);
        batch.watermark = t;
        batch.next_watermark = t;
        batch.stats = BatchStats {
            input_rows: 4,
            event_time: Some(EventTimeStats {
                min: t,
                max: t + 1_000,
                avg: t,
            }),
            state_rows_total: 12,
            state_rows_updated: 7,
            state_rows_removed: 1,
            state_rows_dropped_by_watermark: 1,
            late_pairs: 2,
            state_memory_bytes: 100,
            ..BatchStats::default()
        };
        batch
    }

    fn sample_timing() -> Timing {
        Timing {
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1),
            since_previous: None,
            add_batch: Duration::from_millis(1),
            wal_commit: None,
            total: Duration::from_millis(2),
        }
    }

    #[test]
    fn spark_shaped_json() {
        let (batch, timing) = (sample_batch(), sample_timing());
        let who = QueryIdentity {
            id: "q".into(),
            run_id: "r".into(),
            name: None,
            source: "replay".into(),
            sink: "console".into(),
        };
        let json =
            serde_json::to_value(Progress::new(&batch, &timing, &who, &Query::seed())).unwrap();
        assert_eq!(json["batchId"], 7);
        assert_eq!(json["numInputRows"], 4);
        assert_eq!(json["processedRowsPerSecond"], 2000.0);
        assert!(
            json.get("inputRowsPerSecond").is_none(),
            "NaN for the first batch, omitted as Spark does"
        );
        assert_eq!(json["timestamp"], "1970-01-01T00:00:01.000Z");
        assert_eq!(json["eventTime"]["watermark"], "2026-11-23T17:33:00.000Z");
        assert_eq!(json["eventTime"]["max"], "2026-11-23T17:33:00.001Z");
        let op = &json["stateOperators"][0];
        assert_eq!(op["numRowsTotal"], 12);
        assert_eq!(op["numRowsUpdated"], 7);
        assert_eq!(op["numRowsRemoved"], 1);
        assert_eq!(op["numRowsDroppedByWatermark"], 1);
        assert_eq!(op["operatorName"], "stateStoreSave");
        assert_eq!(json["durationMs"]["triggerExecution"], 2);
        // Spark 3.5's session-window operator keeps StateStoreWriter's default name.
        let mut request = Query::seed().request().clone();
        request.window = crate::engine::WindowRequest::Session {
            gap: crate::engine::Duration::from_secs(5),
        };
        let sessions = Query::new(request).unwrap();
        let json = serde_json::to_value(Progress::new(&batch, &timing, &who, &sessions)).unwrap();
        assert_eq!(json["stateOperators"][0]["operatorName"], "defaultName");
    }

    #[test]
    fn a_batch_s_line_is_written_before_it_commits() {
        use crate::app::config::SinkKind;
        use crate::app::runtime::checkpoint::{Checkpoint, Position, QuerySpec};
        use crate::app::runtime::pipeline::Pipeline;
        use crate::app::sink::cells::Cells;
        use crate::app::sink::{SinkSet, json::JsonSink};
        use crate::engine::{BatchKind, Query, Zone};

        let dir = tempfile::tempdir().unwrap();
        let query = Query::seed();
        let spec = QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
        let cells = Cells::new(&query, Zone::utc(), "%H%M%S").unwrap();
        let ckpt = dir.path().join("ckpt");
        let (checkpoint, restored) = Checkpoint::open(&ckpt, query, &spec).unwrap();
        let path = dir.path().join("progress.jsonl");
        let log = ProgressLog::resume(&path, &restored.query_id, 0).unwrap();
        let opener = Box::new(move |_| {
            Ok(Box::new(JsonSink::new(std::io::sink(), cells.clone()))
                as Box<dyn crate::app::sink::Sink>)
        });
        let mut who = QueryIdentity::new("test".into());
        who.id.clone_from(&restored.query_id);
        let mut pipeline = Pipeline::new(
            restored.engine,
            SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
            Some(log),
            who,
        )
        .with_checkpoint(checkpoint);
        // The commit cannot be written: the batch is not committed, but its line is there.
        pipeline.checkpoint().unwrap().fail_after(Some(1));
        let failed = pipeline.run_batch(BatchKind::Data, 0, None, |batch| {
            batch.push(1_795_455_180_000_000, "a");
            Ok(Position::Live { tick: 0 })
        });
        assert!(failed.is_err());
        assert_eq!(batch_ids(&path).len(), 1, "the line precedes the commit");
        // Retried once the commit can be written: the line is not written twice.
        pipeline.checkpoint().unwrap().fail_after(None);
        assert_eq!(pipeline.retry().unwrap().unwrap().id, 0);
        assert_eq!(batch_ids(&path).len(), 1);
    }
}

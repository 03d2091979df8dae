//! Per-batch progress in the shape of Spark's `StreamingQueryProgress`, one JSON object per line
//! (`--progress FILE`), built from the engine's figures and the driver's clock.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde::Serialize;

use crate::engine::{BatchOutput, Fraction, Micros, Utc};

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

fn millis<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Utc(*t, Fraction::Millis))
}

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

impl Progress {
    pub fn new(batch: &BatchOutput, timing: &Timing, who: &QueryIdentity) -> Self {
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
                operator_name: "stateStoreSave",
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
    out: BufWriter<File>,
}

impl ProgressLog {
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open progress log {}", path.display()))?;
        Ok(ProgressLog {
            out: BufWriter::new(file),
        })
    }

    /// The `--progress` log, if one was asked for.
    pub fn optional(path: Option<&Path>) -> anyhow::Result<Option<Self>> {
        path.map(Self::create).transpose()
    }

    pub fn write(&mut self, progress: &Progress) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, progress).map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        self.out.flush().context("cannot write the progress log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchStats, EventTimeStats, MICROS_PER_SECOND};

    #[test]
    fn spark_shaped_json() {
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
        };
        let timing = Timing {
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1),
            since_previous: None,
            add_batch: Duration::from_millis(1),
            wal_commit: None,
            total: Duration::from_millis(2),
        };
        let who = QueryIdentity {
            id: "q".into(),
            run_id: "r".into(),
            name: None,
            source: "replay".into(),
            sink: "console".into(),
        };
        let json = serde_json::to_value(Progress::new(&batch, &timing, &who)).unwrap();
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
        assert_eq!(json["durationMs"]["triggerExecution"], 2);
    }
}

//! The `e` key: the query on screen (any of the family: its columns, line format, window kind,
//! aggregates and output mode), written as a `PySpark` job in the current folder, its sink the
//! file sink when that is on here (append mode only: Spark has no file sink in the other
//! modes), else the console. It never overwrites a file: when `window_append_streaming.py`
//! exists it takes the first free `window_append_streaming-N.py` and says which. The job's
//! checkpoint and output are folders of its own (`checkpoint-spark`, `output-spark` beside
//! window-tui's), never window-tui's.

use std::path::Path;

use crate::app::command::export::{self, JobSpec, WindowPattern};
use crate::app::config::{ExportSource, Format, SinkConfig, SinkKind};
use crate::app::durable;
use crate::engine::{Duration, Query};

/// What `e` exports: a job, or why there is none.
pub type Export = Result<JobSpec, String>;

/// The job of a run: its query, trigger, output and a checkpoint folder of Spark's own.
pub fn job_spec(
    query: Query,
    format: Format,
    trigger: Duration,
    sinks: &SinkConfig,
    checkpoint: &Path,
    source: ExportSource,
) -> Export {
    let spark_folder = |dir: &Path| {
        let mut name = dir.as_os_str().to_owned();
        name.push("-spark");
        std::path::PathBuf::from(name)
    };
    Ok(JobSpec {
        query,
        format,
        trigger,
        sink: SinkKind::Console,
        output: spark_folder(&sinks.output),
        checkpoint: spark_folder(checkpoint),
        source,
        window_pattern: WindowPattern::from_chrono(&sinks.window_format)
            .map_err(|e| e.to_string())?,
    })
}

/// The folder the job of a replay reads: the replayed file's rows, batch N as file N.
pub const STAGED: &str = "staged";

/// The job of a replay: its rows staged one file per batch in [`STAGED`], as `export-spark
/// --replay-dir` reads them (a socket job would read lines the file does not hold).
pub fn replay_job_spec(query: Query, sinks: &SinkConfig, checkpoint: &Path) -> Export {
    let staged = ExportSource::ReplayDir(STAGED.into());
    job_spec(
        query,
        Format::Csv,
        Duration::from_secs(15),
        sinks,
        checkpoint,
        staged,
    )
}

/// Writes the job in the current folder; returns what to say in the footer.
pub fn export_job(base: &Export, file_sink_on: bool) -> String {
    export_job_in(Path::new("."), base, file_sink_on)
}

/// The most names `e` tries before it gives up.
const MAX_NAMES: u32 = 1000;

/// Writes the job in `dir` under the first name no file has.
fn export_job_in(dir: &Path, base: &Export, file_sink_on: bool) -> String {
    let mut spec = match base {
        Ok(spec) => spec.clone(),
        Err(why) => return format!("cannot export: {why}"),
    };
    spec.sink = if file_sink_on && export::check_sink(SinkKind::File, spec.query.mode()).is_ok() {
        SinkKind::File
    } else {
        SinkKind::Console
    };
    let (stem, extension) = export::DEFAULT_JOB_FILE
        .rsplit_once('.')
        .unwrap_or((export::DEFAULT_JOB_FILE, "py"));
    for n in 1..=MAX_NAMES {
        let name = if n == 1 {
            export::DEFAULT_JOB_FILE.to_string()
        } else {
            format!("{stem}-{n}.{extension}")
        };
        match export::write_job(&spec, &dir.join(&name), false) {
            Ok(()) => {
                let kept = if n == 1 {
                    String::new()
                } else {
                    format!(" ({} exists; kept)", export::DEFAULT_JOB_FILE)
                };
                return format!(
                    "wrote ./{name}{kept} (Spark {}): spark-submit it",
                    export::SPARK_VERSION
                );
            }
            Err(e) if durable::already_exists(&e) => {}
            Err(e) => return format!("cannot export: {e:#}"),
        }
    }
    format!("cannot export: {stem}.{extension} to {stem}-{MAX_NAMES}.{extension} all exist")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        EventTime, MAX_WINDOWS_PER_EVENT, OutputMode, QueryRequest, Schema, WindowRequest,
        parse_aggs,
    };

    /// The job `e` would write for `query` read as `format` from localhost:9999.
    fn spec(query: Query, format: Format) -> Export {
        job_spec(
            query,
            format,
            Duration::from_secs(15),
            &sinks(),
            Path::new("checkpoint"),
            ExportSource::Socket {
                host: "localhost".into(),
                port: 9999,
            },
        )
    }

    fn sinks() -> SinkConfig {
        SinkConfig {
            kinds: vec![],
            output: "output".into(),
            progress: None,
            window_format: "%H%M%S".into(),
            zone: crate::engine::Zone::utc(),
        }
    }

    #[test]
    fn e_never_overwrites_a_file_and_names_the_one_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let base = spec(Query::seed(), Format::Text);
        let spec = base.as_ref().unwrap();
        assert_eq!(spec.checkpoint, Path::new("checkpoint-spark"));
        assert_eq!(spec.output, Path::new("output-spark"));
        let mine = dir.path().join(export::DEFAULT_JOB_FILE);
        std::fs::write(&mine, "my own job").unwrap();
        let said = export_job_in(dir.path(), &base, false);
        assert!(
            said.starts_with("wrote ./window_append_streaming-2.py"),
            "{said}"
        );
        assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own job");
        let said = export_job_in(dir.path(), &base, true);
        assert!(
            said.starts_with("wrote ./window_append_streaming-3.py"),
            "{said}"
        );
        let job = std::fs::read_to_string(dir.path().join("window_append_streaming-3.py")).unwrap();
        assert!(
            job.contains("APP_DATA_OUTPUT_DIR = \"output-spark\""),
            "{job}"
        );
        assert!(job.contains("SINK = \"file\""), "{job}");
    }

    #[test]
    fn e_in_a_replay_exports_a_job_of_its_batches_staged_as_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = replay_job_spec(Query::seed(), &sinks(), Path::new("checkpoint"));
        let said = export_job_in(dir.path(), &base, false);
        assert!(said.starts_with("wrote "), "{said}");
        let job = std::fs::read_to_string(dir.path().join(export::DEFAULT_JOB_FILE)).unwrap();
        assert!(job.contains("CSV files staged in \"staged\""), "{job}");
        assert!(!job.contains("localhost"), "{job}");
    }

    #[test]
    fn e_exports_any_query_and_the_file_sink_in_append_mode_only() {
        let dir = tempfile::tempdir().unwrap();
        let schema: Schema = "ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap();
        for (window, mode, needle) in [
            (
                WindowRequest::Session {
                    gap: Duration::from_secs(10),
                },
                OutputMode::Append,
                "SINK = \"file\"",
            ),
            (
                WindowRequest::Sliding {
                    size: Duration::from_secs(10),
                    slide: Duration::from_secs(5),
                },
                OutputMode::Update,
                "SINK = \"console\"",
            ),
            (
                WindowRequest::Session {
                    gap: Duration::from_secs(10),
                },
                OutputMode::Complete,
                "SINK = \"console\"",
            ),
        ] {
            let query = Query::new(QueryRequest {
                schema: schema.clone(),
                event_time: EventTime::Column("ts".into()),
                group_by: vec!["user".into()],
                aggs: parse_aggs("count,sum(bytes)").unwrap(),
                window,
                delay: Duration::from_secs(5),
                mode,
                max_windows_per_event: MAX_WINDOWS_PER_EVENT,
            })
            .unwrap();
            let base = spec(query, Format::Csv);
            for file in std::fs::read_dir(dir.path()).unwrap() {
                std::fs::remove_file(file.unwrap().path()).unwrap();
            }
            let said = export_job_in(dir.path(), &base, true);
            assert!(
                said.starts_with("wrote ./window_append_streaming.py"),
                "{said}"
            );
            let job = std::fs::read_to_string(dir.path().join(export::DEFAULT_JOB_FILE)).unwrap();
            assert!(job.contains(needle), "{mode:?}: {job}");
            assert!(job.contains(&format!("OUTPUT_MODE = \"{}\"", mode.name())));
            assert!(job.contains("F.from_csv(\"value\""), "{job}");
            assert!(
                job.contains("F.sum(\"bytes\").alias(\"sum(bytes)\")"),
                "{job}"
            );
        }
    }
}

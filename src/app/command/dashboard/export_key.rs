//! The `e` key: the query on screen (any of the family: its columns, line format, window kind,
//! aggregates and output mode), written as a `PySpark` job in the current folder, its sink the
//! file sink when that is on here (append mode only: Spark has no file sink in the other
//! modes), else the console. It never overwrites a file: when `window_append_streaming.py`
//! exists it takes the first free `window_append_streaming-N.py` and says which. The job's
//! checkpoint and output are folders of its own (`checkpoint-spark`, `output-spark` beside
//! window-tui's), never window-tui's. A live run's job reads its stream server; a replay's reads
//! the replayed rows, which the first `e` has staged (by the replay's worker) in `staged`, or the
//! first free `staged-N`.

use std::path::{Path, PathBuf};

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
        PathBuf::from(name)
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

/// The folder the job of a replay reads (or `staged-N`): the replayed file's rows, batch N as
/// file N.
pub const STAGED: &str = "staged";

/// The job of a replay: its rows staged one file per batch in [`STAGED`], as `export-spark
/// --replay-dir` reads them (a socket job would read lines the file does not hold). Its trigger
/// is a second: each trigger takes one staged file, so the batches are the same at any pace,
/// and a replay of many batches is not one every 15 s.
pub fn replay_job_spec(query: Query, sinks: &SinkConfig, checkpoint: &Path) -> Export {
    let staged = ExportSource::ReplayDir(STAGED.into());
    job_spec(
        query,
        Format::Csv,
        Duration::from_secs(1),
        sinks,
        checkpoint,
        staged,
    )
}

/// A job `e` wrote: its file's name in the folder, and what to say of it in the footer.
#[derive(Debug)]
pub struct Written {
    pub name: String,
    pub said: String,
}

/// Writes the job in the current folder; what to say in the footer (`Err`: why there is none).
pub fn export_job(base: &Export, file_sink_on: bool) -> Result<Written, String> {
    export_job_in(Path::new("."), base, file_sink_on)
}

/// A replay's `e`: the job of its batches staged in `staged` when given (the folder an earlier
/// `e` staged them in), else in the first folder of the current one's that is free (`staged`,
/// else `staged-2`, ...: missing or empty), and that folder, for the caller to stage the
/// replayed file's rows in.
pub fn export_replay_job(
    base: &Export,
    file_sink_on: bool,
    staged: Option<&Path>,
) -> Result<(Written, PathBuf), String> {
    export_replay_job_in(Path::new("."), base, file_sink_on, staged)
}

/// The most names `e` tries before it gives up.
const MAX_NAMES: u32 = 1000;

/// The `n`th name of `stem.extension` tried: `stem.extension`, then `stem-N.extension`.
fn nth_name(stem: &str, extension: Option<&str>, n: u32) -> String {
    let suffix = if n == 1 {
        String::new()
    } else {
        format!("-{n}")
    };
    extension.map_or_else(
        || format!("{stem}{suffix}"),
        |e| format!("{stem}{suffix}.{e}"),
    )
}

fn export_replay_job_in(
    dir: &Path,
    base: &Export,
    file_sink_on: bool,
    staged: Option<&Path>,
) -> Result<(Written, PathBuf), String> {
    let free = |name: &String| {
        std::fs::read_dir(dir.join(name)).map_or_else(
            |e| e.kind() == std::io::ErrorKind::NotFound,
            |mut entries| entries.next().is_none(),
        )
    };
    let folder = match staged {
        Some(staged) => staged.to_path_buf(),
        None => (1..=MAX_NAMES)
            .map(|n| nth_name(STAGED, None, n))
            .find(free)
            .ok_or_else(|| {
                format!("cannot export: {STAGED} to {STAGED}-{MAX_NAMES} all hold files")
            })?
            .into(),
    };
    let mut base = base.clone();
    if let Ok(spec) = &mut base {
        spec.source = ExportSource::ReplayDir(folder.clone());
    }
    let written = export_job_in(dir, &base, file_sink_on)?;
    Ok((written, folder))
}

/// Writes the job in `dir` under the first name no file has.
fn export_job_in(dir: &Path, base: &Export, file_sink_on: bool) -> Result<Written, String> {
    let mut spec = base
        .clone()
        .map_err(|why| format!("cannot export: {why}"))?;
    spec.sink = if file_sink_on && export::check_sink(SinkKind::File, spec.query.mode()).is_ok() {
        SinkKind::File
    } else {
        SinkKind::Console
    };
    let (stem, extension) = export::DEFAULT_JOB_FILE
        .rsplit_once('.')
        .unwrap_or((export::DEFAULT_JOB_FILE, "py"));
    for n in 1..=MAX_NAMES {
        let name = nth_name(stem, Some(extension), n);
        match export::write_job(&spec, &dir.join(&name), false) {
            Ok(()) => {
                let said = format!("wrote ./{name} (Spark {})", export::SPARK_VERSION);
                return Ok(Written { name, said });
            }
            Err(e) if durable::already_exists(&e) => {}
            Err(e) => return Err(format!("cannot export: {e:#}")),
        }
    }
    Err(format!(
        "cannot export: {stem}.{extension} to {stem}-{MAX_NAMES}.{extension} all exist"
    ))
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
        let said = export_job_in(dir.path(), &base, false).unwrap().said;
        assert!(
            said.starts_with("wrote ./window_append_streaming-2.py"),
            "{said}"
        );
        assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own job");
        let said = export_job_in(dir.path(), &base, true).unwrap().said;
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

    /// The job of a replay reads its batches staged in `staged`, or in the first `staged-N`
    /// free when that holds files (an empty one is taken).
    #[test]
    fn e_in_a_replay_exports_a_job_of_its_batches_staged_in_a_free_folder() {
        let dir = tempfile::tempdir().unwrap();
        let base = replay_job_spec(Query::seed(), &sinks(), Path::new("checkpoint"));
        let (written, staged) = export_replay_job_in(dir.path(), &base, false, None).unwrap();
        assert_eq!(
            (written.name.as_str(), staged.as_path()),
            (export::DEFAULT_JOB_FILE, Path::new("staged"))
        );
        let job = std::fs::read_to_string(dir.path().join(&written.name)).unwrap();
        assert!(job.contains("CSV files staged in \"staged\""), "{job}");
        assert!(job.contains("TRIGGER = \"1 second\""), "{job}");
        assert!(!job.contains("localhost"), "{job}");

        std::fs::create_dir(dir.path().join("staged")).unwrap();
        let (_, staged) = export_replay_job_in(dir.path(), &base, false, None).unwrap();
        assert_eq!(staged, Path::new("staged"), "an empty folder is free");
        std::fs::write(dir.path().join("staged/batch-000000.csv"), "batch\n").unwrap();
        let (written, staged) = export_replay_job_in(dir.path(), &base, false, None).unwrap();
        assert_eq!(staged, Path::new("staged-2"));
        let job = std::fs::read_to_string(dir.path().join(&written.name)).unwrap();
        assert!(job.contains("REPLAY_DIR = \"staged-2\""), "{job}");
        let again = Some(Path::new("staged-2"));
        let (written, staged) = export_replay_job_in(dir.path(), &base, false, again).unwrap();
        assert_eq!(staged, Path::new("staged-2"), "the folder staged before");
        let job = std::fs::read_to_string(dir.path().join(&written.name)).unwrap();
        assert!(job.contains("REPLAY_DIR = \"staged-2\""), "{job}");
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
            let said = export_job_in(dir.path(), &base, true).unwrap().said;
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

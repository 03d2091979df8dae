//! The `e` key: the query on screen, written as a `PySpark` job in the current folder, its sink the
//! file sink when that is on here. It never overwrites a file: when `window_append_streaming.py`
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
    spec.sink = if file_sink_on {
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

    #[test]
    fn e_never_overwrites_a_file_and_names_the_one_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let base = job_spec(
            Query::seed(),
            Format::Text,
            Duration::from_secs(15),
            &SinkConfig {
                kinds: vec![],
                output: "output".into(),
                progress: None,
                window_format: "%H%M%S".into(),
                zone: crate::engine::Zone::utc(),
            },
            Path::new("checkpoint"),
            ExportSource::Socket {
                host: "localhost".into(),
                port: 9999,
            },
        );
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
    }
}

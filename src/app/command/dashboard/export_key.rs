//! The `e` key: the query on screen, written as a `PySpark` job in the current folder, its sink the
//! file sink when that is on here.

use std::path::Path;

use crate::app::command::export::{self, JobSpec, WindowPattern};
use crate::app::config::{ExportSource, Format, SinkConfig, SinkKind};
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
    let mut spark_checkpoint = checkpoint.as_os_str().to_owned();
    spark_checkpoint.push("-spark");
    Ok(JobSpec {
        query,
        format,
        trigger,
        sink: SinkKind::Console,
        output: sinks.output.clone(),
        checkpoint: spark_checkpoint.into(),
        source,
        window_pattern: WindowPattern::from_chrono(&sinks.window_format)
            .map_err(|e| e.to_string())?,
    })
}

/// Writes the job; returns what to say in the footer.
pub fn export_job(base: &Export, file_sink_on: bool) -> String {
    let mut spec = match base {
        Ok(spec) => spec.clone(),
        Err(why) => return format!("cannot export: {why}"),
    };
    spec.sink = if file_sink_on {
        SinkKind::File
    } else {
        SinkKind::Console
    };
    match export::write_job(&spec, Path::new(export::DEFAULT_JOB_FILE)) {
        Ok(()) => format!(
            "wrote ./{} (Spark {}): spark-submit it",
            export::DEFAULT_JOB_FILE,
            export::SPARK_VERSION
        ),
        Err(e) => format!("cannot export: {e:#}"),
    }
}

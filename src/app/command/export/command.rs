//! The reverse direction: the window-tui command line that runs the exported program's query
//! on the same input, given in the program's docstring. Its words parse back, through
//! window-tui's own command line, to the same query (the tests check it).

use crate::app::config::{ExportSource, Format};
use crate::engine::{EventTime, MAX_WINDOWS_PER_EVENT, OutputMode, Query, Schema, WindowRequest};

use super::{JobSpec, WindowPattern};

/// The window-tui command that runs the same query on the same input, into window-tui's own
/// output folder (never the job's: the two must not write one folder), as words.
pub fn window_tui_words(spec: &JobSpec) -> Vec<String> {
    let mut words: Vec<String> = vec!["window-tui".into()];
    if matches!(spec.source, ExportSource::ReplayDir(_)) {
        words.extend(["replay".into(), "EVENTS.csv".into()]);
    }
    let mut flag = |name: &str, value: String| {
        words.push(name.into());
        words.push(value);
    };
    if let ExportSource::Socket { host, port } = &spec.source {
        flag("--source", format!("{}:{port}", display_host(host)));
        if spec.format != Format::Text {
            flag("--format", spec.format.name().into());
        }
    }
    query_flags(&spec.query, &mut flag);
    if let ExportSource::Socket { .. } = spec.source {
        flag("--trigger", spec.trigger.to_string());
    }
    flag("--sink", spec.sink.name().into());
    if spec.window_pattern != WindowPattern::default() {
        flag("--window-format", spec.window_pattern.chrono().into());
    }
    words
}

/// The flags that state `query`: the schema, event time, group-by columns and aggregates where
/// they are not the seed's, the window, the watermark, and the output mode where it is not
/// append.
fn query_flags(query: &Query, flag: &mut impl FnMut(&str, String)) {
    let request = query.request();
    if request.schema != Schema::value_string() {
        flag("--schema", request.schema.to_string());
    }
    if let EventTime::Column(name) = &request.event_time {
        flag("--event-time", name.clone());
    }
    let group_by: Vec<&str> = query
        .group_by()
        .iter()
        .map(|&at| query.schema().field(at).name.as_str())
        .collect();
    if group_by != ["value"] {
        flag("--group-by", group_by.join(","));
    }
    if !query.counts_only() {
        let aggs: Vec<&str> = query.aggs().iter().map(|a| a.name.as_str()).collect();
        flag("--agg", aggs.join(","));
    }
    match request.window {
        WindowRequest::Sliding { size, slide } => {
            flag("--window", size.to_string());
            flag("--slide", slide.to_string());
        }
        WindowRequest::Session { gap } => flag("--session-gap", gap.to_string()),
    }
    flag("--watermark", query.delay().to_string());
    if query.mode() != OutputMode::Append {
        flag("--output-mode", query.mode().name().into());
    }
    if request.max_windows_per_event != MAX_WINDOWS_PER_EVENT {
        flag(
            "--max-windows-per-event",
            request.max_windows_per_event.to_string(),
        );
    }
}

/// `[::1]` for an IPv6 address, the host as it is otherwise.
pub fn display_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

//! The query as the exported program states it: the Python constants and expressions of its
//! input columns, watermark, `groupBy(window | session_window, *GROUP_BY)`, `.agg(...)` with
//! Spark's column names, and output mode, and the docstring's words for them.
//!
//! Everything is derived from the engine's [`Query`]; its `Display` (Spark code on one line) is
//! the docstring's statement of the query.

use crate::app::command::replay;
use crate::app::config::QueryConfig;
use crate::app::error::BadInput;
use crate::engine::{
    AggFn, Duration, EventTime, OutputMode, Query, Schema, WindowKind, quote_name,
};

use super::text::{doc_text, py_str, wrap};

/// The column a staged file's row carries its arrival stamp in (window-tui's `--record`).
pub const STAGED_EVENT_TIME: &str = "event_time";

/// The query a job over staged files runs: `query` over the columns of a window-tui
/// recording (`--record`), whose `event_time` column is the arrival stamp of a query stamped
/// on arrival. This is window-tui's own replay query for such a file.
pub fn staged_query(query: &Query) -> Result<Query, BadInput> {
    let request = query.request();
    if request.event_time != EventTime::Arrival {
        return Ok(query.clone());
    }
    let mut columns = vec![STAGED_EVENT_TIME.to_string()];
    columns.extend(query.schema().fields().iter().map(|f| f.name.clone()));
    let config = QueryConfig {
        schema: Some(request.schema.clone()),
        event_time: request.event_time.clone(),
        group_by: request.group_by.clone(),
        aggs: request.aggs.clone(),
        window: request.window,
        delay: request.delay,
        mode: request.mode,
        max_windows_per_event: request.max_windows_per_event,
    };
    replay::query_of(&config, &columns).map(|(query, _)| query)
}

/// The name of the socket source's arrival stamp in the job: `timestamp`, unless a column of
/// the schema has that name.
pub fn arrival_column(schema: &Schema) -> String {
    let mut name = "timestamp".to_string();
    while schema.index_of(&name).is_some() {
        name.insert_str(0, "arrival_");
    }
    name
}

/// The name Spark is to put a line that does not fit in: `_corrupt_record`, unless a column of
/// the schema has that name.
pub fn corrupt_column(schema: &Schema) -> String {
    let mut name = "_corrupt_record".to_string();
    while schema.index_of(&name).is_some() {
        name.push('_');
    }
    name
}

/// The event-time column of the job: the query's column, or `arrival` for rows stamped on
/// arrival.
pub fn event_time<'a>(query: &'a Query, arrival: &'a str) -> &'a str {
    match query.event_time_column() {
        Some(at) => &query.schema().field(at).name,
        None => arrival,
    }
}

/// `Windowed counts in append mode`, `Session-windowed aggregates in update mode`.
pub fn title(query: &Query) -> String {
    let kind = match query.window() {
        WindowKind::Sliding(_) => "Windowed",
        WindowKind::Session { .. } => "Session-windowed",
    };
    let what = if query.counts_only() {
        "counts"
    } else {
        "aggregates"
    };
    format!("{kind} {what} in {} mode", query.mode().name())
}

/// The query's Spark code for the docstring, one call a line.
pub fn code(query: &Query) -> String {
    let text = query.to_string();
    let text = text
        .strip_suffix(&format!(" in {} mode", query.mode().name()))
        .unwrap_or(&text);
    let group = text.find(").groupBy(").map_or(text.len(), |at| at + 1);
    let (watermark, rest) = text.split_at(group);
    let aggs = rest
        .rfind(").count()")
        .or_else(|| rest.find(").agg("))
        .map_or(rest.len(), |at| at + 1);
    let (group_by, aggs) = rest.split_at(aggs);
    let mut out = format!("    stream.{}", doc_text(watermark));
    if !group_by.is_empty() {
        out.push_str("\n          ");
        out.push_str(&doc_text(group_by));
    }
    if !aggs.is_empty() {
        // `.agg(a, b, ...)` continued under its first argument.
        out.push_str("\n          ");
        out.push_str(&wrap(&doc_text(aggs), 100, 10, &" ".repeat(15)));
    }
    out
}

/// What the output mode writes, for the docstring.
pub fn mode_text(query: &Query) -> String {
    let delay = query.delay();
    let watermark = format!("the watermark (the latest event time seen, minus {delay})");
    match (query.mode(), query.window()) {
        (OutputMode::Append, WindowKind::Sliding(_)) => format!(
            "In append mode: each row (a window and its group) is written once, final, as soon \
             as {watermark} reaches the window's end."
        ),
        (OutputMode::Append, WindowKind::Session { gap }) => format!(
            "In append mode: each session (a group's events less than {gap} apart, from the \
             first to the last plus {gap}) is written once, final, as soon as {watermark} \
             reaches the session's end."
        ),
        (OutputMode::Update, _) => format!(
            "In update mode: each micro-batch writes the rows its input changed, with their \
             aggregates so far; {watermark} drops late rows, and forgets the windows it has \
             passed without writing them again."
        ),
        (OutputMode::Complete, _) => "In complete mode: each micro-batch writes the whole \
             result table, every window and group so far; no state is ever dropped."
            .to_string(),
    }
}

/// `F.window(...)`'s or `F.session_window(...)`'s constants.
pub fn window_constants(query: &Query) -> String {
    match query.window() {
        WindowKind::Sliding(spec) => format!(
            "WINDOW = \"{}\"\nSLIDE = \"{}\"",
            Duration::from_micros(spec.size()),
            Duration::from_micros(spec.slide())
        ),
        WindowKind::Session { gap } => format!("SESSION_GAP = \"{gap}\""),
    }
}

/// A column name as a Python string Spark reads as that column.
fn column_ref(name: &str) -> String {
    py_str(&quote_name(name))
}

/// `.groupBy(...)`'s arguments: the window, then the group-by columns.
pub fn group_by(query: &Query) -> String {
    let mut parts = vec![match query.window() {
        WindowKind::Sliding(_) => {
            "F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\")".to_string()
        }
        WindowKind::Session { .. } => {
            "F.session_window(quoted(EVENT_TIME), SESSION_GAP).alias(\"window\")".to_string()
        }
    }];
    parts.extend(query.group_by_names().map(column_ref));
    call_args(&parts, ".groupBy(".len())
}

/// `.agg(...)`'s arguments, each named as Spark names it (`count`, `sum(bytes)`).
pub fn aggregates(query: &Query) -> String {
    let parts: Vec<String> = query
        .aggs()
        .iter()
        .map(|agg| {
            let input = agg
                .column
                .map(|at| column_ref(&query.schema().field(at).name));
            let call = match (agg.func, input) {
                (AggFn::Count, _) | (_, None) => "F.count(F.lit(1))".to_string(),
                (AggFn::CountColumn, Some(c)) => format!("F.count({c})"),
                (AggFn::Sum, Some(c)) => format!("F.sum({c})"),
                (AggFn::Avg, Some(c)) => format!("F.avg({c})"),
                (AggFn::Min, Some(c)) => format!("F.min({c})"),
                (AggFn::Max, Some(c)) => format!("F.max({c})"),
            };
            format!("{call}.alias({})", py_str(&agg.name))
        })
        .collect();
    call_args(&parts, ".agg(".len())
}

/// The output columns after `window`: the group-by columns, then the aggregates.
pub fn output_columns(query: &Query) -> String {
    let mut parts = vec!["stringify_window(\"window\").alias(\"window\")".to_string()];
    parts.extend(
        query.output_names()[1..]
            .iter()
            .map(|name| column_ref(name)),
    );
    call_args(&parts, ".select(".len())
}

/// A call's arguments after `        .call(` (`call` being `call_len` long with its parenthesis):
/// on that line when they fit in 100 columns, else one a line.
fn call_args(parts: &[String], call_len: usize) -> String {
    let line = parts.join(", ");
    if 8 + call_len + line.len() < 100 {
        return line;
    }
    format!("\n            {},\n        ", parts.join(",\n            "))
}

/// The docstring of `transformations()`.
pub fn transformations_doc(query: &Query) -> String {
    let keys: Vec<&str> = query.group_by_names().collect();
    let window = match query.window() {
        WindowKind::Sliding(_) => "the window",
        WindowKind::Session { .. } => "the session window",
    };
    let by = if keys.is_empty() {
        window.to_string()
    } else {
        format!("{window} and {}", keys.join(", "))
    };
    let aggs: Vec<&str> = query.aggs().iter().map(|a| a.name.as_str()).collect();
    wrap(
        &doc_text(&format!(
            "Group by {by} behind the watermark; aggregate {}.",
            aggs.join(", ")
        )),
        100,
        "    \"\"\"".len(),
        "    ",
    )
}

/// `COLUMNS`: the schema's columns and types as a Python list.
pub fn columns_list(schema: &Schema) -> String {
    let items: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("({}, \"{}\")", py_str(&f.name), f.ty.sql()))
        .collect();
    let one_line = format!("[{}]", items.join(", "));
    if one_line.len() + "COLUMNS = ".len() <= 100 {
        return one_line;
    }
    format!("[\n    {},\n]", items.join(",\n    "))
}

/// The output columns' names, comma-separated, for the docstring.
pub fn output_names(query: &Query) -> String {
    query.output_names().join(", ")
}

//! Why a query cannot run ([`QueryError`]): each what the query states wrong, or what Spark
//! itself refuses, as one clear error.

use super::{Duration, OutputMode, WindowKind};
use crate::engine::types::DataType;

/// Why a query cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{what} {name:?} is not a column; the columns are {columns}")]
    UnknownColumn {
        what: &'static str,
        name: String,
        columns: String,
    },
    #[error(
        "--event-time {name:?} is a {ty} column; the event time must be a TIMESTAMP column (or `arrival`)"
    )]
    EventTimeType { name: String, ty: DataType },
    #[error("--agg {agg}: {column:?} is a {ty} column; sum and avg take numeric columns ({why})")]
    NotNumeric {
        agg: String,
        column: String,
        ty: DataType,
        /// What Spark does instead.
        why: &'static str,
    },
    #[error(
        "--agg {0:?} is not an aggregate; use count, count(c), sum(c), avg(c), min(c) or max(c), comma-separated"
    )]
    AggSyntax(String),
    #[error("--agg {0:?} needs a column, like sum(bytes)")]
    AggNeedsColumn(String),
    #[error("--agg is empty; use count, or a list like count,sum(bytes)")]
    NoAggs,
    #[error(
        "the output would have two columns named {0:?} (the window, the --group-by columns and the aggregates must be named apart)"
    )]
    DuplicateColumn(String),
    #[error(
        "session windows need at least one --group-by column (Spark refuses a global session window)"
    )]
    SessionWithoutKey,
    #[error(
        "update mode does not take session windows (Spark refuses it); use append or complete mode"
    )]
    SessionInUpdateMode,
    #[error(
        "{window} windows sliding every {slide} put each event in {count} windows, more than the limit {limit}; use a longer slide, or raise --max-windows-per-event"
    )]
    TooManyWindows {
        window: Duration,
        slide: Duration,
        count: u64,
        limit: u64,
    },
    #[error(
        "--group-by {name:?} is the event-time column, which Spark refuses beside {window} (\"More than one event time columns are available\": the window and the column both carry the watermark){hint}"
    )]
    GroupByEventTime {
        name: String,
        /// `window()` in append or update mode, or `session_window()`.
        window: &'static str,
        /// What runs instead, if anything.
        hint: &'static str,
    },
    #[error("{0}")]
    Window(crate::engine::duration::DurationError),
}

/// Spark's refusal of a query grouped by its event-time column besides the window it puts
/// the column in: in append and update mode, and with session windows in any mode (Spark 3.5.3
/// runs `window()` in complete mode alone, and agrees with the engine there).
pub(super) fn check_event_time_key(
    name: &str,
    window: WindowKind,
    mode: OutputMode,
) -> Result<(), QueryError> {
    let (window, hint) = match window {
        WindowKind::Session { .. } => ("a session window", ""),
        WindowKind::Sliding(_) if mode == OutputMode::Complete => return Ok(()),
        WindowKind::Sliding(_) => (
            "a window in append or update mode",
            "; complete mode takes it",
        ),
    };
    Err(QueryError::GroupByEventTime {
        name: name.to_string(),
        window,
        hint,
    })
}

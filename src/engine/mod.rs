//! The window engine: pure, synchronous and free of I/O.
//!
//! It runs a query of Spark's family (sliding or session windows, group-by columns, `count`,
//! `sum`, `avg`, `min`, `max`, in append, update or complete mode) one micro-batch at a time,
//! with Spark 3.5's answers: window assignment, the watermark, the late filter, state, emission
//! and per-batch progress. Replay, headless and the dashboard all drive this one engine; the
//! caller owns time, threads and I/O.

mod accumulate;
mod batch;
mod calendar;
mod changes;
mod codec;
mod core;
mod duration;
mod emit;
mod exact_avg;
mod interner;
mod key;
mod late_log;
mod pane_state;
mod pane_sweep;
mod panes;
mod parse;
mod query;
mod results;
mod row;
mod schema;
mod session;
mod sliding;
pub mod text;
mod tick_partial;
mod time;
mod types;
mod updater;
mod window;
mod window_state;
mod zone;

pub use batch::{
    BatchKind, BatchOutput, BatchStats, EmittedRow, EventTimeStats, LATE_SAMPLE, LateRow,
};
pub use codec::StateError;
pub use core::{Batch, Engine, Marks, NotAbsorbed, Tick};
pub use duration::{Duration, DurationError, Interval, Use};
pub use parse::{CellError, CellParser};
pub use query::{
    Agg, AggFn, AggRequest, EventTime, MAX_WINDOWS_PER_EVENT, OutputMode, Query, QueryError,
    QueryRequest, WindowKind, WindowRequest, parse_aggs, parse_group_by,
};
pub use results::Results;
pub use row::{BadRow, EncodedRow, Row, RowWriter, Rows, StagedRow};
pub use schema::{Field, Schema, SchemaError, quote_name};
pub use tick_partial::TickPartial;
pub use time::{
    EVENT_TIME_RANGE, Fraction, MICROS_PER_MILLI, MICROS_PER_SECOND, Micros, NULL_EVENT_TIME,
    TimestampError, TimestampParser, Utc, parse_rfc3339,
};
pub use types::{DataType, Datum, Value, compare};
pub use window::{Window, WindowSpec};
pub use zone::Zone;

/// The values of an encoded group key, one per type of `key_types`.
pub fn key_values<'a>(
    key_types: &'a [DataType],
    key: &'a [u8],
) -> impl Iterator<Item = Value<'a>> + 'a {
    key::decode(key_types, key)
}

#[cfg(test)]
mod tests;

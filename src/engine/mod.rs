//! The window engine: pure, synchronous and free of I/O.
//!
//! It assigns event times to sliding windows, keeps the watermark, drops late pairs, counts per
//! (value, window) and emits in append mode, one micro-batch at a time, with Spark 3.5's answers.
//! Replay, headless and the dashboard all drive this one engine.

mod aggregate;
mod batch;
mod duration;
mod interner;
mod query;
mod state;
mod time;
mod window;
mod zone;

pub use aggregate::{Batch, Engine, Marks, OpenKeys, Tick};
pub use batch::{
    BatchKind, BatchOutput, BatchStats, EmittedRow, EventTimeStats, LATE_SAMPLE, LateRow,
};
pub use duration::{Duration, DurationError};
pub use query::{Query, QueryError};
pub use time::{
    Fraction, MICROS_PER_MILLI, MICROS_PER_SECOND, Micros, TimestampError, TimestampParser, Utc,
    parse_rfc3339,
};
pub use window::{Window, WindowSpec};
pub use zone::Zone;

#[cfg(test)]
mod tests;

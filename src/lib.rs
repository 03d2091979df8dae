//! window-tui: event-time windowed stream aggregation with Apache Spark 3.5's answers, in one
//! process, with a terminal dashboard.
//!
//! - [`engine`]: the pure window engine (window assignment, watermark, late filter, state, append
//!   emission, per-batch progress).
//! - [`app`]: everything with I/O: the command line, sources, sinks, the trigger loop.
//! - [`ui`]: the ratatui dashboard, rendered from immutable snapshots.

pub mod app;
pub mod engine;
pub mod ui;

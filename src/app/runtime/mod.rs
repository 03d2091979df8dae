//! The runtime between sources and sinks: the trigger loop that turns arrived rows into
//! micro-batches, the pipeline that runs each batch through the engine and the sinks, the
//! checkpoint that makes it crash-safe, the record of what arrived, the progress log, and the
//! other output modes' engines the dashboard's modes view shows.

pub mod checkpoint;
pub mod end_of_run;
pub mod folders;
pub mod live;
pub mod modes;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod stepper;
pub mod trigger;

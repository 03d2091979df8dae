//! One module per command: `replay`, the live run (`headless` and the `dashboard`), `serve`
//! and `export-spark`. Each wires sources, the runtime and sinks together from its config.

pub mod dashboard;
pub mod export;
pub mod headless;
pub mod replay;
mod replay_bar;
pub mod serve;

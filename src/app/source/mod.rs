//! Sources of rows: a recorded replay file, and for live runs the socket reader with its line
//! splitting and decoding, feeding the inbox the trigger drains.

pub mod inbox;
pub mod lines;
pub mod read_ahead;
pub mod replay_file;
pub mod resolve;
pub mod server;
pub mod socket;

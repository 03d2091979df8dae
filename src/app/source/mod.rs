//! Sources of rows: a recorded replay file (and, for live runs, the socket reader and the
//! embedded generator).

pub mod replay_file;

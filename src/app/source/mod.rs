//! Sources of rows: the stream server (the seed's `stream_server.py`), the socket reader that
//! splits what it sends into lines, decodes them into typed rows and feeds the inbox the trigger
//! drains, and recorded replay files.

pub mod decode;
mod flat_json;
pub mod inbox;
pub mod lines;
pub mod opening;
pub mod replay;
pub mod resolve;
pub mod server;
pub mod socket;
mod spark_json;
mod spark_json_text;
mod swar;
#[cfg(test)]
mod test_lines;

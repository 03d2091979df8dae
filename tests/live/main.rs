//! The live pipeline from the outside, over loopback TCP: the socket reader against a test server
//! (split lines, CRLF, a huge line, invalid UTF-8, reconnection), `--record` then `replay` giving
//! the same answers, `--event-time payload`, SIGTERM / SIGINT / SIGHUP in headless mode with the file sink,
//! headless when stdout is not a terminal, and a server that is not up yet.
//! This file holds what the parts share.

#[path = "../common/mod.rs"]
mod common;

mod headless;
mod reader;
mod replayed;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{
    Bag, Recorded, Row, Running, accept_within, bag, check_file_sink, diff, headless_summary,
    json_rows, micros, poll, read_progress, read_record, window_tui_in,
};
use serde_json::Value;

const T: Duration = Duration::from_secs(20);

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `window-tui --headless --source 127.0.0.1:PORT ARGS...`, started in `dir`.
fn headless_from(dir: &Path, port: u16, args: &[&str]) -> Running {
    Running::spawn(
        window_tui_in(dir)
            .args(["--headless", "--source", &format!("127.0.0.1:{port}")])
            .args(["--checkpoint", path_arg(&dir.join("checkpoint"))])
            .args(args),
    )
}

/// Waits until the record file holds at least `n` rows and returns them.
fn wait_for_record(run: &Running, record: &Path, n: usize) -> Vec<Recorded> {
    poll(
        T,
        || {
            format!(
                "{n} recorded rows expected, have {}; stderr:\n{}",
                read_record(record).len(),
                run.stderr()
            )
        },
        || {
            let rows = read_record(record);
            (rows.len() >= n).then_some(rows)
        },
    )
}

fn write_all(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).unwrap();
    stream.flush().unwrap();
}

/// Writes `pieces` one at a time with a pause between them, so the reader sees them apart.
fn write_apart(stream: &mut TcpStream, pieces: &[&[u8]]) {
    for piece in pieces {
        write_all(stream, piece);
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn count_of(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

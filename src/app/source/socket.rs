//! The socket reader (Spark's `socket` source with `includeTimestamp`): connects to a stream
//! server, splits what arrives into lines, stamps each with its arrival time and puts the rows in
//! the inbox for the next trigger tick.
//!
//! It never buffers without bound: a line over the limit and invalid UTF-8 are counted as rejected;
//! a full inbox stops reading (TCP pushes back on the sender). While the server is not up, or
//! closes before it sends anything, the reader says so and tries again with backoff. The end of a
//! stream that brought lines ends the reader, as Spark's socket source ends with its connection,
//! unless it reconnects always (`--reconnect`); no line it read is lost. The backoff starts over
//! only after a connection that worked, so a server that accepts and closes at once is not hammered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::decode::{LineDecoder, Rejection};
use super::inbox::{Inbox, Rows};
use super::lines::LineSplitter;
use crate::app::clock::now_micros;

/// Where to read and how.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    pub host: String,
    pub port: u16,
    pub max_line_bytes: usize,
    /// Turns lines into rows of the query's schema.
    pub decoder: LineDecoder,
    /// When to connect again.
    pub reconnect: Reconnect,
}

/// When the reader connects again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// Never: the end of the first connection ends the reader (the embedded server's).
    Never,
    /// Until a connection brings data: a server not up yet, or one that closes at once, is
    /// tried again; the end of a stream that brought data ends the reader (an external server's,
    /// as Spark's socket source reads one connection).
    UntilStream,
    /// Whenever a connection ends (`--reconnect`).
    Always,
}

impl ReaderConfig {
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The reader's connection, as the dashboard and the log show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Connected,
    /// Not connected; the next attempt comes after the backoff.
    Retrying {
        reason: String,
        backoff: Duration,
    },
    /// The stream ended and the reader does not reconnect.
    Finished,
}

/// What the reader has done so far.
#[derive(Debug)]
pub struct ReaderStats {
    accepted: AtomicU64,
    bytes: AtomicU64,
    /// Lines rejected, by [`Rejection::index`].
    rejected: [AtomicU64; Rejection::ALL.len()],
    /// Rejected lines logged so far (see [`ReaderStats::reject`]).
    shown: AtomicU64,
    connection: Mutex<Connection>,
}

/// Rejected lines the log shows, the first ones: the counts alone do not say which lines to
/// fix.
const SHOWN_REJECTIONS: u64 = 5;
/// Bytes of a rejected line the log shows.
const SHOWN_BYTES: usize = 200;

impl Default for ReaderStats {
    fn default() -> Self {
        ReaderStats {
            accepted: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            rejected: Default::default(),
            shown: AtomicU64::new(0),
            connection: Mutex::new(Connection::Connecting),
        }
    }
}

impl ReaderStats {
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Rejected lines by kind.
    pub fn rejected(&self) -> [(Rejection, u64); Rejection::ALL.len()] {
        Rejection::ALL.map(|why| (why, self.rejected[why.index()].load(Ordering::Relaxed)))
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected().iter().map(|(_, n)| n).sum()
    }

    pub fn connection(&self) -> Connection {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_connection(&self, state: Connection) {
        *self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = state;
    }

    /// Counts a rejected line (`None`: too long to keep); the first [`SHOWN_REJECTIONS`] are
    /// logged too, with their text, escaped and cut at [`SHOWN_BYTES`].
    fn reject(&self, why: Rejection, line: Option<&[u8]>) {
        self.rejected[why.index()].fetch_add(1, Ordering::Relaxed);
        if let Some(message) = self.shown_rejection(why, line) {
            tracing::warn!("{message}");
        }
    }

    /// What the log says of a rejected line, while it says any.
    fn shown_rejection(&self, why: Rejection, line: Option<&[u8]>) -> Option<String> {
        let shown = self.shown.fetch_add(1, Ordering::Relaxed);
        if shown >= SHOWN_REJECTIONS {
            return None;
        }
        let text = line.map_or_else(String::new, |line| {
            let cut = if line.len() > SHOWN_BYTES { "…" } else { "" };
            let text = String::from_utf8_lossy(&line[..line.len().min(SHOWN_BYTES)]);
            format!(": {text:?}{cut}")
        });
        let last = if shown + 1 == SHOWN_REJECTIONS {
            "; further rejected lines are counted, not shown"
        } else {
            ""
        };
        Some(format!("a line was rejected ({why}){text}{last}"))
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const READ_CHUNK: usize = 256 * 1024;

/// Reads until the stream ends for good (as [`Reconnect`] says) or the task is dropped. `paused`
/// stops reading while it is true.
pub async fn run(
    config: ReaderConfig,
    inbox: Arc<Inbox>,
    stats: Arc<ReaderStats>,
    mut paused: watch::Receiver<bool>,
) {
    let address = config.address();
    let mut backoff = FIRST_BACKOFF;
    loop {
        stats.set_connection(Connection::Connecting);
        let connected = match super::resolve::resolve(&config.host, config.port).await {
            Ok(addresses) => TcpStream::connect(&addresses[..])
                .await
                .map_err(|e| format!("cannot connect: {e}")),
            Err(why) => Err(why),
        };
        let mut brought_data = false;
        let reason = match connected {
            Ok(stream) => {
                tracing::info!("connected to {address}");
                stats.set_connection(Connection::Connected);
                let (since, bytes_before) = (Instant::now(), stats.bytes());
                let result = read_stream(stream, &config, &inbox, &stats, &mut paused).await;
                // Only a connection that worked starts the backoff over: one that brought no data
                // and ended at once is a failure like a refusal, and is retried ever more slowly.
                brought_data = stats.bytes() > bytes_before;
                if brought_data || since.elapsed() >= backoff {
                    backoff = FIRST_BACKOFF;
                }
                match result {
                    Ok(()) => "the server closed the connection".to_string(),
                    Err(e) => format!("the connection failed: {e}"),
                }
            }
            Err(why) => why,
        };
        let over = match config.reconnect {
            Reconnect::Never => true,
            Reconnect::UntilStream => brought_data,
            Reconnect::Always => false,
        };
        if over {
            if config.reconnect == Reconnect::UntilStream {
                tracing::warn!(
                    "{address}: {reason}; the stream is over (--reconnect reads the server again \
                     when it closes)"
                );
            } else {
                tracing::info!("{address}: {reason}; the stream is over");
            }
            stats.set_connection(Connection::Finished);
            return;
        }
        tracing::warn!("{address}: {reason}; retrying in {backoff:?}");
        stats.set_connection(Connection::Retrying { reason, backoff });
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Reads one connection to its end. Every line read is in the inbox when it returns, the last one
/// even without its line break, whether the stream ended or failed.
async fn read_stream(
    mut stream: TcpStream,
    config: &ReaderConfig,
    inbox: &Inbox,
    stats: &ReaderStats,
    paused: &mut watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut splitter = LineSplitter::new(config.max_line_bytes);
    let mut decoder = config.decoder.clone();
    let mut rows = Rows::default();
    loop {
        if *paused.borrow() {
            // A dropped sender means nobody can pause any more: read on.
            let _ = paused.wait_for(|p| !p).await;
        }
        inbox.wait_for_room().await;
        let read = stream.read(&mut buf).await;
        let arrival = now_micros();
        let mut take = |line: Result<&[u8], Rejection>| match line {
            Ok(line) => {
                if let Err(why) = decoder.decode(line, arrival, &mut rows) {
                    stats.reject(why, Some(line));
                }
            }
            Err(why) => stats.reject(why, None),
        };
        // `Some` once the connection is over: a reset ends it as an EOF does, partial line and all.
        let end = match read {
            Ok(0) => Some(Ok(())),
            Ok(n) => {
                stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
                splitter.feed(&buf[..n], &mut take);
                None
            }
            Err(e) => Some(Err(e)),
        };
        if end.is_some() {
            splitter.finish(&mut take);
        }
        // No await from the read to here: a reader aborted at an await (`Live::stop`) has put
        // everything it read.
        stats
            .accepted
            .fetch_add(rows.len() as u64, Ordering::Relaxed);
        inbox.put(&mut rows);
        if let Some(end) = end {
            return end;
        }
    }
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;

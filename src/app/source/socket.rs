//! The socket reader (Spark's `socket` source with `includeTimestamp`): connects to a stream
//! server, splits what arrives into lines, stamps each with its arrival time and puts the rows in
//! the inbox for the next trigger tick.
//!
//! It never buffers without bound: a line over the limit and invalid UTF-8 are counted as rejected;
//! a full inbox stops reading (TCP pushes back on the sender). When the server is not up or
//! closes, it says so and reconnects with backoff; no line it read is lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::inbox::{Inbox, Rows};
use super::lines::{LineDecoder, LineSplitter, Rejection};
use crate::app::cli::EventTimeFrom;
use crate::engine::Micros;

/// Where to read and how.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    pub host: String,
    pub port: u16,
    pub max_line_bytes: usize,
    pub event_time: EventTimeFrom,
    /// Reconnect when the server closes; otherwise the end of the stream ends the reader.
    pub reconnect: bool,
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
    too_long: AtomicU64,
    not_utf8: AtomicU64,
    bad_payload: AtomicU64,
    connection: Mutex<Connection>,
}

impl Default for ReaderStats {
    fn default() -> Self {
        ReaderStats {
            accepted: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            too_long: AtomicU64::new(0),
            not_utf8: AtomicU64::new(0),
            bad_payload: AtomicU64::new(0),
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
    pub fn rejected(&self) -> [(Rejection, u64); 3] {
        [
            (Rejection::TooLong, self.too_long.load(Ordering::Relaxed)),
            (Rejection::NotUtf8, self.not_utf8.load(Ordering::Relaxed)),
            (
                Rejection::BadPayload,
                self.bad_payload.load(Ordering::Relaxed),
            ),
        ]
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected().iter().map(|(_, n)| n).sum()
    }

    pub fn connection(&self) -> Connection {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_connection(&self, state: Connection) {
        *self.connection.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }

    fn reject(&self, why: Rejection) {
        let counter = match why {
            Rejection::TooLong => &self.too_long,
            Rejection::NotUtf8 => &self.not_utf8,
            Rejection::BadPayload => &self.bad_payload,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const READ_CHUNK: usize = 256 * 1024;

/// Now, in microseconds since the epoch.
pub fn now_micros() -> Micros {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as Micros)
}

/// Reads until the stream ends for good (without `reconnect`) or the task is dropped. `paused`
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
        let reason = match TcpStream::connect((config.host.as_str(), config.port)).await {
            Ok(stream) => {
                tracing::info!("connected to {address}");
                stats.set_connection(Connection::Connected);
                backoff = FIRST_BACKOFF;
                match read_stream(stream, &config, &inbox, &stats, &mut paused).await {
                    Ok(()) => "the server closed the connection".to_string(),
                    Err(e) => format!("the connection failed: {e}"),
                }
            }
            Err(e) => format!("cannot connect: {e}"),
        };
        if !config.reconnect {
            tracing::info!("{address}: {reason}; the stream is over");
            stats.set_connection(Connection::Finished);
            return;
        }
        tracing::warn!("{address}: {reason}; retrying in {backoff:?}");
        stats.set_connection(Connection::Retrying { reason, backoff });
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Reads one connection to its end. Every complete line read is in the inbox when it returns.
async fn read_stream(
    mut stream: TcpStream,
    config: &ReaderConfig,
    inbox: &Inbox,
    stats: &ReaderStats,
    paused: &mut watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut splitter = LineSplitter::new(config.max_line_bytes);
    let mut decoder = LineDecoder::new(config.event_time);
    let mut rows = Rows::default();
    loop {
        if *paused.borrow() {
            // A dropped sender means nobody can pause any more: read on.
            let _ = paused.wait_for(|p| !p).await;
        }
        inbox.wait_for_room().await;
        let n = stream.read(&mut buf).await?;
        let arrival = now_micros();
        let mut take = |line: Result<&[u8], Rejection>| match line
            .and_then(|line| decoder.decode(line, arrival))
        {
            Ok((t, value)) => rows.push(t, value),
            Err(why) => stats.reject(why),
        };
        if n == 0 {
            splitter.finish(&mut take);
        } else {
            stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
            splitter.feed(&buf[..n], &mut take);
        }
        stats
            .accepted
            .fetch_add(rows.len() as u64, Ordering::Relaxed);
        inbox.put(&mut rows);
        if n == 0 {
            return Ok(());
        }
    }
}

//! The stream server of the seed: to every client that connects it sends one line per delay, a
//! random integer 0..10 or the next line of a file, `count` lines a round, `repeat` rounds, then
//! closes. `window-tui serve` runs it alone; the main command embeds it on a loopback port.
//!
//! Each client has its own sequence and task, so a client that goes away disturbs no other. The
//! pace and a pause switch are live (the dashboard's `+`, `-` and `space`).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use rand::RngExt;
use rand::rngs::SmallRng;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::app::cli::Generator;
use crate::app::error::BadInput;

/// What the server sends.
#[derive(Debug, Clone)]
pub enum Content {
    /// A random integer 0..=10 per line.
    Random,
    /// These lines, in order, from the start each round.
    Lines(Arc<[String]>),
}

/// The server's program: content, round length and number of rounds.
#[derive(Debug, Clone)]
pub struct Program {
    pub content: Content,
    /// Lines a round; `None` means 1000 random values or every line of the file.
    pub count: Option<u64>,
    pub repeat: u64,
}

impl Program {
    /// The program `--output random|file`, `--file`, `--count` and `--repeat` describe.
    pub fn new(
        kind: Generator,
        file: Option<&Path>,
        count: Option<u64>,
        repeat: u64,
    ) -> anyhow::Result<Self> {
        let content = match (kind, file) {
            (Generator::Random, _) => Content::Random,
            (Generator::File, None) => {
                return Err(BadInput("the file generator needs --file PATH".into()).into());
            }
            (Generator::File, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| BadInput(format!("cannot read --file {}: {e}", path.display())))?;
                Content::Lines(text.lines().map(str::to_owned).collect())
            }
        };
        Ok(Program {
            content,
            count,
            repeat,
        })
    }

    fn lines_per_round(&self) -> u64 {
        match (&self.content, self.count) {
            (Content::Random, count) => count.unwrap_or(1000),
            (Content::Lines(lines), Some(count)) => count.min(lines.len() as u64),
            (Content::Lines(lines), None) => lines.len() as u64,
        }
    }
}

/// The live pace: time between lines (zero: as fast as the socket takes them) and a pause switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub delay: Duration,
    pub paused: bool,
}

/// How the server reports what it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// `Sent value: N` on stdout, as the seed prints (for `window-tui serve`).
    Stdout,
    /// To the log only (embedded in the main command).
    Log,
}

/// Lines sent so far, over every client.
#[derive(Debug, Default)]
pub struct Sent(AtomicU64);

impl Sent {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Below this delay, per-line echo would flood the terminal: the server sums up once a second.
const ECHO_EACH_LINE_ABOVE: Duration = Duration::from_millis(10);
/// At most this many lines go in one write.
const CHUNK_LINES: u64 = 4096;

/// Binds `host:port` (port 0 picks a free one).
pub async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))
}

/// Accepts clients forever, each served by its own task.
pub async fn serve(
    listener: TcpListener,
    program: Program,
    pace: watch::Receiver<Pace>,
    echo: Echo,
    sent: Arc<Sent>,
) -> anyhow::Result<()> {
    let program = Arc::new(program);
    loop {
        let (stream, peer) = listener.accept().await.context("accept failed")?;
        tracing::info!("client {peer} connected");
        let (program, pace, sent) = (program.clone(), pace.clone(), sent.clone());
        tokio::spawn(async move {
            match send_program(stream, &program, pace, echo, &sent).await {
                Ok(()) => tracing::info!("client {peer}: every round sent, closing"),
                Err(e) => tracing::info!("client {peer} went away: {e}"),
            }
        });
    }
}

/// Sends the whole program to one client.
async fn send_program(
    mut stream: TcpStream,
    program: &Program,
    mut pace: watch::Receiver<Pace>,
    echo: Echo,
    sent: &Sent,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut rng: SmallRng = rand::make_rng();
    let per_round = program.lines_per_round();
    let mut chunk = String::new();
    let mut summary = Summary::new();
    for _ in 0..program.repeat {
        let mut done = 0u64;
        // Lines are due at `since + n × delay`; a change of pace or a pause starts a new count.
        let (mut since, mut due_base) = (Instant::now(), 0u64);
        while done < per_round {
            let current = *pace.borrow_and_update();
            if current.paused {
                if pace.changed().await.is_err() {
                    return Ok(());
                }
                (since, due_base) = (Instant::now(), done);
                continue;
            }
            let due = if current.delay.is_zero() {
                done + CHUNK_LINES
            } else {
                let elapsed = since.elapsed().as_nanos() / current.delay.as_nanos().max(1);
                due_base + elapsed as u64 + 1
            };
            let batch = due.min(per_round).saturating_sub(done).min(CHUNK_LINES);
            if batch == 0 {
                // Line number `done - due_base` since the count began is due next.
                let wait = current.delay.as_nanos() * u128::from(done - due_base);
                let next = since + Duration::from_nanos(wait.min(u128::from(u64::MAX)) as u64);
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    changed = pace.changed() => {
                        if changed.is_err() {
                            return Ok(());
                        }
                        (since, due_base) = (Instant::now(), done);
                    }
                }
                continue;
            }
            chunk.clear();
            for i in 0..batch {
                let line_start = chunk.len();
                match &program.content {
                    Content::Random => {
                        let _ = writeln!(chunk, "{}", rng.random_range(0..=10u32));
                    }
                    Content::Lines(lines) => {
                        chunk.push_str(&lines[(done + i) as usize]);
                        chunk.push('\n');
                    }
                }
                let value = &chunk[line_start..chunk.len() - 1];
                summary.sent(value, echo, current.delay);
            }
            stream.write_all(chunk.as_bytes()).await?;
            done += batch;
            sent.0.fetch_add(batch, Ordering::Relaxed);
        }
    }
    summary.flush(echo);
    stream.shutdown().await
}

/// Echoes `Sent value: N` per line at a human pace, or a count once a second at machine pace.
struct Summary {
    since: Instant,
    count: u64,
}

impl Summary {
    fn new() -> Self {
        Summary {
            since: Instant::now(),
            count: 0,
        }
    }

    fn sent(&mut self, value: &str, echo: Echo, delay: Duration) {
        if delay >= ECHO_EACH_LINE_ABOVE {
            match echo {
                Echo::Stdout => println!("Sent value: {value}"),
                Echo::Log => tracing::debug!("Sent value: {value}"),
            }
            return;
        }
        self.count += 1;
        if self.since.elapsed() >= Duration::from_secs(1) {
            self.flush(echo);
        }
    }

    fn flush(&mut self, echo: Echo) {
        if self.count > 0 {
            match echo {
                Echo::Stdout => println!("Sent {} values", self.count),
                Echo::Log => tracing::debug!("Sent {} values", self.count),
            }
        }
        self.count = 0;
        self.since = Instant::now();
    }
}

//! The stream server of the seed: to every client that connects it sends one line per delay, a
//! random integer 0..10 or the next line of a file, `count` lines a round, `repeat` rounds, then
//! closes. `window-tui serve` runs it alone; the main command embeds it on a loopback port.
//!
//! Each client has its own sequence and task, so a client that goes away disturbs no other. The
//! pace and a pause switch are live (the dashboard's `+`, `-` and `space`). The `Sent value` echo
//! on stdout goes through one thread of its own, so a slow or closed stdout never stalls or ends a
//! client.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::Duration;

use anyhow::Context;
use rand::RngExt;
use rand::rngs::SmallRng;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::app::config::{Generator, GeneratorConfig};
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
    /// The program a generator config describes (reading its file, if any).
    pub fn new(config: &GeneratorConfig) -> anyhow::Result<Self> {
        let content = match (config.kind, &config.file) {
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
            count: config.count,
            repeat: config.repeat,
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
/// After a failed accept (out of file descriptors, say), the pause before the next: the clients
/// being served free theirs in time, and the log is not flooded meanwhile.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Echo lines waiting for stdout; beyond this, new ones are dropped rather than make a client wait.
const ECHO_BACKLOG: usize = 1024;

/// Binds `host:port` (port 0 picks a free one).
pub async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))
}

/// Accepts clients forever, each served by its own task. A failed accept does not end the server.
pub async fn serve(
    listener: TcpListener,
    program: Program,
    pace: watch::Receiver<Pace>,
    echo: Echo,
    sent: Arc<Sent>,
) -> anyhow::Result<()> {
    let program = Arc::new(program);
    let echo = Echoer::new(echo)?;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        tracing::info!("client {peer} connected");
        let (program, pace, echo, sent) =
            (program.clone(), pace.clone(), echo.clone(), sent.clone());
        tokio::spawn(async move {
            match send_program(stream, &program, pace, &echo, &sent).await {
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
    echo: &Echoer,
    sent: &Sent,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut rng: SmallRng = rand::make_rng();
    let per_round = program.lines_per_round();
    let mut chunk = String::new();
    let mut summary = Summary::new();
    // The pace lines are sent at: a change restarts the count.
    let mut pace_now = *pace.borrow_and_update();
    // When the last line went out: a change of pace never makes the next one early.
    let mut last_line: Option<Instant> = None;
    for _ in 0..program.repeat {
        let mut done = 0u64;
        // Lines are due at `since + n × delay`; a change of pace or a pause starts a new count,
        // whose first line is due a delay (the new one) after the last line sent, or at once if
        // that is past.
        let (mut since, mut due_base) = (Instant::now(), 0u64);
        while done < per_round {
            let current = *pace.borrow_and_update();
            if current != pace_now {
                pace_now = current;
                let now = Instant::now();
                since = last_line.map_or(now, |at| (at + current.delay).max(now));
                due_base = done;
            }
            if current.paused {
                if pace.changed().await.is_err() {
                    return Ok(());
                }
                continue;
            }
            let due = if current.delay.is_zero() {
                done + CHUNK_LINES
            } else if Instant::now() < since {
                done
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
                    () = tokio::time::sleep_until(next) => {}
                    changed = pace.changed() => {
                        if changed.is_err() {
                            return Ok(());
                        }
                    }
                }
                continue;
            }
            chunk.clear();
            for i in 0..batch {
                match &program.content {
                    Content::Random => {
                        let _ = writeln!(chunk, "{}", rng.random_range(0..=10u32));
                    }
                    Content::Lines(lines) => {
                        chunk.push_str(&lines[(done + i) as usize]);
                        chunk.push('\n');
                    }
                }
            }
            stream.write_all(chunk.as_bytes()).await?;
            // Echoed only once written: the echo never shows a line the client did not get.
            for value in chunk.split_terminator('\n') {
                summary.sent(value, echo, current.delay);
            }
            done += batch;
            last_line = Some(Instant::now());
            sent.0.fetch_add(batch, Ordering::Relaxed);
        }
    }
    summary.flush(echo);
    stream.shutdown().await
}

/// Where the echo goes. Stdout is written by a thread of its own, fed through a bounded queue: a
/// client task never blocks on a stdout nobody reads (a full queue drops the line) nor fails on a
/// closed one (`window-tui serve | head -1`: the thread stops and the echo with it, silently).
#[derive(Debug, Clone)]
enum Echoer {
    Stdout(SyncSender<String>),
    Log,
}

impl Echoer {
    fn new(echo: Echo) -> anyhow::Result<Self> {
        Ok(match echo {
            Echo::Stdout => Echoer::Stdout(spawn_stdout_writer()?),
            Echo::Log => Echoer::Log,
        })
    }

    fn say(&self, line: std::fmt::Arguments<'_>) {
        match self {
            // Full or closed: the line is dropped; the client is served all the same.
            Echoer::Stdout(queue) => drop(queue.try_send(line.to_string())),
            Echoer::Log => tracing::debug!("{line}"),
        }
    }
}

/// Starts the thread that writes echo lines to stdout until stdout fails or every sender is gone.
/// It is not joined: lines still queued when the process stops are not worth waiting for.
fn spawn_stdout_writer() -> anyhow::Result<SyncSender<String>> {
    let (queue, lines) = sync_channel::<String>(ECHO_BACKLOG);
    std::thread::Builder::new()
        .name("echo".into())
        .spawn(move || {
            let mut stdout = std::io::stdout();
            for line in lines {
                if writeln!(stdout, "{line}").is_err() {
                    return;
                }
            }
        })
        .context("cannot start the echo thread")?;
    Ok(queue)
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

    fn sent(&mut self, value: &str, echo: &Echoer, delay: Duration) {
        if delay >= ECHO_EACH_LINE_ABOVE {
            echo.say(format_args!("Sent value: {value}"));
            return;
        }
        self.count += 1;
        if self.since.elapsed() >= Duration::from_secs(1) {
            self.flush(echo);
        }
    }

    fn flush(&mut self, echo: &Echoer) {
        if self.count > 0 {
            echo.say(format_args!("Sent {} values", self.count));
        }
        self.count = 0;
        self.since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use tokio::io::AsyncReadExt;

    const T: Duration = Duration::from_secs(20);

    struct Running {
        port: u16,
        pace: watch::Sender<Pace>,
        sent: Arc<Sent>,
        task: tokio::task::JoinHandle<anyhow::Result<()>>,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    async fn start(program: Program, delay: Duration, paused: bool) -> Running {
        let listener = bind("127.0.0.1", 0).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (pace, pace_rx) = watch::channel(Pace { delay, paused });
        let sent = Arc::new(Sent::default());
        let task = tokio::spawn(serve(listener, program, pace_rx, Echo::Log, sent.clone()));
        Running {
            port,
            pace,
            sent,
            task,
        }
    }

    fn lines(text: &[&str]) -> Content {
        Content::Lines(text.iter().map(std::string::ToString::to_string).collect())
    }

    async fn connect(port: u16) -> TcpStream {
        TcpStream::connect(("127.0.0.1", port)).await.unwrap()
    }

    /// Everything a client gets until the server closes.
    async fn read_all(mut stream: TcpStream) -> String {
        let mut text = String::new();
        tokio::time::timeout(T, stream.read_to_string(&mut text))
            .await
            .expect("the server closes after its program")
            .unwrap();
        text
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + T;
        while !check() {
            assert!(Instant::now() < deadline, "timed out: {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn every_client_gets_every_round_from_the_first_line() {
        let program = Program {
            content: lines(&["a", "b", "c"]),
            count: Some(2),
            repeat: 3,
        };
        let server = start(program, Duration::ZERO, false).await;
        let clients = [
            connect(server.port).await,
            connect(server.port).await,
            connect(server.port).await,
        ];
        for client in clients {
            assert_eq!(read_all(client).await, "a\nb\na\nb\na\nb\n");
        }
        until("18 lines counted", || server.sent.get() == 18).await;
    }

    #[tokio::test]
    async fn random_values_are_integers_0_to_10() {
        let program = Program {
            content: Content::Random,
            count: Some(1000),
            repeat: 1,
        };
        let server = start(program, Duration::ZERO, false).await;
        let text = read_all(connect(server.port).await).await;
        let mut seen = [0u32; 11];
        for line in text.lines() {
            let v: usize = line.parse().unwrap();
            assert!(v <= 10, "{v}");
            seen[v] += 1;
        }
        assert_eq!(seen.iter().sum::<u32>(), 1000);
        assert!(
            seen.iter().all(|&n| n > 0),
            "every value 0..=10 appears: {seen:?}"
        );
    }

    #[tokio::test]
    async fn lines_come_at_the_pace_and_the_pace_is_live() {
        let program = Program {
            content: Content::Random,
            count: Some(5),
            repeat: 1,
        };
        let server = start(program.clone(), Duration::from_millis(25), false).await;
        let began = Instant::now();
        let text = read_all(connect(server.port).await).await;
        assert_eq!(text.lines().count(), 5);
        // The first line at once, then one every 25 ms.
        assert!(
            began.elapsed() >= Duration::from_millis(95),
            "{:?}",
            began.elapsed()
        );

        // An hour between lines: only the first comes, until the pace changes.
        let server = start(program, Duration::from_secs(3600), false).await;
        let mut client = connect(server.port).await;
        let mut first = [0u8; 1];
        client.read_exact(&mut first).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.sent.get(), 1);
        server.pace.send_modify(|p| p.delay = Duration::ZERO);
        let rest = read_all(client).await;
        assert_eq!(rest.lines().count(), 5, "{first:?} then {rest:?}");
    }

    #[tokio::test]
    async fn a_change_of_pace_sends_no_line_early() {
        let program = Program {
            content: Content::Random,
            count: Some(100),
            repeat: 1,
        };
        let server = start(program, Duration::from_millis(400), false).await;
        let mut client = connect(server.port).await;
        let mut first = [0u8; 1];
        client.read_exact(&mut first).await.unwrap();
        // The `-` key pressed over and over: each press a slower pace, none a line.
        for i in 1..=10u32 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            server
                .pace
                .send_modify(|p| p.delay = Duration::from_millis(400 + 10 * u64::from(i)));
        }
        assert_eq!(server.sent.get(), 1, "no line before the delay is up");
        // Nor a pause and a resume.
        server.pace.send_modify(|p| p.paused = true);
        server.pace.send_modify(|p| p.paused = false);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(server.sent.get(), 1, "a resume waits out the delay too");
        // The next line comes a delay after the first.
        until("the second line", || server.sent.get() == 2).await;
    }

    #[tokio::test]
    async fn a_pause_holds_the_lines() {
        let program = Program {
            content: lines(&["1", "2"]),
            count: None,
            repeat: 1,
        };
        let server = start(program, Duration::ZERO, true).await;
        let client = connect(server.port).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(server.sent.get(), 0, "paused");
        server.pace.send_modify(|p| p.paused = false);
        assert_eq!(read_all(client).await, "1\n2\n");
    }

    #[tokio::test]
    async fn a_client_that_goes_away_disturbs_no_other() {
        let program = Program {
            content: Content::Random,
            count: Some(40),
            repeat: 1,
        };
        let server = start(program, Duration::from_millis(5), false).await;
        let mut leaver = connect(server.port).await;
        let stayer = tokio::spawn(read_all(connect(server.port).await));
        let mut first = [0u8; 2];
        leaver.read_exact(&mut first).await.unwrap();
        leaver.set_zero_linger().unwrap();
        drop(leaver);
        let text = stayer.await.unwrap();
        assert_eq!(text.lines().count(), 40);
        assert!(!server.task.is_finished(), "the server still accepts");
        let again = read_all(connect(server.port).await).await;
        assert_eq!(again.lines().count(), 40);
    }

    fn generator(
        kind: Generator,
        file: Option<&Path>,
        count: Option<u64>,
        repeat: u64,
    ) -> GeneratorConfig {
        GeneratorConfig {
            kind,
            file: file.map(Path::to_path_buf),
            delay: Duration::ZERO,
            repeat,
            count,
        }
    }

    #[test]
    fn programs_from_the_command_line() {
        let program =
            |kind, file, count, repeat| Program::new(&generator(kind, file, count, repeat));
        let random = program(Generator::Random, None, None, 1).unwrap();
        assert_eq!(random.lines_per_round(), 1000);
        let err = program(Generator::File, None, None, 1).unwrap_err();
        assert!(err.to_string().contains("--file"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.txt");
        std::fs::write(&path, "x\r\ny\nz\n").unwrap();
        let file = program(Generator::File, Some(&path), None, 2).unwrap();
        match &file.content {
            Content::Lines(l) => assert_eq!(&l[..], ["x", "y", "z"]),
            other @ Content::Random => panic!("{other:?}"),
        }
        assert_eq!(file.lines_per_round(), 3);
        let fewer = program(Generator::File, Some(&path), Some(2), 1).unwrap();
        assert_eq!(fewer.lines_per_round(), 2);
        let more = program(Generator::File, Some(&path), Some(10), 1).unwrap();
        assert_eq!(more.lines_per_round(), 3);
        let missing = dir.path().join("missing.txt");
        let err = program(Generator::File, Some(&missing), None, 1).unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
    }
}

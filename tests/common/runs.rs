//! Live runs: child processes, signals, loopback sockets and the files a run leaves behind.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{BIN, Bag, bag, hermetic, micros, percent_decode};

/// `window-tui` with a clean environment, run in `dir` (so a default `checkpoint/` or `output/`
/// lands there).
pub fn window_tui_in(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    hermetic(&mut cmd).current_dir(dir);
    cmd
}

/// `window-tui ARGS` run to its end in `dir`, with a clean environment and no input.
pub fn output_in(dir: &Path, args: &[&str]) -> Output {
    output_with_env(dir, args, &[])
}

/// `/dev/full`, for writing: every write fails, "No space left on device".
pub fn dev_full() -> std::fs::File {
    std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap()
}

/// `window-tui ARGS` run to its end in `dir` as [`output_in`], its stdout `/dev/full`.
pub fn output_to_full(dir: &Path, args: &[&str]) -> Output {
    window_tui_in(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(dev_full())
        .output()
        .expect("cannot run window-tui")
}

/// [`output_in`] with the variables `env` set.
pub fn output_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    window_tui_in(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("cannot run window-tui")
}

/// Calls `check` every 10 ms until it gives `Some`; panics with `what()` after `timeout`.
pub fn poll<T>(
    timeout: Duration,
    what: impl Fn() -> String,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {}",
            what()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a finished child left.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// A child process whose stdout and stderr are collected by background threads. It is killed
/// when dropped while still running, so a failing test leaves no process behind.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(mut from: impl std::io::Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let into = buffer.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match from.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
    });
    (buffer, reader)
}

impl Running {
    /// Spawns `cmd` with stdin closed and stdout and stderr piped.
    pub fn spawn(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start window-tui");
        let (stdout, out_reader) = collect(child.stdout.take().unwrap());
        let (stderr, err_reader) = collect(child.stderr.take().unwrap());
        Running {
            child,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Standard output so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stderr has a whole line (LF included) containing `needle`, and returns
    /// stderr then. (Standard error is unbuffered: a line may arrive in several writes.)
    pub fn wait_for_stderr(&mut self, needle: &str, timeout: Duration) -> String {
        let has_line = |text: &str| {
            text.find(needle)
                .is_some_and(|at| text[at + needle.len()..].contains('\n'))
        };
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.stderr();
            if has_line(&text) {
                return text;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader threads catch the last bytes.
                std::thread::sleep(Duration::from_millis(50));
                let text = self.stderr();
                if has_line(&text) {
                    return text;
                }
                panic!("exited ({status}) before saying {needle:?}; stderr:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on stderr after {timeout:?}; stderr:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a signal by name (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Kills the child with SIGKILL (no chance to clean up) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Still running?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the child to exit; kills it and panics (showing stderr) after `timeout`.
    pub fn wait(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {timeout:?}; killed. stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Finished {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Accepts one connection, or panics after `timeout`.
pub fn accept_within(listener: &TcpListener, timeout: Duration) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let stream = poll(
        timeout,
        || "no client connected".to_string(),
        || match listener.accept() {
            Ok((stream, _)) => Some(stream),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("accept failed: {e}"),
        },
    );
    listener.set_nonblocking(false).unwrap();
    stream.set_nonblocking(false).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// One row of a record file (`batch,event_time,value`): tick, event time (micros), value.
pub type Recorded = (u64, i64, String);

/// The complete rows of a record file of a one-string-column query (`batch,<time>,<value>`) so
/// far (a line still being written is left out); an
/// empty list while the file does not exist.
pub fn read_record(path: &Path) -> Vec<Recorded> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..=end],
        None => return Vec::new(),
    };
    let mut reader = csv::Reader::from_reader(complete);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert!(
        header.len() == 3 && header[0] == "batch",
        "{}: the replay header {header:?}",
        path.display()
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                r[0].parse().unwrap(),
                micros(&r[1]).unwrap(),
                r[2].to_string(),
            )
        })
        .collect()
}

/// The JSON objects of a `--progress` file.
pub fn read_progress(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The batch ids of a file sink's `_spark_metadata` log so far (`N` and `N.compact`).
pub fn sink_log_ids(out: &Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(out.join("_spark_metadata")) else {
        return Vec::new();
    };
    let mut ids: Vec<u64> = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.trim_end_matches(".compact").parse().ok()
        })
        .collect();
    ids.sort_unstable();
    ids
}

/// Checks a file sink's folder: every file the `_spark_metadata` log lists exists, every part
/// file is listed exactly once, and nothing is left aside half-written. Returns the batch ids
/// of the log and the rows of every part file as (partition folder, value, count).
pub fn check_file_sink(out: &Path) -> (Vec<u64>, Bag<(String, String, u64)>) {
    let root = std::fs::canonicalize(out).unwrap();
    let mut parts = Vec::new();
    for dir in std::fs::read_dir(out).unwrap() {
        let dir = dir.unwrap();
        let name = dir.file_name().to_string_lossy().into_owned();
        if !name.starts_with("window=") {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let file = file.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !file.starts_with('.'),
                "{name}/{file} was left aside, half-written"
            );
            parts.push(format!("{name}/{file}"));
        }
    }
    parts.sort();
    let mut listed = Vec::new();
    for entry in std::fs::read_dir(out.join("_spark_metadata")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "_spark_metadata/{name} left aside");
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("v1"), "_spark_metadata/{name}");
        for line in lines {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let path = entry["path"].as_str().unwrap();
            let path = percent_decode(path.strip_prefix("file://").unwrap_or(path));
            let path = Path::new(&path);
            assert!(
                path.is_file(),
                "_spark_metadata/{name} lists {}, which does not exist",
                path.display()
            );
            let rel = path.strip_prefix(&root).unwrap_or(path);
            listed.push(rel.to_string_lossy().into_owned());
        }
    }
    listed.sort();
    assert_eq!(
        listed, parts,
        "the log must list every part file exactly once"
    );
    (sink_log_ids(out), part_rows(out, &parts))
}

/// The rows of the seed's part files `parts` (paths under `out`): (partition, value, count).
pub fn part_rows<'a>(
    out: &Path,
    parts: impl IntoIterator<Item = &'a String>,
) -> Bag<(String, String, u64)> {
    let mut rows = Vec::new();
    for part in parts {
        let (dir, _) = part.split_once('/').unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(out.join(part))
            .unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            rows.push((
                dir.to_string(),
                record[0].to_string(),
                record[1].parse().unwrap(),
            ));
        }
    }
    bag(rows)
}

/// The closing line of a headless run, `window-tui: B batches, R rows; lines rejected: ...`:
/// (batches, rows, what was rejected).
pub fn headless_summary(stderr: &str) -> (u64, u64, String) {
    // `1 batch, 1 row; ...` or `N batches, M rows; ...`.
    let line = stderr
        .lines()
        .rev()
        .find_map(|l| summary_parts(l).map(|parts| (l, parts)))
        .unwrap_or_else(|| panic!("no closing summary line on stderr:\n{stderr}"));
    let (line, (batches, rows, rejected)) = line;
    (
        batches
            .parse()
            .unwrap_or_else(|_| panic!("summary line {line:?}")),
        rows.parse()
            .unwrap_or_else(|_| panic!("summary line {line:?}")),
        rejected.to_string(),
    )
}

/// The batches, rows and rejections of a closing summary line, `window-tui: N batch(es), M
/// row(s); lines rejected: ...`.
fn summary_parts(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("window-tui: ")?;
    let (batches, rest) = rest
        .split_once(" batches, ")
        .or_else(|| rest.split_once(" batch, "))?;
    let (rows, rejected) = rest
        .split_once(" rows; lines rejected: ")
        .or_else(|| rest.split_once(" row; lines rejected: "))?;
    Some((batches, rows, rejected))
}

//! `window-tui serve` from the outside, over loopback TCP: several clients at once, each with its
//! own rounds, random values 0..=10, the file generator, an early disconnect, the `Sent value`
//! echo (and a closed stdout), running out of file descriptors, and SIGTERM / SIGINT / SIGHUP
//! (not when ignored from the start).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, Running, bag, hermetic, window_tui_in};

const T: Duration = Duration::from_secs(20);

/// `window-tui serve --port 0 ARGS...`, and the port it says it serves on.
fn serve(dir: &Path, args: &[&str]) -> (Running, u16) {
    let mut server = Running::spawn(window_tui_in(dir).args(["serve", "--port", "0"]).args(args));
    let stderr = server.wait_for_stderr("serving on ", T);
    (server, port_in(&stderr))
}

/// The port in `serving on 127.0.0.1:PORT`.
fn port_in(stderr: &str) -> u16 {
    let port = stderr
        .split("serving on 127.0.0.1:")
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u16>().ok()
        })
        .unwrap_or_else(|| panic!("no `serving on 127.0.0.1:PORT` on stderr:\n{stderr}"));
    assert_ne!(port, 0);
    port
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    stream
}

/// What one client saw: its lines, when the first arrived, when the server closed.
struct Received {
    lines: Vec<String>,
    first: Instant,
    closed: Instant,
}

/// Reads to the end of the stream (a read timing out fails the test).
fn read_to_end(stream: TcpStream) -> Received {
    let mut reader = BufReader::new(stream);
    let mut lines = Vec::new();
    let mut first = None;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("the server stalled");
        if n == 0 {
            break;
        }
        first.get_or_insert_with(Instant::now);
        assert!(line.ends_with('\n'), "a line without LF: {line:?}");
        lines.push(line.trim_end_matches('\n').to_string());
    }
    Received {
        lines,
        first: first.unwrap_or_else(Instant::now),
        closed: Instant::now(),
    }
}

fn value_0_to_10(line: &str) -> u32 {
    let v: u32 = line
        .parse()
        .unwrap_or_else(|_| panic!("{line:?} is not an integer"));
    assert!(v <= 10, "{v} is not in 0..=10");
    v
}

#[test]
fn several_clients_at_once_each_get_their_own_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let (server, port) = serve(
        dir.path(),
        &["--delay", "10ms", "--count", "8", "--repeat", "2"],
    );
    // Three clients connected together; each reads its own stream to the end.
    let streams: Vec<TcpStream> = (0..3).map(|_| connect(port)).collect();
    let readers: Vec<_> = streams
        .into_iter()
        .map(|s| std::thread::spawn(move || read_to_end(s)))
        .collect();
    let got: Vec<Received> = readers.into_iter().map(|r| r.join().unwrap()).collect();

    for (i, client) in got.iter().enumerate() {
        assert_eq!(
            client.lines.len(),
            16,
            "client {i}: --count 8 × --repeat 2 lines, then the server closes: {:?}",
            client.lines
        );
        for line in &client.lines {
            value_0_to_10(line);
        }
    }
    // Served at the same time, not one after the other: every client had its first line before
    // any stream was over (16 lines 10 ms apart take 150 ms).
    let last_first = got.iter().map(|c| c.first).max().unwrap();
    let first_close = got.iter().map(|c| c.closed).min().unwrap();
    assert!(
        last_first < first_close,
        "clients were served one after the other"
    );
    // Each its own random sequence.
    assert!(
        got[0].lines != got[1].lines || got[1].lines != got[2].lines,
        "three clients got the same 16 random values"
    );

    // `Sent value: N` on stdout for each line (the delay is 10 ms), all 48 of them.
    let sent_all = bag(got.iter().flat_map(|c| c.lines.iter().cloned()));
    let echoed = common::poll(
        T,
        || {
            format!(
                "48 `Sent value` lines expected, stdout:\n{}",
                server.stdout()
            )
        },
        || {
            let out = server.stdout();
            let echoed: Vec<String> = out
                .lines()
                .filter_map(|l| l.strip_prefix("Sent value: ").map(str::to_string))
                .collect();
            (echoed.len() >= 48).then_some(echoed)
        },
    );
    assert_eq!(
        bag(echoed),
        sent_all,
        "the echo shows exactly what was sent"
    );

    server.signal("TERM");
    let done = server.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
}

#[test]
fn random_values_cover_0_to_10() {
    let dir = tempfile::tempdir().unwrap();
    let (server, port) = serve(dir.path(), &["--delay", "0ms", "--count", "600"]);
    let got = read_to_end(connect(port));
    assert_eq!(got.lines.len(), 600);
    let values = bag(got.lines.iter().map(|l| value_0_to_10(l)));
    // 600 draws from 11 values: missing either end has a probability below 1e-24.
    assert!(values.contains_key(&0), "0 never sent: {values:?}");
    assert!(values.contains_key(&10), "10 never sent: {values:?}");
    assert_eq!(values.len(), 11, "{values:?}");
    server.signal("INT");
    let done = server.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
}

#[test]
fn the_file_generator_sends_the_lines_in_order_each_round() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.txt");
    std::fs::write(&file, "alpha\nbéta\n3\nx, y\n").unwrap();
    let file = file.to_str().unwrap();
    let lines = ["alpha", "béta", "3", "x, y"];

    let (server, port) = serve(
        dir.path(),
        &[
            "--output", "file", "--file", file, "--delay", "0ms", "--repeat", "3",
        ],
    );
    let (a, b) = (connect(port), connect(port));
    let (a, b) = (read_to_end(a), read_to_end(b));
    let want: Vec<String> = lines.repeat(3).iter().map(ToString::to_string).collect();
    assert_eq!(a.lines, want);
    assert_eq!(b.lines, want, "a second client starts from the first line");
    server.signal("TERM");
    assert!(server.wait(T).status.success());

    // --count cuts each round short.
    let (server, port) = serve(
        dir.path(),
        &[
            "--output", "file", "--file", file, "--delay", "0ms", "--repeat", "2", "--count", "2",
        ],
    );
    assert_eq!(
        read_to_end(connect(port)).lines,
        ["alpha", "béta", "alpha", "béta"]
    );
    server.signal("TERM");
    assert!(server.wait(T).status.success());
}

#[test]
fn a_client_that_leaves_early_does_not_disturb_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = serve(dir.path(), &["--delay", "10ms", "--count", "25"]);
    let mut leaver = connect(port);
    let stayer = connect(port);
    let stayer = std::thread::spawn(move || read_to_end(stayer));
    // The leaver reads a little, then closes with data unread (a reset).
    let mut first = [0u8; 2];
    leaver.read_exact(&mut first).unwrap();
    drop(leaver);

    let stayer = stayer.join().unwrap();
    assert_eq!(stayer.lines.len(), 25, "{:?}", stayer.lines);
    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    // And the server still takes new clients.
    assert_eq!(read_to_end(connect(port)).lines.len(), 25);
    server.signal("TERM");
    let done = server.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
}

/// A child killed when dropped, so a failing test leaves no server behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `window-tui serve | head -0`: stdout is closed before the first echo. The clients are served
/// in full all the same, and nothing panics.
#[test]
fn a_closed_stdout_disturbs_no_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = KillOnDrop(
        window_tui_in(dir.path())
            .args(["serve", "--port", "0", "--delay", "10ms", "--count", "10"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start window-tui"),
    );
    drop(server.0.stdout.take());
    let mut stderr = BufReader::new(server.0.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("serving on ") {
        let n = stderr.read_line(&mut said).unwrap();
        assert_ne!(n, 0, "exited before serving:\n{said}");
    }
    let port = port_in(&said);

    for client in 0..3 {
        let got = read_to_end(connect(port));
        assert_eq!(got.lines.len(), 10, "client {client}: {:?}", got.lines);
    }
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the server died:\n{said}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    stderr.read_to_string(&mut said).unwrap();
    assert!(server.0.wait().unwrap().success(), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// With 32 file descriptors, 40 clients at once: accepting fails for want of descriptors until
/// the first clients are done, and the server waits and goes on accepting; every client is served.
#[test]
fn running_out_of_file_descriptors_only_delays_accepting() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("sh");
    hermetic(&mut cmd)
        .current_dir(dir.path())
        .args(["-c", r#"ulimit -n 32 && exec "$0" "$@""#, BIN])
        .args(["serve", "--port", "0", "--delay", "10ms", "--count", "20"]);
    let mut server = Running::spawn(&mut cmd);
    let port = port_in(&server.wait_for_stderr("serving on ", T));

    let clients: Vec<TcpStream> = (0..40).map(|_| connect(port)).collect();
    for (i, client) in clients.into_iter().enumerate() {
        let got = read_to_end(client);
        assert_eq!(got.lines.len(), 20, "client {i}:\n{}", server.stderr());
    }
    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    assert!(
        server.stderr().contains("accept failed"),
        "no accept ever failed: the test proves nothing\n{}",
        server.stderr()
    );
    server.signal("TERM");
    let done = server.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
}

/// SIGTERM, SIGINT or SIGHUP while a client is being served: exit status 0, promptly.
fn stops_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (server, port) = serve(dir.path(), &["--delay", "10ms", "--count", "100000"]);
    let mut client = BufReader::new(connect(port));
    let mut line = String::new();
    client.read_line(&mut line).unwrap();
    value_0_to_10(line.trim_end());
    let asked = Instant::now();
    server.signal(signal);
    let done = server.wait(T);
    assert!(
        done.status.success(),
        "SIG{signal}: {:?}\n{}",
        done.status,
        done.stderr
    );
    assert!(asked.elapsed() < Duration::from_secs(5), "slow to stop");
    assert!(
        done.stderr.contains("stopped after sending"),
        "{}",
        done.stderr
    );
}

#[test]
fn sigterm_stops_the_server_with_status_0() {
    stops_on("TERM");
}

#[test]
fn sigint_stops_the_server_with_status_0() {
    stops_on("INT");
}

/// Skipped where the tests run with SIGHUP ignored (under `nohup`): the server inherits that and
/// rightly keeps on, as the next test checks.
#[test]
fn sighup_stops_the_server_with_status_0() {
    if window_tui::app::stop_signals::hangup_ignored() {
        eprintln!(
            "skipped: SIGHUP is ignored here (nohup), as the server under test would inherit"
        );
        return;
    }
    stops_on("HUP");
}

/// Started with SIGHUP ignored (`nohup`, here `trap '' HUP`), the server is kept alive by it, as
/// it was asked to be: listening for the signal would undo the inherited "ignore".
#[test]
fn sighup_ignored_at_the_start_stays_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("sh");
    hermetic(&mut cmd).current_dir(dir.path()).args([
        "-c",
        "trap '' HUP; exec \"$0\" \"$@\"",
        BIN,
        "serve",
        "--port",
        "0",
    ]);
    let mut server = Running::spawn(&mut cmd);
    let port = port_in(&server.wait_for_stderr("serving on ", T));
    server.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.is_running(),
        "SIGHUP stopped a server that ignores it"
    );
    let mut line = String::new();
    BufReader::new(connect(port)).read_line(&mut line).unwrap();
    value_0_to_10(line.trim_end());
    server.signal("TERM");
    assert!(server.wait(T).status.success());
}

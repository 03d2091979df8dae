//! The live pipeline from the outside, over loopback TCP: the socket reader against a test server
//! (split lines, CRLF, a huge line, invalid UTF-8, reconnection), `--record` then `replay` giving
//! the same answers, `--event-time payload`, SIGTERM / SIGINT / SIGHUP in headless mode with the file sink,
//! headless when stdout is not a terminal, and a server that is not up yet.

mod common;

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

/// Every good line exactly once, with its exact value, whatever the server does to the stream:
/// lines split across writes, CRLF, a 5 MiB line, invalid UTF-8, a last line without LF, the
/// server closing and coming back later.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one connection's story, told in order"
)]
fn the_reader_keeps_every_good_line_once_across_bad_input_and_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = now_micros();
    let mut run = headless_from(
        dir.path(),
        port,
        &[
            "--sink",
            "json",
            "--trigger",
            "200ms",
            "--record",
            path_arg(&record),
            "--window",
            "1s",
            "--slide",
            "1s",
            "--watermark",
            "0s",
        ],
    );

    let mut want: Vec<String> = Vec::new();
    let mut first = accept_within(&listener, T);
    write_all(&mut first, b"alpha\n");
    want.push("alpha".into());
    // Lines split across writes, a CR apart from its LF.
    write_apart(
        &mut first,
        &[b"par", b"tial-1\npar", b"tial-2\r", b"\nsplit-", b"3\r\n"],
    );
    want.extend(["partial-1", "partial-2", "split-3"].map(String::from));
    write_all(
        &mut first,
        b"crlf-1\r\ncrlf-2\r\nsay \"hi\", ok\r\n\r\n  spaced  \n\n",
    );
    want.extend(["crlf-1", "crlf-2", "say \"hi\", ok", "", "  spaced  ", ""].map(String::from));
    // A 5 MiB line (over the default 1 MiB), the line after it survives.
    write_all(&mut first, b"huge-");
    let huge = vec![b'x'; 64 << 10];
    for _ in 0..80 {
        write_all(&mut first, &huge);
    }
    write_all(&mut first, b"\nafter-huge\n");
    want.push("after-huge".into());
    // Invalid UTF-8, then a burst of lines in one write.
    write_all(&mut first, b"caf\xe9\n");
    let burst = (0..100)
        .map(|i| format!("n-{i}\n"))
        .collect::<Vec<_>>()
        .concat();
    write_all(&mut first, burst.as_bytes());
    want.extend((0..100).map(|i| format!("n-{i}")));
    // The last line has no LF: the end of the stream ends it.
    write_all(&mut first, b"tail-no-newline");
    want.push("tail-no-newline".into());
    drop(first);
    drop(listener);

    // The server is gone: the reader retries (with backoff) until it is back.
    poll(
        T,
        || format!("two refused attempts expected; stderr:\n{}", run.stderr()),
        || (count_of(&run.stderr(), "cannot connect") >= 2).then_some(()),
    );
    run.wait_for_stderr("retrying", T);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port again");
    let mut second = accept_within(&listener, T);
    let more = (0..50)
        .map(|i| format!("m-{i}\r\n"))
        .collect::<Vec<_>>()
        .concat();
    write_apart(
        &mut second,
        &[b"second-1\nsec", b"ond-2\r\n", more.as_bytes()],
    );
    want.extend(["second-1", "second-2"].map(String::from));
    want.extend((0..50).map(|i| format!("m-{i}")));
    drop(second);

    wait_for_record(&run, &record, want.len());
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);

    let recorded = read_record(&record);
    let got: Vec<String> = recorded.iter().map(|(_, _, v)| v.clone()).collect();
    assert_eq!(
        got, want,
        "every good line exactly once, in order, with its exact value"
    );
    // Stamped with the arrival time, in tick order.
    let finished = now_micros();
    for (tick, t, value) in &recorded {
        assert!(
            (started - 1_000_000..=finished).contains(t),
            "{value:?} at tick {tick} stamped {}",
            common::iso(*t)
        );
    }
    assert!(
        recorded
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
    );
    let (_, rows, rejected) = headless_summary(&done.stderr);
    assert_eq!(rows, want.len() as u64, "{}", done.stderr);
    assert_eq!(rejected, "1 too long, 1 not UTF-8", "{}", done.stderr);
    // What the json sink emitted is made of those lines only.
    let emitted = json_rows(&done.stdout).unwrap();
    let good: BTreeSet<&String> = want.iter().collect();
    for row in emitted.keys() {
        assert!(good.contains(&row.value), "emitted {row:?}");
    }
}

/// The fields of a progress report that a replay must reproduce.
fn progress_figures(p: &Value) -> Value {
    let state = &p["stateOperators"][0];
    serde_json::json!({
        "batchId": p["batchId"],
        "numInputRows": p["numInputRows"],
        "watermark": p["eventTime"]["watermark"],
        "numRowsTotal": state["numRowsTotal"],
        "numRowsUpdated": state["numRowsUpdated"],
        "numRowsRemoved": state["numRowsRemoved"],
        "numRowsDroppedByWatermark": state["numRowsDroppedByWatermark"],
    })
}

/// The query options shared by the live run and its replay.
const QUERY: [&str; 6] = ["--window", "1s", "--slide", "500ms", "--watermark", "200ms"];

/// Replays `record` with `QUERY` and the json sink; returns its rows and progress figures.
fn replay(dir: &Path, record: &Path) -> (Bag<Row>, Vec<Value>) {
    let progress = dir.join("replay-progress.jsonl");
    let replayed = Running::spawn(
        window_tui_in(dir)
            .args(["replay", path_arg(record), "--sink", "json"])
            .args(QUERY)
            .args(["--progress", path_arg(&progress)]),
    )
    .wait(T);
    assert!(
        replayed.status.success(),
        "{:?}\n{}",
        replayed.status,
        replayed.stderr
    );
    (
        json_rows(&replayed.stdout).unwrap(),
        read_progress(&progress)
            .iter()
            .map(progress_figures)
            .collect(),
    )
}

/// A live run over the embedded server (`--delay DELAY --count COUNT`), recorded, ends by itself;
/// replaying the record with the same query emits the same rows in the same batches with the
/// same progress figures. Returns the live progress figures.
fn record_then_replay(delay: &str, count: usize) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let progress = dir.path().join("prog.jsonl");
    let count_arg = count.to_string();
    let live = Running::spawn(
        window_tui_in(dir.path())
            .args(["--headless", "--delay", delay, "--count", &count_arg])
            .args(["--trigger", "100ms", "--sink", "json"])
            .args(QUERY)
            .args(["--record", path_arg(&record)])
            .args(["--progress", path_arg(&progress)])
            .args(["--checkpoint", path_arg(&dir.path().join("checkpoint"))]),
    )
    .wait(T);
    assert!(live.status.success(), "{:?}\n{}", live.status, live.stderr);
    assert!(
        !live.stderr.contains("not a terminal"),
        "--headless was given: {}",
        live.stderr
    );

    let recorded = read_record(&record);
    assert_eq!(recorded.len(), count, "the embedded server's whole program");
    for (_, _, value) in &recorded {
        let v: u32 = value.parse().unwrap();
        assert!(v <= 10, "{v}");
    }
    let ticks: BTreeSet<u64> = recorded.iter().map(|r| r.0).collect();
    assert!(
        ticks.len() >= 5,
        "2 s of data at a 100 ms trigger spread over ticks {ticks:?}"
    );
    let (batches, rows, rejected) = headless_summary(&live.stderr);
    assert_eq!((rows, rejected.as_str()), (count as u64, "none"));

    let live_rows = json_rows(&live.stdout).unwrap();
    let live_progress: Vec<Value> = read_progress(&progress)
        .iter()
        .map(progress_figures)
        .collect();
    assert_eq!(live_progress.len() as u64, batches);
    assert!(
        !live_rows.is_empty(),
        "windows closed during the run:\n{}",
        live.stderr
    );
    let input: u64 = live_progress
        .iter()
        .map(|p| p["numInputRows"].as_u64().unwrap())
        .sum();
    assert_eq!(input, count as u64);

    let (replay_rows, replay_progress) = replay(dir.path(), &record);
    diff("replay vs live", &live_rows, &replay_rows).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay_progress, live_progress);
    live_progress
}

#[test]
fn a_recorded_live_run_replays_identically() {
    record_then_replay("5ms", 400);
}

/// Lines slower than the trigger: some ticks have no rows and run no-data batches, which the
/// replay runs for the gaps in the record's tick numbers.
#[test]
fn a_recorded_live_run_with_idle_ticks_replays_identically() {
    let progress = record_then_replay("150ms", 14);
    let no_data = progress[..progress.len() - 1]
        .iter()
        .filter(|p| p["numInputRows"] == 0)
        .count();
    assert!(
        no_data >= 1,
        "no-data batches between data batches expected: {progress:#?}"
    );
}

/// `--event-time payload` (short for `--format csv --schema "timestamp TIMESTAMP, value STRING"
/// --event-time timestamp`): CSV lines carry their event time (RFC 3339 or epoch milliseconds);
/// lines that do not fit the two columns are rejected and counted.
#[test]
fn payload_event_times_come_from_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let run = headless_from(
        dir.path(),
        port,
        &[
            "--event-time",
            "payload",
            "--sink",
            "json",
            "--trigger",
            "100ms",
            "--record",
            path_arg(&record),
            "--window",
            "10s",
            "--slide",
            "10s",
            "--watermark",
            "0s",
        ],
    );
    let mut server = accept_within(&listener, T);
    write_all(
        &mut server,
        b"2026-11-23T17:33:00Z,a\n\
          1795455185000,b\r\n\
          no comma here\n\
          2026-11-23T17:33:07.250+01:00,c\n\
          yesterday,d\n\
          2026-11-23T17:33:12Z,a,b\n\
          2026-11-23T17:34:00Z,z\n",
    );
    let want: Vec<(i64, &str)> = [
        ("2026-11-23T17:33:00Z", "a"),
        ("2026-11-23T17:33:05Z", "b"),
        ("2026-11-23T16:33:07.25Z", "c"),
        ("2026-11-23T17:34:00Z", "z"),
    ]
    .map(|(t, v)| (micros(t).unwrap(), v))
    .to_vec();
    wait_for_record(&run, &record, want.len());
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);

    let recorded = read_record(&record);
    let recorded: Vec<(i64, &str)> = recorded.iter().map(|(_, t, v)| (*t, v.as_str())).collect();
    assert_eq!(recorded, want);
    let header = std::fs::read_to_string(&record).unwrap();
    assert!(
        header.starts_with("batch,timestamp,value\n"),
        "the shorthand's columns: {header}"
    );
    let (_, rows, rejected) = headless_summary(&done.stderr);
    assert_eq!(rows, 4);
    assert_eq!(
        rejected, "2 wrong field count, 1 bad event time",
        "{}",
        done.stderr
    );

    // The windows come from the payload times. `c` (16:33:07.25 UTC) is late once 17:33:00 set
    // the watermark, unless it arrived in the same batch; the others are all emitted, since
    // 17:34:00 moves the watermark past their windows.
    let emitted: Bag<(String, String, String, i64)> = bag(json_rows(&done.stdout)
        .unwrap()
        .into_iter()
        .flat_map(|(r, n)| std::iter::repeat_n(r, n))
        .map(|r| (common::iso(r.start), common::iso(r.end), r.value, r.count)));
    let window = |start: &str, end: &str, value: &str| {
        (
            common::iso(micros(start).unwrap()),
            common::iso(micros(end).unwrap()),
            value.to_string(),
            1,
        )
    };
    for key in [
        window("2026-11-23T17:33:00Z", "2026-11-23T17:33:10Z", "a"),
        window("2026-11-23T17:33:00Z", "2026-11-23T17:33:10Z", "b"),
    ] {
        assert_eq!(emitted.get(&key), Some(&1), "{key:?} in {emitted:?}");
    }
    assert!(
        emitted.keys().all(|(_, _, v, _)| v != "z"),
        "z's window is still open"
    );
}

/// A test server that keeps sending short lines to whoever connects, until stopped.
struct Feeder {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Feeder {
    fn start(listener: TcpListener) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut sent = 0u64;
            listener.set_nonblocking(true).unwrap();
            while !stopping.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let mut i = 0u64;
                while !stopping.load(Ordering::Relaxed) {
                    let lines = (0..20)
                        .map(|k| format!("{}\n", (i + k) % 7))
                        .collect::<Vec<_>>()
                        .concat();
                    if stream.write_all(lines.as_bytes()).is_err() {
                        break;
                    }
                    sent += 20;
                    i += 20;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            sent
        });
        Feeder {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A signal while the stream keeps coming: the run finishes the running batch and what is
/// waiting, leaves a consistent file sink behind, and exits 0.
fn a_signal_finishes_the_run_cleanly(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let record = dir.path().join("rec.csv");
    let progress = dir.path().join("prog.jsonl");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let feeder = Feeder::start(listener);
    let query = ["--window", "500ms", "--slide", "250ms", "--watermark", "0s"];
    let run = headless_from(
        dir.path(),
        port,
        &[
            &[
                "--sink",
                "file",
                "--output",
                path_arg(&out),
                "--trigger",
                "100ms",
            ][..],
            &query,
            &[
                "--record",
                path_arg(&record),
                "--progress",
                path_arg(&progress),
            ],
        ]
        .concat(),
    );
    // Wait for a few batches with rows emitted, so the signal lands mid-stream.
    poll(
        T,
        || format!("no part files yet; stderr:\n{}", run.stderr()),
        || {
            let ids = common::sink_log_ids(&out);
            let parts = std::fs::read_dir(&out).map_or(0, |d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("window="))
                })
                .count()
            });
            (ids.len() >= 5 && parts >= 2).then_some(())
        },
    );
    let asked = Instant::now();
    run.signal(signal);
    let done = run.wait(T);
    assert!(
        done.status.success(),
        "SIG{signal}: {:?}\n{}",
        done.status,
        done.stderr
    );
    assert!(asked.elapsed() < Duration::from_secs(10), "slow to stop");
    drop(feeder);

    let (ids, parts) = check_file_sink(&out);
    let reports = read_progress(&progress);
    let batch_ids: Vec<u64> = reports
        .iter()
        .map(|p| p["batchId"].as_u64().unwrap())
        .collect();
    let last = *batch_ids.last().unwrap();
    assert_eq!(
        batch_ids,
        (0..=last).collect::<Vec<_>>(),
        "every batch reported once"
    );
    assert_eq!(
        ids.last(),
        Some(&last),
        "the sink log has the last batch: {ids:?}"
    );
    // Every row that arrived went through a batch: the record, the progress and the summary agree.
    let recorded = read_record(&record);
    let input: u64 = reports
        .iter()
        .map(|p| p["numInputRows"].as_u64().unwrap())
        .sum();
    let (batches, rows, _) = headless_summary(&done.stderr);
    assert_eq!(batches, last + 1);
    assert_eq!(rows, recorded.len() as u64);
    assert_eq!(input, rows);

    // And the files hold exactly what a replay of the record writes.
    let again = dir.path().join("again");
    let replayed = Running::spawn(
        window_tui_in(dir.path())
            .args(["replay", path_arg(&record), "--sink", "file"])
            .args(["--output", path_arg(&again)])
            .args(query),
    )
    .wait(T);
    assert!(replayed.status.success(), "{}", replayed.stderr);
    let (_, replayed_parts) = check_file_sink(&again);
    diff("file sink vs its replay", &replayed_parts, &parts).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn sigterm_in_headless_mode_flushes_the_sinks_and_exits_0() {
    a_signal_finishes_the_run_cleanly("TERM");
}

#[test]
fn sigint_in_headless_mode_flushes_the_sinks_and_exits_0() {
    a_signal_finishes_the_run_cleanly("INT");
}

/// A closed terminal (or ssh session) sends SIGHUP: the run ends as a stop does.
#[test]
fn sighup_in_headless_mode_flushes_the_sinks_and_exits_0() {
    a_signal_finishes_the_run_cleanly("HUP");
}

/// Without `--headless` and with stdout a pipe, the run says it goes headless and does.
#[test]
fn a_run_without_a_terminal_goes_headless() {
    let dir = tempfile::tempdir().unwrap();
    let done = Running::spawn(
        window_tui_in(dir.path())
            .args(["--delay", "0ms", "--count", "30", "--trigger", "50ms"])
            .args(["--sink", "json", "--window", "1s", "--slide", "1s"])
            .args(["--watermark", "0s"])
            .args(["--checkpoint", path_arg(&dir.path().join("checkpoint"))]),
    )
    .wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
    assert!(
        done.stderr
            .contains("stdout is not a terminal; running headless"),
        "{}",
        done.stderr
    );
    let (_, rows, _) = headless_summary(&done.stderr);
    assert_eq!(rows, 30);
    json_rows(&done.stdout).unwrap_or_else(|e| panic!("{e}"));
}

/// A headless run whose stderr takes nothing (`2>/dev/full`): its log and closing lines are
/// lost, not the run (tracing's own report of a failed log line panicked it, status 101).
#[test]
fn a_headless_run_with_a_full_stderr_ends_well() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = window_tui_in(dir.path())
        .args([
            "--headless",
            "--delay",
            "0ms",
            "--count",
            "30",
            "--trigger",
            "50ms",
        ])
        .args(["--sink", "json", "--no-checkpoint", "--flush-at-end"])
        .stdin(std::process::Stdio::null())
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty());
}

/// `--source` before the server is up: the reader says it is retrying, and reads once it is.
#[test]
fn a_source_that_is_not_up_yet_is_retried_until_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let port = common::free_port();
    let mut run = headless_from(
        dir.path(),
        port,
        &[
            "--trigger",
            "100ms",
            "--sink",
            "json",
            "--record",
            path_arg(&record),
        ],
    );
    let stderr = run.wait_for_stderr("retrying", T);
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(
        run.is_running(),
        "a server that is not up is no reason to stop"
    );
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let mut server = accept_within(&listener, T);
    write_all(&mut server, b"hello\nworld\n");
    let recorded = wait_for_record(&run, &record, 2);
    assert_eq!(
        recorded.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
        ["hello", "world"]
    );
    run.wait_for_stderr(&format!("connected to 127.0.0.1:{port}"), T);
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
    let (_, rows, _) = headless_summary(&done.stderr);
    assert_eq!(rows, 2);
}

/// A signal while the reader is still waiting for the server ends the run with status 0.
#[test]
fn a_signal_while_retrying_ends_the_run_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = headless_from(
        dir.path(),
        common::free_port(),
        &["--trigger", "100ms", "--sink", "json"],
    );
    run.wait_for_stderr("retrying", T);
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
    assert_eq!(headless_summary(&done.stderr).1, 0);
    assert_eq!(done.stdout, "");
}

/// Rows that arrived after the last tick are not lost on a signal: they run as a last batch.
#[test]
fn a_signal_runs_the_rows_still_waiting_for_a_tick() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let progress = dir.path().join("prog.jsonl");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The first tick runs at the start; the next would be an hour later.
    let mut run = headless_from(
        dir.path(),
        port,
        &[
            "--trigger",
            "1h",
            "--sink",
            "json",
            "--record",
            path_arg(&record),
            "--progress",
            path_arg(&progress),
        ],
    );
    let mut server = accept_within(&listener, T);
    run.wait_for_stderr(&format!("connected to 127.0.0.1:{port}"), T);
    write_all(&mut server, b"x\ny\nx\n");
    // Nothing tells from outside when the reader has read them; loopback takes microseconds.
    std::thread::sleep(Duration::from_millis(500));
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
    let (batches, rows, _) = headless_summary(&done.stderr);
    // The last data batch, then the idle tick's no-data batch (the watermark moved).
    assert_eq!((batches, rows), (2, 3), "{}", done.stderr);
    let values: Vec<String> = read_record(&record).into_iter().map(|r| r.2).collect();
    assert_eq!(values, ["x", "y", "x"]);
    let reports = read_progress(&progress);
    let figures: Vec<(Value, Value)> = reports
        .iter()
        .map(|p| (p["batchId"].clone(), p["numInputRows"].clone()))
        .collect();
    assert_eq!(figures, [(0.into(), 3.into()), (1.into(), 0.into())]);
}

/// The embedded server's finite program ends the run: without `--flush-at-end` the closing
/// note counts the windows left open; with it, one more batch emits them.
#[test]
fn a_finite_live_source_ends_with_its_open_windows_told_or_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.csv");
    std::fs::write(
        &lines,
        "2026-11-23T17:33:01Z,a\n2026-11-23T17:33:12Z,b\n2026-11-23T17:33:40Z,c\n",
    )
    .unwrap();
    let run = |flush: bool| {
        let mut cmd = window_tui_in(dir.path());
        cmd.args([
            "--headless",
            "--no-checkpoint",
            "--generator",
            "file",
            "--file",
            path_arg(&lines),
            "--delay",
            "0ms",
            "--trigger",
            "100ms",
            "--format",
            "csv",
            "--schema",
            "ts TIMESTAMP, value STRING",
            "--event-time",
            "ts",
            "--window",
            "10 seconds",
            "--watermark",
            "5 seconds",
            "--sink",
            "json",
        ]);
        if flush {
            cmd.arg("--flush-at-end");
        }
        let done = Running::spawn(&mut cmd).wait(T);
        assert!(done.status.success(), "{}", done.stderr);
        done
    };
    let plain = run(false);
    assert!(
        plain
            .stderr
            .contains("1 window (1 rows) still open at the end, never emitted"),
        "{}",
        plain.stderr
    );
    let emitted = |stdout: &str| -> Vec<String> {
        let mut values: Vec<String> = json_rows(stdout)
            .unwrap()
            .into_keys()
            .map(|r| r.value)
            .collect();
        values.sort();
        values
    };
    assert_eq!(emitted(&plain.stdout), ["a", "b"]);
    let flushed = run(true);
    assert!(!flushed.stderr.contains("still open"), "{}", flushed.stderr);
    assert_eq!(emitted(&flushed.stdout), ["a", "b", "c"]);
}

/// The query family live: JSON lines with an event-time field, per-user aggregates; the run is
/// recorded, and replaying the record (no `--format`: the record is typed CSV) emits exactly
/// the live run's rows, batch by batch, with the same progress figures. A malformed line is
/// rejected with its reason, never recorded.
#[test]
fn a_recorded_live_json_run_replays_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..120u32 {
        let user = ["ana", "bo", "chen", "dara"][(i * 7 % 4) as usize];
        let ms = 1_795_455_180_000_u64 + u64::from(i) * 400 - u64::from(i % 9 == 0) * 3_000;
        let ts = chrono::DateTime::from_timestamp_millis(ms as i64).unwrap();
        let bytes = if i % 13 == 0 {
            "null".to_string()
        } else {
            (i * 37 % 1500).to_string()
        };
        let ts = ts.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        writeln!(lines, r#"{{"ts":"{ts}","user":"{user}","bytes":{bytes}}}"#).unwrap();
        if i == 50 {
            lines.push_str("{\"ts\": not json\n");
        }
    }
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, lines).unwrap();
    let query = [
        "--schema",
        "ts TIMESTAMP, user STRING, bytes LONG",
        "--event-time",
        "ts",
        "--group-by",
        "user",
        "--agg",
        "count,sum(bytes),avg(bytes),min(bytes),max(bytes)",
        "--window",
        "10 seconds",
        "--slide",
        "5 seconds",
        "--watermark",
        "2 seconds",
        "--sink",
        "json",
    ];
    let (record, progress) = (dir.path().join("rec.csv"), dir.path().join("live.jsonl"));
    let live = Running::spawn(
        window_tui_in(dir.path())
            .args(["--headless", "--no-checkpoint", "--format", "json"])
            .args(["--generator", "file", "--file", path_arg(&file)])
            .args(["--delay", "3ms", "--trigger", "100ms"])
            .args(query)
            .args(["--record", path_arg(&record)])
            .args(["--progress", path_arg(&progress)]),
    )
    .wait(T);
    assert!(live.status.success(), "{}", live.stderr);
    let (_, rows, rejected) = headless_summary(&live.stderr);
    assert_eq!(
        (rows, rejected.as_str()),
        (120, "1 not a JSON object"),
        "{}",
        live.stderr
    );
    let header = std::fs::read_to_string(&record).unwrap();
    assert!(header.starts_with("batch,ts,user,bytes\n"), "{header}");

    let replay_progress = dir.path().join("replay.jsonl");
    let replayed = Running::spawn(
        window_tui_in(dir.path())
            .args(["replay", path_arg(&record)])
            .args(query)
            .args(["--progress", path_arg(&replay_progress)]),
    )
    .wait(T);
    assert!(replayed.status.success(), "{}", replayed.stderr);
    let sorted = |stdout: &str| {
        let mut lines: Vec<&str> = stdout.lines().collect();
        lines.sort_unstable();
        lines.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let live_rows = sorted(&live.stdout);
    assert!(
        live_rows.len() > 10,
        "windows closed during the run: {live_rows:?}"
    );
    assert!(
        live_rows.iter().any(|l| l.contains("\"sum(bytes)\":")),
        "{live_rows:?}"
    );
    assert_eq!(
        live_rows,
        sorted(&replayed.stdout),
        "the replay's rows are the live run's"
    );
    let figures =
        |path: &Path| -> Vec<Value> { read_progress(path).iter().map(progress_figures).collect() };
    assert_eq!(figures(&progress), figures(&replay_progress));
}

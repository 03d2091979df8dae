//! Headless live runs: stopped by SIGTERM, SIGINT or SIGHUP (finishing their batches), without
//! a terminal, with a full stderr, and a finite source's end.

use super::*;

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
/// waiting, leaves a consistent file sink behind, and exits 0. The stream did not end, so
/// `--flush-at-end` does not apply, and the closing note does not advise it.
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
                "--flush-at-end",
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
    let note = done.stderr.as_str();
    assert!(
        note.contains("open when the run stopped") && !note.contains("emits them"),
        "{note}"
    );

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

/// A closed terminal (or ssh session) sends SIGHUP: the run ends as a stop does. Where the
/// tests run with SIGHUP ignored (under `nohup`), the run inherits that and rightly keeps on
/// (`tests/serve.rs` checks that case): skipped.
#[test]
fn sighup_in_headless_mode_flushes_the_sinks_and_exits_0() {
    if window_tui::app::stop_signals::hangup_ignored() {
        eprintln!("skipped: SIGHUP is ignored here (nohup), as the run under test would inherit");
        return;
    }
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

/// A checkpointed run that ended with `--flush-at-end` moved the watermark where no event put it:
/// its recording, continued, would replay to other answers, so continuing it is refused.
#[test]
fn a_recording_is_not_continued_after_a_flushed_end() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.csv");
    std::fs::write(&lines, "2026-11-23T17:33:01Z,a\n2026-11-23T17:33:12Z,b\n").unwrap();
    let run = |flush: bool| {
        let mut cmd = window_tui_in(dir.path());
        cmd.args([
            "--headless",
            "--generator",
            "file",
            "--file",
            path_arg(&lines),
        ])
        .args(["--delay", "0ms", "--trigger", "100ms", "--format", "csv"])
        .args([
            "--schema",
            "ts TIMESTAMP, value STRING",
            "--event-time",
            "ts",
        ])
        .args([
            "--sink",
            "json",
            "--checkpoint",
            "ck",
            "--record",
            "rec.csv",
        ]);
        if flush {
            cmd.arg("--flush-at-end");
        }
        Running::spawn(&mut cmd).wait(T)
    };
    // Without a flush, the recording goes on.
    for _ in 0..2 {
        let done = run(false);
        assert!(done.status.success(), "{}", done.stderr);
    }
    let done = run(true);
    assert!(done.status.success(), "{}", done.stderr);
    let recorded = std::fs::read(dir.path().join("rec.csv")).unwrap();
    let done = run(true);
    assert_eq!(done.status.code(), Some(2), "{}", done.stderr);
    assert!(
        done.stderr.contains("ended with --flush-at-end") && done.stderr.contains("--record"),
        "{}",
        done.stderr
    );
    assert_eq!(std::fs::read(dir.path().join("rec.csv")).unwrap(), recorded);
}

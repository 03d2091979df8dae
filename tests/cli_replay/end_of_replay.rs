//! How a replay ends: the windows left open and `--flush-at-end`, and `--max-state-rows`.

use super::*;

/// A finite replay in append mode ends with its last windows open: the closing note says how
/// many and why; `--flush-at-end` emits them in one more batch and says it is not Spark's way.
#[test]
fn the_windows_left_open_at_the_end_are_told_and_flush_at_end_emits_them() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(dir.path(), "events.csv", GOOD_START);
    let plain = run(&[&"replay", &events, &"--sink", &"json"]);
    let said = stderr(&plain);
    assert!(
        said.contains("2 windows (4 rows) still open at the end, never emitted")
            && said.contains("--flush-at-end"),
        "{said}"
    );
    let flushed = run(&[&"replay", &events, &"--sink", &"json", &"--flush-at-end"]);
    let said = stderr(&flushed);
    assert!(!said.contains("still open"), "{said}");
    assert!(said.contains("not Spark's behaviour"), "{said}");
    let (before, after) = (rows_of(&plain), rows_of(&flushed));
    let last = before.keys().map(|r| r.batch).max().unwrap();
    let extra: Vec<(String, String, &str)> = after
        .keys()
        .filter(|r| !before.contains_key(r))
        .inspect(|r| assert_eq!(r.batch, last + 1, "one more batch: {r:?}"))
        .map(|r| (common::iso(r.start), common::iso(r.end), r.value.as_str()))
        .collect();
    let window = |start: &str, end: &str, value: &'static str| {
        (
            common::iso(micros(start).unwrap()),
            common::iso(micros(end).unwrap()),
            value,
        )
    };
    assert_eq!(
        extra,
        [
            window("2026-11-23T17:34:45Z", "2026-11-23T17:35:15Z", "e"),
            window("2026-11-23T17:34:45Z", "2026-11-23T17:35:15Z", "f"),
            window("2026-11-23T17:35:00Z", "2026-11-23T17:35:30Z", "e"),
            window("2026-11-23T17:35:00Z", "2026-11-23T17:35:30Z", "f"),
        ]
    );
    assert!(
        before.keys().all(|r| after.contains_key(r)),
        "the rest as before"
    );
    // Update mode emitted every row as it changed: nothing to say.
    let update = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--output-mode",
        &"update",
    ]);
    assert!(
        !stderr(&update).contains("still open"),
        "{}",
        stderr(&update)
    );
    // Complete mode runs no batch for a watermark that moved: the flag runs nothing, and
    // says nothing it did not do.
    let complete = |flush: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"replay",
            &events,
            &"--sink",
            &"json",
            &"--output-mode",
            &"complete",
        ];
        args.extend_from_slice(flush);
        run(&args)
    };
    let (plain, flushed) = (complete(&[]), complete(&[&"--flush-at-end"]));
    assert_eq!(flushed.stdout, plain.stdout);
    assert!(
        !stderr(&flushed).contains("--flush-at-end"),
        "{}",
        stderr(&flushed)
    );
}

/// `--max-state-rows`: once the state is full, within a batch too, rows of new keys are
/// refused and counted; keys already held, and keys after the watermark evicted the old ones,
/// go on.
#[test]
fn a_full_state_refuses_new_keys_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(dir.path(), "events.csv", GOOD_START);
    let limited = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--max-state-rows",
        &"2",
    ]);
    let said = stderr(&limited);
    // A key opens two windows: a filled the state, so b (in a's batch), c and d were refused;
    // once the watermark evicted a, e was taken and f (in e's batch) refused.
    assert!(said.contains("4 rows refused"), "{said}");
    let values: BTreeSet<String> = rows_of(&limited).into_keys().map(|r| r.value).collect();
    assert!(values.contains("a"), "{values:?}");
    assert!(
        !values.contains("b") && !values.contains("c") && !values.contains("d"),
        "{values:?}"
    );
    let flushed = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--max-state-rows",
        &"2",
        &"--flush-at-end",
    ]);
    let values: BTreeSet<String> = rows_of(&flushed).into_keys().map(|r| r.value).collect();
    assert_eq!(values, BTreeSet::from(["a".into(), "e".into()]));
    let unlimited = run(&[&"replay", &events, &"--sink", &"json"]);
    assert!(!stderr(&unlimited).contains("refused"));
}

/// A stop signal ends a replay as it ends a live run: after the running batch, the sinks
/// flushed, a closing line saying it stopped before the end, exit 0.
#[test]
fn a_stop_signal_finishes_the_running_batch_and_says_the_replay_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..300_000 {
        let _ = writeln!(
            text,
            "{tick},{},v{}",
            common::iso(tick * 1_000_000),
            tick % 7
        );
    }
    let events = write(dir.path(), "events.csv", text);
    let mut cmd = std::process::Command::new(BIN);
    hermetic(&mut cmd)
        .args(["replay", "--sink", "json"])
        .arg(&events);
    let running = common::Running::spawn(&mut cmd);
    // Once batches come out: the replay listens for signals by then.
    let started = Instant::now();
    while running.stdout().is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    running.signal("TERM");
    let finished = running.wait(Duration::from_secs(60));
    let err = finished.stderr;
    assert_eq!(finished.status.code(), Some(0), "{err}");
    assert!(
        err.contains("stopped by a signal before the end of"),
        "{err}"
    );
    assert!(
        err.contains("without --checkpoint, a replay starts over"),
        "{err}"
    );
    let ids: Vec<u64> = finished
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["batch_id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let last = *ids.last().expect("batches before the signal");
    let batches: u64 = err
        .lines()
        .find_map(|line| line.strip_prefix("window-tui: ")?.split_once(" batches, "))
        .and_then(|(n, _)| n.parse().ok())
        .expect("the closing line");
    assert!(
        last < batches && batches < 299_000,
        "{last} of {batches}: {err}"
    );
    // Every batch that ran is written whole: the stopped run's output is the whole run's up to
    // there.
    let whole = stdout(&run(&[&"replay", &events, &"--sink", &"json"]));
    let upto: Vec<&str> = whole
        .lines()
        .filter(|line| {
            serde_json::from_str::<Value>(line).unwrap()["batch_id"]
                .as_u64()
                .is_some_and(|id| id < batches)
        })
        .collect();
    assert_eq!(finished.stdout.lines().collect::<Vec<_>>(), upto);
}

/// The rows dropped behind the watermark are said at the end, as (row, window) pairs: two rows
/// of one key, each in two windows closed (by the watermark of the batch before theirs, as in
/// Spark), are four pairs (Spark's numRowsDroppedByWatermark, one per key and window, is two).
#[test]
fn the_late_rows_dropped_are_said_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(
        dir.path(),
        "events.csv",
        "batch,event_time,value\n\
         0,2026-11-23T17:00:00Z,a\n\
         1,2026-11-23T17:10:00Z,a\n\
         2,2026-11-23T17:10:01Z,a\n\
         3,2026-11-23T17:00:10Z,a\n\
         3,2026-11-23T17:00:11Z,a\n",
    );
    let progress = dir.path().join("progress.jsonl");
    let output = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--progress",
        &progress,
    ]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("window-tui: 4 late (row, window) pair(s) dropped"),
        "{err}"
    );
    let dropped: u64 = fs::read_to_string(&progress)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter_map(|p| p["stateOperators"][0]["numRowsDroppedByWatermark"].as_u64())
        .sum();
    assert_eq!(dropped, 2, "{err}");
    let on_time = run(&[
        &"replay",
        &corpus_case("tumbling").join("events.csv"),
        &"--sink",
        &"json",
    ]);
    assert!(!stderr(&on_time).contains("late (row, window)"));
}

/// A row whose event time is NULL is Spark's input row in no window: the replay goes on, its
/// progress counts it (and takes it as 1970-01-01 in eventTime's min and avg, as Spark 3.5.3
/// did on these rows), its windows lack it, and the closing note says how many came.
#[test]
fn rows_without_an_event_time_are_input_rows_in_no_window() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(
        dir.path(),
        "events.csv",
        "batch,ts,k\n\
         0,\\N,a\n\
         0,2026-11-23T17:33:01Z,a\n\
         0,2026-11-23T17:33:05Z,b\n",
    );
    let progress = dir.path().join("progress.jsonl");
    let output = run(&[
        &"replay",
        &events,
        &"--schema",
        &"ts TIMESTAMP, k STRING",
        &"--event-time",
        &"ts",
        &"--group-by",
        &"k",
        &"--window",
        &"10 seconds",
        &"--flush-at-end",
        &"--sink",
        &"json",
        &"--progress",
        &progress,
    ]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("window-tui: 1 row(s) without an event time (NULL or missing)"),
        "{err}"
    );
    let first: Value = serde_json::from_str(
        fs::read_to_string(&progress)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["numInputRows"], 3);
    assert_eq!(first["eventTime"]["min"], "1970-01-01T00:00:00.000Z");
    assert_eq!(first["eventTime"]["avg"], "2007-12-06T19:42:02.000Z");
    assert_eq!(first["stateOperators"][0]["numRowsTotal"], 2);
    let counts: Vec<_> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|row| (row["k"].to_string(), row["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(counts, [("\"a\"".into(), 1), ("\"b\"".into(), 1)]);
}

/// Ctrl-C while the replay waits for a FIFO's writer stops it at once, as a stop does (exit 0,
/// saying so, nothing written): the open, restarted after the signal's handler set the stop
/// flag, waited on, and only a second Ctrl-C ended the process (exit 1).
#[test]
fn a_stop_signal_while_a_fifo_waits_for_a_writer_stops_the_replay_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("events.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut cmd = std::process::Command::new(BIN);
    hermetic(&mut cmd)
        .args(["replay", "--sink", "json"])
        .arg(&fifo);
    let running = common::Running::spawn(&mut cmd);
    // Once it listens for SIGINT (bit 1 of the caught signals' mask), and a moment more for
    // the other signals and the open.
    let status = format!("/proc/{}/status", running.pid());
    let started = Instant::now();
    let listens = || {
        fs::read_to_string(&status).is_ok_and(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                .is_some_and(|mask| mask & 2 != 0)
        })
    };
    while !listens() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    running.signal("INT");
    let finished = running.wait(Duration::from_secs(3));
    let err = finished.stderr;
    assert_eq!(finished.status.code(), Some(0), "{err}");
    assert!(
        err.contains("stopped by a signal while waiting for a writer to open")
            && err.contains("events.fifo"),
        "{err}"
    );
    assert_eq!(finished.stdout, "");
}

//! `window-tui replay` from the outside: bad input and its messages and exit statuses, the
//! `--on-bad-row` policy, duration checks, sinks, environment variables, `--window-format`,
//! line endings and a closed standard output.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{BIN, Bag, Row, expected_rows, hermetic, json_rows, micros, part_rows};
use serde_json::Value;

/// `window-tui` with a clean environment (`TZ=UTC`, no `WINDOW_TUI_*`) and a time limit.
fn window_tui() -> Command {
    let mut std = std::process::Command::new(BIN);
    hermetic(&mut std);
    let mut cmd = Command::from_std(std);
    cmd.timeout(Duration::from_secs(60));
    cmd
}

fn corpus_case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

/// A case's `--window`, `--slide` and `--watermark` from its `params.env`.
fn case_params(name: &str) -> [(String, String); 3] {
    let text = fs::read_to_string(corpus_case(name).join("params.env")).unwrap();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    [
        ("WINDOW".into(), get("WINDOW")),
        ("SLIDE".into(), get("SLIDE")),
        ("WATERMARK".into(), get("WATERMARK")),
    ]
}

fn case_args(name: &str) -> Vec<String> {
    case_params(name)
        .into_iter()
        .flat_map(|(k, v)| [format!("--{}", k.to_lowercase()), v])
        .collect()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `window-tui ARGS...` and returns its output, whatever the status.
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
    window_tui()
        .args(args.iter().map(std::convert::AsRef::as_ref))
        .output()
        .unwrap()
}

/// Rows of the json sink, or a panic that shows the output.
fn rows_of(output: &std::process::Output) -> Bag<Row> {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        stderr(output)
    );
    json_rows(&stdout(output)).unwrap_or_else(|e| panic!("{e}"))
}

const HEADER: &str = "batch,event_time,value\n";

/// Seven good lines (header included). With the default 30 s / 15 s / 15 s query, ticks 0..=2
/// run batches 0..=2 and batch 2 emits a and b in two windows; tick 3 (lines 6 and 7) is batch 3.
const GOOD_START: &str = "batch,event_time,value\n\
    0,2026-11-23T17:33:00Z,a\n\
    0,2026-11-23T17:33:01Z,b\n\
    1,2026-11-23T17:34:00Z,c\n\
    2,2026-11-23T17:34:01Z,d\n\
    3,2026-11-23T17:35:00Z,e\n\
    3,2026-11-23T17:35:01Z,f\n";

/// Line 8 of a replay file, each wrong in its own way.
const BAD_LINES: &[(&str, &[u8])] = &[
    ("a time that is not a time", b"3,yesterday,g"),
    ("an impossible time", b"3,2026-11-23T17:35:61Z,g"),
    ("two columns", b"3,2026-11-23T17:35:02Z"),
    ("four columns", b"3,2026-11-23T17:35:02Z,g,h"),
    (
        "a batch that is not a number",
        b"three,2026-11-23T17:35:02Z,g",
    ),
    ("a negative batch", b"-3,2026-11-23T17:35:02Z,g"),
    (
        "a value that is not UTF-8",
        b"3,2026-11-23T17:35:02Z,caf\xe9",
    ),
    ("a batch out of order", b"2,2026-11-23T17:35:02Z,g"),
    ("a quote never closed", b"3,2026-11-23T17:35:02Z,\"g"),
];

fn file_with_bad_line_8(dir: &Path, bad: &[u8]) -> PathBuf {
    let mut bytes = GOOD_START.as_bytes().to_vec();
    bytes.extend_from_slice(bad);
    bytes.extend_from_slice(b"\n4,2026-11-23T17:36:00Z,h\n");
    write(dir, "events.csv", bytes)
}

/// The part files under `out` (relative, `window=.../part-...`), and the batch ids and listed
/// paths of the `_spark_metadata` log.
fn file_sink_state(out: &Path) -> (BTreeSet<String>, Vec<u64>, Vec<String>) {
    let mut parts = BTreeSet::new();
    for dir in fs::read_dir(out).unwrap() {
        let dir = dir.unwrap();
        let name = dir.file_name().to_string_lossy().into_owned();
        if !name.starts_with("window=") {
            continue;
        }
        for file in fs::read_dir(dir.path()).unwrap() {
            let file = file.unwrap().file_name().to_string_lossy().into_owned();
            if !file.starts_with('.') {
                parts.insert(format!("{name}/{file}"));
            }
        }
    }
    let root = fs::canonicalize(out).unwrap();
    let mut ids = Vec::new();
    let mut listed = Vec::new();
    for entry in fs::read_dir(out.join("_spark_metadata")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        ids.push(name.trim_end_matches(".compact").parse::<u64>().unwrap());
        let text = fs::read_to_string(entry.path()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("v1"), "log {name}");
        for line in lines {
            let entry: Value = serde_json::from_str(line).unwrap();
            let path = entry["path"].as_str().unwrap();
            let path = common::percent_decode(path.strip_prefix("file://").unwrap_or(path));
            let path = Path::new(&path);
            let rel = path.strip_prefix(&root).unwrap_or(path);
            assert!(
                root.join(rel).is_file(),
                "log {name} lists {}, which does not exist",
                path.display()
            );
            listed.push(rel.to_string_lossy().into_owned());
        }
    }
    ids.sort_unstable();
    listed.sort();
    (parts, ids, listed)
}

fn assert_error_at(output: &std::process::Output, file: &Path, line: u64, what: &str) {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}: exit status {:?}, stderr: {err}",
        output.status
    );
    let at = format!("{}:{line}: ", file.display());
    assert!(err.contains(&at), "{what}: stderr lacks {at:?}: {err}");
    assert!(
        err.trim_end().lines().count() <= 3,
        "{what}: a short message expected: {err}"
    );
}

#[test]
fn a_bad_row_stops_the_replay_with_file_and_line() {
    for &(what, bad) in BAD_LINES {
        let tmp = tempfile::tempdir().unwrap();
        let events = file_with_bad_line_8(tmp.path(), bad);
        let out = tmp.path().join("out");
        let progress = tmp.path().join("progress.jsonl");
        let output = run(&[
            &"replay",
            &events,
            &"--sink",
            &"file",
            &"--output",
            &out,
            &"--progress",
            &progress,
        ]);
        assert_error_at(&output, &events, 8, what);
        assert!(output.stdout.is_empty(), "{what}: {}", stdout(&output));

        // Batches 0, 1 and 2 (ticks 0..=2) are complete; batch 3, holding the bad row, is not.
        let (parts, ids, listed) = file_sink_state(&out);
        assert_eq!(ids, [0, 1, 2], "{what}: log entries");
        assert_eq!(
            listed,
            parts.iter().cloned().collect::<Vec<_>>(),
            "{what}: the log lists exactly the part files"
        );
        let want = common::bag([
            ("window=173245-173315".to_string(), "a".to_string(), 1),
            ("window=173245-173315".to_string(), "b".to_string(), 1),
            ("window=173300-173330".to_string(), "a".to_string(), 1),
            ("window=173300-173330".to_string(), "b".to_string(), 1),
        ]);
        assert_eq!(part_rows(&out, &parts), want, "{what}: rows of batch 2");
        let batches: Vec<i64> = fs::read_to_string(&progress)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["batchId"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(batches, [0, 1, 2], "{what}: progress");
    }
}

#[test]
fn a_bad_row_with_the_json_sink_keeps_earlier_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"3,yesterday,g");
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 8, "json sink");
    let rows = json_rows(&stdout(&output)).unwrap();
    assert_eq!(rows.values().sum::<usize>(), 4, "batch 2's rows: {rows:?}");
    assert!(rows.keys().all(|r| r.batch == 2 && r.count == 1));
}

#[test]
fn a_missing_or_wrong_header_is_line_1() {
    let files: &[(&str, &[u8])] = &[
        ("no header", b"0,2026-11-23T17:33:00Z,a\n"),
        ("another header", b"time,value\n2026-11-23T17:33:00Z,a\n"),
        ("columns swapped", b"event_time,batch,value\n"),
        ("an empty file", b""),
        ("a blank file", b"\n\n"),
    ];
    for &(what, bytes) in files {
        let tmp = tempfile::tempdir().unwrap();
        let events = write(tmp.path(), "events.csv", bytes);
        let out = tmp.path().join("out");
        let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
        assert_error_at(&output, &events, 1, what);
        assert!(output.stdout.is_empty(), "{what}");
        if out.exists() {
            let (parts, ids, _) = file_sink_state(&out);
            assert!(
                parts.is_empty() && ids.is_empty(),
                "{what}: {parts:?} {ids:?}"
            );
        }
    }
}

#[test]
fn line_numbers_count_physical_lines() {
    // A quoted value over two lines (2-3), a blank line (4), CRLF endings, then a bad row on 6.
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "multi.csv",
        "batch,event_time,value\r\n\
         0,2026-11-23T17:33:00Z,\"two\r\nlines\"\r\n\
         \r\n\
         0,2026-11-23T17:33:01Z,b\r\n\
         0,half past five,c\r\n",
    );
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 6, "after a multi-line value");

    let events = write(
        tmp.path(),
        "blank.csv",
        "batch,event_time,value\n\n\n0,2026-11-23T17:33:00Z,a\n\n1,2026-11-23T17:33:00Z\n",
    );
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 6, "after blank lines");
}

#[test]
fn bad_rows_can_be_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = write(
        tmp.path(),
        "clean.csv",
        GOOD_START.to_string() + "3,2026-11-23T17:35:02Z,g\n4,2026-11-23T17:36:00Z,h\n",
    );
    // The same rows with four bad ones among them (lines 4, 6, 10 and 11).
    let mut dirty = Vec::new();
    dirty.extend_from_slice(
        b"batch,event_time,value\n\
          0,2026-11-23T17:33:00Z,a\n\
          0,2026-11-23T17:33:01Z,b\n\
          0,notatime,x\n\
          1,2026-11-23T17:34:00Z,c\n\
          1,2026-11-23T17:34:00Z\n\
          2,2026-11-23T17:34:01Z,d\n\
          3,2026-11-23T17:35:00Z,e\n\
          3,2026-11-23T17:35:01Z,f\n\
          3,2026-11-23T17:35:01Z,caf\xe9\n\
          0,2026-11-23T17:35:01Z,late\n\
          3,2026-11-23T17:35:02Z,g\n\
          4,2026-11-23T17:36:00Z,h\n",
    );
    let dirty = write(tmp.path(), "dirty.csv", dirty);

    let want = rows_of(&run(&[&"replay", &clean, &"--sink", &"json"]));
    assert!(
        want.keys().any(|r| r.value == "g") && want.keys().any(|r| r.value == "a"),
        "{want:?}"
    );
    let output = run(&[
        &"replay",
        &dirty,
        &"--sink",
        &"json",
        &"--on-bad-row",
        &"skip",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("skipped 4 bad row"), "{err}");
    assert!(err.contains(&format!("{}:4: ", dirty.display())), "{err}");
    assert_eq!(rows_of(&output), want, "the good rows all count");

    // The default is to stop.
    let output = run(&[&"replay", &dirty, &"--sink", &"json"]);
    assert_error_at(&output, &dirty, 4, "default --on-bad-row");
}

/// `--max-line-bytes`: a row one byte over it is a bad row, however short, and a row exactly
/// at it is read, on every read path (ticks counted ahead on threads; rows one by one, as
/// with `--max-state-rows`).
#[test]
fn a_row_over_max_line_bytes_is_a_bad_row_and_one_at_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    // Four ticks of 1,500 rows (enough to be counted ahead); tick 1 holds a row of exactly
    // 100 bytes, tick 2 one of 101.
    let mut text = String::from("batch,event_time,value\n");
    let (mut line, mut long_line) = (1, 0);
    for tick in 0..4u64 {
        for row in 0..1500u64 {
            line += 1;
            let head = format!("{tick},2026-11-23T17:{}:{:02}Z,", 33 + tick, row % 60);
            let len = match (tick, row) {
                (1, 700) => 100,
                (2, 700) => {
                    long_line = line;
                    101
                }
                _ => 0,
            };
            if len == 0 {
                writeln!(text, "{head}{}", row % 7).unwrap();
            } else {
                writeln!(text, "{head}{}", "x".repeat(len - head.len())).unwrap();
            }
        }
    }
    let events = write(tmp.path(), "events.csv", &text);
    let too_long = format!(
        "{}:{long_line}: row is longer than 100 bytes (--max-line-bytes)",
        events.display()
    );
    for path in [&[][..], &["--max-state-rows", "1000000"][..]] {
        let replay = |policy: &str| {
            window_tui()
                .arg("replay")
                .arg(&events)
                .args([
                    "--sink",
                    "json",
                    "--max-line-bytes",
                    "100",
                    "--on-bad-row",
                    policy,
                ])
                .args(path)
                .output()
                .unwrap()
        };
        let output = replay("error");
        assert_error_at(&output, &events, long_line, "a row over --max-line-bytes");
        assert!(
            stderr(&output).contains(&too_long),
            "{path:?}: {}",
            stderr(&output)
        );
        let output = replay("skip");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{path:?}: {err}");
        assert!(
            err.contains("batches, 5999 rows; bad rows skipped: 1\n"),
            "{path:?}: the row at the limit counts: {err}"
        );
        assert!(err.contains(&too_long), "{path:?}: {err}");
    }
}

#[test]
fn bad_durations_are_refused_before_anything_runs() {
    let events = corpus_case("tumbling").join("events.csv");
    let cases: &[(&[&str], &str)] = &[
        (&["--window", "15 fortnights"], "fortnights"),
        (&["--window", "0s"], "window"),
        (&["--slide", "0 seconds"], "slide"),
        (&["--slide", "31s", "--window", "30s"], "slide"),
        (&["--watermark=-1s"], "negative"),
        (&["--watermark", "-1s"], "-1"),
        (&["--window", "thirty seconds"], "thirty"),
    ];
    for &(args, needle) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let progress = tmp.path().join("progress.jsonl");
        let output = window_tui()
            .arg("replay")
            .arg(&events)
            .args(args)
            .args(["--sink", "file", "--sink", "json", "--output"])
            .arg(&out)
            .arg("--progress")
            .arg(&progress)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            output.stdout.is_empty(),
            "{args:?}: stdout {}",
            stdout(&output)
        );
        assert!(!err.trim().is_empty(), "{args:?}: no message");
        assert!(
            err.lines().count() <= 8 && err.len() < 600,
            "{args:?}: the message is not short: {err}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}: {err}"
        );
        assert!(!out.exists(), "{args:?}: the output folder was created");
        assert!(!progress.exists(), "{args:?}: the progress log was created");
    }
}

#[test]
fn a_missing_events_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("no-such-events.csv");
    let out = tmp.path().join("out");
    let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains(&events.display().to_string()), "{err}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "the output folder was created");
}

#[test]
fn json_rows_have_the_documented_shape() {
    let case = corpus_case("strange_values");
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("strange_values"))
        .args(["--sink", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.ends_with('\n'));
    let keys = |o: &Value| -> BTreeSet<String> {
        o.as_object().expect("an object").keys().cloned().collect()
    };
    let mut lines = 0;
    for line in text.lines() {
        let o: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(
            keys(&o),
            BTreeSet::from(["batch_id", "window", "value", "count"].map(String::from)),
            "{line}"
        );
        assert_eq!(
            keys(&o["window"]),
            BTreeSet::from(["start", "end"].map(String::from)),
            "{line}"
        );
        assert!(o["batch_id"].is_u64(), "{line}");
        assert!(o["count"].as_u64().is_some_and(|c| c >= 1), "{line}");
        assert!(o["value"].is_string(), "{line}");
        let start = micros(o["window"]["start"].as_str().unwrap()).unwrap();
        let end = micros(o["window"]["end"].as_str().unwrap()).unwrap();
        assert!(start < end, "{line}");
        lines += 1;
    }
    assert!(lines > 0);
    assert_eq!(
        json_rows(&text).unwrap(),
        expected_rows(&case.join("expected.csv")).unwrap()
    );
}

fn replay_case(name: &str, sinks: &[&str]) -> String {
    let case = corpus_case(name);
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args(name))
        .args(sinks.iter().flat_map(|s| ["--sink", s]))
        .output()
        .unwrap();
    assert!(output.status.success(), "{sinks:?}: {}", stderr(&output));
    stdout(&output)
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

#[test]
fn console_and_json_together() {
    let console = replay_case("strange_values", &["console"]);
    let json = replay_case("strange_values", &["json"]);
    assert!(console.contains("Batch: 0") && !json.is_empty());
    for sinks in [
        &["console", "json"][..],
        &["json", "console"],
        &["console,json"],
    ] {
        let both = replay_case("strange_values", sinks);
        let (json_part, console_part): (Vec<&str>, Vec<&str>) =
            both.split_inclusive('\n').partition(|l| l.starts_with('{'));
        assert_eq!(console_part.concat(), console, "{sinks:?}: console part");
        assert_eq!(
            sorted_lines(&json_part.concat()),
            sorted_lines(&json),
            "{sinks:?}: json part"
        );
    }
}

#[test]
fn a_sink_named_twice_writes_each_batch_once() {
    let console = replay_case("strange_values", &["console"]);
    let batches =
        console.matches("\nBatch: ").count() + usize::from(console.starts_with("Batch: "));
    assert!(batches >= 2, "{console}");
    for sinks in [
        &["console", "console"][..],
        &["console,console"],
        &["console", "console,console"],
    ] {
        assert_eq!(replay_case("strange_values", sinks), console, "{sinks:?}");
    }
    let json = replay_case("strange_values", &["json"]);
    assert_eq!(
        sorted_lines(&replay_case("strange_values", &["json", "json"])),
        sorted_lines(&json)
    );
}

#[test]
fn environment_variables_are_honoured() {
    // tumbling is 20 s / 20 s / 10 s: the defaults (30 s / 15 s / 15 s) give other rows.
    let case = corpus_case("tumbling");
    let want = expected_rows(&case.join("expected.csv")).unwrap();
    let mut cmd = window_tui();
    cmd.arg("replay").arg(case.join("events.csv"));
    for (key, value) in case_params("tumbling") {
        cmd.env(format!("WINDOW_TUI_{key}"), value);
    }
    let output = cmd.env("WINDOW_TUI_SINK", "json").output().unwrap();
    assert_eq!(rows_of(&output), want, "configured through the environment");

    let defaults = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(["--sink", "json"])
        .output()
        .unwrap();
    assert_ne!(
        rows_of(&defaults),
        want,
        "the defaults must differ for this test to mean anything"
    );

    // A flag beats its variable.
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("tumbling"))
        .env("WINDOW_TUI_WINDOW", "1 minute")
        .env("WINDOW_TUI_WATERMARK", "1 hour")
        .env("WINDOW_TUI_SINK", "json")
        .output()
        .unwrap();
    assert_eq!(rows_of(&output), want, "flags over the environment");

    // WINDOW_TUI_SINK takes a list, as --sink does.
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("tumbling"))
        .env("WINDOW_TUI_SINK", "console,json")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Batch: 0") && text.lines().any(|l| l.starts_with('{')));
}

#[test]
fn window_format_changes_the_window_text() {
    let default = replay_case("strange_values", &["console"]);
    assert!(default.contains("|173245-173315|"), "{default}");
    let case = corpus_case("strange_values");
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("strange_values"))
        .args(["--sink", "console", "--window-format", "%H:%M"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("|17:32-17:33|"), "{text}");
    assert!(!text.contains("173245"), "{text}");
    // Same tables otherwise: same batches, same number of lines.
    assert_eq!(text.lines().count(), default.lines().count());

    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(["--sink", "console"])
        .env("WINDOW_TUI_WINDOW_FORMAT", "%H.%M.%S")
        .output()
        .unwrap();
    assert!(stdout(&output).contains("|17.32.45-17.33.15|"));
}

#[test]
fn an_invalid_window_format_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for pattern in ["%Q", "%H%", "%"] {
        let output = window_tui()
            .arg("replay")
            .arg(corpus_case("strange_values").join("events.csv"))
            .args(["--sink", "console", "--sink", "file", "--output"])
            .arg(&out)
            .args(["--window-format", pattern])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{pattern}: {err}");
        assert!(err.contains(pattern), "{pattern}: {err}");
        assert!(output.stdout.is_empty(), "{pattern}: {}", stdout(&output));
        assert!(!out.exists(), "{pattern}: the output folder was created");
    }
}

#[test]
fn crlf_and_a_missing_final_newline_replay_the_same() {
    // The last row decides: without it the watermark never passes the first windows.
    let tmp = tempfile::tempdir().unwrap();
    let lf = "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n";
    let lf_file = write(tmp.path(), "lf.csv", lf);
    let want = rows_of(&run(&[&"replay", &lf_file, &"--sink", &"json"]));
    assert_eq!(want.values().sum::<usize>(), 2, "{want:?}");
    let variants = [
        ("crlf", lf.replace('\n', "\r\n")),
        ("no final newline", lf.trim_end().to_string()),
        (
            "crlf, no final newline",
            lf.replace('\n', "\r\n").trim_end().to_string(),
        ),
        ("final blank line", format!("{lf}\n")),
    ];
    for (what, text) in variants {
        let events = write(tmp.path(), "variant.csv", text);
        let got = rows_of(&run(&[&"replay", &events, &"--sink", &"json"]));
        assert_eq!(got, want, "{what}");
    }

    // A whole corpus case (written with CRLF) read with LF and without its last line break.
    let case = corpus_case("tumbling");
    let want = expected_rows(&case.join("expected.csv")).unwrap();
    let crlf = fs::read_to_string(case.join("events.csv")).unwrap();
    assert!(crlf.contains("\r\n"), "the corpus file is CRLF");
    for (what, text) in [
        ("as recorded", crlf.clone()),
        ("lf", crlf.replace("\r\n", "\n")),
        ("crlf, no final newline", crlf.trim_end().to_string()),
        (
            "lf, no final newline",
            crlf.replace("\r\n", "\n").trim_end().to_string(),
        ),
    ] {
        let events = write(tmp.path(), "tumbling.csv", text);
        let output = window_tui()
            .arg("replay")
            .arg(&events)
            .args(case_args("tumbling"))
            .args(["--sink", "json"])
            .output()
            .unwrap();
        assert_eq!(rows_of(&output), want, "{what}");
    }
}

/// A replay whose output is far larger than a pipe buffer.
fn big_events(dir: &Path) -> PathBuf {
    let mut text = String::from(HEADER);
    for i in 0..20_000u32 {
        writeln!(
            text,
            "{},2026-11-23T17:{:02}:{:02}Z,value-{i}",
            i / 100,
            33 + (i / 100) / 60,
            (i / 100) % 60
        )
        .unwrap();
    }
    write(dir, "big.csv", text)
}

/// `window-tui replay BIG --sink SINK | head -1`: exit status 0 and nothing on stderr.
fn closed_stdout(sink: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let events = big_events(tmp.path());
    {
        let mut cmd = std::process::Command::new(BIN);
        hermetic(&mut cmd)
            .args(["replay"])
            .arg(&events)
            .args(["--sink", sink])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut first = String::new();
        {
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            reader.read_line(&mut first).unwrap();
            // Dropping the reader closes the pipe, as `| head -1` does.
        }
        assert!(!first.is_empty(), "{sink}: no output");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{sink}: still running after its stdout closed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{sink}: {status:?}, stderr: {err}");
        assert!(!err.to_lowercase().contains("error"), "{sink}: {err}");
        assert!(!err.contains("panicked"), "{sink}: {err}");
    }
}

#[test]
fn a_closed_stdout_is_not_an_error_console() {
    closed_stdout("console");
}

#[test]

fn a_closed_stdout_is_not_an_error_json() {
    closed_stdout("json");
}

/// `cmd` as `window-tui replay EVENTS --sink json OPTIONS`, reading nothing on stdin.
fn replay_json<'c>(
    cmd: &'c mut std::process::Command,
    events: &Path,
    options: &[&str],
) -> &'c mut std::process::Command {
    hermetic(cmd)
        .args(["replay"])
        .arg(events)
        .args(["--sink", "json"])
        .args(options)
        .stdin(Stdio::null())
}

/// `/dev/full`, for writing: every write fails, "No space left on device".
fn dev_full() -> fs::File {
    fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
}

/// Diagnostics are lost, not the run, when stderr cannot take them (`2>/dev/full`, or
/// `2>&1 | head` once head is gone): the closing lines of a replay, a resumed one's first line,
/// and a bad row's error each once, the run's exit status as it would be (it was 101, a
/// panic printing to stderr).
#[test]
fn a_full_stderr_loses_the_diagnostics_not_the_run() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let good = big_events(tmp.path());
    let bad = write(
        tmp.path(),
        "bad.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,notatime,b\n",
    );
    let checkpoint = tmp.path().join("ck");
    let checkpoint = checkpoint.to_str().unwrap();
    let runs: [(&Path, &[&str], i32); 4] = [
        (&good, &[], 0),
        (&good, &["--checkpoint", checkpoint], 0),
        (&good, &["--checkpoint", checkpoint], 0),
        (&bad, &[], 2),
    ];
    for (events, options, status) in runs {
        let mut cmd = std::process::Command::new(BIN);
        let output = replay_json(&mut cmd, events, options)
            .stderr(dev_full())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(status), "{options:?}");
        if status == 0 && options.is_empty() {
            assert!(!output.stdout.is_empty());
        }
    }
}

/// The json sink writes on a thread of its own: an error there still ends the run, exit 1,
/// with the error on stderr.
#[test]
fn a_json_sink_that_cannot_write_fails_the_replay() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Many batches (the error is met by a later one), and one batch, the last (the error is
    // met when the run waits for the sink at its end).
    let one = write(
        tmp.path(),
        "one.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n",
    );
    let flush: &[&str] = &["--flush-at-end"];
    for (events, options) in [(big_events(tmp.path()), &[][..]), (one, flush)] {
        let mut cmd = std::process::Command::new(BIN);
        let output = replay_json(&mut cmd, &events, options)
            .stdout(dev_full())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}: {err}", events.display());
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]

fn a_bad_row_opening_a_new_tick_keeps_the_ticks_before_it() {
    // Ticks 0..=3 (lines 2-7) are whole before the bad row on line 8, which belongs to tick 4.
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"4,yesterday,g");
    let out = tmp.path().join("out");
    let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
    assert_error_at(&output, &events, 8, "bad first row of tick 4");
    let (parts, ids, listed) = file_sink_state(&out);
    assert_eq!(listed, parts.iter().cloned().collect::<Vec<_>>());
    assert_eq!(ids, [0, 1, 2, 3], "tick 3 was complete before line 8");
}

#[test]

fn windows_sharing_a_partition_keep_all_their_rows() {
    // 17:33:20 falls in [17:33:00, 17:33:30) and [17:33:15, 17:33:45): both are `17:33-17:33`
    // with %H:%M and are emitted in the same batch. Spark writes both rows into the partition.
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "events.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:20Z,a\n1,2026-11-23T17:35:00Z,b\n",
    );
    let out = tmp.path().join("out");
    let output = run(&[
        &"replay",
        &events,
        &"--sink",
        &"file",
        &"--output",
        &out,
        &"--window-format",
        &"%H:%M",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (parts, _, listed) = file_sink_state(&out);
    assert_eq!(
        listed,
        parts.iter().cloned().collect::<Vec<_>>(),
        "each file listed once"
    );
    let rows = part_rows(&out, &parts);
    assert_eq!(
        rows,
        common::bag([
            ("window=17%3A33-17%3A33".to_string(), "a".to_string(), 1),
            ("window=17%3A33-17%3A33".to_string(), "a".to_string(), 1),
        ])
    );
}

#[test]
fn a_checkpointed_replay_stopped_by_a_bad_row_stops_there_again() {
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"4,yesterday,g");
    let out = tmp.path().join("out");
    let checkpoint = tmp.path().join("checkpoint");
    let replay = || {
        run(&[
            &"replay",
            &events,
            &"--sink",
            &"file",
            &"--output",
            &out,
            &"--checkpoint",
            &checkpoint,
        ])
    };
    let first = replay();
    assert_error_at(&first, &events, 8, "first run");
    // The restart resumes at the bad row (not at the header), so it says the same.
    let again = replay();
    assert_error_at(&again, &events, 8, "the same command again");
    let error_line = |output| {
        stderr(output)
            .lines()
            .find(|l| l.contains("error:"))
            .map(str::to_string)
    };
    assert_eq!(error_line(&again), error_line(&first));
    let (parts, ids, listed) = file_sink_state(&out);
    assert_eq!(listed, parts.iter().cloned().collect::<Vec<_>>());
    assert_eq!(
        ids,
        [0, 1, 2, 3],
        "nothing written twice or past the bad row"
    );
}

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

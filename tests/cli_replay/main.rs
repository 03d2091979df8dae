//! `window-tui replay` from the outside: bad input and its messages and exit statuses, the
//! `--on-bad-row` policy, duration checks, sinks, environment variables, `--window-format`,
//! line endings and a closed standard output.
//! This file holds what the parts share.

#[path = "../common/mod.rs"]
mod common;

mod bad_rows;
mod end_of_replay;
mod options;
mod output;

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

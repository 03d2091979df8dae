//! The conformance corpus, natively: a Rust port of `tests/conformance/check.py`.
//!
//! Every folder of `tests/conformance/` that holds an `expected.csv` is a recorded Apache Spark
//! 3.5.3 run. Its `events.csv` is replayed through the real binary (with `TZ=UTC`, `NO_COLOR=1`,
//! stdin closed) three times, and what the binary produced is compared with what Spark produced:
//!
//! * `--sink json --progress FILE`: the emitted rows (a multiset of batch id, window, value and
//!   count) against `expected.csv`, and per batch id the progress figures against `progress.jsonl`;
//! * `--sink console`: the `Batch: N` tables against `console.txt` (data rows sorted, as Spark's
//!   row order is arbitrary; a table Spark cut at 20 rows is compared by shape only);
//! * `--sink file --output DIR`: the partition folders, part file names and `value,count` rows
//!   against `files/` and `expected.csv`, and the `_spark_metadata` log against the part files.
//!
//! Each check runs over every case and reports every failing case in one panic message. The tests
//! in `mod the_checks_catch` break the binary's output (or the expectations, in a copy of a case)
//! on purpose and make sure each check then fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    BIN, Bag, Row, bag, diff, expected_rows, hermetic, hhmmss, json_int, json_rows, micros,
    percent_decode,
};
use serde_json::Value;

/// The corpus must not silently shrink.
const MIN_CASES: usize = 7;
/// check.py's per-run timeout.
const TIMEOUT: Duration = Duration::from_secs(120);

type Check = fn(&Case) -> Result<(), String>;

/// One scenario folder.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    dir: PathBuf,
    window: String,
    slide: String,
    watermark: String,
}

impl Case {
    fn load(dir: &Path) -> Result<Case, String> {
        let params = params(dir)?;
        let get = |key: &str| {
            params
                .get(key)
                .cloned()
                .ok_or_else(|| format!("{}: params.env has no {key}", dir.display()))
        };
        Ok(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir: dir.to_path_buf(),
            window: get("WINDOW")?,
            slide: get("SLIDE")?,
            watermark: get("WATERMARK")?,
        })
    }

    fn expected_rows(&self) -> Result<Bag<Row>, String> {
        expected_rows(&self.dir.join("expected.csv"))
    }
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Every folder of the corpus with an `expected.csv`, by name.
fn cases() -> Vec<Case> {
    let root = corpus();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list the corpus {}: {e}", root.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.join("expected.csv").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| Case::load(dir).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// `params.env`: `KEY=value` or `KEY="value"` lines.
fn params(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let path = dir.join("params.env");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once('=')?;
            Some((key.to_string(), value.trim_matches('"').to_string()))
        })
        .collect())
}

/// The command as a shell would show it, for messages.
fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|arg| {
            let arg = arg.to_string_lossy();
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `window-tui replay EVENTS --window W --slide S --watermark D EXTRA...` as check.py does
/// and returns its standard output; a failure, a timeout or output that is not UTF-8 is an error.
fn run(case: &Case, extra: &[&OsStr]) -> Result<String, String> {
    let mut cmd = Command::new(BIN);
    cmd.arg("replay")
        .arg(case.dir.join("events.csv"))
        .args(["--window", &case.window])
        .args(["--slide", &case.slide])
        .args(["--watermark", &case.watermark])
        .args(extra);
    hermetic(&mut cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = shown(&cmd);
    let mut child = cmd.spawn().map_err(|e| format!("`{shown}`: {e}"))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish in {TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("`{shown}`: {e}")),
        }
    };
    let stdout = stdout.join().unwrap().map_err(|e| e.to_string())?;
    let stderr = stderr.join().unwrap().map_err(|e| e.to_string())?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let stderr = stderr.trim();
        let tail: String = {
            let chars: Vec<char> = stderr.chars().collect();
            chars[chars.len().saturating_sub(400)..].iter().collect()
        };
        return Err(format!("`{shown}` exited with {status}: {tail}"));
    }
    String::from_utf8(stdout).map_err(|e| format!("`{shown}`: standard output is not UTF-8: {e}"))
}

/// Runs `check` over every case and fails with every failure at once.
fn run_check(label: &str, check: Check) {
    let cases = cases();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} case folders with expected.csv in {}, expected at least {MIN_CASES}",
        cases.len(),
        corpus().display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        match check(case) {
            Ok(()) => eprintln!("ok   {} {label}", case.name),
            Err(e) => {
                eprintln!("FAIL {} {label}: {e}", case.name);
                failures.push(format!("FAIL {} {label}: {e}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed the {label} check:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Rows and progress
// ---------------------------------------------------------------------------------------------

fn check_rows_and_progress(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let progress = tmp.path().join("progress.jsonl");
    let stdout = run(
        case,
        &[
            "--sink".as_ref(),
            "json".as_ref(),
            "--progress".as_ref(),
            progress.as_os_str(),
        ],
    )?;
    let progress = fs::read_to_string(&progress)
        .map_err(|e| format!("progress: cannot read {}: {e}", progress.display()))?;
    verify_rows_and_progress(case, &stdout, &progress)
}

fn verify_rows_and_progress(case: &Case, stdout: &str, progress: &str) -> Result<(), String> {
    diff("emitted rows", &case.expected_rows()?, &json_rows(stdout)?)?;

    let spark_text = fs::read_to_string(case.dir.join("progress.jsonl"))
        .map_err(|e| format!("progress.jsonl: {e}"))?;
    let want = progress_by_batch(&spark_text, "Spark's progress.jsonl")?;
    let have = progress_by_batch(progress, "progress")?;
    if want.keys().ne(have.keys()) {
        let head = |m: &BTreeMap<i64, Value>| m.keys().take(30).copied().collect::<Vec<_>>();
        return Err(format!(
            "progress: batch ids {:?} but Spark ran {:?}",
            head(&have),
            head(&want)
        ));
    }
    for (batch, w) in &want {
        let h = &have[batch];
        let op = h.pointer("/stateOperators/0");
        let ours = |name: &str| op.and_then(|op| op.get(name));
        let spark_wm = w
            .get("watermark")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Spark's progress batch {batch}: no watermark"))
            .and_then(micros)?;
        let our_wm = h
            .pointer("/eventTime/watermark")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("progress batch {batch}: no eventTime.watermark"))
            .and_then(micros)?;
        if spark_wm != our_wm {
            return Err(format!(
                "progress batch {batch}: watermark is {}, Spark says {}",
                common::iso(our_wm),
                common::iso(spark_wm)
            ));
        }
        let pairs = [
            ("numInputRows", h.get("numInputRows")),
            ("numRowsTotal", ours("numRowsTotal")),
            ("numRowsUpdated", ours("numRowsUpdated")),
            ("numRowsRemoved", ours("numRowsRemoved")),
            (
                "numRowsDroppedByWatermark",
                ours("numRowsDroppedByWatermark"),
            ),
        ];
        for (name, got) in pairs {
            let spark = w.get(name).unwrap_or(&Value::Null);
            if !same_number(spark, got) {
                let got = got.map_or("missing".to_string(), Value::to_string);
                return Err(format!(
                    "progress batch {batch}: {name} is {got}, Spark says {spark}"
                ));
            }
        }
    }
    Ok(())
}

/// Progress objects by `batchId`; a batch id twice is an error.
fn progress_by_batch(text: &str, label: &str) -> Result<BTreeMap<i64, Value>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let o: Value = serde_json::from_str(line)
            .map_err(|e| format!("{label} line {}: not JSON ({e})", n + 1))?;
        let batch = o
            .get("batchId")
            .and_then(json_int)
            .ok_or_else(|| format!("{label} line {}: no integer batchId", n + 1))?;
        if out.insert(batch, o).is_some() {
            return Err(format!("{label}: batch {batch} reported twice"));
        }
    }
    Ok(out)
}

fn same_number(a: &Value, b: Option<&Value>) -> bool {
    match (a.as_f64(), b.and_then(Value::as_f64)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Console
// ---------------------------------------------------------------------------------------------

fn check_console(case: &Case) -> Result<(), String> {
    let stdout = run(case, &["--sink".as_ref(), "console".as_ref()])?;
    verify_console(case, &stdout)
}

fn verify_console(case: &Case, stdout: &str) -> Result<(), String> {
    let spark = fs::read_to_string(case.dir.join("console.txt"))
        .map_err(|e| format!("console.txt: {e}"))?;
    // Python reads console.txt with universal newlines.
    let spark = spark.replace("\r\n", "\n").replace('\r', "\n");
    let want = console_blocks(&spark).map_err(|e| format!("console.txt: {e}"))?;
    let got = console_blocks(stdout).map_err(|e| format!("console: {e}"))?;
    if want.keys().ne(got.keys()) {
        let head = |m: &BTreeMap<u64, Vec<String>>| m.keys().take(30).copied().collect::<Vec<_>>();
        return Err(format!(
            "console: batches {:?} printed, Spark printed {:?}",
            head(&got),
            head(&want)
        ));
    }
    for (batch, lines) in &want {
        let (w, w_truncated) = normalize_table(lines);
        let (g, g_truncated) = normalize_table(&got[batch]);
        if w_truncated {
            // Spark shows an arbitrary 20 rows: compare the shape only.
            if !g_truncated || g.len() != w.len() {
                return Err(format!(
                    "console batch {batch}: expected 20 rows and 'only showing top 20 rows'"
                ));
            }
            continue;
        }
        if w != g {
            let first = w
                .iter()
                .zip(&g)
                .position(|(x, y)| x != y)
                .unwrap_or(w.len().min(g.len()));
            let at = |t: &[String]| {
                t.get(first)
                    .map_or("<none>".to_string(), |l| format!("{l:?}"))
            };
            return Err(format!(
                "console batch {batch}, table line {}:\n  Spark: {}\n  ours:  {}",
                first + 1,
                at(&w),
                at(&g)
            ));
        }
    }
    Ok(())
}

const RULE: &str = "-------------------------------------------";

/// Splits console output at its `Batch: N` headers (43 dashes, `Batch: N`, 43 dashes); each block
/// keeps its non-blank lines. Text before the first header is ignored.
fn console_blocks(text: &str) -> Result<BTreeMap<u64, Vec<String>>, String> {
    debug_assert_eq!(RULE.len(), 43);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut blocks: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut current: Option<u64> = None;
    let mut i = 0;
    while i < lines.len() {
        // A header needs a line break after its closing rule.
        let batch = if i + 3 < lines.len() && lines[i] == RULE && lines[i + 2] == RULE {
            lines[i + 1]
                .strip_prefix("Batch: ")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u64>().ok())
        } else {
            None
        };
        if let Some(batch) = batch {
            if blocks.insert(batch, Vec::new()).is_some() {
                return Err(format!("batch {batch} printed twice"));
            }
            current = Some(batch);
            i += 3;
            continue;
        }
        if let Some(batch) = current
            && !lines[i].trim().is_empty()
        {
            blocks.get_mut(&batch).unwrap().push(lines[i].to_string());
        }
        i += 1;
    }
    Ok(blocks)
}

/// Sorts the data rows of a `show()` table, keeping borders and header; says whether the table
/// ended with `only showing top N rows` (which is taken off).
fn normalize_table(lines: &[String]) -> (Vec<String>, bool) {
    let truncated = lines
        .last()
        .is_some_and(|l| l.starts_with("only showing top"));
    let body = if truncated {
        &lines[..lines.len() - 1]
    } else {
        lines
    };
    if body.len() < 4 {
        return (body.to_vec(), truncated);
    }
    let mut rows = body[3..body.len() - 1].to_vec();
    rows.sort();
    let mut out = body[..3].to_vec();
    out.extend(rows);
    out.push(body[body.len() - 1].clone());
    (out, truncated)
}

// ---------------------------------------------------------------------------------------------
// File sink
// ---------------------------------------------------------------------------------------------

fn check_files(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_dir = tmp.path().join("out");
    run(
        case,
        &[
            "--sink".as_ref(),
            "file".as_ref(),
            "--output".as_ref(),
            out_dir.as_os_str(),
        ],
    )?;
    verify_files(case, &out_dir)
}

/// `part-NNNNN-<uuid>.c000.csv`, the uuid in lower-case hex.
fn is_part_name(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix("part-")
        .and_then(|rest| rest.strip_suffix(".c000.csv"))
    else {
        return false;
    };
    let b = middle.as_bytes();
    b.len() == 5 + 1 + 36
        && b[..5].iter().all(u8::is_ascii_digit)
        && b[5] == b'-'
        && b[6..].iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

fn visible_names(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn verify_files(case: &Case, out_dir: &Path) -> Result<(), String> {
    let want: Bag<(String, String, i64)> =
        bag(case.expected_rows()?.into_iter().flat_map(|(row, n)| {
            let partition = format!("window={}-{}", hhmmss(row.start), hhmmss(row.end));
            std::iter::repeat_n((partition, row.value, row.count), n)
        }));
    let spark_dirs: BTreeSet<String> = visible_names(&case.dir.join("files"))?
        .into_iter()
        .filter(|d| d.starts_with("window="))
        .collect();

    let mut got = Vec::new();
    let mut parts = Vec::new();
    let mut folders = BTreeSet::new();
    if out_dir.is_dir() {
        for d in visible_names(out_dir)? {
            if !d.starts_with("window=") {
                if d != "_spark_metadata" {
                    return Err(format!(
                        "file sink: unexpected entry {d} in the output folder"
                    ));
                }
                continue;
            }
            let dir = out_dir.join(&d);
            if !dir.is_dir() {
                return Err(format!("file sink: {d} is not a folder"));
            }
            folders.insert(d.clone());
            for name in visible_names(&dir)? {
                if !is_part_name(&name) {
                    return Err(format!("file sink: unexpected file name {d}/{name}"));
                }
                parts.push(format!("{d}/{name}"));
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_path(dir.join(&name))
                    .map_err(|e| format!("file sink: {d}/{name}: {e}"))?;
                for record in reader.records() {
                    let row = record.map_err(|e| format!("file sink: {d}/{name}: {e}"))?;
                    if row.len() != 2 {
                        return Err(format!(
                            "file sink: {d}/{name}: row {:?} is not value,count",
                            row.iter().collect::<Vec<_>>()
                        ));
                    }
                    let count = row[1].trim().parse::<i64>().map_err(|_| {
                        format!("file sink: {d}/{name}: count {:?} is not a number", &row[1])
                    })?;
                    got.push((d.clone(), row[0].to_string(), count));
                }
            }
        }
    }
    let got_dirs: BTreeSet<String> = got.iter().map(|(d, _, _)| d.clone()).collect();
    let head = |s: &BTreeSet<String>| s.iter().take(8).cloned().collect::<Vec<_>>();
    if got_dirs != spark_dirs {
        return Err(format!(
            "file sink: partitions {:?} but Spark wrote {:?}",
            head(&got_dirs),
            head(&spark_dirs)
        ));
    }
    if folders != spark_dirs {
        let empty: Vec<_> = folders.difference(&spark_dirs).take(8).collect();
        return Err(format!(
            "file sink: partition folders without rows: {empty:?}"
        ));
    }
    diff("file sink rows", &want, &bag(got))?;
    verify_sink_log(case, out_dir, parts)
}

/// The `_spark_metadata` log lists exactly the part files, each batch's entry is there, and
/// entries superseded by a compaction are gone.
fn verify_sink_log(case: &Case, out_dir: &Path, mut parts: Vec<String>) -> Result<(), String> {
    let log = out_dir.join("_spark_metadata");
    if !log.is_dir() {
        return Err("file sink: no _spark_metadata log".to_string());
    }
    let root = fs::canonicalize(out_dir).map_err(|e| e.to_string())?;
    let mut listed = Vec::new();
    let mut ids = Vec::new();
    for name in visible_names(&log)? {
        let text = fs::read_to_string(log.join(&name))
            .map_err(|e| format!("file sink log {name}: {e}"))?;
        let mut lines = text.lines();
        if lines.next() != Some("v1") {
            return Err(format!("file sink log {name}: first line must be v1"));
        }
        for line in lines {
            let entry: Value = serde_json::from_str(line)
                .map_err(|e| format!("file sink log {name}: {line:?} is not JSON ({e})"))?;
            let path = entry
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("file sink log {name}: an entry without a path"))?;
            let path = percent_decode(path.strip_prefix("file://").unwrap_or(path));
            let path = Path::new(&path);
            let relative = if path.is_absolute() {
                match path
                    .strip_prefix(&root)
                    .or_else(|_| path.strip_prefix(out_dir))
                {
                    Ok(rel) => rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                    Err(_) => path.display().to_string(),
                }
            } else {
                path.display().to_string()
            };
            listed.push(relative);
        }
        let id = name.strip_suffix(".compact").unwrap_or(&name);
        match id.parse::<u64>() {
            Ok(id) if name.ends_with(".compact") && (id + 1) % 10 != 0 => {
                return Err(format!(
                    "file sink log {name}: batch {id} is not a compaction batch"
                ));
            }
            Ok(id) => ids.push((id, name.ends_with(".compact"))),
            Err(_) => return Err(format!("file sink log: unexpected file {name}")),
        }
    }
    listed.sort();
    parts.sort();
    if listed != parts {
        let only_listed: Vec<_> = listed
            .iter()
            .filter(|p| !parts.contains(p))
            .take(3)
            .collect();
        let only_parts: Vec<_> = parts
            .iter()
            .filter(|p| !listed.contains(p))
            .take(3)
            .collect();
        return Err(format!(
            "file sink log lists {} files, {} part files exist (listed, no file: {only_listed:?}; \
             file, not listed: {only_parts:?})",
            listed.len(),
            parts.len()
        ));
    }
    // Every batch Spark ran is in the log: the newest compaction and each batch after it.
    ids.sort();
    let spark = fs::read_to_string(case.dir.join("progress.jsonl"))
        .map_err(|e| format!("progress.jsonl: {e}"))?;
    let last = progress_by_batch(&spark, "Spark's progress.jsonl")?
        .keys()
        .next_back()
        .copied();
    let found: Vec<u64> = ids.iter().map(|(id, _)| *id).collect();
    let complete = match (ids.first(), last) {
        (Some(&(first, compact)), Some(last)) => {
            (first == 0 || compact)
                && found.iter().copied().eq(first..=last as u64)
                && ids[1..].iter().all(|&(_, c)| !c)
        }
        (None, None) => true,
        _ => false,
    };
    if !complete {
        return Err(format!(
            "file sink log: entries for batches {found:?}, expected the newest compaction \
             and every batch after it up to {last:?}"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn the_corpus_has_enough_cases() {
    let cases = cases();
    assert!(
        cases.len() >= MIN_CASES,
        "{} cases: {:?}",
        cases.len(),
        cases.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    for case in &cases {
        for file in ["events.csv", "params.env", "progress.jsonl", "console.txt"] {
            assert!(case.dir.join(file).is_file(), "{}: no {file}", case.name);
        }
        assert!(case.dir.join("files").is_dir(), "{}: no files/", case.name);
    }
}

#[test]
fn rows_and_progress() {
    run_check("rows+progress", check_rows_and_progress);
}

#[test]
fn console() {
    run_check("console", check_console);
}

#[test]
fn file_sink() {
    run_check("file", check_files);
}

/// Each check fails when the binary's output (or Spark's expectation) is off by a little.
mod the_checks_catch {
    use super::*;

    /// The case with the fewest expected rows that still has some.
    fn small_case() -> Case {
        let mut cases = cases();
        cases.retain(|c| !c.expected_rows().unwrap().is_empty());
        cases
            .into_iter()
            .min_by_key(|c| c.expected_rows().unwrap().values().sum::<usize>())
            .expect("a case with rows")
    }

    fn json_and_progress(case: &Case) -> (String, String) {
        let tmp = tempfile::tempdir().unwrap();
        let progress = tmp.path().join("p.jsonl");
        let stdout = run(
            case,
            &[
                "--sink".as_ref(),
                "json".as_ref(),
                "--progress".as_ref(),
                progress.as_os_str(),
            ],
        )
        .unwrap();
        (stdout, fs::read_to_string(progress).unwrap())
    }

    fn must_fail(result: Result<(), String>, what: &str, needle: &str) {
        match result {
            Ok(()) => panic!("the check did not notice: {what}"),
            Err(e) => assert!(e.contains(needle), "{what}: error {e:?} lacks {needle:?}"),
        }
    }

    /// Rewrites the lines of a JSON-lines text, one object at a time.
    fn edit_json_line(text: &str, index: usize, edit: impl Fn(&mut Value)) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut o: Value = serde_json::from_str(&lines[index]).unwrap();
        edit(&mut o);
        lines[index] = o.to_string();
        lines.join("\n") + "\n"
    }

    #[test]
    fn wrong_rows() {
        let case = small_case();
        let (stdout, progress) = json_and_progress(&case);
        verify_rows_and_progress(&case, &stdout, &progress).unwrap();
        let first = stdout.lines().position(|l| !l.trim().is_empty()).unwrap();

        let bumped = edit_json_line(&stdout, first, |o| {
            o["count"] = (o["count"].as_i64().unwrap() + 1).into()
        });
        must_fail(
            verify_rows_and_progress(&case, &bumped, &progress),
            "a count one too high",
            "emitted rows: 1 expected row(s) missing, 1 unexpected",
        );
        let other_batch = edit_json_line(&stdout, first, |o| {
            o["batch_id"] = (o["batch_id"].as_i64().unwrap() + 1).into()
        });
        must_fail(
            verify_rows_and_progress(&case, &other_batch, &progress),
            "a row in the wrong batch",
            "emitted rows",
        );
        let shifted = edit_json_line(&stdout, first, |o| {
            o["window"]["end"] = "2000-01-01T00:00:00Z".into()
        });
        must_fail(
            verify_rows_and_progress(&case, &shifted, &progress),
            "a wrong window end",
            "emitted rows",
        );
        let dropped: String = stdout.lines().skip(1).map(|l| format!("{l}\n")).collect();
        must_fail(
            verify_rows_and_progress(&case, &dropped, &progress),
            "a missing row",
            "1 expected row(s) missing, 0 unexpected",
        );
        let doubled = format!("{}\n{stdout}", stdout.lines().next().unwrap());
        must_fail(
            verify_rows_and_progress(&case, &doubled, &progress),
            "a row emitted twice",
            "0 expected row(s) missing, 1 unexpected",
        );
        must_fail(
            verify_rows_and_progress(&case, &format!("{stdout}not json\n"), &progress),
            "a line that is not JSON",
            "is not a row",
        );
    }

    #[test]
    fn wrong_progress() {
        let case = small_case();
        let (stdout, progress) = json_and_progress(&case);
        let last = progress.lines().count() - 1;
        let fields = [
            "/numInputRows",
            "/stateOperators/0/numRowsTotal",
            "/stateOperators/0/numRowsUpdated",
            "/stateOperators/0/numRowsRemoved",
            "/stateOperators/0/numRowsDroppedByWatermark",
        ];
        for field in fields {
            let name = field.rsplit('/').next().unwrap();
            let wrong = edit_json_line(&progress, last, |o| {
                let v = o.pointer_mut(field).unwrap();
                *v = (v.as_i64().unwrap() + 1).into();
            });
            must_fail(
                verify_rows_and_progress(&case, &stdout, &wrong),
                &format!("{name} one too high"),
                &format!(": {name} is "),
            );
            let missing = edit_json_line(&progress, last, |o| {
                let (parent, key) = field.rsplit_once('/').unwrap();
                let parent = if parent.is_empty() {
                    o
                } else {
                    o.pointer_mut(parent).unwrap()
                };
                parent.as_object_mut().unwrap().remove(key);
            });
            must_fail(
                verify_rows_and_progress(&case, &stdout, &missing),
                &format!("{name} missing"),
                &format!(": {name} is missing"),
            );
        }
        let late = edit_json_line(&progress, last, |o| {
            let wm = micros(o["eventTime"]["watermark"].as_str().unwrap()).unwrap();
            o["eventTime"]["watermark"] = common::iso(wm + 1_000).into();
        });
        must_fail(
            verify_rows_and_progress(&case, &stdout, &late),
            "a watermark 1 ms late",
            "watermark is",
        );
        let short: String = progress
            .lines()
            .take(last)
            .map(|l| format!("{l}\n"))
            .collect();
        must_fail(
            verify_rows_and_progress(&case, &stdout, &short),
            "a batch missing from the progress log",
            "progress: batch ids",
        );
        let twice = format!("{progress}{}\n", progress.lines().next().unwrap());
        must_fail(
            verify_rows_and_progress(&case, &stdout, &twice),
            "a batch reported twice",
            "reported twice",
        );
    }

    /// Console output with one table edited.
    fn console_with(case: &Case, edit: impl Fn(&mut Vec<String>)) -> (String, String) {
        let stdout = run(case, &["--sink".as_ref(), "console".as_ref()]).unwrap();
        let mut lines: Vec<String> = stdout.split('\n').map(str::to_string).collect();
        edit(&mut lines);
        (stdout, lines.join("\n"))
    }

    /// Index of the first data row of the first table with at least two rows.
    fn first_rows(lines: &[String]) -> usize {
        (0..lines.len())
            .find(|&i| {
                lines[i].starts_with("|window")
                    && lines.get(i + 2).is_some_and(|l| l.starts_with('|'))
                    && lines.get(i + 3).is_some_and(|l| l.starts_with('|'))
            })
            .expect("a table with two rows")
            + 2
    }

    #[test]
    fn wrong_console_tables() {
        let case = small_case();
        let (stdout, swapped) = console_with(&case, |lines| {
            let i = first_rows(lines);
            lines.swap(i, i + 1);
        });
        verify_console(&case, &stdout).unwrap();
        assert_ne!(stdout, swapped);
        verify_console(&case, &swapped).expect("row order inside a table is free");

        let (_, wrong_count) = console_with(&case, |lines| {
            let i = first_rows(lines);
            let line = &lines[i];
            let cut = line[..line.len() - 1].rfind('|').unwrap() + 1;
            lines[i] = format!("{}{}", &line[..cut], "9".repeat(line.len() - cut - 1) + "|");
        });
        must_fail(
            verify_console(&case, &wrong_count),
            "a wrong count cell",
            "table line",
        );
        let (_, wider) = console_with(&case, |lines| {
            let i = first_rows(lines);
            lines[i].push(' ');
        });
        must_fail(
            verify_console(&case, &wider),
            "a trailing blank",
            "table line",
        );
        let (_, no_batch_0) = console_with(&case, |lines| {
            lines[1] = "Batch: 1000000".to_string();
        });
        must_fail(
            verify_console(&case, &no_batch_0),
            "a missing batch",
            "console: batches",
        );
        let doubled = format!("{stdout}{stdout}");
        must_fail(
            verify_console(&case, &doubled),
            "every batch printed twice",
            "printed twice",
        );
    }

    #[test]
    fn truncated_tables_are_compared_by_shape() {
        let twenty_one: Vec<String> = ["+-+", "|w|", "+-+"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..21).map(|i| format!("|{i}|")))
            .chain(["+-+".to_string(), "only showing top 20 rows".to_string()])
            .collect();
        let (table, truncated) = normalize_table(&twenty_one);
        assert!(truncated);
        assert_eq!(table.len(), 25);
        // Sorted as strings, as Python sorts them.
        assert_eq!(table[3], "|0|");
        assert_eq!(table[4], "|10|");
        assert_eq!(table[13], "|19|");
        assert_eq!(table[14], "|1|");
        assert_eq!(table[24], "+-+");
    }

    /// Copies a case folder, recursively.
    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    #[test]
    fn a_wrong_expectation_in_a_copy_of_the_corpus() {
        let case = small_case();
        let tmp = tempfile::tempdir().unwrap();
        let copy_dir_path = tmp.path().join(&case.name);
        copy_dir(&case.dir, &copy_dir_path);
        let copy = Case::load(&copy_dir_path).unwrap();
        check_rows_and_progress(&copy).unwrap();
        check_console(&copy).unwrap();
        check_files(&copy).unwrap();

        // One count in expected.csv off by one: rows and files must notice.
        let path = copy.dir.join("expected.csv");
        let original = fs::read(&path).unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let headers = reader.headers().unwrap().clone();
        let count = headers.iter().position(|h| h == "count").unwrap();
        let mut records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let n: i64 = records[0][count].parse().unwrap();
        records[0] = records[0]
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == count {
                    (n + 1).to_string()
                } else {
                    f.to_string()
                }
            })
            .collect();
        let mut writer = csv::Writer::from_path(&path).unwrap();
        writer.write_record(&headers).unwrap();
        for r in &records {
            writer.write_record(r).unwrap();
        }
        writer.flush().unwrap();
        must_fail(
            check_rows_and_progress(&copy),
            "expected.csv edited",
            "emitted rows",
        );
        must_fail(check_files(&copy), "expected.csv edited", "file sink rows");
        fs::write(&path, original).unwrap();
        check_rows_and_progress(&copy).unwrap();

        // A watermark in progress.jsonl off by a millisecond.
        let path = copy.dir.join("progress.jsonl");
        let text = fs::read_to_string(&path).unwrap();
        let last = text.lines().count() - 1;
        let text = edit_json_line(&text, last, |o| {
            let wm = micros(o["watermark"].as_str().unwrap()).unwrap();
            o["watermark"] = common::iso(wm - 1_000).into();
        });
        fs::write(&path, text).unwrap();
        must_fail(
            check_rows_and_progress(&copy),
            "progress.jsonl edited",
            "watermark",
        );

        // A border in console.txt one dash longer.
        let path = copy.dir.join("console.txt");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen("+-----+\n", "+------+\n", 1)).unwrap();
        must_fail(check_console(&copy), "console.txt edited", "table line");

        // A partition Spark wrote that we do not.
        fs::create_dir(copy.dir.join("files/window=000000-000030")).unwrap();
        must_fail(check_files(&copy), "a partition more", "Spark wrote");
    }

    /// The file sink's output for a case, in a temporary folder, for tampering.
    fn file_output(case: &Case) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run(
            case,
            &[
                "--sink".as_ref(),
                "file".as_ref(),
                "--output".as_ref(),
                out.as_os_str(),
            ],
        )
        .unwrap();
        verify_files(case, &out).unwrap();
        (tmp, out)
    }

    fn a_part_file(out: &Path) -> PathBuf {
        let dir = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("window=")
            })
            .min()
            .unwrap();
        fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path()
    }

    #[test]
    fn wrong_file_output() {
        let case = small_case();
        let uuid = "part-00000-01234567-89ab-cdef-0123-456789abcdef.c000.csv";

        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        fs::remove_file(&part).unwrap();
        must_fail(
            verify_files(&case, &out),
            "a part file removed",
            "file sink",
        );

        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        let mut text = fs::read_to_string(&part).unwrap();
        text.push_str("extra,1\n");
        fs::write(&part, text).unwrap();
        must_fail(verify_files(&case, &out), "a row added", "file sink rows");

        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        fs::write(&part, "a,b,1\n").unwrap();
        must_fail(
            verify_files(&case, &out),
            "three columns",
            "is not value,count",
        );

        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        fs::rename(&part, part.with_file_name("part-0-x.csv")).unwrap();
        must_fail(
            verify_files(&case, &out),
            "a badly named part",
            "unexpected file name",
        );

        // Hidden files are ignored; an empty, unlisted part file is not.
        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        fs::write(part.with_file_name(".hidden.crc"), "x").unwrap();
        verify_files(&case, &out).expect("hidden files are passed over");
        fs::write(part.with_file_name(uuid), "").unwrap();
        must_fail(
            verify_files(&case, &out),
            "an unlisted part file",
            "file sink log lists",
        );

        let (_tmp, out) = file_output(&case);
        let part = a_part_file(&out);
        let dir = part.parent().unwrap();
        fs::rename(dir, out.join("window=000000-000030")).unwrap();
        must_fail(
            verify_files(&case, &out),
            "a partition renamed",
            "partitions",
        );

        let (_tmp, out) = file_output(&case);
        fs::create_dir(out.join("window=000000-000030")).unwrap();
        must_fail(
            verify_files(&case, &out),
            "an empty partition",
            "without rows",
        );

        let (_tmp, out) = file_output(&case);
        fs::write(out.join("stray.txt"), "").unwrap();
        must_fail(
            verify_files(&case, &out),
            "a stray file",
            "unexpected entry",
        );
    }

    #[test]
    fn wrong_sink_log() {
        let case = small_case();
        let log_files = |out: &Path| -> Vec<PathBuf> {
            let mut files: Vec<PathBuf> = fs::read_dir(out.join("_spark_metadata"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files
        };
        let listing = |out: &Path| -> PathBuf {
            log_files(out)
                .into_iter()
                .find(|f| fs::read_to_string(f).unwrap().lines().count() > 1)
                .expect("a log file that lists files")
        };

        let (_tmp, out) = file_output(&case);
        fs::remove_dir_all(out.join("_spark_metadata")).unwrap();
        must_fail(verify_files(&case, &out), "no log", "no _spark_metadata");

        let (_tmp, out) = file_output(&case);
        let file = listing(&out);
        let text = fs::read_to_string(&file).unwrap();
        fs::write(&file, text.replacen("v1", "v2", 1)).unwrap();
        must_fail(
            verify_files(&case, &out),
            "log version v2",
            "first line must be v1",
        );

        let (_tmp, out) = file_output(&case);
        let file = listing(&out);
        let text = fs::read_to_string(&file).unwrap();
        let fewer: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
        fs::write(&file, fewer.join("\n") + "\n").unwrap();
        must_fail(
            verify_files(&case, &out),
            "an entry dropped",
            "file sink log lists",
        );

        let (_tmp, out) = file_output(&case);
        let file = listing(&out);
        let text = fs::read_to_string(&file).unwrap();
        let last = text.lines().last().unwrap().to_string();
        fs::write(&file, format!("{}\n{last}", text.trim_end())).unwrap();
        must_fail(
            verify_files(&case, &out),
            "an entry twice",
            "file sink log lists",
        );

        // A batch that wrote nothing still has its (empty) log entry.
        let (_tmp, out) = file_output(&case);
        let empty = log_files(&out)
            .into_iter()
            .find(|f| fs::read_to_string(f).unwrap().lines().count() == 1)
            .expect("a batch without files");
        fs::remove_file(&empty).unwrap();
        must_fail(
            verify_files(&case, &out),
            "an empty batch unlogged",
            "every batch after it",
        );

        let (_tmp, out) = file_output(&case);
        fs::write(out.join("_spark_metadata/notes"), "v1\n").unwrap();
        must_fail(
            verify_files(&case, &out),
            "a stray log file",
            "unexpected file notes",
        );

        let (_tmp, out) = file_output(&case);
        let file = listing(&out);
        fs::rename(&file, file.with_extension("compact")).unwrap();
        must_fail(
            verify_files(&case, &out),
            "a compaction out of place",
            "file sink log",
        );
    }

    #[test]
    fn part_names() {
        assert!(is_part_name(
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv"
        ));
        for bad in [
            "part-0000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv",
            "part-00000-2D15DA60-4270-4989-a290-1f98e4ee4180.c000.csv",
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee418.c000.csv",
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c001.csv",
            "part-00000-2d15da60_4270-4989-a290-1f98e4ee4180.c000.csv",
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv.tmp",
        ] {
            assert!(!is_part_name(bad), "{bad}");
        }
        assert_eq!(percent_decode("/a%20b/w=17%3A33%2"), "/a b/w=17:33%2");
    }
}

//! The file sink check. In append mode: the partition folders (`window=HHmmss-HHmmss`), the
//! part file names and the typed rows of the parts against Spark's `files/` and `expected.csv`,
//! and the `_spark_metadata` log against the part files. In update and complete mode Spark refuses
//! the file sink, so the run must fail, say that the file sink takes append mode only (not as an
//! unknown option would) and write no rows.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::ExitStatus;

use serde_json::Value;

use super::cells::{Cell, file_cell};
use super::rows::{expected_rows, spark_progress};
use super::{Case, execute, run, tail};
use crate::common::{Bag, bag, diff, hhmmss, percent_decode};

pub fn check_files(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_dir = tmp.path().join("out");
    let args = [
        "--sink".as_ref(),
        "file".as_ref(),
        "--output".as_ref(),
        out_dir.as_os_str(),
    ];
    if case.query.mode() != "append" {
        let outcome = execute(case, &args)?;
        return verify_refusal(case.query.mode(), outcome.status, &outcome.stderr, &out_dir);
    }
    run(case, &args)?;
    verify_files(case, &out_dir)
}

/// A file sink in `mode` (not append) must be refused: a non-zero exit, an error that speaks of
/// append mode (and is not the argument parser's "unexpected argument"), and no partition written.
pub fn verify_refusal(
    mode: &str,
    status: ExitStatus,
    stderr: &str,
    out_dir: &Path,
) -> Result<(), String> {
    if status.success()
        || !stderr.to_lowercase().contains("append")
        || stderr.contains("unexpected argument")
    {
        return Err(format!(
            "file sink in {mode} mode: Spark refuses it (append mode only); window-tui exited \
             {}: {}",
            status
                .code()
                .map_or_else(|| status.to_string(), |c| c.to_string()),
            tail(stderr, 200)
        ));
    }
    if out_dir.is_dir() {
        let written: Vec<String> = visible_names(out_dir)?
            .into_iter()
            .filter(|d| d.starts_with("window="))
            .collect();
        if !written.is_empty() {
            return Err(format!(
                "file sink in {mode} mode: refused, but wrote {written:?} first"
            ));
        }
    }
    Ok(())
}

/// One row of a part file: its partition folder and its typed cells.
type FileRow = (String, Vec<Cell>);

/// `part-NNNNN-<uuid>.c000.csv`, the uuid in lower-case hex.
pub fn is_part_name(name: &str) -> bool {
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

pub fn verify_files(case: &Case, out_dir: &Path) -> Result<(), String> {
    let want: Bag<FileRow> = bag(expected_rows(case)?.into_iter().flat_map(|(row, n)| {
        let partition = format!("window={}-{}", hhmmss(row.start), hhmmss(row.end));
        std::iter::repeat_n((partition, row.cells), n)
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
                for cells in part_rows(case, &dir.join(&name))
                    .map_err(|e| format!("file sink: {d}/{name}: {e}"))?
                {
                    got.push((d.clone(), cells));
                }
            }
        }
    }
    let got_dirs: BTreeSet<String> = got.iter().map(|(d, _)| d.clone()).collect();
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

/// The typed rows of a part file: one cell per output column of the query.
fn part_rows(case: &Case, path: &Path) -> Result<Vec<Vec<Cell>>, String> {
    let columns = &case.query.columns;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let row = record.map_err(|e| e.to_string())?;
        if row.len() != columns.len() {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "row {:?} is not {}",
                row.iter().collect::<Vec<_>>(),
                names.join(",")
            ));
        }
        rows.push(
            columns
                .iter()
                .zip(&row)
                .map(|(c, text)| {
                    file_cell(&c.kind, text, case.query.general)
                        .map_err(|e| format!("{}: {e}", c.name))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    Ok(rows)
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
    ids.sort_unstable();
    let last = spark_progress(case)?.keys().next_back().copied();
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

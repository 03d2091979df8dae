//! `window-tui export-spark`: the `PySpark` program it writes.
//!
//! Every run: programs exported for the query family (sliding and session windows, group-by
//! columns, aggregates, the three output modes, text, CSV and JSON lines, staged files) pass
//! `python3 -m py_compile` and say what they run; bad usage, the file sink outside append mode
//! included, exits with status 2.
//!
//! When `PySpark` (and Java) are installed: programs exported for corpus cases are run by real
//! Spark through `tests/export_harness.py` (events staged one file per tick, as the corpus was
//! made), and what Spark wrote is compared with the corpus (Spark's own run of the query: the
//! file sink's rows against `expected.csv` and `files/`, the console sink's tables against
//! `console.txt`) and with window-tui's replay of the same case (each batch's progress figures);
//! and the exported jobs' reading of CSV and JSON socket lines (good and bad ones, in Spark) is
//! compared with what window-tui accepts from the same lines (its `--record` of them).
//! `PySpark` is looked for with `$PYSPARK_PYTHON` (e.g. a virtualenv's `bin/python`), else
//! `python3`; without it that test says `skipped: PySpark not installed` and passes.
//! This file holds what the parts share.

#[path = "../common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../common/corpus/mod.rs"]
mod corpus;

mod programs;
mod spark;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, Running, hermetic, micros, output_in as window_tui};
use serde_json::Value;

/// `window-tui export-spark ARGS`: the program, from `-o FILE` when the arguments name one,
/// else from stdout.
fn export(dir: &Path, args: &[&str]) -> String {
    let mut full = vec!["export-spark"];
    full.extend_from_slice(args);
    let out = window_tui(dir, &full);
    assert!(
        out.status.success(),
        "export-spark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match args.iter().position(|a| *a == "-o").map(|i| args[i + 1]) {
        Some(file) if file != "-" => {
            assert!(out.stdout.is_empty(), "-o {file} also printed to stdout");
            fs::read_to_string(dir.join(file)).unwrap()
        }
        _ => String::from_utf8(out.stdout).unwrap(),
    }
}

/// `python3 -m py_compile` on the program; panics with Python's message.
fn py_compile(dir: &Path, name: &str, program: &str) {
    let path = dir.join(name);
    fs::write(&path, program).unwrap();
    let out = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(&path)
        .output()
        .expect("python3 is needed for the syntax check of the exported program");
    assert!(
        out.status.success(),
        "{name} does not compile:\n{}\n{program}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_has(program: &str, needles: &[&str]) {
    for needle in needles {
        assert!(program.contains(needle), "no {needle:?} in:\n{program}");
    }
}

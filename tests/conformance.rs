//! The conformance corpus, natively: a Rust port of `tests/conformance/check.py`.
//!
//! Every folder of `tests/conformance/` that holds an `expected.csv` is a recorded Apache Spark
//! 3.5.3 run of a query: the seed's (`params.env`: count per value in sliding windows, append
//! mode) or one of the whole family (`query.env`: a typed schema, group-by columns, aggregates,
//! sliding or session windows, an output mode). Its `events.csv` is replayed through the real
//! binary (`window-tui replay EVENTS QUERY...`, with `TZ=UTC`, `NO_COLOR=1`, stdin closed) three
//! times, and what the binary produced is compared with what Spark produced:
//!
//! * `--sink json --progress FILE`: the emitted rows (a multiset of batch id, window and a typed
//!   cell per group-by column and aggregate: integers, floats compared exactly as numbers, times,
//!   text, NULL) against `expected.csv`, and per batch id the progress figures against
//!   `progress.jsonl`;
//! * `--sink console`: the `Batch: N` tables against `console.txt` (data rows sorted, as Spark's
//!   row order is arbitrary; a table Spark cut at 20 rows is compared by shape only);
//! * `--sink file --output DIR`: in append mode the partition folders, part file names and typed
//!   rows against `files/` and `expected.csv`, and the `_spark_metadata` log against the part
//!   files; in update and complete mode the run must be refused (Spark's file sink takes append
//!   mode only).
//!
//! The port lives in `tests/common/corpus/`. Each check runs over every case and reports every
//! failing case in one panic message. The tests in `mod the_checks_catch` break the binary's
//! output (or the expectations, in a copy of a case) on purpose and make sure each check then
//! fails.

mod common;
#[path = "common/corpus/mod.rs"]
mod corpus;
#[path = "common/corpus/the_checks_catch/mod.rs"]
mod the_checks_catch;

use std::collections::BTreeSet;

use corpus::cells::Cell;
use corpus::console::check_console;
use corpus::files::check_files;
use corpus::rows::{check_rows_and_progress, expected_rows};
use corpus::{Case, cases};

/// The corpus must not silently shrink: it has 16 case folders.
const MIN_CASES: usize = 16;

type Check = fn(&Case) -> Result<(), String>;

/// Runs `check` over every case and fails with every failure at once.
fn run_check(label: &str, check: Check) {
    let cases = cases();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} case folders with expected.csv in {}, expected at least {MIN_CASES}",
        cases.len(),
        corpus::root().display()
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

#[test]
fn the_corpus_has_enough_cases() {
    let cases = cases();
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert!(cases.len() >= MIN_CASES, "{} cases: {names:?}", cases.len());
    for case in &cases {
        for file in ["events.csv", "progress.jsonl", "console.txt"] {
            assert!(case.dir.join(file).is_file(), "{}: no {file}", case.name);
        }
        let query = if case.query.general {
            "query.env"
        } else {
            "params.env"
        };
        assert!(case.dir.join(query).is_file(), "{}: no {query}", case.name);
        if case.query.mode() == "append" {
            assert!(case.dir.join("files").is_dir(), "{}: no files/", case.name);
        }
        case.query
            .args()
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        expected_rows(case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
    // What the corpus covers must not shrink either.
    let covered = |what: &str, found: bool| assert!(found, "no case with {what} in {names:?}");
    covered(
        "the seed's params.env",
        cases.iter().any(|c| !c.query.general),
    );
    for mode in ["append", "update", "complete"] {
        let general = |c: &Case| c.query.general && c.query.mode() == mode;
        covered(
            &format!("a query.env in {mode} mode"),
            cases.iter().any(general),
        );
    }
    let session = |c: &Case| c.query.settings.contains_key("SESSION_GAP");
    covered("session windows", cases.iter().any(session));
    covered(
        "no group-by column",
        cases.iter().any(|c| c.query.group.is_empty()),
    );
    covered(
        "two group-by columns",
        cases.iter().any(|c| c.query.group.len() > 1),
    );
    let aggregates: BTreeSet<String> = cases
        .iter()
        .flat_map(|c| &c.query.columns[c.query.group.len()..])
        .map(|c| format!("{} {}", c.name.split('(').next().unwrap(), c.kind))
        .collect();
    for aggregate in [
        "count LONG",
        "sum LONG",
        "sum DOUBLE",
        "avg DOUBLE",
        "min STRING",
        "max STRING",
        "min DOUBLE",
        "max LONG",
    ] {
        covered(aggregate, aggregates.contains(aggregate));
    }
    let nulls = |c: &Case| {
        let rows = expected_rows(c).unwrap();
        rows.keys().any(|r| r.cells.contains(&Cell::Null))
    };
    covered("a NULL in expected.csv", cases.iter().any(nulls));
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

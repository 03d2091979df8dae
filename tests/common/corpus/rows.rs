//! The rows+progress check: the rows of the json sink against `expected.csv`, compared as a
//! multiset of typed rows (batch id, window, then each output column of the query), and the
//! `--progress` figures of every batch against Spark's `progress.jsonl`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;

use serde_json::Value;

use super::cells::{Cell, typed_json, typed_text};
use super::{Case, run_json};
use crate::common::{Bag, bag, diff, iso, json_exact, json_int, json_lines, json_window, micros};

/// One emitted row: batch id, window start and end (micros), and a cell per output column.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypedRow {
    pub batch: i64,
    pub start: i64,
    pub end: i64,
    pub cells: Vec<Cell>,
}

impl fmt::Debug for TypedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch {} [{}, {}) {:?}",
            self.batch,
            iso(self.start),
            iso(self.end),
            self.cells
        )
    }
}

/// The rows of the case's `expected.csv`, whose header must be `batch_id,window_start,
/// window_end` and then the query's output columns.
pub fn expected_rows(case: &Case) -> Result<Bag<TypedRow>, String> {
    let path = case.dir.join("expected.csv");
    let at = |e: &dyn fmt::Display| format!("{}: {e}", path.display());
    let mut reader = csv::Reader::from_path(&path).map_err(|e| at(&e))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| at(&e))?
        .iter()
        .map(str::to_string)
        .collect();
    let columns = &case.query.columns;
    let want: Vec<&str> = ["batch_id", "window_start", "window_end"]
        .into_iter()
        .chain(columns.iter().map(|c| c.name.as_str()))
        .collect();
    if headers != want {
        return Err(at(&format!(
            "header {headers:?}, but the query's columns are {want:?}"
        )));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| at(&e))?;
        let line = r.position().map_or(0, csv::Position::line);
        let at = |e: String| at(&format!("line {line}: {e}"));
        let batch = r[0]
            .trim()
            .parse::<i64>()
            .map_err(|e| at(format!("batch_id {:?}: {e}", &r[0])))?;
        let cells = columns
            .iter()
            .zip(r.iter().skip(3))
            .map(|(c, text)| typed_text(&c.kind, text).map_err(|e| format!("{}: {e}", c.name)))
            .collect::<Result<_, _>>()
            .map_err(at)?;
        rows.push(TypedRow {
            batch,
            start: micros(&r[1]).map_err(at)?,
            end: micros(&r[2]).map_err(at)?,
            cells,
        });
    }
    Ok(bag(rows))
}

/// One line of the json sink as a row of the case's query: every output column must be a key.
fn json_row(case: &Case, line: &str) -> Result<TypedRow, String> {
    let o = json_exact(line)?;
    let (batch, start, end) = json_window(&o)?;
    let cells = case
        .query
        .columns
        .iter()
        .map(|c| {
            let value = o
                .get(&c.name)
                .ok_or_else(|| format!("no key {:?}", c.name))?;
            typed_json(&c.kind, value).map_err(|e| format!("{}: {e}", c.name))
        })
        .collect::<Result<_, String>>()?;
    Ok(TypedRow {
        batch,
        start,
        end,
        cells,
    })
}

/// Every row the json sink printed.
pub fn json_rows(case: &Case, stdout: &str) -> Result<Bag<TypedRow>, String> {
    json_lines(stdout, |line| json_row(case, line))
}

pub fn check_rows_and_progress(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let progress = tmp.path().join("progress.jsonl");
    let stdout = run_json(case, &progress)?;
    let progress = fs::read_to_string(&progress)
        .map_err(|e| format!("progress: cannot read {}: {e}", progress.display()))?;
    verify_rows_and_progress(case, &stdout, &progress)
}

pub fn verify_rows_and_progress(case: &Case, stdout: &str, progress: &str) -> Result<(), String> {
    diff(
        "emitted rows",
        &expected_rows(case)?,
        &json_rows(case, stdout)?,
    )?;

    let want = spark_progress(case)?;
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
                iso(our_wm),
                iso(spark_wm)
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

/// Spark's `progress.jsonl` of the case, by batch id.
pub fn spark_progress(case: &Case) -> Result<BTreeMap<i64, Value>, String> {
    let text = fs::read_to_string(case.dir.join("progress.jsonl"))
        .map_err(|e| format!("progress.jsonl: {e}"))?;
    progress_by_batch(&text, "Spark's progress.jsonl")
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
        (Some(a), Some(b)) => a.partial_cmp(&b) == Some(std::cmp::Ordering::Equal),
        _ => false,
    }
}

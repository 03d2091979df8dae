//! Helpers shared by the integration tests: the binary, a clean environment, Spark-style times
//! and multisets of emitted rows; live runs (child processes, sockets, the files a run leaves)
//! are in `runs`. (`corpus/`, the port of the conformance checker, is loaded by
//! `tests/conformance.rs` alone.)
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, NaiveDateTime};

mod runs;
pub mod tmux;
// Not every test uses the live-run helpers.
#[allow(unused_imports)]
pub use runs::*;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_window-tui");

/// Makes `cmd` independent of the caller's environment: no `WINDOW_TUI_*` variable leaks in,
/// times are formatted in UTC and nothing is coloured.
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("WINDOW_TUI_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("TZ", "UTC").env("NO_COLOR", "1")
}

/// Microseconds since the epoch of an ISO-8601 / RFC 3339 time; a time without an offset is UTC
/// (as check.py's `micros`).
pub fn micros(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    Err(format!("{text:?} is not an ISO-8601 time"))
}

/// `HHmmss` of a time in UTC, as Spark's partition folder names (with `TZ=UTC`).
pub fn hhmmss(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .expect("time in range")
        .format("%H%M%S")
        .to_string()
}

/// RFC 3339 text of a time, for messages.
pub fn iso(us: i64) -> String {
    DateTime::from_timestamp_micros(us).map_or_else(|| us.to_string(), |t| t.to_rfc3339())
}

/// One emitted row: batch id, window start and end (micros), value, count.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub batch: i64,
    pub start: i64,
    pub end: i64,
    pub value: String,
    pub count: i64,
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch {} [{}, {}) value {:?} count {}",
            self.batch,
            iso(self.start),
            iso(self.end),
            self.value,
            self.count
        )
    }
}

/// A multiset (Python's `collections.Counter`).
pub type Bag<T> = BTreeMap<T, usize>;

pub fn bag<T: Ord>(items: impl IntoIterator<Item = T>) -> Bag<T> {
    let mut out = Bag::new();
    for item in items {
        *out.entry(item).or_insert(0) += 1;
    }
    out
}

/// `a - b` as Counter subtraction: what `a` holds more of than `b`.
fn minus<T: Ord + Clone>(a: &Bag<T>, b: &Bag<T>) -> Vec<(T, usize)> {
    a.iter()
        .filter_map(|(k, &n)| {
            let m = b.get(k).copied().unwrap_or(0);
            (n > m).then(|| (k.clone(), n - m))
        })
        .collect()
}

/// Compares two multisets; the error lists up to five missing and five unexpected items.
pub fn diff<T: Ord + Clone + fmt::Debug>(
    label: &str,
    want: &Bag<T>,
    got: &Bag<T>,
) -> Result<(), String> {
    let missing = minus(want, got);
    let extra = minus(got, want);
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let count = |v: &[(T, usize)]| v.iter().map(|(_, n)| n).sum::<usize>();
    let mut lines = vec![format!(
        "{label}: {} expected row(s) missing, {} unexpected",
        count(&missing),
        count(&extra)
    )];
    lines.extend(
        missing
            .iter()
            .take(5)
            .map(|(r, _)| format!("  missing {r:?}")),
    );
    lines.extend(
        extra
            .iter()
            .take(5)
            .map(|(r, _)| format!("  unexpected {r:?}")),
    );
    Err(lines.join("\n"))
}

/// The rows of an `expected.csv` (`batch_id,window_start,window_end,value,count`).
pub fn expected_rows(path: &Path) -> Result<Bag<Row>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", path.display()))
    };
    let (batch, start, end, value, count) = (
        column("batch_id")?,
        column("window_start")?,
        column("window_end")?,
        column("value")?,
        column("count")?,
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let int = |at: usize| {
            record[at]
                .trim()
                .parse::<i64>()
                .map_err(|e| format!("{}: {:?}: {e}", path.display(), &record[at]))
        };
        rows.push(Row {
            batch: int(batch)?,
            start: micros(&record[start])?,
            end: micros(&record[end])?,
            value: record[value].to_string(),
            count: int(count)?,
        });
    }
    Ok(bag(rows))
}

/// An integer in a JSON value, given as a number or as a string of digits (Python's `int(x)`).
pub fn json_int(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses JSON as Python's `json.loads` does, every float correctly rounded: `serde_json`'s own
/// float parsing (without its `float_roundtrip` feature) can be one ulp off, as for
/// `1.2345684500500001E7`, and the corpus compares floats exactly.
pub fn json_exact(text: &str) -> Result<serde_json::Value, String> {
    use serde_json::value::RawValue;
    use serde_json::{Number, Value};
    fn exact(raw: &RawValue) -> Result<Value, String> {
        let text = raw.get().trim();
        let err = |e: serde_json::Error| format!("{e}");
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let map: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(err)?;
                let map = map.into_iter().map(|(k, v)| Ok((k, exact(v)?)));
                Value::Object(map.collect::<Result<_, String>>()?)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).map_err(err)?;
                Value::Array(items.into_iter().map(exact).collect::<Result<_, _>>()?)
            }
            Some(b'-' | b'0'..=b'9') if text.contains(['.', 'e', 'E']) => {
                let x: f64 = text.parse().map_err(|e| format!("{text}: {e}"))?;
                Value::Number(Number::from_f64(x).ok_or_else(|| format!("{text}: out of range"))?)
            }
            _ => serde_json::from_str(text).map_err(err)?,
        })
    }
    exact(serde_json::from_str(text).map_err(|e| format!("{e}"))?)
}

/// The batch id and the window (start and end, micros) of a json sink object.
pub fn json_window(o: &serde_json::Value) -> Result<(i64, i64, i64), String> {
    let field = |v: &serde_json::Value, k: &str| -> Result<serde_json::Value, String> {
        v.get(k).cloned().ok_or_else(|| format!("no key {k:?}"))
    };
    let batch = json_int(&field(o, "batch_id")?).ok_or("batch_id is not an integer")?;
    let window = field(o, "window")?;
    let time = |k: &str| -> Result<i64, String> {
        match field(&window, k)? {
            serde_json::Value::String(s) => micros(&s),
            other => Err(format!("window.{k} is {other}, not a time")),
        }
    };
    Ok((batch, time("start")?, time("end")?))
}

/// One line of the json sink as a row.
pub fn json_row(line: &str) -> Result<Row, String> {
    let o: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let (batch, start, end) = json_window(&o)?;
    let value = match o.get("value").ok_or("no key \"value\"")? {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let count =
        json_int(o.get("count").ok_or("no key \"count\"")?).ok_or("count is not an integer")?;
    Ok(Row {
        batch,
        start,
        end,
        value,
        count,
    })
}

/// Every row the json sink printed (blank lines are passed over).
pub fn json_rows(stdout: &str) -> Result<Bag<Row>, String> {
    json_lines(stdout, json_row)
}

/// Every line the json sink printed, made a row by `row` (blank lines are passed over); the
/// first line that is not a row is an error.
pub fn json_lines<T: Ord>(
    stdout: &str,
    row: impl Fn(&str) -> Result<T, String>,
) -> Result<Bag<T>, String> {
    let mut rows = Vec::new();
    for (n, line) in stdout.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        rows.push(row(line).map_err(|e| {
            let head: String = line.chars().take(200).collect();
            format!("json sink line {} is not a row ({e}): {head}", n + 1)
        })?);
    }
    Ok(bag(rows))
}

/// Decodes `%XX` escapes (file URIs in the sink log).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|&c| (c as char).to_digit(16))
                .map(|d| d as u8)
        };
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2))
        {
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

//! Helpers shared by the integration tests: the binary, a clean environment, Spark-style times
//! and multisets of emitted rows.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, NaiveDateTime};

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
    let (b, s, e, v, c) = (
        column("batch_id")?,
        column("window_start")?,
        column("window_end")?,
        column("value")?,
        column("count")?,
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let int = |i: usize| {
            r[i].trim()
                .parse::<i64>()
                .map_err(|e| format!("{}: {:?}: {e}", path.display(), &r[i]))
        };
        rows.push(Row {
            batch: int(b)?,
            start: micros(&r[s])?,
            end: micros(&r[e])?,
            value: r[v].to_string(),
            count: int(c)?,
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

/// One line of the json sink as a row.
pub fn json_row(line: &str) -> Result<Row, String> {
    let o: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let field = |v: &serde_json::Value, k: &str| -> Result<serde_json::Value, String> {
        v.get(k).cloned().ok_or_else(|| format!("no key {k:?}"))
    };
    let int = |k: &str| json_int(&field(&o, k)?).ok_or_else(|| format!("{k} is not an integer"));
    let window = field(&o, "window")?;
    let time = |k: &str| -> Result<i64, String> {
        match field(&window, k)? {
            serde_json::Value::String(s) => micros(&s),
            other => Err(format!("window.{k} is {other}, not a time")),
        }
    };
    let value = match field(&o, "value")? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(Row {
        batch: int("batch_id")?,
        start: time("start")?,
        end: time("end")?,
        value,
        count: int("count")?,
    })
}

/// Every row the json sink printed (blank lines are passed over).
pub fn json_rows(stdout: &str) -> Result<Bag<Row>, String> {
    let mut rows = Vec::new();
    for (n, line) in stdout.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = json_row(line).map_err(|e| {
            let head: String = line.chars().take(200).collect();
            format!("json sink line {} is not a row ({e}): {head}", n + 1)
        })?;
        rows.push(row);
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

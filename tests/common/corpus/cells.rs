//! Typed cells, as check.py types them: `column_types()` (the output columns of a query, each
//! with its type) and `typed()` (a cell of `expected.csv`, of a json sink row or of a file sink
//! part, made a value that compares as Spark's: NULL, an integer, a float, a time or text).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::common::{iso, json_int, micros};

/// An output column after the window: a group-by column or an aggregate, named as Spark names it
/// (`user`, `count`, `sum(bytes)`), with its type in upper case (`LONG`, `DOUBLE`, `STRING`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: String,
}

/// How a type's cells compare (the branches of check.py's `typed()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Integer,
    Float,
    Time,
    Text,
}

/// The class of a type: `LONG`, `INT`, `BIGINT` and `SHORT` are integers, `DOUBLE` and `FLOAT`
/// floats, `TIMESTAMP` times, anything else text.
pub fn class(kind: &str) -> Class {
    match kind {
        "LONG" | "INT" | "BIGINT" | "SHORT" => Class::Integer,
        "DOUBLE" | "FLOAT" => Class::Float,
        "TIMESTAMP" => Class::Time,
        _ => Class::Text,
    }
}

/// `count`, `count(c)`, `sum(c)`, `avg(c)`, `min(c)`, `max(c)`: check.py's
/// `^(count|sum|avg|min|max)(?:\((\w+)\))?$`, as (function, column).
fn aggregate(text: &str) -> Option<(&str, Option<&str>)> {
    let (function, rest) = ["count", "sum", "avg", "min", "max"]
        .into_iter()
        .find_map(|f| text.strip_prefix(f).map(|rest| (f, rest)))?;
    if rest.is_empty() {
        return Some((function, None));
    }
    let column = rest.strip_prefix('(')?.strip_suffix(')')?;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    (!column.is_empty() && column.chars().all(word)).then_some((function, Some(column)))
}

/// The output columns of a query after the window (check.py's `column_types()`): the group-by
/// columns with their schema types, then the aggregates: `count` and `count(c)` are `LONG`,
/// `avg` is `DOUBLE`, `sum` is `DOUBLE` over `DOUBLE`/`FLOAT` and `LONG` otherwise, `min` and
/// `max` have their column's type.
pub fn column_types(
    types: &BTreeMap<String, String>,
    group: &[String],
    aggs: &[String],
) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    for name in group {
        let kind = types
            .get(name)
            .ok_or_else(|| format!("GROUP_BY: {name:?} is not in the schema"))?;
        columns.push(Column {
            name: name.clone(),
            kind: kind.clone(),
        });
    }
    for text in aggs {
        let (function, column) =
            aggregate(text).ok_or_else(|| format!("AGGS: {text:?} is not an aggregate"))?;
        let name = match column {
            Some(column) => format!("{function}({column})"),
            None if function == "count" => "count".to_string(),
            None => return Err(format!("AGGS: {text:?} names no column")),
        };
        // A column missing from the schema is typed as text, as Python's `types.get(col)`.
        let of = column
            .and_then(|c| types.get(c))
            .cloned()
            .unwrap_or_default();
        let kind = match function {
            "avg" => "DOUBLE".to_string(),
            "sum" if class(&of) == Class::Float => "DOUBLE".to_string(),
            "count" | "sum" => "LONG".to_string(),
            _ => of,
        };
        columns.push(Column { name, kind });
    }
    Ok(columns)
}

/// A float, compared exactly as a number, as Python compares floats: `-0.0` equals `0.0`.
/// (Unlike Python's, a NaN equals a NaN; the corpus has none.)
#[derive(Clone, Copy)]
pub struct Float(pub f64);

impl Float {
    fn key(self) -> f64 {
        if self.0 == 0.0 {
            0.0
        } else if self.0.is_nan() {
            f64::NAN
        } else {
            self.0
        }
    }
}

impl PartialEq for Float {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Float {}

impl PartialOrd for Float {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Float {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().total_cmp(&other.key())
    }
}

/// A cell as a comparable value (check.py's `typed()`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    Null,
    Integer(i64),
    Float(Float),
    /// Microseconds since the epoch.
    Time(i64),
    Text(String),
    /// A JSON number or boolean where text was due: Python keeps it as it is, so it equals no
    /// text.
    Json(String),
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => write!(f, "NULL"),
            Cell::Integer(n) => write!(f, "{n}"),
            Cell::Float(x) => write!(f, "{:?}", x.0),
            Cell::Time(us) => write!(f, "{}", iso(*us)),
            Cell::Text(s) => write!(f, "{s:?}"),
            Cell::Json(s) => write!(f, "{s} (a JSON value, not text)"),
        }
    }
}

/// Python's `int(text)`: surrounding blanks allowed.
fn integer(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Python's `float(text)`: surrounding blanks allowed, `inf` and `nan` too.
fn float(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

/// A cell of a CSV file (`expected.csv`, a file sink part) of type `kind`: `\N` is NULL.
pub fn typed_text(kind: &str, text: &str) -> Result<Cell, String> {
    if text == "\\N" {
        return Ok(Cell::Null);
    }
    let bad = || format!("{text:?} is not a {kind} value");
    Ok(match class(kind) {
        Class::Integer => Cell::Integer(integer(text).ok_or_else(bad)?),
        Class::Float => Cell::Float(Float(float(text).ok_or_else(bad)?)),
        Class::Time => Cell::Time(micros(text)?),
        Class::Text => Cell::Text(text.to_string()),
    })
}

/// A cell of a file sink part: an empty cell is NULL, except in a `STRING` column of the seed's
/// query (whose file sink writes an empty value as an empty cell).
pub fn file_cell(kind: &str, text: &str, general: bool) -> Result<Cell, String> {
    if text.is_empty() && (kind != "STRING" || general) {
        return Ok(Cell::Null);
    }
    typed_text(kind, text)
}

/// A value of a json sink row of type `kind`: `null` (or the text `\N`) is NULL, an integer
/// column takes an integral number (or its digits as a string, as Python's `int()`), a float
/// column a number (or its text), a time column RFC 3339 text; a text column keeps what it is
/// given.
pub fn typed_json(kind: &str, value: &Value) -> Result<Cell, String> {
    if value.is_null() || value.as_str() == Some("\\N") {
        return Ok(Cell::Null);
    }
    let bad = || format!("{value} is not a {kind} value");
    Ok(match (class(kind), value) {
        (Class::Integer, _) => Cell::Integer(json_int(value).ok_or_else(bad)?),
        (Class::Float, Value::Number(n)) => Cell::Float(Float(n.as_f64().ok_or_else(bad)?)),
        (Class::Float, Value::String(s)) => Cell::Float(Float(float(s).ok_or_else(bad)?)),
        (Class::Time, Value::String(s)) => Cell::Time(micros(s)?),
        (Class::Text, Value::String(s)) => Cell::Text(s.clone()),
        (Class::Text, Value::Number(_) | Value::Bool(_)) => Cell::Json(value.to_string()),
        _ => return Err(bad()),
    })
}

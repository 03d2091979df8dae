//! Turning a stream line into a typed row of the query's schema, as Spark reads it:
//!
//! - `text`: the whole line is the one STRING column (Spark's socket source);
//! - `csv`: the line's fields, in the schema's order (RFC 4180 quoting; an empty field is NULL,
//!   Spark's default `nullValue`; a TIMESTAMP may also be epoch milliseconds);
//! - `json`: an object whose members are the schema's columns by name, read as Spark's
//!   `from_json` reads it (Jackson with Spark's options: single quotes, bare `NaN`, `Infinity`,
//!   `-INF`, ..., see [`super::spark_json`]). Missing members and `null` are NULL, others
//!   ignored. A STRING column takes a string's text (a lone surrogate escape is `?`) and any
//!   other value as Jackson writes it anew (`1e2` is `100.0`, `{"a": 1.50}` is `{"a":1.5}`, `NaN`
//!   is `"NaN"`: [`super::spark_json_text`]); a DOUBLE or FLOAT a number, a bare `NaN`,
//!   `Infinity`, `+Infinity`, `-Infinity`, `+INF` or `-INF`, or one of these as a string (not
//!   `"1.5"`); an integer column a whole number in its type's range, but a TINYINT takes 128 to
//!   255 too, wrapped (`128` is -128, as Jackson's `getByteValue` has it); a TIMESTAMP an
//!   ISO-8601 string or a whole number of epoch seconds.
//!
//! A line that does not fit is rejected with a [`Rejection`] saying why, never fatal; nothing is
//! allocated per line (a JSON string with escapes, or a value written anew, goes to a buffer the
//! decoder keeps). The usual JSON line is split by [`super::flat_json`], any other by
//! [`super::spark_json`].

use std::fmt;

use super::flat_json;
use super::spark_json::{self, Kind};
use super::spark_json_text::{push_generated, push_string};
pub use crate::app::config::Format;
use crate::engine::{
    CellError, CellParser, DataType, EVENT_TIME_RANGE, MICROS_PER_SECOND, Micros, NULL_EVENT_TIME,
    Rows, Schema, Value, Zone,
};

/// Why a line was not accepted. Each kind is counted and shown, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Longer than `--max-line-bytes`.
    TooLong,
    /// Not valid UTF-8.
    NotUtf8,
    /// Not as many fields as the schema has columns.
    FieldCount,
    /// A field is not a value of its column's type.
    BadValue,
    /// The event time is not a time (a missing or NULL one is an input row in no window, as
    /// in Spark: [`crate::engine::NULL_EVENT_TIME`]).
    BadTime,
    /// Not a JSON object.
    BadJson,
    /// A quoted CSV field with more after its closing quote than a comma or the line's end.
    BadQuoting,
}

impl Rejection {
    pub const ALL: [Rejection; 7] = [
        Rejection::TooLong,
        Rejection::NotUtf8,
        Rejection::FieldCount,
        Rejection::BadValue,
        Rejection::BadTime,
        Rejection::BadJson,
        Rejection::BadQuoting,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Rejection::TooLong => "too long",
            Rejection::NotUtf8 => "not UTF-8",
            Rejection::FieldCount => "wrong field count",
            Rejection::BadValue => "value not of its column's type",
            Rejection::BadTime => "bad event time",
            Rejection::BadJson => "not a JSON object",
            Rejection::BadQuoting => "text after a closing quote",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Decodes lines into typed rows.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    format: Format,
    schema: Schema,
    /// The event-time column; none: the arrival stamp.
    event_time: Option<usize>,
    cells: CellParser,
    /// Each column's text in the line being read: a range of it, or of `scratch`.
    spans: Vec<Option<(usize, usize, bool)>>,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    /// A JSON value's text when it is not the line's own: a string's escapes read, or a value
    /// written anew.
    text: String,
    /// A JSON member's name, its escapes read.
    name: String,
    /// The earlier values of a JSON member named again, `(column, start, end)` in the line:
    /// the last one is the column's, but Spark converts each, and flags the line when one
    /// does not convert.
    shadowed: Vec<(usize, usize, usize)>,
}

impl LineDecoder {
    /// A decoder of `format` lines into rows of `schema`, the event time in column
    /// `event_time` (none: the arrival time); times without an offset are read in `zone`.
    pub fn new(format: Format, schema: Schema, event_time: Option<usize>, zone: Zone) -> Self {
        let mut cells = CellParser::new(zone);
        if format == Format::Csv {
            cells = cells.with_epoch_millis();
        }
        LineDecoder {
            format,
            spans: vec![None; schema.len()],
            schema,
            event_time,
            cells,
            scratch: Vec::new(),
            ends: Vec::new(),
            text: String::new(),
            name: String::new(),
            shadowed: Vec::new(),
        }
    }

    /// Adds the row `line` stands for to `rows`, stamped `arrival` unless it carries its own
    /// event time.
    pub fn decode(
        &mut self,
        line: &[u8],
        arrival: Micros,
        rows: &mut Rows,
    ) -> Result<(), Rejection> {
        let line = std::str::from_utf8(line).map_err(|_| Rejection::NotUtf8)?;
        match self.format {
            Format::Text => {
                let mut row = rows.writer(1);
                row.value(Value::Str(line));
                row.finish(arrival);
                Ok(())
            }
            Format::Csv => {
                self.split_csv(line)?;
                self.write(line, arrival, rows, true)
            }
            Format::Json => {
                let spans = (&mut self.spans, &mut self.shadowed);
                if flat_spans(line, &self.schema, spans).is_none() {
                    let spans = (&mut self.spans, &mut self.shadowed);
                    spark_spans(line, &self.schema, spans, &mut self.name)?;
                }
                for &(column, start, end) in &self.shadowed {
                    let ty = self.schema.fields()[column].ty;
                    json_value(ty, &line[start..end], &mut self.cells, &mut self.text)?;
                }
                self.write(line, arrival, rows, false)
            }
        }
    }

    /// Splits a CSV line into one span per column.
    fn split_csv(&mut self, line: &str) -> Result<(), Rejection> {
        let bytes = line.as_bytes();
        let columns = self.schema.len();
        if !bytes.contains(&b'"') {
            let mut count = 0;
            let mut start = 0;
            for (i, _) in line
                .match_indices(',')
                .chain(std::iter::once((line.len(), "")))
            {
                if count < columns {
                    self.spans[count] = Some((start, i, false));
                }
                count += 1;
                start = i + 1;
            }
            return if count == columns {
                Ok(())
            } else {
                Err(Rejection::FieldCount)
            };
        }
        if !quotes_end_fields(bytes) {
            return Err(Rejection::BadQuoting);
        }
        let mut csv = csv_core::ReaderBuilder::new().build();
        self.scratch.clear();
        self.scratch.resize(bytes.len() + 1, 0);
        self.ends.clear();
        self.ends.resize(columns + 1, 0);
        let (_, _, written, fields) = csv.read_record(bytes, &mut self.scratch, &mut self.ends);
        let (result, ..) =
            csv.read_record(&[], &mut self.scratch[written..], &mut self.ends[fields..]);
        let fields = match result {
            csv_core::ReadRecordResult::Record => fields + 1,
            _ => fields,
        };
        if fields != columns {
            return Err(Rejection::FieldCount);
        }
        let mut start = 0;
        for (span, &end) in self.spans.iter_mut().zip(&self.ends[..columns]) {
            *span = Some((start, end, true));
            start = end;
        }
        // A last field that is a lone quote is that quote to Spark's CSV parser (univocity),
        // where csv-core reads an empty field: `a,"` is `a` and `"`.
        if last_field_is_a_lone_quote(bytes) {
            self.spans[columns - 1] = Some((bytes.len() - 1, bytes.len(), false));
        }
        Ok(())
    }

    /// Writes the row whose columns `spans` locate; an empty CSV field is NULL.
    fn write(
        &mut self,
        line: &str,
        arrival: Micros,
        rows: &mut Rows,
        empty_is_null: bool,
    ) -> Result<(), Rejection> {
        let mut event_time = arrival;
        let mut row = rows.writer(self.schema.len());
        for (column, field) in self.schema.fields().iter().enumerate() {
            let text = match self.spans[column] {
                Some((start, end, true)) => std::str::from_utf8(&self.scratch[start..end])
                    .map_err(|_| Rejection::NotUtf8)?,
                Some((start, end, false)) => &line[start..end],
                None => "",
            };
            let value = if self.spans[column].is_none() || (empty_is_null && text.is_empty()) {
                Value::Null
            } else if self.format == Format::Json {
                json_value(field.ty, text, &mut self.cells, &mut self.text)?
            } else {
                self.cells
                    .parse(field.ty, text)
                    .map_err(|e| rejection(field.ty, &e))?
            };
            if Some(column) == self.event_time {
                // A NULL (or missing) time is Spark's input row in no window.
                event_time = match value {
                    Value::Timestamp(t) => t,
                    _ => NULL_EVENT_TIME,
                };
            }
            row.value(value);
        }
        row.finish(event_time);
        Ok(())
    }
}

fn rejection(ty: DataType, e: &CellError) -> Rejection {
    match (ty, e) {
        (DataType::Timestamp, _) | (_, CellError::Time(_)) => Rejection::BadTime,
        _ => Rejection::BadValue,
    }
}

/// A JSON member's raw text as a value of type `ty`, as Spark's `from_json` reads it (see the
/// module's doc); `text` holds it when it is not `raw`'s own.
fn json_value<'a>(
    ty: DataType,
    raw: &'a str,
    cells: &mut CellParser,
    text: &'a mut String,
) -> Result<Value<'a>, Rejection> {
    let bad = || {
        if ty == DataType::Timestamp {
            Rejection::BadTime
        } else {
            Rejection::BadValue
        }
    };
    let kind = spark_json::kind(raw);
    if kind == Kind::Null {
        return Ok(Value::Null);
    }
    // A string's text: borrowed from the line when it has no escape.
    let string = |text: &'a mut String| -> &'a str {
        unescaped(raw).unwrap_or_else(|| {
            text.clear();
            push_string(raw, text);
            text
        })
    };
    match (ty, kind) {
        (DataType::String, Kind::String) => Ok(Value::Str(string(text))),
        // As Jackson writes them anew: only `-0` is not already so.
        (DataType::String, Kind::True | Kind::False) => Ok(Value::Str(raw)),
        (DataType::String, Kind::Integer) if raw != "-0" => Ok(Value::Str(raw)),
        (DataType::String, _) => {
            text.clear();
            push_generated(raw, text);
            Ok(Value::Str(text))
        }
        (DataType::Boolean, Kind::True | Kind::False) => Ok(Value::Bool(kind == Kind::True)),
        // Jackson reads an integer token as an integer, so `-0` is 0 and then 0.0, not -0.0.
        (DataType::Double | DataType::Float, Kind::Integer) if raw == "-0" => {
            cells.parse(ty, "0").map_err(|_| bad())
        }
        (DataType::Double | DataType::Float, Kind::Integer | Kind::Float) => {
            cells.parse(ty, raw).map_err(|_| bad())
        }
        (DataType::Double | DataType::Float, Kind::NonNumeric | Kind::String) => {
            let v = if kind == Kind::NonNumeric {
                spark_json::non_numeric(raw)
            } else {
                // The strings Spark's JacksonParser takes for a DOUBLE or FLOAT, and no others.
                match string(text) {
                    "NaN" => f64::NAN,
                    "Infinity" | "+Infinity" | "+INF" => f64::INFINITY,
                    "-Infinity" | "-INF" => f64::NEG_INFINITY,
                    _ => return Err(bad()),
                }
            };
            Ok(if ty == DataType::Float {
                #[allow(clippy::cast_possible_truncation)] // NaN or an infinity
                Value::Float(v as f32)
            } else {
                Value::Double(v)
            })
        }
        // Jackson's getByteValue takes -128 to 255, and wraps 128 to 255 to negative bytes.
        (DataType::Byte, Kind::Integer) => match raw.parse::<i16>() {
            Ok(v @ -128..=255) => Ok(Value::Long(i64::from(if v > 127 { v - 256 } else { v }))),
            _ => Err(bad()),
        },
        (DataType::Short | DataType::Int | DataType::Long, Kind::Integer) => {
            cells.parse(ty, raw).map_err(|_| bad())
        }
        (DataType::Timestamp, Kind::Integer) => raw
            .parse::<i64>()
            .ok()
            .and_then(|seconds| seconds.checked_mul(MICROS_PER_SECOND))
            .filter(|t| EVENT_TIME_RANGE.contains(t))
            .map(Value::Timestamp)
            .ok_or_else(bad),
        (DataType::Timestamp, Kind::String) => cells
            .timestamp(string(text))
            .map(Value::Timestamp)
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// Whether the CSV line `bytes` ends in a field that is one quote, opening a quoted field
/// the line ends in (`a,"`; not `a,""` nor `"a,"`).
fn last_field_is_a_lone_quote(bytes: &[u8]) -> bool {
    let (mut quoted, mut field_start) = (false, 0);
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => field_start = at + 1,
            _ => {}
        }
    }
    &bytes[field_start..] == b"\""
}

/// Whether each quoted field of the CSV line `bytes` ends at its closing quote (RFC 4180: a comma
/// or the line's end after it). csv-core reads on past one (`"c27"x` as `c27x`, Spark's
/// `from_csv` as `"c27"x`); such a line is rejected instead. A quote never closed is left to
/// csv-core (the rest of the line is that field).
fn quotes_end_fields(bytes: &[u8]) -> bool {
    let mut at = 0;
    loop {
        if bytes.get(at) == Some(&b'"') {
            // A quoted field: to its closing quote, past doubled ones.
            at += 1;
            loop {
                let Some(quote) = memchr::memchr(b'"', &bytes[at..]) else {
                    return true;
                };
                at += quote + 1;
                if bytes.get(at) != Some(&b'"') {
                    break;
                }
                at += 1;
            }
            match bytes.get(at) {
                None => return true,
                Some(b',') => at += 1,
                Some(_) => return false,
            }
        } else {
            match memchr::memchr(b',', &bytes[at..]) {
                None => return true,
                Some(comma) => at += comma + 1,
            }
        }
    }
}

/// The text of `raw`, a JSON value already read as such, when it is a string with no escape:
/// its quotes (double or single) off, nothing else in it needs reading again.
fn unescaped(raw: &str) -> Option<&str> {
    let quote = raw.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let text = raw.strip_prefix(quote)?.strip_suffix(quote)?;
    (!text.bytes().any(|b| b == b'\\')).then_some(text)
}

/// Where each column's value is in a JSON line, and the earlier values of a member named
/// again ([`LineDecoder::shadowed`]).
type JsonSpans<'s> = (
    &'s mut Vec<Option<(usize, usize, bool)>>,
    &'s mut Vec<(usize, usize, usize)>,
);

/// Notes column `column`'s value at `start..end`, the one it held before among the shadowed.
fn note_span((spans, shadowed): &mut JsonSpans, column: usize, (start, end): (usize, usize)) {
    if let Some((start, end, _)) = spans[column] {
        shadowed.push((column, start, end));
    }
    spans[column] = Some((start, end, false));
}

/// Notes where each column's value is in `line`, a JSON object, when it is a flat one
/// ([`flat_json`]); `None` leaves the line to [`spark_spans`].
fn flat_spans(line: &str, schema: &Schema, mut spans: JsonSpans) -> Option<()> {
    spans.0.fill(None);
    spans.1.clear();
    flat_json::members(line, |name, value| {
        if let Some(column) = column_of(schema, name) {
            note_span(&mut spans, column, value);
        }
    })
}

/// Notes where each column's value is in `line`, a JSON object as Spark reads it
/// ([`spark_json`]); `name` is room for a member's name with escapes.
fn spark_spans(
    line: &str,
    schema: &Schema,
    mut spans: JsonSpans,
    name: &mut String,
) -> Result<(), Rejection> {
    spans.0.fill(None);
    spans.1.clear();
    spark_json::members(line, |(start, end), value| {
        let raw = &line[start..end];
        let column = if let Some(text) = unescaped(raw) {
            column_of(schema, text)
        } else {
            name.clear();
            // A name with a lone surrogate is no column's, though it reads as one with `?`.
            push_string(raw, name)
                .then(|| column_of(schema, name))
                .flatten()
        };
        if let Some(column) = column {
            note_span(&mut spans, column, value);
        }
    })
    .ok_or(Rejection::BadJson)
}

/// The schema column a JSON member named `name` fills.
fn column_of(schema: &Schema, name: &str) -> Option<usize> {
    schema.fields().iter().position(|f| f.name == name)
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;

//! Turning a stream line into a typed row of the query's schema, as Spark reads it:
//!
//! - `text`: the whole line is the one STRING column (Spark's socket source);
//! - `csv`: the line's fields, in the schema's order (RFC 4180 quoting; an empty field is NULL,
//!   Spark's default `nullValue`; a TIMESTAMP may also be epoch milliseconds);
//! - `json`: an object whose members are the schema's columns by name (Spark's `from_json`:
//!   missing members and `null` are NULL, others ignored; a number or an object in a STRING
//!   column is its JSON text; a TIMESTAMP is an ISO-8601 string or epoch seconds).
//!
//! A line that does not fit is rejected with a [`Rejection`] saying why, never fatal; nothing is
//! allocated per line but a JSON string with escapes (JSON is read by `serde_json` into borrowed
//! members).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::flat_json;
pub use crate::app::config::Format;
use crate::engine::{CellError, CellParser, DataType, Micros, Rows, Schema, Value, Zone};

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
    /// The event time is missing, NULL or not a time.
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
                if flat_spans(line, &self.schema, &mut self.spans).is_none() {
                    serde_spans(line, &self.schema, &mut self.spans)?;
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
            let unescaped: String;
            let text = match self.spans[column] {
                Some((start, end, true)) => std::str::from_utf8(&self.scratch[start..end])
                    .map_err(|_| Rejection::NotUtf8)?,
                Some((start, end, false)) => &line[start..end],
                None => "",
            };
            let value = if self.spans[column].is_none() || (empty_is_null && text.is_empty()) {
                Value::Null
            } else if self.format == Format::Json {
                match json_value(field.ty, text, &mut self.cells)? {
                    JsonCell::Value(value) => value,
                    JsonCell::Text(text) => {
                        unescaped = text;
                        Value::Str(&unescaped)
                    }
                }
            } else {
                self.cells
                    .parse(field.ty, text)
                    .map_err(|e| rejection(field.ty, &e))?
            };
            if Some(column) == self.event_time {
                match value {
                    Value::Timestamp(t) => event_time = t,
                    _ => return Err(Rejection::BadTime),
                }
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

/// A JSON member's value: borrowed from the line, or a string unescaped out of it.
enum JsonCell<'a> {
    Value(Value<'a>),
    Text(String),
}

/// A JSON member's raw text as a value of type `ty`.
fn json_value<'a>(
    ty: DataType,
    raw: &'a str,
    cells: &mut CellParser,
) -> Result<JsonCell<'a>, Rejection> {
    json_typed(ty, raw, cells).map(|v| match v {
        Ok(value) => JsonCell::Value(value),
        Err(text) => JsonCell::Text(text),
    })
}

/// [`json_value`]: `Ok` a borrowed value, `Err` an unescaped string.
fn json_typed<'a>(
    ty: DataType,
    raw: &'a str,
    cells: &mut CellParser,
) -> Result<Result<Value<'a>, String>, Rejection> {
    let bad = || {
        if ty == DataType::Timestamp {
            Rejection::BadTime
        } else {
            Rejection::BadValue
        }
    };
    if raw == "null" {
        return Ok(Ok(Value::Null));
    }
    let string = || match unescaped(raw) {
        Some(text) => Some(Cow::Borrowed(text)),
        None => serde_json::from_str::<JsonStr<'a>>(raw).ok().map(|s| s.0),
    };
    match ty {
        DataType::String => Ok(match string() {
            Some(Cow::Borrowed(s)) => Ok(Value::Str(s)),
            Some(Cow::Owned(s)) => Err(s),
            // A number, a boolean, an object or an array: its JSON text, as Spark keeps it.
            None => Ok(Value::Str(raw)),
        }),
        DataType::Boolean => match raw {
            "true" => Ok(Ok(Value::Bool(true))),
            "false" => Ok(Ok(Value::Bool(false))),
            _ => Err(bad()),
        },
        DataType::Double | DataType::Float => {
            let text = match string() {
                Some(s) if matches!(&*s, "NaN" | "Infinity" | "-Infinity" | "+Infinity") => s,
                Some(_) => return Err(bad()),
                None => Cow::Borrowed(raw),
            };
            match cells.parse(ty, &text).map_err(|_| bad())? {
                Value::Double(v) => Ok(Ok(Value::Double(v))),
                Value::Float(v) => Ok(Ok(Value::Float(v))),
                _ => Err(bad()),
            }
        }
        DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
            if !raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                return Err(bad());
            }
            cells.parse(ty, raw).map(Ok).map_err(|_| bad())
        }
        DataType::Timestamp => {
            if let Ok(seconds) = raw.parse::<i64>() {
                return seconds
                    .checked_mul(1_000_000)
                    .map(|t| Ok(Value::Timestamp(t)))
                    .ok_or_else(bad);
            }
            match string() {
                Some(s) => match cells.timestamp(&s) {
                    Ok(t) => Ok(Ok(Value::Timestamp(t))),
                    Err(_) => Err(bad()),
                },
                None => Err(bad()),
            }
        }
    }
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
/// its quotes off (nothing else in it needs reading again).
fn unescaped(raw: &str) -> Option<&str> {
    let text = raw.strip_prefix('"')?.strip_suffix('"')?;
    (!text.bytes().any(|b| b == b'\\')).then_some(text)
}

/// A JSON string, borrowed from the line when it holds no escape, unescaped otherwise (serde's
/// own `Cow<str>` always copies: an allocation per member).
#[derive(Debug)]
struct JsonStr<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for JsonStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;

        impl<'de> Visitor<'de> for Text {
            type Value = JsonStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(s)))
            }
        }

        deserializer.deserialize_str(Text)
    }
}

/// Notes where each column's value is in `line`, a JSON object, when it is a flat one
/// ([`flat_json`]); `None` leaves the line to [`serde_spans`].
fn flat_spans(
    line: &str,
    schema: &Schema,
    spans: &mut [Option<(usize, usize, bool)>],
) -> Option<()> {
    spans.fill(None);
    flat_json::members(line, |name, (start, end)| {
        if let Some(column) = column_of(schema, name) {
            spans[column] = Some((start, end, false));
        }
    })
}

/// Notes where each column's value is in `line`, a JSON object read by `serde_json`.
fn serde_spans(
    line: &str,
    schema: &Schema,
    spans: &mut [Option<(usize, usize, bool)>],
) -> Result<(), Rejection> {
    spans.fill(None);
    let mut de = serde_json::Deserializer::from_str(line);
    let members = Members {
        line,
        schema,
        spans,
    };
    de.deserialize_map(members)
        .map_err(|_| Rejection::BadJson)?;
    de.end().map_err(|_| Rejection::BadJson)
}

/// The schema column a JSON member named `name` fills.
fn column_of(schema: &Schema, name: &str) -> Option<usize> {
    schema.fields().iter().position(|f| f.name == name)
}

/// Visits a JSON object's members, noting where each column's value is in the line.
struct Members<'s> {
    line: &'s str,
    schema: &'s Schema,
    spans: &'s mut [Option<(usize, usize, bool)>],
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(JsonStr(key)) = map.next_key()? {
            let Some(column) = column_of(self.schema, &key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let raw: &'de RawValue = map.next_value()?;
            let text = raw.get();
            let start = text.as_ptr() as usize - self.line.as_ptr() as usize;
            self.spans[column] = Some((start, start + text.len(), false));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;

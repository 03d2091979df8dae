//! An emitted row as each sink writes it: the window column's text, then the group-by columns
//! and the aggregates, typed as the query types them, in the text Spark writes for that sink
//! (`show()` for the console, its CSV writer for the file sink) or as typed JSON values.

use std::io::Write;

use super::window_text::{BadPattern, WindowText};
use crate::engine::text::{
    SHOW_NULL, push_csv_cell, push_csv_timestamp, push_java_double, push_java_float, push_json_f32,
    push_json_f64, push_show_string, push_show_timestamp,
};
use crate::engine::{BatchOutput, DataType, EmittedRow, Fraction, Query, Utc, Value, Window, Zone};

/// Writes the cells of a query's rows.
#[derive(Debug, Clone)]
pub struct Cells {
    key_types: Vec<DataType>,
    /// The output columns after the window: group-by, then aggregates.
    names: Vec<String>,
    /// Each name as a json row writes it before the value: `,"name":`.
    json_names: Vec<Vec<u8>>,
    /// Each aggregate's result type.
    agg_types: Vec<DataType>,
    windows: WindowText,
    zone: Zone,
    text: String,
}

impl Cells {
    /// Cells of `query`'s rows, times written in `zone`, the window column with the chrono
    /// pattern `window_format`.
    pub fn new(query: &Query, zone: Zone, window_format: &str) -> Result<Self, BadPattern> {
        let names: Vec<String> = query.output_names()[1..]
            .iter()
            .map(|n| (*n).to_string())
            .collect();
        let json_names = (names.iter())
            .map(|name| {
                let mut text = vec![b','];
                json_string(&mut text, name);
                text.push(b':');
                text
            })
            .collect();
        Ok(Cells {
            key_types: query.key_types().to_vec(),
            names,
            json_names,
            agg_types: query.agg_types().to_vec(),
            windows: WindowText::new(window_format, zone.clone())?,
            zone,
            text: String::new(),
        })
    }

    /// The output columns after the window.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The group-by columns' types.
    pub fn key_types(&self) -> &[DataType] {
        &self.key_types
    }

    /// The window column's text.
    pub fn window(&mut self, window: Window) -> &str {
        self.windows.format(window)
    }

    /// Every value of `row` after the window, with its type: group-by columns, then aggregates.
    fn values<'a>(
        key_types: &'a [DataType],
        agg_types: &'a [DataType],
        batch: &'a BatchOutput,
        row: &'a EmittedRow,
    ) -> impl Iterator<Item = (DataType, Value<'a>)> + 'a {
        key_types
            .iter()
            .copied()
            .zip(batch.key_values(row, key_types))
            .chain(agg_types.iter().copied().zip(batch.aggs(row)))
    }

    /// `show()`'s text of every cell of `row`, the window first, into `out`.
    pub fn show(&mut self, batch: &BatchOutput, row: &EmittedRow, out: &mut Vec<String>) {
        out.push(self.windows.format(row.window).to_string());
        self.show_values(batch.key(row), batch.aggs(row), out);
    }

    /// `show()`'s text of a state row's key (encoded) and aggregates, into `out`.
    pub fn show_values<'a>(
        &self,
        key: &'a [u8],
        aggs: impl IntoIterator<Item = Value<'a>>,
        out: &mut Vec<String>,
    ) {
        for value in crate::engine::key_values(&self.key_types, key) {
            out.push(self.show_value(value));
        }
        for value in aggs {
            out.push(self.show_value(value));
        }
    }

    /// `show()`'s text of one value.
    pub fn show_value(&self, value: Value<'_>) -> String {
        let mut cell = String::new();
        match value {
            Value::Null => cell.push_str(SHOW_NULL),
            Value::Str(s) => push_show_string(&mut cell, s),
            Value::Timestamp(t) => push_show_timestamp(&mut cell, t, self.zone.offset_at(t)),
            other => push_number(&mut cell, other),
        }
        cell
    }

    /// `row`'s cells after the window as Spark's CSV writer writes them (NULL an empty cell),
    /// then a line break.
    pub fn csv(&mut self, batch: &BatchOutput, row: &EmittedRow, out: &mut Vec<u8>) {
        for (i, (_, value)) in
            Self::values(&self.key_types, &self.agg_types, batch, row).enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            match value {
                Value::Null => push_csv_cell(out, None),
                Value::Str(s) => push_csv_cell(out, Some(s)),
                Value::Timestamp(t) => {
                    self.text.clear();
                    push_csv_timestamp(&mut self.text, t, self.zone.offset_at(t));
                    out.extend_from_slice(self.text.as_bytes());
                }
                other => {
                    self.text.clear();
                    push_number(&mut self.text, other);
                    out.extend_from_slice(self.text.as_bytes());
                }
            }
        }
        out.push(b'\n');
    }

    /// `row`'s cells after the window as JSON members (`,"user":"ana","count":2`): numbers
    /// as numbers, NULL as `null`, timestamps as RFC 3339 strings.
    pub fn json(&mut self, batch: &BatchOutput, row: &EmittedRow, out: &mut Vec<u8>) {
        for (name, (_, value)) in
            (self.json_names.iter()).zip(Self::values(&self.key_types, &self.agg_types, batch, row))
        {
            out.extend_from_slice(name);
            match value {
                Value::Null => out.extend_from_slice(b"null"),
                Value::Str(s) => json_string(out, s),
                Value::Timestamp(t) => {
                    let _ = write!(out, "\"{}\"", Utc(t, Fraction::Auto));
                }
                Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                Value::Long(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
                Value::Double(v) => {
                    self.text.clear();
                    push_json_f64(&mut self.text, v);
                    out.extend_from_slice(self.text.as_bytes());
                }
                Value::Float(v) => {
                    self.text.clear();
                    push_json_f32(&mut self.text, v);
                    out.extend_from_slice(self.text.as_bytes());
                }
            }
        }
    }
}

/// A number or boolean as Spark's text writes it (Java's `toString`).
fn push_number(out: &mut String, value: Value<'_>) {
    match value {
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Long(v) | Value::Timestamp(v) => out.push_str(itoa::Buffer::new().format(v)),
        Value::Double(v) => push_java_double(out, v),
        Value::Float(v) => push_java_float(out, v),
        Value::Str(s) => out.push_str(s),
        Value::Null => out.push_str(SHOW_NULL),
    }
}

/// A JSON string.
pub fn json_string(out: &mut Vec<u8>, s: &str) {
    // serde_json writes into a Vec<u8> without failing.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchKind, Engine, MICROS_PER_SECOND, QueryRequest, parse_aggs};

    /// One batch that emits a row of every type.
    fn emitted() -> (Query, BatchOutput) {
        let query = Query::new(QueryRequest {
            schema: "ts TIMESTAMP, k STRING, x DOUBLE, f FLOAT, b BOOLEAN"
                .parse()
                .unwrap(),
            event_time: crate::engine::EventTime::Column("ts".into()),
            group_by: vec!["k".into()],
            aggs: parse_aggs("count,sum(x),min(f),max(b),max(ts),min(k)").unwrap(),
            window: crate::engine::WindowRequest::Sliding {
                size: crate::engine::Duration::from_secs(10),
                slide: crate::engine::Duration::from_secs(10),
            },
            delay: crate::engine::Duration::ZERO,
            mode: crate::engine::OutputMode::Complete,
            max_windows_per_event: 10,
        })
        .unwrap();
        let t = 1_795_455_180 * MICROS_PER_SECOND;
        let row = [
            Value::Timestamp(t + 500_000),
            Value::Str("a,\"b\"\n"),
            Value::Double(12_345_678.5),
            Value::Float(0.25),
            Value::Bool(true),
        ];
        let nulls = [
            Value::Timestamp(t),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ];
        let mut engine = Engine::new(query.clone());
        let out = engine.run_batch(BatchKind::Data, [(t + 500_000, &row[..]), (t, &nulls[..])]);
        (query, out)
    }

    #[test]
    fn each_sink_writes_spark_text() {
        let (query, batch) = emitted();
        let mut cells = Cells::new(&query, Zone::utc(), "%H%M%S").unwrap();
        assert_eq!(
            cells.names(),
            [
                "k", "count", "sum(x)", "min(f)", "max(b)", "max(ts)", "min(k)"
            ]
        );
        let [null_row, row] = batch.first_in_order(2, cells.key_types())[..] else {
            panic!("two rows")
        };
        let mut shown = Vec::new();
        cells.show(&batch, row, &mut shown);
        assert_eq!(
            shown,
            [
                "173300-173310",
                "a,\"b\"\\n",
                "1",
                "1.23456785E7",
                "0.25",
                "true",
                "2026-11-23 17:33:00.5",
                "a,\"b\"\\n"
            ]
        );
        shown.clear();
        cells.show(&batch, null_row, &mut shown);
        assert_eq!(
            shown[1..],
            [
                "NULL",
                "1",
                "NULL",
                "NULL",
                "NULL",
                "2026-11-23 17:33:00",
                "NULL"
            ]
        );
        let mut csv = Vec::new();
        cells.csv(&batch, row, &mut csv);
        cells.csv(&batch, null_row, &mut csv);
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "\"a,\"\"b\"\"\n\",1,1.23456785E7,0.25,true,2026-11-23T17:33:00.500Z,\"a,\"\"b\"\"\n\"\n,1,,,,2026-11-23T17:33:00.000Z,\n"
        );
        let mut json = Vec::new();
        cells.json(&batch, null_row, &mut json);
        assert_eq!(
            String::from_utf8(json).unwrap(),
            ",\"k\":null,\"count\":1,\"sum(x)\":null,\"min(f)\":null,\"max(b)\":null,\"max(ts)\":\"2026-11-23T17:33:00Z\",\"min(k)\":null"
        );
    }
}

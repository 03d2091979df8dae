//! The json sink: one object per emitted row, one per line, for scripts and `jq`:
//! `{"batch_id":3,"window":{"start":"2026-11-23T17:33:00Z","end":"2026-11-23T17:33:30Z"},"value":"2","count":2}`.

use std::io::Write;

use serde::Serialize;

use super::Sink;
use crate::engine::{BatchOutput, Fraction, Micros, Utc};

pub struct JsonSink<W: Write> {
    out: W,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out }
    }
}

#[derive(Serialize)]
struct Row<'a> {
    batch_id: u64,
    window: Span,
    value: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct Span {
    #[serde(serialize_with = "rfc3339")]
    start: Micros,
    #[serde(serialize_with = "rfc3339")]
    end: Micros,
}

/// Writes a time as RFC 3339 UTC, with only as many fractional digits as it needs.
pub fn rfc3339<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Utc(*t, Fraction::Auto))
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        for row in &batch.rows {
            let line = Row {
                batch_id: batch.id,
                window: Span {
                    start: row.window.start,
                    end: row.window.end,
                },
                value: &row.value,
                count: row.count,
            };
            // As an io::Error, so a closed pipe is recognised as one.
            serde_json::to_writer(&mut self.out, &line).map_err(std::io::Error::from)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(())
    }

    fn describe(&self) -> String {
        "JsonSink[stdout]".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchKind, BatchStats, EmittedRow, MICROS_PER_SECOND, Window};

    #[test]
    fn one_object_per_row() {
        let start = 1_795_455_180 * MICROS_PER_SECOND;
        let batch = BatchOutput {
            id: 3,
            kind: BatchKind::Data,
            watermark: 0,
            late_threshold: 0,
            next_watermark: 0,
            rows: vec![EmittedRow {
                window: Window {
                    start,
                    end: start + 30 * MICROS_PER_SECOND + 1,
                },
                value: "say \"hi\"\n".into(),
                count: 2,
            }],
            stats: BatchStats::default(),
            late: vec![],
        };
        let mut sink = JsonSink::new(Vec::new());
        sink.write_batch(&batch).unwrap();
        assert_eq!(
            String::from_utf8(sink.out).unwrap(),
            "{\"batch_id\":3,\"window\":{\"start\":\"2026-11-23T17:33:00Z\",\"end\":\"2026-11-23T17:33:30.000001Z\"},\"value\":\"say \\\"hi\\\"\\n\",\"count\":2}\n"
        );
    }
}

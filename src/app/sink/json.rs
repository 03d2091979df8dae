//! The json sink: one object per emitted row, one per line, for scripts and `jq`:
//! `{"batch_id":3,"window":{"start":"2026-11-23T17:33:00Z","end":"2026-11-23T17:33:30Z"},"value":"2","count":2}`.

use std::io::Write;

use serde::Serialize;

use super::Sink;
use crate::engine::{BatchOutput, Fraction, Micros, Utc, Window};

pub struct JsonSink<W: Write> {
    out: W,
    /// The last window's `{"start":…,"end":…}`, reused while rows share it (they come sorted by
    /// window).
    window: Option<(Window, String)>,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out, window: None }
    }
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
            if !matches!(&self.window, Some((w, _)) if *w == row.window) {
                let span = Span {
                    start: row.window.start,
                    end: row.window.end,
                };
                self.window = Some((row.window, serde_json::to_string(&span)?));
            }
            let window = self.window.as_ref().map_or("", |(_, text)| text.as_str());
            write!(
                self.out,
                "{{\"batch_id\":{},\"window\":{window},\"value\":",
                batch.id
            )?;
            // As an io::Error, so a closed pipe is recognised as one.
            serde_json::to_writer(&mut self.out, &*row.value).map_err(std::io::Error::from)?;
            writeln!(self.out, ",\"count\":{}}}", row.count)?;
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

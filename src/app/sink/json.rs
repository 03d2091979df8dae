//! The json sink: one object per emitted row, one per line, for scripts and `jq`:
//! `{"batch_id":3,"window":{"start":"2026-11-23T17:33:00Z","end":"2026-11-23T17:33:30Z"},"value":"2","count":2}`
//! (the group-by columns and the aggregates by name, numbers as numbers, NULL as `null`).

use std::io::Write;

use super::Sink;
use super::cells::Cells;
use crate::engine::{BatchOutput, Fraction, Utc, Window};

pub struct JsonSink<W: Write> {
    out: W,
    cells: Cells,
    /// The start of the last rows' lines, `{"batch_id":…,"window":{"start":…,"end":…}`, reused
    /// while rows share their batch and window (a batch's rows come window by window).
    prefix: Option<(u64, Window, Vec<u8>)>,
    /// Lines not written yet: rows are written in pieces of [`PIECE`] bytes, not line by line
    /// (one copy of each line fewer than through `out`'s buffer).
    lines: Vec<u8>,
}

/// How many bytes of lines are written at a time.
const PIECE: usize = 64 * 1024;

impl<W: Write> JsonSink<W> {
    pub fn new(out: W, cells: Cells) -> Self {
        JsonSink {
            out,
            cells,
            prefix: None,
            lines: Vec::with_capacity(PIECE + 4096),
        }
    }
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        self.lines.clear();
        for row in &batch.rows {
            if !matches!(&self.prefix, Some((id, w, _)) if *id == batch.id && *w == row.window) {
                self.prefix = None;
            }
            let (_, _, prefix) = self
                .prefix
                .get_or_insert_with(|| (batch.id, row.window, line_start(batch.id, row.window)));
            self.lines.extend_from_slice(prefix);
            self.cells.json(batch, row, &mut self.lines);
            self.lines.extend_from_slice(b"}\n");
            if self.lines.len() >= PIECE {
                self.out.write_all(&self.lines)?;
                self.lines.clear();
            }
        }
        self.out.write_all(&self.lines)?;
        self.out.flush()?;
        Ok(())
    }

    fn describe(&self) -> String {
        "JsonSink[stdout]".to_string()
    }
}

/// The start of a json line, up to the group-by columns.
fn line_start(batch_id: u64, window: Window) -> Vec<u8> {
    format!(
        "{{\"batch_id\":{batch_id},\"window\":{{\"start\":\"{}\",\"end\":\"{}\"}}",
        Utc(window.start, Fraction::Auto),
        Utc(window.end, Fraction::Auto)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchKind, Engine, MICROS_PER_SECOND, Query, Value, Zone};

    #[test]
    fn one_object_per_row() {
        let mut engine = Engine::new(Query::seed());
        let t = 1_795_455_180 * MICROS_PER_SECOND + 1;
        engine.run_batch(BatchKind::Data, [(t, &[Value::Str("say \"hi\"\n")][..])]);
        engine.run_batch(
            BatchKind::Data,
            [(t + 60 * MICROS_PER_SECOND, &[Value::Str("x")][..])],
        );
        let batch = engine.run_batch(BatchKind::NoData, std::iter::empty::<(i64, &[Value])>());
        let cells = Cells::new(&Query::seed(), Zone::utc(), "%H%M%S").unwrap();
        let mut sink = JsonSink::new(Vec::new(), cells);
        sink.write_batch(&batch).unwrap();
        let text = String::from_utf8(sink.out).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            "{\"batch_id\":2,\"window\":{\"start\":\"2026-11-23T17:32:45Z\",\"end\":\"2026-11-23T17:33:15Z\"},\"value\":\"say \\\"hi\\\"\\n\",\"count\":1}"
        );
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn each_line_names_its_own_batch_and_window() {
        let t = 1_795_455_180 * MICROS_PER_SECOND;
        let s = MICROS_PER_SECOND;
        let w1 = Window {
            start: t,
            end: t + 10 * s,
        };
        let w2 = Window {
            start: t + 10 * s,
            end: t + 20 * s,
        };
        let cells = Cells::new(&Query::seed(), Zone::utc(), "%H%M%S").unwrap();
        let mut sink = JsonSink::new(Vec::new(), cells);
        sink.write_batch(&BatchOutput::of_counts(
            1,
            &[(w1, "a", 1), (w1, "b", 2), (w2, "a", 3)],
        ))
        .unwrap();
        sink.write_batch(&BatchOutput::of_counts(2, &[(w2, "a", 4)]))
            .unwrap();
        let text = String::from_utf8(sink.out).unwrap();
        let starts: Vec<_> = text
            .lines()
            .map(|l| l.split(",\"value\"").next().unwrap().to_string())
            .collect();
        let line = |id, from, to| {
            format!(
                "{{\"batch_id\":{id},\"window\":{{\"start\":\"2026-11-23T17:33:{from}Z\",\"end\":\"2026-11-23T17:33:{to}Z\"}}"
            )
        };
        assert_eq!(
            starts,
            [
                line(1, "00", "10"),
                line(1, "00", "10"),
                line(1, "10", "20"),
                line(2, "10", "20")
            ]
        );
    }
}

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
    /// The last window's `{"start":…,"end":…}`, reused while rows share it (they come sorted by
    /// window).
    window: Option<(Window, String)>,
    line: Vec<u8>,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W, cells: Cells) -> Self {
        JsonSink {
            out,
            cells,
            window: None,
            line: Vec::new(),
        }
    }
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        for row in &batch.rows {
            if !matches!(&self.window, Some((w, _)) if *w == row.window) {
                let span = format!(
                    "{{\"start\":\"{}\",\"end\":\"{}\"}}",
                    Utc(row.window.start, Fraction::Auto),
                    Utc(row.window.end, Fraction::Auto)
                );
                self.window = Some((row.window, span));
            }
            let window = self.window.as_ref().map_or("", |(_, text)| text.as_str());
            self.line.clear();
            write!(self.line, "{{\"batch_id\":{},\"window\":{window}", batch.id)?;
            self.cells.json(batch, row, &mut self.line);
            self.line.extend_from_slice(b"}\n");
            self.out.write_all(&self.line)?;
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
}

//! Spark's console sink (`truncate=false`), byte for byte: a `Batch: N` header, then the batch as
//! `Dataset.show` prints it, with its 20-row limit, escaped control characters and Spark's idea of
//! a cell's display width.

use std::io::Write;

use super::Sink;
use super::cells::Cells;
use crate::engine::BatchOutput;

/// `show()` prints at most this many rows.
pub const SHOW_ROWS: usize = 20;

const RULE: &str = "-------------------------------------------";

/// Writes every batch, empty ones too, as Spark's console sink does.
pub struct ConsoleSink<W: Write> {
    out: W,
    cells: Cells,
    header: Vec<String>,
}

impl<W: Write> ConsoleSink<W> {
    pub fn new(out: W, cells: Cells) -> Self {
        let header = std::iter::once("window".to_string())
            .chain(cells.names().iter().cloned())
            .collect();
        ConsoleSink { out, cells, header }
    }

    /// The writer (the dashboard reads the text from a buffer).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write + Send> Sink for ConsoleSink<W> {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        let shown = batch.rows.len().min(SHOW_ROWS);
        let mut rows = Vec::with_capacity(shown);
        for row in batch.first_in_order(shown, self.cells.key_types()) {
            let mut cells = Vec::with_capacity(self.header.len());
            self.cells.show(batch, row, &mut cells);
            rows.push(cells);
        }
        write!(self.out, "{RULE}\nBatch: {}\n{RULE}\n", batch.id)?;
        write_table(
            &mut self.out,
            &self.header,
            &rows,
            batch.rows.len() > SHOW_ROWS,
        )?;
        self.out.flush()?;
        Ok(())
    }

    fn describe(&self) -> String {
        "ConsoleSink[numRows: 20, truncate: false]".to_string()
    }
}

/// `Dataset.showString(20, truncate = 0)` followed by `println`'s newline.
pub fn write_table(
    out: &mut impl Write,
    header: &[String],
    rows: &[Vec<String>],
    more: bool,
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    for width in &mut widths {
        *width = (*width).max(3);
    }
    let mut rule = String::from("+");
    for w in &widths {
        rule.push_str(&"-".repeat(*w));
        rule.push('+');
    }
    writeln!(out, "{rule}")?;
    write_row(out, header, &widths)?;
    writeln!(out, "{rule}")?;
    for row in rows {
        write_row(out, row, &widths)?;
    }
    writeln!(out, "{rule}")?;
    if more {
        writeln!(out, "only showing top {SHOW_ROWS} rows")?;
    }
    writeln!(out)
}

fn write_row(out: &mut impl Write, cells: &[String], widths: &[usize]) -> std::io::Result<()> {
    out.write_all(b"|")?;
    for (cell, width) in cells.iter().zip(widths) {
        write!(out, "{cell}{:pad$}|", "", pad = width - display_width(cell))?;
    }
    out.write_all(b"\n")
}

/// Spark's `Utils.stringHalfWidth`: UTF-16 length plus one for each full-width character.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| c.len_utf16() + usize::from(is_full_width(c)))
        .sum()
}

fn is_full_width(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE10}'..='\u{FE19}'
        | '\u{FE30}'..='\u{FE6F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BatchKind, Engine, MICROS_PER_SECOND, Query, Value, Zone};

    fn sink() -> ConsoleSink<Vec<u8>> {
        let cells = Cells::new(&Query::seed(), Zone::utc(), "%H%M%S").unwrap();
        ConsoleSink::new(Vec::new(), cells)
    }

    /// The seed's query emits `values` as one batch's rows of window 17:33:00-17:33:30.
    fn batch(values: &[&str]) -> BatchOutput {
        let mut engine = Engine::new(Query::seed());
        let t = 1_795_455_180 * MICROS_PER_SECOND;
        let rows: Vec<[Value; 1]> = values.iter().map(|v| [Value::Str(v)]).collect();
        engine.run_batch(BatchKind::Data, rows.iter().map(|r| (t, &r[..])));
        engine.run_batch(
            BatchKind::Data,
            [(t + 60 * MICROS_PER_SECOND, &[Value::Str("x")][..])],
        );
        engine.run_batch(BatchKind::NoData, std::iter::empty::<(i64, &[Value])>())
    }

    fn print(b: &BatchOutput) -> String {
        let mut s = sink();
        s.write_batch(b).unwrap();
        String::from_utf8(s.out).unwrap()
    }

    #[test]
    fn an_empty_batch_is_the_bare_header() {
        let mut engine = Engine::new(Query::seed());
        let empty = engine.run_batch(BatchKind::NoData, std::iter::empty::<(i64, &[Value])>());
        assert_eq!(
            print(&empty),
            "-------------------------------------------\nBatch: 0\n-------------------------------------------\n\
             +------+-----+-----+\n|window|value|count|\n+------+-----+-----+\n+------+-----+-----+\n\n"
        );
    }

    #[test]
    fn the_seed_batch() {
        let text = print(&batch(&["2", "2", "10"]));
        assert!(
            text.ends_with(
                "+-------------+-----+-----+\n|window       |value|count|\n+-------------+-----+-----+\n\
                 |173245-173315|10   |1    |\n|173245-173315|2    |2    |\n\
                 |173300-173330|10   |1    |\n|173300-173330|2    |2    |\n+-------------+-----+-----+\n\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn wide_characters_escapes_and_emoji() {
        let text = print(&batch(&["日本語", "tab\there", "😀", "ｱ"]));
        // Widest cell: `tab\there`, 9. 日本語 is 6 wide, 😀 2 (UTF-16), ｱ 1 (half-width).
        assert!(text.contains("|日本語   |"), "{text}");
        assert!(text.contains("|tab\\there|"), "{text}");
        assert!(text.contains("|😀       |"), "{text}");
        assert!(text.contains("|ｱ        |"), "{text}");
    }

    #[test]
    fn at_most_twenty_rows_then_the_footer() {
        let values: Vec<String> = (0..11).map(|i| format!("v{i:02}")).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let text = print(&batch(&values));
        assert_eq!(text.matches("|1    |").count(), 20, "{text}");
        assert!(text.ends_with("+-------------+-----+-----+\nonly showing top 20 rows\n\n"));
        let text = print(&batch(&values[..10]));
        assert!(!text.contains("only showing"));
        // The twenty shown are the first by window, then value, in whatever order they came:
        // all eleven of the first window, v00 to v08 of the second.
        let reversed: Vec<&str> = values.iter().rev().copied().collect();
        let text = print(&batch(&reversed));
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("|v0") || l.contains("|v1"))
            .collect();
        assert_eq!(lines.len(), 20, "{text}");
        assert!(
            lines[0].starts_with("|173245-173315|v00") && lines[10].contains("|v10"),
            "{text}"
        );
        assert!(
            lines[11].starts_with("|173300-173330|v00") && lines[19].contains("|v08"),
            "{text}"
        );
    }
}

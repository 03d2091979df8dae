//! Spark's console sink (`truncate=false`), byte for byte: a `Batch: N` header, then the batch as
//! `Dataset.show` prints it, with its 20-row limit, escaped control characters and Spark's idea of
//! a cell's display width.

use std::io::Write;

use super::Sink;
use super::window_text::WindowText;
use crate::engine::BatchOutput;

/// `show()` prints at most this many rows.
pub const SHOW_ROWS: usize = 20;

const RULE: &str = "-------------------------------------------";

/// Writes every batch, empty ones too, as Spark's console sink does.
pub struct ConsoleSink<W: Write> {
    out: W,
    windows: WindowText,
}

impl<W: Write> ConsoleSink<W> {
    pub fn new(out: W, windows: WindowText) -> Self {
        ConsoleSink { out, windows }
    }

    /// The writer (the dashboard reads the text from a buffer).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write + Send> Sink for ConsoleSink<W> {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        let shown = batch.rows.len().min(SHOW_ROWS);
        let cells: Vec<[String; 3]> = batch.rows[..shown]
            .iter()
            .map(|row| {
                [
                    escape(self.windows.format(row.window)),
                    escape(&row.value),
                    row.count.to_string(),
                ]
            })
            .collect();
        write!(self.out, "{RULE}\nBatch: {}\n{RULE}\n", batch.id)?;
        write_table(
            &mut self.out,
            ["window", "value", "count"],
            &cells,
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
pub fn write_table<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    rows: &[[String; N]],
    more: bool,
) -> std::io::Result<()> {
    let mut widths = header.map(display_width);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    let widths = widths.map(|w| w.max(3));
    let mut rule = String::from("+");
    for w in widths {
        rule.push_str(&"-".repeat(w));
        rule.push('+');
    }
    writeln!(out, "{rule}")?;
    write_row(out, &header, &widths)?;
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

fn write_row<const N: usize>(
    out: &mut impl Write,
    cells: &[impl AsRef<str>; N],
    widths: &[usize; N],
) -> std::io::Result<()> {
    out.write_all(b"|")?;
    for (cell, width) in cells.iter().zip(widths) {
        let cell = cell.as_ref();
        write!(out, "{cell}{:pad$}|", "", pad = width - display_width(cell))?;
    }
    out.write_all(b"\n")
}

/// Spark's `escapeMetaCharacters`: seven control characters become backslash escapes; the
/// others pass through as they are.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0c' => out.push_str("\\f"),
            '\x08' => out.push_str("\\b"),
            '\x0b' => out.push_str("\\v"),
            '\x07' => out.push_str("\\a"),
            c => out.push(c),
        }
    }
    out
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
    use chrono::FixedOffset;

    use super::*;
    use crate::app::sink::window_text::DEFAULT_PATTERN;
    use crate::engine::Zone;
    use crate::engine::{BatchKind, BatchStats, EmittedRow, MICROS_PER_SECOND, Window};

    fn sink() -> ConsoleSink<Vec<u8>> {
        let utc = Zone::Fixed(FixedOffset::east_opt(0).unwrap());
        ConsoleSink::new(Vec::new(), WindowText::new(DEFAULT_PATTERN, utc).unwrap())
    }

    fn batch(id: u64, rows: &[(&str, u64)]) -> BatchOutput {
        let start = 1_795_455_180 * MICROS_PER_SECOND;
        BatchOutput {
            id,
            kind: BatchKind::Data,
            watermark: 0,
            late_threshold: 0,
            next_watermark: 0,
            rows: rows
                .iter()
                .map(|(v, c)| EmittedRow {
                    window: Window {
                        start,
                        end: start + 30 * MICROS_PER_SECOND,
                    },
                    value: (*v).into(),
                    count: *c,
                })
                .collect(),
            stats: BatchStats::default(),
            late: vec![],
        }
    }

    fn print(b: &BatchOutput) -> String {
        let mut s = sink();
        s.write_batch(b).unwrap();
        String::from_utf8(s.out).unwrap()
    }

    #[test]
    fn an_empty_batch_is_the_bare_header() {
        assert_eq!(
            print(&batch(0, &[])),
            "-------------------------------------------\nBatch: 0\n-------------------------------------------\n\
             +------+-----+-----+\n|window|value|count|\n+------+-----+-----+\n+------+-----+-----+\n\n"
        );
    }

    #[test]
    fn the_seed_batch() {
        assert_eq!(
            print(&batch(3, &[("2", 2), ("10", 1)])),
            "-------------------------------------------\nBatch: 3\n-------------------------------------------\n\
             +-------------+-----+-----+\n|window       |value|count|\n+-------------+-----+-----+\n\
             |173300-173330|2    |2    |\n|173300-173330|10   |1    |\n+-------------+-----+-----+\n\n"
        );
    }

    #[test]
    fn wide_characters_escapes_and_emoji() {
        let text = print(&batch(
            5,
            &[("日本語", 1), ("tab\there", 1), ("😀", 1), ("ｱ", 1)],
        ));
        // Widest cell: `tab\there`, 9. 日本語 is 6 wide, 😀 2 (UTF-16), ｱ 1 (half-width).
        assert!(text.contains("|日本語   |"), "{text}");
        assert!(text.contains("|tab\\there|"), "{text}");
        assert!(text.contains("|😀       |"), "{text}");
        assert!(text.contains("|ｱ        |"), "{text}");
        assert_eq!(
            escape("\n\r\t\x0c\x08\x0b\x07\x01"),
            "\\n\\r\\t\\f\\b\\v\\a\x01"
        );
    }

    #[test]
    fn at_most_twenty_rows_then_the_footer() {
        let rows: Vec<(String, u64)> = (0..21).map(|i| (format!("v{i:02}"), 1)).collect();
        let rows: Vec<(&str, u64)> = rows.iter().map(|(v, c)| (v.as_str(), *c)).collect();
        let text = print(&batch(1, &rows));
        assert_eq!(text.matches("|173300-173330|").count(), 20);
        assert!(text.ends_with("+-------------+-----+-----+\nonly showing top 20 rows\n\n"));
        assert!(!text.contains("v20"));
        let text = print(&batch(1, &rows[..20]));
        assert!(!text.contains("only showing"));
    }
}

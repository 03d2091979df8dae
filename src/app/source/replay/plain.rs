//! The replay reader's fast path: a plain row (no quote, on one line, every cell a value of
//! its type) is split and typed in one pass. Nearly every row of a replay file is plain; for
//! anything else the fast path gives up, leaving the row to the general path, which also words
//! every error.
//!
//! A field whose parser accepts no comma, quote or line break (the batch tick, a timestamp, a
//! number, a boolean) is not scanned: its end is guessed from the same field of the row
//! before, and parsing it proves the guess (a wrong guess fails to parse, and the general path
//! reads the row). Other fields (strings, columns the query does not read) are scanned eight
//! bytes at a time. A row whose tick has the last row's text takes that tick unparsed.
//!
//! The seed's shape (the tick, the event time and one string: a `batch,event_time,value` file
//! read without `--schema`) skips the column loop, and its row is written in a few fixed-size
//! moves; a test holds it to the loop's answers.

use super::Binding;
use crate::engine::{CellParser, DataType, Micros, RowWriter, Rows, Value};

/// The most fields a row may have for the fast path.
const MAX_FIELDS: usize = 32;

/// The fast path for the rows of one binding.
#[derive(Debug, Clone)]
pub struct Plain {
    /// The row's columns in order (after the batch tick).
    columns: Vec<Cell>,
    /// Each field's length in the last row read, the tick's first: the guess for the next.
    widths: [u32; MAX_FIELDS],
    /// The column holding the event time.
    event_time: usize,
    /// The fields are the tick, the event time and one string (a `batch,event_time,value`
    /// file without `--schema`): [`Plain::read`] takes them in straight-line code.
    seed_shape: bool,
    /// The last row's tick, when it took under eight bytes: its text and comma (as a number,
    /// the first byte lowest), the mask of those bytes, and its value. A row that starts with
    /// the same bytes has the same tick, and it is not parsed again.
    last_tick: (u64, u64, u64),
}

/// What a field of the row holds, for the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// A column the query does not read: scanned past, NULL in the row.
    Skip,
    String,
    Timestamp,
    Other(DataType),
}

impl Cell {
    /// Whether the field's end may be guessed: its parser takes no comma, quote or line break.
    fn guessed(self) -> bool {
        !matches!(self, Cell::Skip | Cell::String)
    }
}

/// The row the fast path read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub tick: u64,
    pub event_time: Micros,
    /// Bytes the row took, its line break included.
    pub consumed: usize,
}

impl Plain {
    /// The fast path for `binding`, whose file has `columns` columns after the tick; none when
    /// the schema does not list the file's columns in the file's order, or has too many: the
    /// general path reads every row then.
    pub fn new(binding: &Binding, columns: usize) -> Option<Plain> {
        let schema = binding.schema.fields();
        let in_order = binding.file_column.iter().enumerate().all(|(i, &c)| i == c);
        if !in_order || schema.len() != columns || columns + 1 > MAX_FIELDS {
            return None;
        }
        let cells = schema.iter().enumerate().map(|(column, field)| {
            match (binding.read[column], field.ty) {
                (false, _) => Cell::Skip,
                (true, DataType::String) => Cell::String,
                (true, DataType::Timestamp) => Cell::Timestamp,
                (true, ty) => Cell::Other(ty),
            }
        });
        let columns: Vec<Cell> = cells.collect();
        let seed_shape = columns == [Cell::Timestamp, Cell::String];
        Some(Plain {
            seed_shape: seed_shape && binding.event_time == 0,
            columns,
            widths: [0; MAX_FIELDS],
            event_time: binding.event_time,
            last_tick: (0, 0, 0),
        })
    }

    /// Reads the row at the start of `data` into `rows` when it is plain, no longer than
    /// `max_len` bytes, and its tick is `tick` (when given) and not below `min_tick`.
    /// Otherwise `rows` is left as it was and the answer is `None`.
    #[allow(clippy::inline_always)] // the body of replay's hot loop
    #[inline(always)]
    pub fn read(
        &mut self,
        data: &[u8],
        max_len: usize,
        cells: &mut CellParser,
        rows: &mut Rows,
        tick: Option<u64>,
        min_tick: Option<u64>,
    ) -> Option<Read> {
        let (row_tick, tick_end) = self.read_tick(data, max_len, tick, min_tick)?;
        if self.seed_shape {
            return self.read_seed_shape(data, (row_tick, tick_end + 1), max_len, cells, rows);
        }
        let last = self.columns.len() - 1;
        let mut row = rows.writer(self.columns.len());
        let (mut event_time, mut start) = (None, tick_end + 1);
        for column in 0..last {
            let stop = self.field_stop(data, start, column, b',', max_len)?;
            self.take(
                column,
                data,
                (start, stop),
                cells,
                &mut row,
                &mut event_time,
            )?;
            start = stop + 1;
        }
        // The last field ends at the line break, after a carriage return if there is one.
        let stop = self.field_stop(data, start, last, b'\n', max_len)?;
        let end = if stop > start && data[stop - 1] == b'\r' {
            stop - 1
        } else {
            stop
        };
        self.take(last, data, (start, end), cells, &mut row, &mut event_time)?;
        start = stop + 1;
        // A NULL event time is the general path's.
        let event_time = event_time?;
        row.finish(event_time);
        Some(Read {
            tick: row_tick,
            event_time,
            consumed: start,
        })
    }

    /// The row's tick and where it ends, when it is `tick` (if given) and not below `min_tick`.
    /// A tick with the last row's text (the usual case) is not parsed again.
    #[allow(clippy::inline_always)] // every row's first field
    #[inline(always)]
    fn read_tick(
        &mut self,
        data: &[u8],
        max_len: usize,
        tick: Option<u64>,
        min_tick: Option<u64>,
    ) -> Option<(u64, usize)> {
        let (text, mask, value) = self.last_tick;
        let word = word_at(data, 0)?;
        let (row_tick, end) = if mask != 0 && word & mask == text {
            (value, mask.trailing_ones() as usize / 8 - 1)
        } else {
            let end = field_stop(data, 0, Some(self.widths[0]), b',', max_len)?;
            let row_tick = parse_u64(&data[..end])?;
            if end < 7 {
                let mask = (1 << (8 * (end + 1))) - 1;
                self.last_tick = (word & mask, mask, row_tick);
            }
            (row_tick, end)
        };
        if tick.is_some_and(|t| t != row_tick) || min_tick.is_some_and(|min| row_tick < min) {
            return None;
        }
        self.widths[0] = end as u32;
        Some((row_tick, end))
    }

    /// Where column `column`'s field, starting at `start`, ends ([`field_stop`], guessed from
    /// the row before when its parser allows); its width is kept for the next row.
    #[allow(clippy::inline_always)] // every field of every row
    #[inline(always)]
    fn field_stop(
        &mut self,
        data: &[u8],
        start: usize,
        column: usize,
        separator: u8,
        max_len: usize,
    ) -> Option<usize> {
        let width = &mut self.widths[column + 1];
        let guess = self.columns[column].guessed().then_some(*width);
        let stop = field_stop(data, start, guess, separator, max_len)?;
        *width = (stop - start) as u32;
        Some(stop)
    }

    /// Types column `column`'s text, `data[start..end]`, into `row`; `None` when it is not a
    /// value of its type. The event time's column also sets `event_time`.
    #[allow(clippy::inline_always)] // every field of every row
    #[inline(always)]
    fn take(
        &self,
        column: usize,
        data: &[u8],
        (start, end): (usize, usize),
        cells: &mut CellParser,
        row: &mut RowWriter<'_>,
        event_time: &mut Option<Micros>,
    ) -> Option<()> {
        let bytes = &data[start..end];
        match self.columns[column] {
            Cell::Skip => row.null(),
            _ if bytes == b"\\N" => row.null(),
            Cell::String => row.string_in(data, (start, end)).ok()?,
            Cell::Timestamp => {
                let Some(Value::Timestamp(t)) = cells.parse_bytes(DataType::Timestamp, bytes)
                else {
                    return None;
                };
                if column == self.event_time {
                    *event_time = Some(t);
                }
                row.long(t);
            }
            Cell::Other(ty) => row.value(cells.parse_bytes(ty, bytes)?),
        }
        Some(())
    }
}

impl Plain {
    /// [`Plain::read`] for the seed's shape, `tick,event_time,value`, after the tick (`row_tick`,
    /// the event time's field at `time_start`): the same checks as the column loop, in
    /// straight-line code.
    #[allow(clippy::inline_always)] // the body of replay's hot loop
    #[inline(always)]
    fn read_seed_shape(
        &mut self,
        data: &[u8],
        (row_tick, time_start): (u64, usize),
        max_len: usize,
        cells: &mut CellParser,
        rows: &mut Rows,
    ) -> Option<Read> {
        let time_end = field_stop(data, time_start, Some(self.widths[1]), b',', max_len)?;
        let Some(Value::Timestamp(event_time)) =
            cells.parse_bytes(DataType::Timestamp, &data[time_start..time_end])
        else {
            return None;
        };
        let value_start = time_end + 1;
        let stop = field_stop(data, value_start, None, b'\n', max_len)?;
        let value_end = if stop > value_start && data[stop - 1] == b'\r' {
            stop - 1
        } else {
            stop
        };
        self.widths[1] = (time_end - time_start) as u32;
        if &data[value_start..value_end] == b"\\N" {
            rows.push(event_time, &[Value::Timestamp(event_time), Value::Null]);
        } else {
            rows.push_time_and_string(event_time, event_time, data, (value_start, value_end))
                .ok()?;
        }
        Some(Read {
            tick: row_tick,
            event_time,
            consumed: stop + 1,
        })
    }
}

/// Where the field at `start` ends: at `start + width` when a width is guessed (the same
/// field's in the row before) and `separator` is there, else at the first comma, quote or
/// line break, which must be `separator`, no further than `max_len`.
#[inline]
fn field_stop(
    data: &[u8],
    start: usize,
    width: Option<u32>,
    separator: u8,
    max_len: usize,
) -> Option<usize> {
    let guess = width.map(|w| start + w as usize);
    let stop = match guess.and_then(|g| data.get(g)) {
        Some(&b) if b == separator => guess?,
        _ => next_stop(data, start, max_len)?,
    };
    (data[stop] == separator && stop <= max_len).then_some(stop)
}

/// The batch tick: digits, at most 19.
pub fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let d = d.wrapping_sub(b'0');
        (d < 10).then(|| n * 10 + u64::from(d))
    })
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

/// `0x80` in each byte of `word` that equals `byte`, `0` in the others (exact: no carry runs
/// from one byte into the next).
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The eight bytes of `data` at `at`, zeros past its end (a zero is none of the bytes looked
/// for); `None` at or past the end.
#[inline]
fn word_at(data: &[u8], at: usize) -> Option<u64> {
    if let Some(chunk) = data.get(at..at + 8).and_then(|s| s.first_chunk::<8>()) {
        return Some(u64::from_le_bytes(*chunk));
    }
    let tail = data.get(at..).filter(|t| !t.is_empty())?;
    let mut chunk = [0u8; 8];
    chunk[..tail.len()].copy_from_slice(tail);
    Some(u64::from_le_bytes(chunk))
}

/// The first comma, quote or line break at or after `at`, looking no further than `limit`.
#[inline]
fn next_stop(data: &[u8], mut at: usize, limit: usize) -> Option<usize> {
    loop {
        let word = word_at(data, at)?;
        let stops = bytes_equal(word, b',') | bytes_equal(word, b'\n') | bytes_equal(word, b'"');
        if stops != 0 {
            return Some(at + stops.trailing_zeros() as usize / 8);
        }
        at += 8;
        if at > limit {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Schema, Zone};

    /// A fast path for rows `batch,<columns>`, every column read, the event time `ts`.
    fn plain(schema: &str) -> (Plain, Vec<DataType>) {
        let schema: Schema = schema.parse().unwrap();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name.clone()).collect();
        let event_time = schema.index_of("ts").unwrap();
        let types = schema.types().to_vec();
        let binding = Binding::new(&names, schema, event_time, vec![true; names.len()]);
        (Plain::new(&binding, names.len()).unwrap(), types)
    }

    /// Reads `line` (no tick condition), giving the row's values after the event time.
    fn read(p: &mut Plain, types: &[DataType], line: &[u8]) -> Option<(u64, Vec<String>)> {
        let mut rows = Rows::default();
        let mut cells = CellParser::new(Zone::utc());
        let got = p.read(line, 1 << 20, &mut cells, &mut rows, None, None);
        let Some(got) = got else {
            assert!(
                rows.is_empty(),
                "nothing is left of a row the fast path gave up"
            );
            return None;
        };
        let (_, row) = rows.row(0, types);
        let values = (1..types.len()).map(|c| format!("{:?}", row.value(c)));
        Some((got.tick, values.collect()))
    }

    const TS: &str = "2026-11-23T17:33:00.000000Z";

    #[test]
    fn splits_plain_rows_on_commas_at_any_offset() {
        let (mut p, types) = plain("ts TIMESTAMP, a STRING, b STRING");
        let got = read(&mut p, &types, format!("7,{TS},x,yz\nnext").as_bytes());
        assert_eq!(
            got,
            Some((7, vec![r#"Str("x")"#.into(), r#"Str("yz")"#.into()]))
        );
        let got = read(&mut p, &types, format!("8,{TS},,\r\n").as_bytes());
        assert_eq!(
            got,
            Some((8, vec![r#"Str("")"#.into(), r#"Str("")"#.into()]))
        );
        // Every position of the comma and the line break around the eight-byte words.
        for len in 1..40 {
            for comma in 0..len {
                let mut line = format!("0,{TS},").into_bytes();
                let mut rest = vec![b'x'; len];
                rest[comma] = b',';
                line.extend_from_slice(&rest);
                line.push(b'\n');
                let (_, values) = read(&mut p, &types, &line).unwrap();
                let want = [comma, len - comma - 1].map(|n| format!("Str({:?})", "x".repeat(n)));
                assert_eq!(values, want);
            }
        }
    }

    #[test]
    fn leaves_what_is_not_plain() {
        let (mut p, types) = plain("ts TIMESTAMP, a STRING");
        for line in [
            format!("0,{TS},\"a,b\"\n"), // a quote
            format!("0,{TS},a"),         // no line break yet
            "\n".into(),
            "\r\n".into(),
            String::new(),
            format!("0,{TS},a,b\n"),                  // too many fields
            format!("0,{TS}\n"),                      // too few
            "x,2026-11-23T17:33:00Z,a\n".into(),      // not a tick
            "0,2026-11-23T17:33:00+25:00,a\n".into(), // not a time
            "0,\\N,a\n".into(),                       // no event time
        ] {
            assert_eq!(read(&mut p, &types, line.as_bytes()), None, "{line:?}");
        }
        assert!(
            read(&mut p, &types, b"0,2026-11-23T17:33:00Z,\xff\n").is_none(),
            "not UTF-8"
        );
        let mut rows = Rows::default();
        let mut cells = CellParser::new(Zone::utc());
        let line = format!("5,{TS},a\n");
        assert!(
            p.read(line.as_bytes(), 8, &mut cells, &mut rows, None, None)
                .is_none(),
            "long"
        );
        let mut tick = |want, min| {
            p.clone().read(
                line.as_bytes(),
                1 << 20,
                &mut cells,
                &mut Rows::default(),
                want,
                min,
            )
        };
        assert!(tick(Some(4), None).is_none() && tick(None, Some(6)).is_none());
        assert_eq!(tick(Some(5), Some(5)).map(|r| r.consumed), Some(line.len()));
        // Bytes with the high bit set are not taken for commas or line breaks.
        let got = read(&mut p, &types, format!("0,{TS},日本\u{ac}\n").as_bytes());
        assert_eq!(got, Some((0, vec![r#"Str("日本¬")"#.into()])));
    }

    #[test]
    fn a_guessed_field_ends_where_the_last_one_did_or_is_scanned() {
        let (mut p, types) = plain("ts TIMESTAMP, n LONG, s STRING");
        let t = "2026-11-23T17:33:00Z"; // shorter than TS: the guess from TS misses
        let lines = [
            format!("0,{TS},12,a\n"),
            format!("0,{t},13,bb\r\n"),
            format!("10,{TS},5,c\n"),
            format!("10,{t},1234,d\n"),
        ];
        let want = [
            (0, "12", "a"),
            (0, "13", "bb"),
            (10, "5", "c"),
            (10, "1234", "d"),
        ];
        for (line, (tick, n, s)) in lines.iter().zip(want) {
            let values = vec![format!("Long({n})"), format!("Str({s:?})")];
            assert_eq!(read(&mut p, &types, line.as_bytes()), Some((tick, values)));
        }
        // The guess (four bytes) lands on a comma after another: `5,67` fails to parse, and
        // the general path reads the row (and finds a field too many).
        assert_eq!(
            read(&mut p, &types, format!("1,{t},5,67,e\n").as_bytes()),
            None
        );
        // A guessed last field may end in `\r\n` where the last row's ended in `\n`.
        let (mut p, types) = plain("s STRING, ts TIMESTAMP");
        let got = read(&mut p, &types, format!("1,a,{TS}\n").as_bytes());
        assert_eq!(got.map(|g| g.0), Some(1));
        let got = read(&mut p, &types, format!("2,b,{TS}\r\n").as_bytes());
        assert_eq!(got.map(|g| g.0), Some(2));
    }

    #[test]
    fn a_tick_is_its_digits_whatever_the_row_before_held() {
        for schema in ["ts TIMESTAMP, value STRING", "ts TIMESTAMP, n LONG"] {
            let (mut p, types) = plain(schema);
            let ticks = [
                "7",
                "7",
                "12",
                "12",
                "1",
                "123456",
                "1234567",
                "1234567",
                "12345678",
                "1234567",
                "1234568",
                "123456",
                "0",
                "00",
                "0",
                "9999999999",
                "9",
            ];
            for (i, tick) in ticks.iter().enumerate() {
                // Every third row fails after its tick (no event time); the next must not
                // borrow anything from it.
                let time = if i % 3 == 2 { "\\N" } else { TS };
                let line = format!("{tick},{time},5\n");
                let want = (i % 3 != 2).then(|| tick.parse::<u64>().unwrap());
                // First as a row of another tick (refused after its tick is read), then as any.
                let mut cells = CellParser::new(Zone::utc());
                let mut rows = Rows::default();
                let other = p.read(line.as_bytes(), 99, &mut cells, &mut rows, Some(3), None);
                assert!(other.is_none() && rows.is_empty(), "{schema}: {line:?}");
                let got = read(&mut p, &types, line.as_bytes()).map(|(t, _)| t);
                assert_eq!(got, want, "{schema}: {line:?}");
            }
            assert!(read(&mut p, &types, format!("9x,{TS},5\n").as_bytes()).is_none());
            assert!(read(&mut p, &types, format!(",{TS},5\n").as_bytes()).is_none());
        }
    }

    #[test]
    fn the_seed_shape_reads_as_the_field_loop_does() {
        let (lane, types) = plain("ts TIMESTAMP, value STRING");
        assert!(lane.seed_shape);
        let general = Plain {
            seed_shape: false,
            ..lane.clone()
        };
        let t = "2026-11-23T17:33:00Z";
        let lines = [
            format!("0,{TS},3\n"),
            format!("7,{TS},3\n"),
            // A tick read from a row that is not plain is read alike in the next.
            "12,\\N,x\n".to_string(),
            format!("12,{TS},x\n"),
            format!("123456,{TS},x\n"),
            format!("1234567,{TS},x\n"),
            format!("1234567,{TS},y\n"),
            format!("12345678,{TS},x\n"),
            format!("1234567,{TS},z\n"),
            format!("1234568,{TS},z\n"),
            format!("123456,{TS},x\n"),
            format!("1234560,{TS},x\n"),
            format!("0,{TS},3\r\n"),
            format!("12,{t},\n"),
            format!("12,{t},\\N\n"),
            format!("7,{TS},a much longer value than sixteen bytes\n"),
            format!("7,{TS},日本\n"),
            format!("7,{TS},x"),
            format!("7,{TS},\"x\"\n"),
            format!("7,{TS},x,y\n"),
            "7,\\N,x\n".to_string(),
            format!("x,{TS},x\n"),
            format!("7,{TS}\n"),
            "7,2026-11-23T17:33:00+25:00,a\n".into(),
            "\n".into(),
        ];
        let not_utf8 = [b"7,2026-11-23T17:33:00Z,\xff\n".to_vec()];
        let lines = lines.map(String::into_bytes);
        let (mut lane, mut general) = (lane, general);
        for tick in [None, Some(7)] {
            for line in lines.iter().chain(&not_utf8) {
                let mut got = Vec::new();
                for p in [&mut lane, &mut general] {
                    let mut rows = Rows::default();
                    let mut cells = CellParser::new(Zone::utc());
                    let read = p.read(line, 1 << 20, &mut cells, &mut rows, tick, None);
                    got.push((read, rows));
                }
                assert_eq!(got[0], got[1], "{:?}", String::from_utf8_lossy(line));
            }
        }
        let mut cells = CellParser::new(Zone::utc());
        let one = format!("5,{TS},a\n");
        let mut rows = Rows::default();
        assert!(
            lane.read(one.as_bytes(), 8, &mut cells, &mut rows, None, None)
                .is_none()
        );
        assert!(
            lane.read(one.as_bytes(), 99, &mut cells, &mut rows, None, Some(6))
                .is_none()
        );
        assert!(read(&mut lane, &types, one.as_bytes()).is_some());
    }

    #[test]
    fn only_a_schema_in_the_files_order_has_a_fast_path() {
        let schema: Schema = "b STRING, ts TIMESTAMP".parse().unwrap();
        let names = ["ts".to_string(), "b".to_string()];
        let binding = Binding::new(&names, schema, 1, vec![true; 2]);
        assert!(Plain::new(&binding, 2).is_none());
    }
}

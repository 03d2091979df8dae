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
//!
//! After a tick's first row, the rest of the tick is read in one run ([`Plain::read_run`]): the
//! seed's rows are taken while they start with the tick's text, with no other tick check.

use super::Binding;
use crate::app::source::swar::{bytes_below, bytes_equal, word_at};
use crate::engine::{CellParser, DataType, Micros, Rows, StagedRow, TickPartial, Value};

/// A NULL cell's text.
const NULL_TEXT: &[u8] = b"\\N";

/// [`NULL_TEXT`] as loaded (the first byte lowest): a short value's word is this only when
/// the value is `\N` (zeros follow a short value's bytes, and none is among them).
const NULL_WORD: u16 = u16::from_le_bytes([NULL_TEXT[0], NULL_TEXT[1]]);

/// The most fields a row may have for the fast path.
const MAX_FIELDS: usize = 32;

/// The schema column of the seed's value, in the seed's shape.
const SEED_VALUE: usize = 1;

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
    /// The row being read, staged before it is added to the rows in one copy.
    stage: StagedRow,
}

/// What a field of the row holds, for the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// A column the query does not read: scanned past, NULL in the row.
    Skip,
    String,
    Timestamp,
    /// BYTE, SHORT, INT or LONG.
    Integer(DataType),
    Other(DataType),
}

impl Cell {
    /// Whether the field's end may be guessed: its parser takes no comma, quote or line break.
    fn guessed(self) -> bool {
        !matches!(self, Cell::Skip | Cell::String)
    }
}

/// How far [`Plain::read_run`] may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes a row may take.
    pub row_len: usize,
    /// Rows are read while the rows hold fewer than this many rows...
    pub rows: usize,
    /// ... and fewer than this many bytes.
    pub bytes: usize,
}

/// A seed row's value: where it is in the row's data, and its bytes in a word (as loaded: the
/// first lowest, zeros after them) when they are fewer than eight and plain ASCII text that
/// needs no scan ([`short_line_end`]).
#[derive(Debug, Clone, Copy)]
struct SeedValue {
    range: (usize, usize),
    short: Option<u64>,
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
                (true, ty) if ty.integer_range().is_some() => Cell::Integer(ty),
                (true, ty) => Cell::Other(ty),
            }
        });
        let columns: Vec<Cell> = cells.collect();
        let stage = StagedRow::new(columns.len())?;
        let seed_shape = columns == [Cell::Timestamp, Cell::String];
        Some(Plain {
            seed_shape: seed_shape && binding.event_time == 0,
            columns,
            widths: [0; MAX_FIELDS],
            event_time: binding.event_time,
            last_tick: (0, 0, 0),
            stage,
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
            let (consumed, event_time) =
                self.read_seed_shape(data, tick_end + 1, max_len, cells, rows)?;
            return Some(Read {
                tick: row_tick,
                event_time,
                consumed,
            });
        }
        let last = self.columns.len() - 1;
        self.stage.start();
        let (mut event_time, mut start) = (None, tick_end + 1);
        for column in 0..last {
            let stop = self.field_stop(data, start, column, b',', max_len)?;
            self.take(column, data, (start, stop), cells, &mut event_time)?;
            start = stop + 1;
        }
        let stop = self.field_stop(data, start, last, b'\n', max_len)?;
        let end = line_end(data, start, stop);
        self.take(last, data, (start, end), cells, &mut event_time)?;
        start = stop + 1;
        // A NULL event time is the general path's.
        let event_time = event_time?;
        rows.push_staged(event_time, &self.stage)?;
        Some(Read {
            tick: row_tick,
            event_time,
            consumed: start,
        })
    }

    /// Reads the plain rows of tick `tick` at the start of `data` into `rows`, up to the first
    /// that is not one or `limits`; returns how many, and the bytes they took. The hot loop of
    /// a replay: the caller has read the tick's first row, so the tick needs no other check.
    pub fn read_run(
        &mut self,
        data: &[u8],
        tick: u64,
        limits: Limits,
        cells: &mut CellParser,
        rows: &mut Rows,
    ) -> (usize, usize) {
        let room = |rows: &Rows| rows.len() < limits.rows && rows.bytes() < limits.bytes;
        if let Some(run) = self.seed_run(data, tick, limits.row_len, cells, |t, data, value| {
            room(rows).then(|| push_seed_row(rows, t, data, value.range))?
        }) {
            return run;
        }
        let (mut read, mut at) = (0, 0);
        while room(rows) {
            let Some(row) = self.read(&data[at..], limits.row_len, cells, rows, Some(tick), None)
            else {
                break;
            };
            at += row.consumed;
            read += 1;
        }
        (read, at)
    }

    /// [`Plain::read_run`] of the seed's rows straight into `partial`, whose key must be their
    /// value: at most `max_rows` rows, and none unless the rows are the seed's shape (the caller
    /// reads them otherwise). A NULL value ends the run.
    pub fn count_run(
        &mut self,
        data: &[u8],
        (tick, max_len, max_rows): (u64, usize, usize),
        cells: &mut CellParser,
        partial: &mut TickPartial,
    ) -> (usize, usize) {
        if partial.string_key() != Some(SEED_VALUE) {
            return (0, 0);
        }
        let mut room = max_rows;
        let counted = self.seed_run(data, tick, max_len, cells, |t, data, value| {
            let (start, end) = value.range;
            if room == 0 {
                return None;
            }
            if let Some(word) = value.short {
                if word == u64::from(NULL_WORD) {
                    return None;
                }
                partial.push_short_string_key(t, word, end - start);
            } else {
                let value = &data[start..end];
                if value == NULL_TEXT {
                    return None;
                }
                // Text, as the general path requires of a STRING (ASCII without a call).
                if !value.is_ascii() {
                    std::str::from_utf8(value).ok()?;
                }
                partial.push_string_key(t, value);
            }
            room -= 1;
            Some(())
        });
        counted.unwrap_or((0, 0))
    }

    /// The seed's rows of tick `tick` at the start of `data`, when the row before was that
    /// tick's and the rows are the seed's shape: each parsed and handed to `each` (its event
    /// time, `data` and its value) until one is not a seed row of the tick or `each`
    /// refuses it. Returns how many rows were taken and the bytes they took.
    #[allow(clippy::inline_always)] // the hot loop of replay, on rows and on counts
    #[inline(always)]
    fn seed_run(
        &mut self,
        data: &[u8],
        tick: u64,
        max_len: usize,
        cells: &mut CellParser,
        mut each: impl FnMut(Micros, &[u8], SeedValue) -> Option<()>,
    ) -> Option<(usize, usize)> {
        let (text, mask, last) = self.last_tick;
        if !self.seed_shape || mask == 0 || last != tick {
            return None;
        }
        // The seed's rows, after the tick's text (which the row before held).
        let time_start = mask.trailing_ones() as usize / 8;
        let (mut read, mut at) = (0, 0);
        while word_at(data, at).is_some_and(|word| word & mask == text) {
            let row = &data[at..];
            let Some((consumed, event_time, value)) =
                self.parse_seed_shape(row, time_start, max_len, cells)
            else {
                break;
            };
            if each(event_time, &data[at..], value).is_none() {
                break;
            }
            at += consumed;
            read += 1;
        }
        Some((read, at))
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

    /// Types column `column`'s text, `data[start..end]`, into the staged row; `None` when it is
    /// not a value of its type (or the row outgrows the stage). The event time's column also
    /// sets `event_time`.
    #[allow(clippy::inline_always)] // every field of every row
    #[inline(always)]
    fn take(
        &mut self,
        column: usize,
        data: &[u8],
        (start, end): (usize, usize),
        cells: &mut CellParser,
        event_time: &mut Option<Micros>,
    ) -> Option<()> {
        let bytes = &data[start..end];
        let row = &mut self.stage;
        let value = match self.columns[column] {
            Cell::Skip => return row.null(),
            Cell::String if bytes == NULL_TEXT => return row.null(),
            Cell::String => return row.string_in(data, (start, end)),
            Cell::Timestamp => {
                let t = timestamp(cells, bytes);
                if column == self.event_time {
                    *event_time = t;
                }
                t.map(Value::Timestamp)
            }
            Cell::Integer(ty) => cells.integer_in(ty, data, (start, end)),
            Cell::Other(ty) => cells.parse_bytes(ty, bytes),
        };
        match value {
            Some(value) => row.value(value),
            // NULL is not a value of any type: it is looked for only once parsing failed.
            None if bytes == NULL_TEXT => row.null(),
            None => None,
        }
    }

    /// [`Plain::read`] for the seed's shape, `tick,event_time,value`, after the tick (the event
    /// time's field at `time_start`): the same checks as the column loop, in straight-line
    /// code. Returns the bytes the row took, and its event time.
    #[allow(clippy::inline_always)] // the body of replay's hot loop
    #[inline(always)]
    fn read_seed_shape(
        &mut self,
        data: &[u8],
        time_start: usize,
        max_len: usize,
        cells: &mut CellParser,
        rows: &mut Rows,
    ) -> Option<(usize, Micros)> {
        let (consumed, event_time, value) =
            self.parse_seed_shape(data, time_start, max_len, cells)?;
        push_seed_row(rows, event_time, data, value.range)?;
        Some((consumed, event_time))
    }

    /// The seed's row at the start of `data` after its tick (the event time's field at
    /// `time_start`): the bytes it takes, its event time and its value.
    #[allow(clippy::inline_always)] // the body of replay's hot loop
    #[inline(always)]
    fn parse_seed_shape(
        &mut self,
        data: &[u8],
        time_start: usize,
        max_len: usize,
        cells: &mut CellParser,
    ) -> Option<(usize, Micros, SeedValue)> {
        let time_end = field_stop(data, time_start, Some(self.widths[1]), b',', max_len)?;
        self.widths[1] = (time_end - time_start) as u32;
        let event_time = timestamp(cells, &data[time_start..time_end])?;
        let start = time_end + 1;
        if let Some((len, word)) = short_line_end(data, start)
            && start + len <= max_len
        {
            let (range, short) = ((start, start + len), Some(word));
            return Some((start + len + 1, event_time, SeedValue { range, short }));
        }
        let stop = field_stop(data, start, None, b'\n', max_len)?;
        let range = (start, line_end(data, start, stop));
        Some((stop + 1, event_time, SeedValue { range, short: None }))
    }
}

/// Adds the seed's row at `event_time` whose value is `data[start..end]` (`\N`: NULL); none
/// when the value is not text.
#[inline]
fn push_seed_row(
    rows: &mut Rows,
    event_time: Micros,
    data: &[u8],
    (start, end): (usize, usize),
) -> Option<()> {
    if &data[start..end] == NULL_TEXT {
        rows.push(event_time, &[Value::Timestamp(event_time), Value::Null]);
        return Some(());
    }
    rows.push_time_and_string(event_time, event_time, data, (start, end))
        .ok()
}

/// The last field of a row at `start`, when it is under eight bytes, each ASCII and above `,`
/// (none a comma, quote, carriage return or space), and a line break follows: its length, and
/// its bytes as loaded (the first lowest, zeros after them). One word, no scan: the usual
/// value of a seed row.
#[allow(clippy::inline_always)] // every seed row's
#[inline(always)]
fn short_line_end(data: &[u8], start: usize) -> Option<(usize, u64)> {
    let word = word_at(data, start)?;
    let len = (bytes_below(word, b',' + 1).trailing_zeros() / 8) as usize;
    if len == 8 || (word >> (8 * len)) as u8 != b'\n' {
        return None;
    }
    let bytes = word & ((1 << (8 * len)) - 1);
    (bytes & 0x8080_8080_8080_8080 == 0).then_some((len, bytes))
}

/// The end of a row's last field, stopped by a line break at `stop`: before a carriage return
/// there, if there is one.
#[inline]
fn line_end(data: &[u8], start: usize, stop: usize) -> usize {
    if stop > start && data[stop - 1] == b'\r' {
        stop - 1
    } else {
        stop
    }
}

/// A TIMESTAMP cell's value; `None` when it is not one.
#[inline]
fn timestamp(cells: &mut CellParser, bytes: &[u8]) -> Option<Micros> {
    match cells.parse_bytes(DataType::Timestamp, bytes)? {
        Value::Timestamp(t) => Some(t),
        _ => None,
    }
}

/// Where the field at `start` ends: at `start + width` when a width is guessed (the same
/// field's in the row before) and `separator` is there, else at the first comma, quote or
/// line break, which must be `separator`, no further than `max_len`.
#[allow(clippy::inline_always)] // every field of every row
#[inline(always)]
fn field_stop(
    data: &[u8],
    start: usize,
    width: Option<u32>,
    separator: u8,
    max_len: usize,
) -> Option<usize> {
    if let Some(guess) = width.map(|w| start + w as usize)
        && data.get(guess) == Some(&separator)
    {
        return (guess <= max_len).then_some(guess);
    }
    let (stop, byte) = next_stop(data, start, max_len)?;
    (byte == separator && stop <= max_len).then_some(stop)
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

/// The bytes that stop a field, a bit each: comma, quote and line break.
const STOP_BYTES: u64 = 1 << b',' | 1 << b'"' | 1 << b'\n';

/// The first comma, quote or line break at or after `at`, and which it is, looking no further
/// than `limit`.
///
/// The three are below `-` (`0x2D`), as digits, letters and most text are not: a word is first
/// tested for any byte below `-`, and only a word whose first such byte is another one (a
/// space, a carriage return) is tested for each of the three.
#[inline]
fn next_stop(data: &[u8], mut at: usize, limit: usize) -> Option<(usize, u8)> {
    let found = |word: u64, flags: u64| {
        let first = flags.trailing_zeros() / 8;
        (first as usize, (word >> (8 * first)) as u8)
    };
    loop {
        let word = word_at(data, at)?;
        let low = bytes_below(word, b',' + 1);
        if low != 0 {
            let (first, byte) = found(word, low);
            if STOP_BYTES >> (byte & 0x3F) & 1 == 1 {
                return Some((at + first, byte));
            }
            let stops =
                bytes_equal(word, b',') | bytes_equal(word, b'\n') | bytes_equal(word, b'"');
            if stops != 0 {
                let (first, byte) = found(word, stops);
                return Some((at + first, byte));
            }
        }
        at += 8;
        if at > limit {
            return None;
        }
    }
}

#[cfg(test)]
#[path = "plain_tests.rs"]
mod tests;

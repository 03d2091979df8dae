//! [`StagedRow`]: a row of [`Rows`] written into a fixed buffer first and added in one copy.
//!
//! [`Rows::writer`] writes a cell at a time into the growing buffer, each write checking its
//! capacity and the row's header slot. A small row (the replay reader's usual row: a time, a
//! short string, a number or two) is cheaper written whole into a buffer of fixed size and then
//! moved as one block. A row that does not fit the buffer is refused, and the caller writes it
//! with [`Rows::writer`]. [`Payloads`] matches a value to its payload once for both writers.

use super::{NULL, RowWriter, Rows, column_end, short_ascii};
use crate::engine::{Micros, Value};

/// What takes a row's cells as their payloads: [`RowWriter`] and the staged row. The match of a
/// value to its payload is written once here, and each writer monomorphizes it (a closure
/// instead cost the replay reader 44 instructions a row).
pub(super) trait Payloads {
    type Done;

    fn null(&mut self) -> Self::Done;

    fn payload(&mut self, bytes: &[u8]) -> Self::Done;

    #[allow(clippy::inline_always)] // per cell
    #[inline(always)]
    fn value(&mut self, value: Value<'_>) -> Self::Done {
        match value {
            Value::Null => self.null(),
            Value::Bool(v) => self.payload(&[u8::from(v)]),
            Value::Long(v) | Value::Timestamp(v) => self.payload(&v.to_le_bytes()),
            Value::Float(v) => self.payload(&v.to_le_bytes()),
            Value::Double(v) => self.payload(&v.to_le_bytes()),
            Value::Str(v) => self.payload(v.as_bytes()),
        }
    }
}

#[allow(clippy::inline_always)] // per cell
impl Payloads for RowWriter<'_> {
    type Done = ();

    #[inline(always)]
    fn null(&mut self) {
        RowWriter::null(self);
    }

    #[inline(always)]
    fn payload(&mut self, bytes: &[u8]) {
        RowWriter::payload(self, bytes);
    }
}

/// The most bytes a staged row takes: its header (four bytes a column) and its payloads.
const CAPACITY: usize = 256;

/// A row moved as a block of this many bytes (then cut to length) when it fits: a copy of a
/// fixed size is a few moves, where one of the row's own length is a `memcpy` call.
const BLOCK: usize = 64;

/// A row being staged; give it every column's value in order, then [`Rows::push_staged`] it.
/// Every method answers `None` when the value does not fit; the row must then be dropped.
#[derive(Debug, Clone)]
pub struct StagedRow {
    bytes: [u8; CAPACITY],
    /// Where the payloads start: four bytes a column.
    header: usize,
    len: usize,
    column: usize,
}

#[allow(clippy::inline_always)] // per cell of the replay reader's hot loop
impl StagedRow {
    /// A stage for rows of `columns` columns; `None` when their header alone would take half
    /// the stage.
    pub fn new(columns: usize) -> Option<StagedRow> {
        let header = 4 * columns;
        (header <= CAPACITY / 2).then_some(StagedRow {
            bytes: [0; CAPACITY],
            header,
            len: header,
            column: 0,
        })
    }

    /// Starts the next row (what was staged is forgotten).
    #[inline(always)]
    pub fn start(&mut self) {
        self.len = self.header;
        self.column = 0;
    }

    /// The next column's value, a NULL.
    #[inline(always)]
    pub fn null(&mut self) -> Option<()> {
        self.end_column(NULL)
    }

    /// The next column's value.
    #[inline(always)]
    pub fn value(&mut self, value: Value<'_>) -> Option<()> {
        Payloads::value(self, value)
    }

    /// The next column's value, the STRING `data[start..end]`; not UTF-8, `None`.
    #[inline(always)]
    pub fn string_in(&mut self, data: &[u8], (start, end): (usize, usize)) -> Option<()> {
        if let Some(block) = short_ascii(data, (start, end)) {
            let at = self.len;
            self.bytes
                .get_mut(at..at + block.len())?
                .copy_from_slice(&block);
            self.len += end - start;
            self.end_column(0)
        } else {
            let string = std::str::from_utf8(data.get(start..end)?).ok()?;
            self.payload(string.as_bytes())
        }
    }

    #[inline(always)]
    fn payload(&mut self, bytes: &[u8]) -> Option<()> {
        let at = self.len;
        self.bytes
            .get_mut(at..at + bytes.len())?
            .copy_from_slice(bytes);
        self.len += bytes.len();
        self.end_column(0)
    }

    /// Ends the next column where the payloads end, `flag` (`NULL` or 0) in its entry.
    #[inline(always)]
    fn end_column(&mut self, flag: u32) -> Option<()> {
        // A column past the row's last is caught when the row is pushed.
        let at = 4 * self.column;
        let entry = column_end(self.len - self.header, flag).to_le_bytes();
        self.bytes.get_mut(at..at + 4)?.copy_from_slice(&entry);
        self.column += 1;
        Some(())
    }
}

#[allow(clippy::inline_always)] // per cell
impl Payloads for StagedRow {
    type Done = Option<()>;

    #[inline(always)]
    fn null(&mut self) -> Option<()> {
        StagedRow::null(self)
    }

    #[inline(always)]
    fn payload(&mut self, bytes: &[u8]) -> Option<()> {
        StagedRow::payload(self, bytes)
    }
}

impl Rows {
    /// Adds the row `row` staged, with its event time; `None` (and nothing added) unless it
    /// was given exactly its columns.
    #[allow(clippy::inline_always)] // per row of the replay reader's hot loop
    #[inline(always)]
    pub fn push_staged(&mut self, event_time: Micros, row: &StagedRow) -> Option<()> {
        if 4 * row.column != row.header {
            return None;
        }
        let at = self.data.len();
        match row.bytes.first_chunk::<BLOCK>() {
            Some(block) if row.len <= BLOCK => {
                self.data.extend_from_slice(block);
                self.data.truncate(at + row.len);
            }
            _ => self.append_long(&row.bytes[..row.len]),
        }
        self.times.push(event_time);
        self.ends.push(self.data.len());
        Some(())
    }

    /// The copy of a staged row longer than a block, kept out of the hot loop.
    #[cold]
    fn append_long(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
    }
}

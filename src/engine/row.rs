//! Rows as the engine reads them: anything that yields a [`Value`] per column ([`Row`]), and
//! [`Rows`], a compact buffer of typed rows with their event times that sources fill, the
//! checkpoint logs and the trigger hands to the engine.
//!
//! A row in [`Rows`] is its columns' ends (a `u32` each, the top bit marking NULL) followed by
//! their payloads: strings as UTF-8, integers, timestamps and doubles as 8 little-endian bytes,
//! floats as 4, booleans as 1. Any column is read in constant time, and a million rows cost a
//! few growing buffers, not a million allocations.

use super::time::Micros;
use super::types::{DataType, Value};

/// A row the engine can read: one value per column of the query's schema.
pub trait Row {
    fn get(&self, column: usize) -> Value<'_>;

    /// Appends the group key of `columns` (whose types are `key_types`) to `out`, as
    /// [`super::key::encode`] does; rows that hold encoded values do it without decoding them.
    #[inline]
    fn encode_key(&self, key_types: &[DataType], columns: &[usize], out: &mut Vec<u8>) {
        super::key::encode(key_types, columns.iter().map(|&c| self.get(c)), out);
    }

    /// The bytes of `column`, a STRING column, unless it is NULL.
    #[inline]
    fn string_bytes(&self, column: usize) -> Option<&[u8]> {
        match self.get(column) {
            Value::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The value of `column`, an integral column, unless it is NULL.
    #[inline]
    fn long(&self, column: usize) -> Option<i64> {
        match self.get(column) {
            Value::Long(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Row + ?Sized> Row for &T {
    fn get(&self, column: usize) -> Value<'_> {
        (**self).get(column)
    }

    #[inline]
    fn long(&self, column: usize) -> Option<i64> {
        (**self).long(column)
    }

    #[inline]
    fn string_bytes(&self, column: usize) -> Option<&[u8]> {
        (**self).string_bytes(column)
    }

    #[inline]
    fn encode_key(&self, key_types: &[DataType], columns: &[usize], out: &mut Vec<u8>) {
        (**self).encode_key(key_types, columns, out);
    }
}

/// A bare string is a one-column row, as a line of Spark's socket source is.
impl Row for str {
    fn get(&self, column: usize) -> Value<'_> {
        if column == 0 {
            Value::Str(self)
        } else {
            Value::Null
        }
    }
}

impl Row for [Value<'_>] {
    fn get(&self, column: usize) -> Value<'_> {
        self.get(column).copied().unwrap_or(Value::Null)
    }
}

impl<const N: usize> Row for [Value<'_>; N] {
    fn get(&self, column: usize) -> Value<'_> {
        self.as_slice().get(column).copied().unwrap_or(Value::Null)
    }
}

const NULL: u32 = 1 << 31;

/// Typed rows with their event times, back to back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rows {
    times: Vec<Micros>,
    /// Where each row ends in `data`.
    ends: Vec<usize>,
    data: Vec<u8>,
}

impl Clone for Rows {
    fn clone(&self) -> Self {
        Rows {
            times: self.times.clone(),
            ends: self.ends.clone(),
            data: self.data.clone(),
        }
    }

    /// Copies `source` into these rows' memory, in one copy per part.
    fn clone_from(&mut self, source: &Self) {
        self.times.clone_from(&source.times);
        self.ends.clone_from(&source.ends);
        self.data.clone_from(&source.data);
    }
}

impl Rows {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Bytes held: the rows plus each row's time and end, which an empty row costs too.
    pub fn footprint(&self) -> usize {
        self.data.len() + self.times.len() * (size_of::<Micros>() + size_of::<usize>())
    }

    /// Bytes of row data held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    pub fn clear(&mut self) {
        self.times.clear();
        self.ends.clear();
        self.data.clear();
    }

    /// Moves every row of `other` to the end of `self`.
    pub fn append(&mut self, other: &mut Rows) {
        let base = self.data.len();
        self.data.extend_from_slice(&other.data);
        self.times.extend_from_slice(&other.times);
        self.ends.extend(other.ends.iter().map(|end| base + end));
        other.clear();
    }

    /// Starts a row of `columns` columns; give it every value, then [`RowWriter::finish`] it.
    #[inline]
    pub fn writer(&mut self, columns: usize) -> RowWriter<'_> {
        let start = self.data.len();
        // A loop of small writes: `resize` calls `memset`, which costs more for a few bytes.
        self.data.reserve(4 * columns + 32);
        for _ in 0..columns {
            self.data.extend_from_slice(&[0; 4]);
        }
        RowWriter {
            rows: self,
            start,
            columns,
            column: 0,
        }
    }

    /// Adds a row of two columns, a TIMESTAMP `time` and the STRING `data[start..end]`, with
    /// its event time: [`Rows::writer`]'s row, written in a few fixed-size moves. Not UTF-8, it
    /// is an error and nothing is added.
    #[allow(clippy::inline_always)] // the replay reader's hot loop, for the seed's rows
    #[inline(always)]
    pub fn push_time_and_string(
        &mut self,
        event_time: Micros,
        time: Micros,
        data: &[u8],
        (start, end): (usize, usize),
    ) -> Result<(), std::str::Utf8Error> {
        // The columns' ends, past the header: the time's 8 bytes, then the string.
        let len = end - start;
        let ends = 8 | (8 + len as u64) << 32;
        let at = self.data.len();
        if let Some(block) = short_ascii(data, (start, end)) {
            let mut row = [0; 32];
            row[..8].copy_from_slice(&ends.to_le_bytes());
            row[8..16].copy_from_slice(&time.to_le_bytes());
            row[16..].copy_from_slice(&block);
            self.data.extend_from_slice(&row);
            self.data.truncate(at + 16 + len);
        } else {
            std::str::from_utf8(&data[start..end])?;
            self.data.extend_from_slice(&ends.to_le_bytes());
            self.data.extend_from_slice(&time.to_le_bytes());
            self.data.extend_from_slice(&data[start..end]);
        }
        self.times.push(event_time);
        self.ends.push(self.data.len());
        Ok(())
    }

    /// Adds a row of `values`.
    pub fn push(&mut self, event_time: Micros, values: &[Value<'_>]) {
        let mut row = self.writer(values.len());
        for value in values {
            row.value(*value);
        }
        row.finish(event_time);
    }

    /// Adds a row as [`Rows::raw`] gave it, after checking it is one of `types`.
    pub fn push_raw(
        &mut self,
        event_time: Micros,
        bytes: &[u8],
        types: &[DataType],
    ) -> Result<(), BadRow> {
        check(bytes, types)?;
        self.data.extend_from_slice(bytes);
        self.times.push(event_time);
        self.ends.push(self.data.len());
        Ok(())
    }

    /// `(event time, row)` in order, read as rows of `types`.
    pub fn iter<'a>(
        &'a self,
        types: &'a [DataType],
    ) -> impl Iterator<Item = (Micros, EncodedRow<'a>)> + 'a {
        self.raw()
            .map(move |(t, bytes)| (t, EncodedRow { types, bytes }))
    }

    /// Row `at` (which must exist), read as a row of `types`.
    #[inline]
    pub fn row<'a>(&'a self, at: usize, types: &'a [DataType]) -> (Micros, EncodedRow<'a>) {
        let start = if at == 0 { 0 } else { self.ends[at - 1] };
        let bytes = &self.data[start..self.ends[at]];
        (self.times[at], EncodedRow { types, bytes })
    }

    /// Rows `from..to`, read as rows of `types`.
    pub fn iter_from<'a>(
        &'a self,
        from: usize,
        to: usize,
        types: &'a [DataType],
    ) -> impl Iterator<Item = (Micros, EncodedRow<'a>)> + 'a {
        (from..to).map(move |at| self.row(at, types))
    }

    /// `(event time, encoded row)` in order, for logs that store rows as they are.
    pub fn raw(&self) -> impl Iterator<Item = (Micros, &[u8])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.times
            .iter()
            .zip(starts.zip(self.ends.iter().copied()))
            .map(|(&t, (start, end))| (t, &self.data[start..end]))
    }
}

/// A row being written into [`Rows`]; dropped unfinished, it leaves nothing behind.
pub struct RowWriter<'a> {
    rows: &'a mut Rows,
    start: usize,
    columns: usize,
    column: usize,
}

// The writer's methods are always inlined: they run per cell, and a call moves the writer
// through the stack, which cost the replay reader a fifth of its time (measured with perf).
#[allow(clippy::inline_always)]
impl RowWriter<'_> {
    /// The next column's value (values past the row's columns are ignored).
    #[inline(always)]
    pub fn value(&mut self, value: Value<'_>) {
        staged::Payloads::value(self, value);
    }

    /// The next column's value, a NULL.
    #[inline(always)]
    pub fn null(&mut self) {
        self.end_column(NULL);
    }

    /// The next column's value, an integer or a timestamp (as [`Value::Long`] or
    /// [`Value::Timestamp`]).
    #[inline(always)]
    pub fn long(&mut self, v: i64) {
        self.payload(&v.to_le_bytes());
    }

    /// The next column's value, a string given as bytes; not UTF-8, it is an error and the
    /// row is left as it was.
    #[inline(always)]
    pub fn string(&mut self, bytes: &[u8]) -> Result<(), std::str::Utf8Error> {
        // ASCII, the usual case, is checked inline: `from_utf8` is a call per cell.
        if !bytes.is_ascii() {
            std::str::from_utf8(bytes)?;
        }
        self.payload(bytes);
        Ok(())
    }

    /// [`RowWriter::string`] of `data[start..end]`, copied as [`append_str`] does.
    #[inline(always)]
    pub fn string_in(
        &mut self,
        data: &[u8],
        (start, end): (usize, usize),
    ) -> Result<(), std::str::Utf8Error> {
        if self.column >= self.columns {
            return self.string(&data[start..end]);
        }
        append_str(&mut self.rows.data, data, (start, end))?;
        self.end_column(0);
        Ok(())
    }

    /// The next column's value as [`EncodedRow::cell`] gave it, checked to be a value of `ty`
    /// (a NULL is [`RowWriter::null`]).
    pub fn cell(&mut self, ty: DataType, bytes: &[u8]) -> Result<(), BadRow> {
        decode(ty, bytes).ok_or(BadRow)?;
        self.payload(bytes);
        Ok(())
    }

    #[inline(always)]
    fn payload(&mut self, bytes: &[u8]) {
        if self.column < self.columns {
            self.rows.data.extend_from_slice(bytes);
            self.end_column(0);
        }
    }

    /// Ends the next column where the data ends, `flag` (`NULL` or 0) in its entry.
    #[inline(always)]
    fn end_column(&mut self, flag: u32) {
        if self.column >= self.columns {
            return;
        }
        let data = &mut self.rows.data;
        let payload = self.start + 4 * self.columns;
        let end = column_end(data.len() - payload, flag);
        let at = self.start + 4 * self.column;
        data[at..at + 4].copy_from_slice(&end.to_le_bytes());
        self.column += 1;
    }

    /// Ends the row (missing columns are NULL) with its event time.
    #[inline(always)]
    pub fn finish(mut self, event_time: Micros) {
        while self.column < self.columns {
            self.null();
        }
        self.rows.times.push(event_time);
        self.rows.ends.push(self.rows.data.len());
        self.columns = usize::MAX;
    }
}

impl Drop for RowWriter<'_> {
    fn drop(&mut self) {
        if self.columns != usize::MAX {
            self.rows.data.truncate(self.start);
        }
    }
}

/// A column's entry in a row's header: where its payload ends (`len` bytes into the payloads)
/// and `flag` (`NULL` or 0).
#[allow(clippy::inline_always)] // per cell
#[inline(always)]
fn column_end(len: usize, flag: u32) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX >> 1) | flag
}

/// Appends the string `data[start..end]` to `out` after checking it is UTF-8 (`out` is left as
/// it was otherwise), a short ASCII string as [`short_ascii`]'s block cut to length.
#[allow(clippy::inline_always)] // a string cell of every replayed row
#[inline(always)]
fn append_str(
    out: &mut Vec<u8>,
    data: &[u8],
    (start, end): (usize, usize),
) -> Result<(), std::str::Utf8Error> {
    if let Some(block) = short_ascii(data, (start, end)) {
        let at = out.len();
        out.extend_from_slice(&block);
        out.truncate(at + (end - start));
    } else {
        out.extend_from_slice(std::str::from_utf8(&data[start..end])?.as_bytes());
    }
    Ok(())
}

/// The sixteen bytes of `data` at `start` when the string `data[start..end]` fits in them and is
/// ASCII (so UTF-8): such a string is copied as one block and cut to length, where a copy of
/// its own length is a `memcpy` call, and checked in a few instructions, where `from_utf8` is a
/// call too.
#[allow(clippy::inline_always)] // a string cell of every replayed row
#[inline(always)]
fn short_ascii(data: &[u8], (start, end): (usize, usize)) -> Option<[u8; 16]> {
    let len = end.checked_sub(start).filter(|&len| len <= 16)?;
    let block = *data.get(start..)?.first_chunk::<16>()?;
    let string = u128::from_le_bytes(block) & HIGH_BITS_OF_FIRST[len];
    (string == 0).then_some(block)
}

/// For each length up to sixteen, the top bit of each of the first that many bytes of a
/// sixteen-byte block (read little-endian): a string of that length in the block is ASCII
/// when none of these bits is set.
const HIGH_BITS_OF_FIRST: [u128; 17] = {
    let mut masks = [0; 17];
    let mut len = 1;
    while len <= 16 {
        masks[len] = masks[len - 1] | 0x80 << (8 * (len - 1));
        len += 1;
    }
    masks
};

/// A row of [`Rows`], read as rows of `types`.
#[derive(Debug, Clone, Copy)]
pub struct EncodedRow<'a> {
    types: &'a [DataType],
    bytes: &'a [u8],
}

impl EncodedRow<'_> {
    /// How many columns the row has.
    pub fn columns(&self) -> usize {
        self.types.len()
    }

    fn end(&self, column: usize) -> Option<u32> {
        let at = 4 * column;
        Some(u32::from_le_bytes(
            self.bytes.get(at..at + 4)?.try_into().ok()?,
        ))
    }
}

impl Row for EncodedRow<'_> {
    #[inline]
    fn get(&self, column: usize) -> Value<'_> {
        self.value(column)
    }

    /// A string's bytes go into the key as they are: they were checked when the row was made.
    #[inline]
    fn encode_key(&self, key_types: &[DataType], columns: &[usize], out: &mut Vec<u8>) {
        for (i, &column) in columns.iter().enumerate() {
            match (key_types.get(i), self.payload(column)) {
                (Some(DataType::String), Some(bytes)) => {
                    super::key::encode_string(bytes, i + 1 == key_types.len(), out);
                }
                _ => super::key::encode_column(key_types, i, self.value(column), out),
            }
        }
    }

    /// The string's bytes as they are: they were checked when the row was made.
    #[inline]
    fn string_bytes(&self, column: usize) -> Option<&[u8]> {
        match self.types.get(column) {
            Some(DataType::String) => self.payload(column),
            _ => None,
        }
    }

    /// An integral column's eight bytes end where its entry says: the entry before it is not
    /// read.
    #[inline]
    fn long(&self, column: usize) -> Option<i64> {
        self.types.get(column)?.integer_range()?;
        let end = self.end(column)?;
        if end & NULL != 0 {
            return None;
        }
        let end = 4 * self.types.len() + end as usize;
        let bytes = self.bytes.get(end.checked_sub(8)?..end)?;
        Some(i64::from_le_bytes(*bytes.first_chunk()?))
    }
}

impl<'a> EncodedRow<'a> {
    /// Column `column`'s value, borrowed from the rows (NULL past the last column).
    #[inline]
    pub fn value(&self, column: usize) -> Value<'a> {
        match (self.types.get(column), self.payload(column)) {
            (Some(&ty), Some(bytes)) => decode(ty, bytes).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Each column's encoded bytes in order, as [`RowWriter::cell`] takes them, `None` for a
    /// NULL; the row's header is read once.
    pub fn cells(&self) -> impl Iterator<Item = Option<&'a [u8]>> + 'a {
        let (header, payload) = self
            .bytes
            .split_at_checked(4 * self.types.len())
            .unwrap_or_default();
        let mut start = 0;
        header.chunks_exact(4).map(move |end| {
            let end = u32::from_le_bytes([end[0], end[1], end[2], end[3]]);
            let stop = (end & !NULL) as usize;
            let cell = payload.get(start..stop).filter(|_| end & NULL == 0);
            start = stop;
            cell
        })
    }

    /// Column `column`'s encoded bytes; `None` when it is NULL or past the last column.
    #[inline]
    fn payload(&self, column: usize) -> Option<&'a [u8]> {
        let end = self.end(column)?;
        if end & NULL != 0 || column >= self.types.len() {
            return None;
        }
        let start = match column {
            0 => 0,
            _ => self.end(column - 1).map_or(0, |e| e & !NULL),
        };
        let payload = 4 * self.types.len();
        self.bytes
            .get(payload + start as usize..payload + end as usize)
    }
}

fn decode(ty: DataType, bytes: &[u8]) -> Option<Value<'_>> {
    let eight = || -> Option<[u8; 8]> { bytes.try_into().ok() };
    Some(match ty {
        DataType::String => Value::Str(std::str::from_utf8(bytes).ok()?),
        DataType::Boolean => Value::Bool(*bytes.first()? != 0),
        DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
            Value::Long(i64::from_le_bytes(eight()?))
        }
        DataType::Timestamp => Value::Timestamp(i64::from_le_bytes(eight()?)),
        DataType::Double => Value::Double(f64::from_le_bytes(eight()?)),
        DataType::Float => Value::Float(f32::from_le_bytes(bytes.try_into().ok()?)),
    })
}

/// Encoded bytes that are not a row of the given types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a row of the query's columns")]
pub struct BadRow;

/// Checks that `bytes` are a row of `types`: its header, each payload's length and text.
fn check(bytes: &[u8], types: &[DataType]) -> Result<(), BadRow> {
    let row = EncodedRow { types, bytes };
    let payload = 4 * types.len();
    let mut start = 0u32;
    for (column, &ty) in types.iter().enumerate() {
        let end = row.end(column).ok_or(BadRow)?;
        let stop = end & !NULL;
        if stop < start {
            return Err(BadRow);
        }
        let value = bytes
            .get(payload + start as usize..payload + stop as usize)
            .ok_or(BadRow)?;
        if end & NULL != 0 {
            if !value.is_empty() {
                return Err(BadRow);
            }
        } else {
            decode(ty, value).ok_or(BadRow)?;
        }
        start = stop;
    }
    if payload + start as usize == bytes.len() {
        Ok(())
    } else {
        Err(BadRow)
    }
}

#[path = "staged_row.rs"]
mod staged;
pub use staged::StagedRow;

#[cfg(test)]
#[path = "row_tests.rs"]
mod tests;

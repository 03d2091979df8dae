//! Parses a replay file row by row from a fixed buffer: the file is streamed, never loaded,
//! and a row costs no allocation. Rows without a quote (nearly all) are split on commas in
//! place; a row with a quote, which may hold commas, doubled quotes and even line breaks, goes
//! to `csv-core`.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::plain::{Limits, Plain, parse_u64};
use super::{BadRow, Binding, Head, ReadError};
use crate::app::source::opening::open_unless;
use crate::engine::{CellParser, Micros, NULL_EVENT_TIME, Rows, TickPartial, Value, Zone};

/// Streams typed rows out of a replay file.
pub struct ReplayReader<R> {
    src: R,
    file: String,
    buf: Vec<u8>,
    /// Where `buf[0]` is in the file.
    base: u64,
    pos: usize,
    end: usize,
    eof: bool,
    /// Line number of the next unread line.
    line: u64,
    max_row: usize,
    /// A bad row is being skipped up to its line end.
    skipping: bool,
    /// The header's column names, `batch` left out.
    columns: Vec<String>,
    binding: Option<Binding>,
    /// The fields of the record being read: ranges in `buf` (plain) or in `scratch` (quoted).
    fields: Vec<Range<usize>>,
    /// Whether each field opened with a quote (none in a record without one).
    quoted: Vec<bool>,
    in_scratch: bool,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    cells: CellParser,
    last_tick: Option<u64>,
    /// The fast path, once bound (none when the binding has none).
    plain: Option<Plain>,
}

/// The record just found, before its fields are typed.
struct Record {
    line: u64,
    offset: u64,
}

impl ReplayReader<File> {
    /// Opens `path` and reads its header. Rows longer than `max_row` bytes are refused.
    pub fn open(path: &Path, max_row: usize, zone: Zone) -> Result<Self, ReadError> {
        Self::open_unless(path, max_row, zone, None)
    }

    /// [`ReplayReader::open`], given up if `stop` is set while the open waits (a FIFO no
    /// writer has opened yet): then an [`io::ErrorKind::Interrupted`] error.
    pub fn open_unless(
        path: &Path,
        max_row: usize,
        zone: Zone,
        stop: Option<&AtomicBool>,
    ) -> Result<Self, ReadError> {
        let file = path.display().to_string();
        let src = open_unless(path, stop).map_err(|source| ReadError::Io {
            file: file.clone(),
            error: source,
        })?;
        Self::new(src, file, max_row, zone)
    }

    /// The metadata of the file being read.
    pub fn file_metadata(&self) -> io::Result<std::fs::Metadata> {
        self.src.metadata()
    }

    /// Goes to a row start a checkpoint recorded (`offset` bytes in, at `line`); rows before it
    /// are not read again. `last_tick` is the tick of the rows before it.
    pub fn seek(
        &mut self,
        offset: u64,
        line: u64,
        last_tick: Option<u64>,
    ) -> Result<(), ReadError> {
        use std::io::{Seek, SeekFrom};
        let io = |file: &str, source| ReadError::Io {
            file: file.to_string(),
            error: source,
        };
        let length = self.src.metadata().map_or(u64::MAX, |m| m.len());
        if offset > length {
            return Err(io(
                &self.file,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the checkpoint resumes at byte {offset}, past the end; was the file changed?"
                    ),
                ),
            ));
        }
        self.src
            .seek(SeekFrom::Start(offset))
            .map_err(|e| io(&self.file, e))?;
        self.base = offset;
        (self.pos, self.end, self.eof, self.skipping) = (0, 0, false, false);
        self.line = line;
        self.last_tick = last_tick;
        Ok(())
    }
}

/// The read buffer a reader starts with, unless its longest row is shorter...
const FIRST_BUFFER: usize = 256 * 1024;
/// ... and the most it starts with: the default `--max-line-bytes` and a line break. A larger
/// limit grows the buffer only for a row that needs it ([`ReplayReader::grow`]).
const FULL_BUFFER: usize = (1 << 20) + 2;

impl<R: Read> ReplayReader<R> {
    /// Reads the header of `src`, named `file` in messages; a time without an offset is read
    /// in `zone`.
    pub fn new(src: R, file: String, max_row: usize, zone: Zone) -> Result<Self, ReadError> {
        let mut reader = ReplayReader {
            src,
            file,
            buf: vec![0; (max_row + 2).clamp(FIRST_BUFFER, FULL_BUFFER)],
            base: 0,
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            max_row,
            skipping: false,
            columns: Vec::new(),
            binding: None,
            fields: Vec::new(),
            quoted: Vec::new(),
            in_scratch: false,
            scratch: Vec::new(),
            ends: Vec::new(),
            cells: CellParser::new(zone),
            last_tick: None,
            plain: None,
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// The header's column names, `batch` left out.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Turns the fast path off, for tests that hold it to the general path.
    #[cfg(test)]
    pub(super) fn without_fast_path(&mut self) {
        self.plain = None;
    }

    /// How the columns are bound to the schema, once they are.
    pub fn binding(&self) -> Option<&Binding> {
        self.binding.as_ref()
    }

    /// The file's name, as errors give it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Types the rows from now on as `binding` says.
    pub fn bind(&mut self, binding: Binding) {
        self.plain = Plain::new(&binding, self.columns.len());
        self.binding = Some(binding);
    }

    fn bad(&self, record: &Record, tick: Option<u64>, problem: impl Into<String>) -> ReadError {
        ReadError::Bad(BadRow {
            file: self.file.clone(),
            line: record.line,
            problem: problem.into(),
            tick,
            offset: record.offset,
        })
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        self.fill()?;
        if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        let want =
            "missing header: the first line must name the columns, like `batch,event_time,value`";
        let Some(record) = self.next_record()? else {
            return Err(self.bad(
                &Record { line: 1, offset: 0 },
                None,
                format!("{want}; the file is empty"),
            ));
        };
        let names: Vec<String> = (0..self.fields.len())
            .map(|i| String::from_utf8_lossy(self.field(i)).into_owned())
            .collect();
        // Column names are case-insensitive, as Spark's are (and as the others' are here).
        let batch_first = names
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case("batch"));
        if !batch_first || names.len() < 2 {
            return Err(self.bad(&record, None, format!("{want}, got `{}`", names.join(","))));
        }
        self.columns = names[1..].to_vec();
        Ok(())
    }

    fn field(&self, i: usize) -> &[u8] {
        let range = self.fields[i].clone();
        if self.in_scratch {
            &self.scratch[range]
        } else {
            &self.buf[range]
        }
    }

    /// Reads more input after the unread bytes. Returns how many bytes arrived.
    fn fill(&mut self) -> Result<usize, ReadError> {
        if self.pos > 0 {
            self.base += self.pos as u64;
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() && self.buf.len() < self.max_row + 2 {
            self.grow()?;
        }
        let mut got = 0;
        while self.end < self.buf.len() && !self.eof {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    got += n;
                    if got >= 64 * 1024 {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(ReadError::Io {
                        file: self.file.clone(),
                        error: source,
                    });
                }
            }
        }
        Ok(got)
    }

    /// Doubles the buffer, a row longer than it has room for, up to the longest row and its
    /// line break: a large `--max-line-bytes` takes memory only for a row that needs it, and
    /// memory that is not there is an error, not an abort.
    #[cold]
    fn grow(&mut self) -> Result<(), ReadError> {
        let len = (self.buf.len() * 2).min(self.max_row + 2);
        self.buf
            .try_reserve_exact(len - self.buf.len())
            .map_err(|e| ReadError::Io {
                file: self.file.clone(),
                error: io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!("no memory for a row of {len} bytes (--max-line-bytes): {e}"),
                ),
            })?;
        self.buf.resize(len, 0);
        Ok(())
    }

    /// Where the next unread row starts: `(byte offset, line)`.
    pub fn position(&self) -> (u64, u64) {
        (self.base + self.pos as u64, self.line)
    }

    /// Reads the next row into `rows`, typed as the binding says; `None` at the end of the
    /// file. After an error the reader has moved past the bad row, so a caller that skips bad
    /// rows can go on.
    pub fn read_row(&mut self, rows: &mut Rows) -> Result<Option<(Head, Micros)>, ReadError> {
        if let Some(row) = self.plain_row(rows, None) {
            return Ok(Some(row));
        }
        let Some(record) = self.next_record()? else {
            return Ok(None);
        };
        let tick = parse_u64(self.field(0));
        let Some(binding) = self.binding.take() else {
            return Err(self.bad(
                &record,
                tick,
                "the replay's columns are not bound to a schema",
            ));
        };
        let result = self.typed(&record, tick, &binding, rows);
        self.binding = Some(binding);
        result.map(Some)
    }

    /// Reads the rows of tick `tick` that come next into `rows`, while they are plain and
    /// `rows` holds fewer than `max_rows` rows and `max_bytes` bytes; returns how many. The hot
    /// loop of a replay: the caller has read the tick's first row with [`Self::read_row`].
    pub fn plain_rows(
        &mut self,
        tick: u64,
        rows: &mut Rows,
        max_rows: usize,
        max_bytes: usize,
    ) -> usize {
        let limits = Limits {
            row_len: self.max_row,
            rows: max_rows,
            bytes: max_bytes,
        };
        self.fast_run(|plain, data, cells| plain.read_run(data, tick, limits, cells, rows))
    }

    /// Runs `read` (a run of [`Plain`] rows) on the unread bytes, past what it took: how many
    /// rows; none without the fast path.
    fn fast_run(
        &mut self,
        read: impl FnOnce(&mut Plain, &[u8], &mut CellParser) -> (usize, usize),
    ) -> usize {
        let Some(plain) = self.plain.as_mut().filter(|_| !self.skipping) else {
            return 0;
        };
        let (read, consumed) = read(plain, &self.buf[self.pos..self.end], &mut self.cells);
        self.pos += consumed;
        self.line += read as u64;
        read
    }

    /// [`Self::plain_rows`] of the seed's rows counted straight into `partial` (at most
    /// `max_rows`); none unless the rows are the seed's shape and `partial` is keyed by the
    /// seed's value.
    pub fn count_rows(&mut self, tick: u64, partial: &mut TickPartial, max_rows: usize) -> usize {
        let limits = (tick, self.max_row, max_rows);
        self.fast_run(|plain, data, cells| plain.count_run(data, limits, cells, partial))
    }

    /// The fast path ([`Plain`]): a plain row is typed into `rows` and passed. Anything else
    /// leaves the reader as it was, for [`Self::next_record`] and [`Self::typed`] to read the
    /// row or say what is wrong with it. With `tick`, only a row of that tick is read.
    #[allow(clippy::inline_always)] // the body of the hot loop, `Self::plain_rows`
    #[inline(always)]
    fn plain_row(&mut self, rows: &mut Rows, tick: Option<u64>) -> Option<(Head, Micros)> {
        let plain = self.plain.as_mut().filter(|_| !self.skipping)?;
        let data = &self.buf[self.pos..self.end];
        let read = plain.read(
            data,
            self.max_row,
            &mut self.cells,
            rows,
            tick,
            self.last_tick,
        )?;
        let head = Head {
            tick: read.tick,
            line: self.line,
            offset: self.base + self.pos as u64,
        };
        self.pos += read.consumed;
        self.line += 1;
        self.last_tick = Some(read.tick);
        Some((head, read.event_time))
    }

    fn typed(
        &mut self,
        record: &Record,
        tick: Option<u64>,
        binding: &Binding,
        rows: &mut Rows,
    ) -> Result<(Head, Micros), ReadError> {
        if self.fields.len() != self.columns.len() + 1 {
            return Err(self.bad(
                record,
                tick,
                format!(
                    "expected {} columns (batch,{}), found {}; quote a value that holds commas",
                    self.columns.len() + 1,
                    self.columns.join(","),
                    self.fields.len()
                ),
            ));
        }
        let Some(tick) = tick else {
            let text = String::from_utf8_lossy(self.field(0)).into_owned();
            return Err(self.bad(
                record,
                None,
                format!("batch {text:?} is not a batch number (a whole number from 0, of at most 19 digits)"),
            ));
        };
        if let Some(last) = self.last_tick
            && tick < last
        {
            return Err(self.bad(
                record,
                None,
                format!(
                    "batch {tick} comes after batch {last}; rows must be in ascending batch order"
                ),
            ));
        }
        let mut event_time = None;
        let mut row = rows.writer(binding.schema.len());
        for (column, field) in binding.schema.fields().iter().enumerate() {
            if !binding.read[column] {
                row.value(Value::Null);
                continue;
            }
            let at = binding.file_column[column] + 1;
            let range = self.fields[at].clone();
            let bytes = if self.in_scratch {
                &self.scratch[range]
            } else {
                &self.buf[range]
            };
            let problem = |what: String| format!("{}: {what}", field.name);
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    let why = format!("not valid UTF-8 (bad byte at offset {})", e.valid_up_to());
                    drop(row);
                    return Err(self.bad(record, Some(tick), problem(why)));
                }
            };
            let value = if text == "\\N" && !self.quoted.get(at).copied().unwrap_or(false) {
                Value::Null
            } else {
                match self.cells.parse(field.ty, text) {
                    Ok(value) => value,
                    Err(e) => {
                        let why = e.to_string();
                        drop(row);
                        return Err(self.bad(record, Some(tick), problem(why)));
                    }
                }
            };
            if column == binding.event_time {
                // A NULL time is Spark's too: an input row in no window.
                event_time = Some(match value {
                    Value::Timestamp(t) => t,
                    _ => NULL_EVENT_TIME,
                });
            }
            row.value(value);
        }
        let event_time = event_time.unwrap_or_default();
        row.finish(event_time);
        self.last_tick = Some(tick);
        Ok((
            Head {
                tick,
                line: record.line,
                offset: record.offset,
            },
            event_time,
        ))
    }
}

#[path = "records.rs"]
mod records;

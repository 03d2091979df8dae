//! Reads a recorded stream, `batch,event_time,value` (RFC 4180 CSV, LF or CRLF), row by row from
//! a fixed buffer: the file is streamed, never loaded, and a row costs no allocation.
//!
//! Rows without quotes (nearly all) are split with `memchr`; a row with a quoted field, which may
//! hold commas, doubled quotes and even line breaks, takes a careful path.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use memchr::{memchr, memchr_iter, memchr2};

use crate::engine::{Micros, TimestampParser};

/// The header every replay file starts with.
pub const HEADER: &str = "batch,event_time,value";

/// One row of a replay file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// The trigger tick the row arrived in.
    pub tick: u64,
    pub event_time: Micros,
    pub value: &'a str,
    /// The row's first line in the file (the header is line 1).
    pub line: u64,
    /// Where the row starts in the file, in bytes.
    pub offset: u64,
}

/// A row that cannot be read; the reader has moved past it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct BadRow {
    pub file: String,
    pub line: u64,
    pub problem: String,
    /// The row's batch tick, when that column could be read.
    pub tick: Option<u64>,
    /// Where the row starts in the file, in bytes.
    pub offset: u64,
}

/// Where replay rows come from: the file itself, or a thread reading it ahead
/// ([`super::read_ahead::ReadAhead`]).
pub trait RowSource {
    /// The next row; after an error the source has moved past the bad row.
    fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError>;

    /// Hands the rows of `tick` that come next to `each`, up to the first that needs
    /// [`RowSource::next_row`]; returns how many. May hand none.
    fn rows_of_tick(&mut self, tick: u64, each: impl FnMut(Micros, &str)) -> u64;

    /// Where the row after the last one read starts, `(offset, line)`; at the end of the file,
    /// its end.
    fn position(&self) -> (u64, u64);
}

impl<R: Read> RowSource for ReplayReader<R> {
    fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError> {
        ReplayReader::next_row(self)
    }

    #[inline]
    fn rows_of_tick(&mut self, tick: u64, each: impl FnMut(Micros, &str)) -> u64 {
        ReplayReader::rows_of_tick(self, tick, each)
    }

    fn position(&self) -> (u64, u64) {
        ReplayReader::position(self)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Bad(#[from] BadRow),
    #[error("cannot read {file}: {source}")]
    Io { file: String, source: io::Error },
}

/// Where a field's bytes are: in the read buffer, or unescaped into the scratch buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In {
    Buf,
    Scratch,
}

#[derive(Debug, Clone)]
struct Record {
    line: u64,
    offset: u64,
    /// The first three fields.
    fields: [(In, Range<usize>); 3],
    /// How many fields the record has.
    count: usize,
}

enum Scan {
    Record(Record),
    /// An empty line was passed over.
    Empty,
    /// The buffer ends inside the record: read more.
    NeedMore,
    Malformed(u64, String),
}

/// Streams rows out of a replay file.
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
    /// A too-long row is being skipped up to its line end.
    skipping: bool,
    /// Where the record being read starts (for errors).
    record_start: u64,
    scratch: Vec<u8>,
    times: TimestampParser,
    last_tick: Option<u64>,
}

impl ReplayReader<File> {
    /// Opens `path` and checks its header. Rows longer than `max_row` bytes are refused.
    pub fn open(path: &Path, max_row: usize) -> Result<Self, ReadError> {
        let file = path.display().to_string();
        let src = File::open(path).map_err(|source| ReadError::Io {
            file: file.clone(),
            source,
        })?;
        Self::new(src, file, max_row)
    }
}

impl ReplayReader<File> {
    /// Goes to a row start a checkpoint recorded (`offset` bytes in, at `line`); rows before it
    /// are not read again. `last_tick` is the tick of the rows before it.
    pub fn seek(
        &mut self,
        offset: u64,
        line: u64,
        last_tick: Option<u64>,
    ) -> Result<(), ReadError> {
        use std::io::{Seek, SeekFrom};
        let length = self.src.metadata().map_or(u64::MAX, |m| m.len());
        if offset > length {
            return Err(ReadError::Io {
                file: self.file.clone(),
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the checkpoint resumes at byte {offset}, past the end; was the file changed?"
                    ),
                ),
            });
        }
        self.src
            .seek(SeekFrom::Start(offset))
            .map_err(|source| ReadError::Io {
                file: self.file.clone(),
                source,
            })?;
        self.base = offset;
        (self.pos, self.end, self.eof, self.skipping) = (0, 0, false, false);
        self.line = line;
        self.last_tick = last_tick;
        Ok(())
    }
}

impl<R: Read> ReplayReader<R> {
    pub fn new(src: R, file: String, max_row: usize) -> Result<Self, ReadError> {
        let capacity = (max_row + 2).max(256 * 1024);
        let mut reader = ReplayReader {
            src,
            file,
            buf: vec![0; capacity],
            base: 0,
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            max_row,
            skipping: false,
            record_start: 0,
            scratch: Vec::new(),
            times: TimestampParser::new(),
            last_tick: None,
        };
        reader.read_header()?;
        Ok(reader)
    }

    fn bad(&self, line: u64, problem: impl Into<String>) -> ReadError {
        self.bad_in_tick(line, None, problem)
    }

    fn bad_in_tick(&self, line: u64, tick: Option<u64>, problem: impl Into<String>) -> ReadError {
        ReadError::Bad(BadRow {
            file: self.file.clone(),
            line,
            problem: problem.into(),
            tick,
            offset: self.record_start,
        })
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        self.fill()?;
        if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        let want = "missing header: the first line must be `batch,event_time,value`";
        let Some(record) = self.next_record()? else {
            return Err(self.bad(1, format!("{want}, the file is empty")));
        };
        let names: Vec<&[u8]> = record.fields.iter().map(|f| self.field(f)).collect();
        if record.count != 3 || names != [&b"batch"[..], b"event_time", b"value"] {
            let got: Vec<String> = names[..record.count.min(3)]
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            return Err(self.bad(1, format!("{want}, got `{}`", got.join(","))));
        }
        Ok(())
    }

    fn field(&self, (src, range): &(In, Range<usize>)) -> &[u8] {
        match src {
            In::Buf => &self.buf[range.clone()],
            In::Scratch => &self.scratch[range.clone()],
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
                        source,
                    });
                }
            }
        }
        Ok(got)
    }

    /// The next row, or `None` at the end of the file. After an error the reader has moved past
    /// the bad row, so a caller that skips bad rows can go on.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError> {
        let Some(record) = self.next_record()? else {
            return Ok(None);
        };
        let (line, offset) = (record.line, record.offset);
        let [tick, time, value] = &record.fields;
        let tick_text = self.field(tick);
        let tick = parse_u64(tick_text);
        if record.count != 3 {
            return Err(self.bad_in_tick(
                line,
                tick,
                format!(
                    "expected 3 columns (batch,event_time,value), found {}; quote a value that holds commas",
                    record.count
                ),
            ));
        }
        let Some(tick) = tick else {
            let text = String::from_utf8_lossy(tick_text).into_owned();
            return Err(self.bad(line, format!("batch {text:?} is not a whole number")));
        };
        let time = match time.0 {
            In::Buf => &self.buf[time.1.clone()],
            In::Scratch => &self.scratch[time.1.clone()],
        };
        let event_time = match self.times.parse(time) {
            Ok(t) => t,
            Err(e) => return Err(self.bad_in_tick(line, Some(tick), format!("event_time: {e}"))),
        };
        if let Some(last) = self.last_tick
            && tick < last
        {
            return Err(self.bad(
                line,
                format!(
                    "batch {tick} comes after batch {last}; rows must be in ascending batch order"
                ),
            ));
        }
        self.last_tick = Some(tick);
        match std::str::from_utf8(self.field(value)) {
            Ok(value) => Ok(Some(Row {
                tick,
                event_time,
                value,
                line,
                offset,
            })),
            Err(e) => Err(self.bad_in_tick(line, Some(tick), not_utf8(&e))),
        }
    }

    /// Where the next unread row starts: `(byte offset, line)`.
    /// The file's name, as errors give it.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn position(&self) -> (u64, u64) {
        (self.base + self.pos as u64, self.line)
    }

    /// The fast path for the usual row of tick `tick`: complete in the buffer, no quotes, three
    /// columns, a valid time and UTF-8 value. Returns `(time, value)` and moves past the row;
    /// anything else (another tick included) is left untouched for [`Self::next_row`].
    ///
    /// The fields are short, so they are scanned byte by byte: cheaper than a `memchr` call each.
    #[inline]
    fn plain_row(&mut self, tick: u64) -> Option<(Micros, &str)> {
        if self.skipping {
            return None;
        }
        let data = &self.buf[self.pos..self.end];
        let mut at = 0;
        let mut row_tick = 0u64;
        while at < 19 {
            let digit = data.get(at)?.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            row_tick = row_tick * 10 + u64::from(digit);
            at += 1;
        }
        if at == 0 || data.get(at) != Some(&b',') || row_tick != tick {
            return None;
        }
        let time_start = at + 1;
        // The usual time is 27 bytes (`2026-11-23T17:33:14.999999Z`); else look for its end.
        let time_end = if data.get(time_start + 27) == Some(&b',') {
            time_start + 27
        } else {
            time_start
                + data
                    .get(time_start..)?
                    .iter()
                    .take(64)
                    .position(|&b| b == b',')?
        };
        let value_start = time_end + 1;
        if data.get(value_start) == Some(&b'"') {
            return None;
        }
        let mut value_end = value_start;
        loop {
            match *data.get(value_end)? {
                b'\n' => break,
                b',' => return None,
                _ => value_end += 1,
            }
        }
        let row_end = value_end + 1;
        if value_end > value_start && data[value_end - 1] == b'\r' {
            value_end -= 1;
        }
        let event_time = self.times.parse(&data[time_start..time_end]).ok()?;
        let value = &data[value_start..value_end];
        let value = if value.is_ascii() {
            // The one unsafe block: the replay hot path checks short values with an inlined
            // ASCII scan where `from_utf8` is a call per row (measured in `benches/engine.rs`).
            #[allow(unsafe_code)]
            // SAFETY: ASCII is valid UTF-8.
            unsafe {
                std::str::from_utf8_unchecked(value)
            }
        } else {
            std::str::from_utf8(value).ok()?
        };
        self.pos += row_end;
        self.line += 1;
        Some((event_time, value))
    }

    /// Hands every row of `tick` that comes next, up to the first that is not one (another
    /// tick, or anything [`Self::next_row`] must look at), to `each`; returns how many. The
    /// tight loop of replay's hot path: the caller has read a row of `tick` with `next_row`.
    #[inline]
    pub fn rows_of_tick(&mut self, tick: u64, mut each: impl FnMut(Micros, &str)) -> u64 {
        self.rows_of_tick_while(tick, |event_time, value| {
            each(event_time, value);
            true
        })
    }

    /// [`Self::rows_of_tick`], stopping after a row for which `each` returns false.
    #[inline]
    pub fn rows_of_tick_while(
        &mut self,
        tick: u64,
        mut each: impl FnMut(Micros, &str) -> bool,
    ) -> u64 {
        let mut rows = 0;
        while let Some((event_time, value)) = self.plain_row(tick) {
            rows += 1;
            if !each(event_time, value) {
                break;
            }
        }
        rows
    }

    /// Finds the next record (skipping empty lines) and moves past it.
    fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        loop {
            if self.skipping {
                self.skip_line()?;
                continue;
            }
            if self.pos == self.end {
                if self.eof {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            self.record_start = self.base + self.pos as u64;
            match self.scan() {
                Scan::Record(record) => return Ok(Some(record)),
                Scan::Empty => {}
                Scan::Malformed(line, problem) => {
                    // Go on after the bad row: at the next line break, or at the end of the
                    // file when a quote never closes.
                    self.skipping = true;
                    return Err(self.bad(line, problem));
                }
                Scan::NeedMore if self.end - self.pos > self.max_row => {
                    let line = self.line;
                    self.skipping = true;
                    return Err(self.bad(
                        line,
                        format!(
                            "row is longer than {} bytes (--max-line-bytes)",
                            self.max_row
                        ),
                    ));
                }
                Scan::NeedMore => {
                    self.fill()?;
                }
            }
        }
    }

    /// Drops input up to and including the next line break.
    fn skip_line(&mut self) -> Result<(), ReadError> {
        if let Some(i) = memchr(b'\n', &self.buf[self.pos..self.end]) {
            self.pos += i + 1;
            self.line += 1;
            self.skipping = false;
        } else {
            self.pos = self.end;
            if self.eof {
                self.skipping = false;
            } else {
                self.fill()?;
            }
        }
        Ok(())
    }

    fn scan(&mut self) -> Scan {
        let data = &self.buf[self.pos..self.end];
        let (line_len, consumed) = match memchr(b'\n', data) {
            Some(i) => (i, i + 1),
            None if self.eof => (data.len(), data.len()),
            None => return Scan::NeedMore,
        };
        let mut line = &data[..line_len];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            self.pos += consumed;
            self.line += 1;
            return Scan::Empty;
        }
        let base = self.pos;
        let c1 = memchr(b',', line);
        let c2 = c1.and_then(|c1| memchr(b',', &line[c1 + 1..]).map(|i| c1 + 1 + i));
        let quoted = line[0] == b'"'
            || c1.is_some_and(|c| line.get(c + 1) == Some(&b'"'))
            || c2.is_some_and(|c| line.get(c + 1) == Some(&b'"'));
        if quoted {
            return self.scan_quoted();
        }
        let record = match (c1, c2) {
            (Some(c1), Some(c2)) => {
                let value = &line[c2 + 1..];
                let extra = if memchr(b',', value).is_some() {
                    memchr_iter(b',', value).count()
                } else {
                    0
                };
                Record {
                    line: self.line,
                    offset: self.base + base as u64,
                    fields: [
                        (In::Buf, base..base + c1),
                        (In::Buf, base + c1 + 1..base + c2),
                        (In::Buf, base + c2 + 1..base + line.len()),
                    ],
                    count: 3 + extra,
                }
            }
            (Some(c1), None) => Record {
                line: self.line,
                offset: self.base + base as u64,
                fields: [
                    (In::Buf, base..base + c1),
                    (In::Buf, base + c1 + 1..base + line.len()),
                    (In::Buf, 0..0),
                ],
                count: 2,
            },
            _ => Record {
                line: self.line,
                offset: self.base + base as u64,
                fields: [
                    (In::Buf, base..base + line.len()),
                    (In::Buf, 0..0),
                    (In::Buf, 0..0),
                ],
                count: 1,
            },
        };
        self.pos += consumed;
        self.line += 1;
        Scan::Record(record)
    }

    /// A record with a quoted field, which may span lines. Every field is copied, unescaped,
    /// into the scratch buffer.
    fn scan_quoted(&mut self) -> Scan {
        let data = &self.buf[self.pos..self.end];
        let scratch = &mut self.scratch;
        scratch.clear();
        let mut fields: [(In, Range<usize>); 3] = [
            (In::Scratch, 0..0),
            (In::Scratch, 0..0),
            (In::Scratch, 0..0),
        ];
        let mut count = 0;
        let mut newlines = 0u64;
        let mut i = 0;
        loop {
            let start = scratch.len();
            let mut at_end = false;
            if data.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let Some(q) = memchr(b'"', &data[i..]).map(|q| i + q) else {
                        return if self.eof {
                            self.pos = self.end;
                            Scan::Malformed(self.line, "a quoted field is never closed".into())
                        } else {
                            Scan::NeedMore
                        };
                    };
                    newlines += memchr_iter(b'\n', &data[i..q]).count() as u64;
                    scratch.extend_from_slice(&data[i..q]);
                    match data.get(q + 1) {
                        Some(b'"') => {
                            scratch.push(b'"');
                            i = q + 2;
                        }
                        None if !self.eof => return Scan::NeedMore,
                        _ => {
                            i = q + 1;
                            break;
                        }
                    }
                }
                match data.get(i) {
                    None => at_end = true,
                    Some(b',') => i += 1,
                    Some(b'\n') => {
                        i += 1;
                        at_end = true;
                    }
                    Some(b'\r') if data.get(i + 1) == Some(&b'\n') => {
                        i += 2;
                        at_end = true;
                    }
                    Some(b'\r') if data.len() == i + 1 && !self.eof => return Scan::NeedMore,
                    Some(_) => {
                        return Scan::Malformed(
                            self.line + newlines,
                            "unexpected text after a closing quote".into(),
                        );
                    }
                }
            } else {
                match memchr2(b',', b'\n', &data[i..]).map(|j| i + j) {
                    Some(j) => {
                        let mut field = &data[i..j];
                        if data[j] == b'\n' {
                            at_end = true;
                            if let [rest @ .., b'\r'] = field {
                                field = rest;
                            }
                        }
                        scratch.extend_from_slice(field);
                        i = j + 1;
                    }
                    None if self.eof => {
                        let mut field = &data[i..];
                        if let [rest @ .., b'\r'] = field {
                            field = rest;
                        }
                        scratch.extend_from_slice(field);
                        i = data.len();
                        at_end = true;
                    }
                    None => return Scan::NeedMore,
                }
            }
            if count < 3 {
                fields[count] = (In::Scratch, start..scratch.len());
            }
            count += 1;
            if at_end {
                break;
            }
        }
        let record = Record {
            line: self.line,
            offset: self.base + self.pos as u64,
            fields,
            count,
        };
        self.pos += i;
        self.line += newlines + 1;
        Scan::Record(record)
    }
}

fn not_utf8(e: &std::str::Utf8Error) -> String {
    format!(
        "value is not valid UTF-8 (bad byte at offset {})",
        e.valid_up_to()
    )
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let d = d.wrapping_sub(b'0');
        (d < 10).then(|| n * 10 + u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &[u8]) -> Result<ReplayReader<&[u8]>, ReadError> {
        ReplayReader::new(text, "events.csv".into(), 1024)
    }

    fn all(text: &[u8]) -> Vec<Result<(u64, Micros, String, u64), String>> {
        let mut r = match reader(text) {
            Ok(r) => r,
            Err(e) => return vec![Err(e.to_string())],
        };
        let mut out = Vec::new();
        loop {
            match r.next_row() {
                Ok(Some(row)) => out.push(Ok((
                    row.tick,
                    row.event_time,
                    row.value.to_string(),
                    row.line,
                ))),
                Ok(None) => return out,
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    }

    const T0: Micros = 1_795_455_180_000_000;

    #[test]
    fn plain_rows_lf_and_crlf() {
        let rows = all(b"batch,event_time,value\n0,2026-11-23T17:33:00.000000Z,9\r\n1,2026-11-23T17:33:01Z,\n\n2,2026-11-23T17:33:00Z,x y");
        assert_eq!(
            rows,
            vec![
                Ok((0, T0, "9".into(), 2)),
                Ok((1, T0 + 1_000_000, String::new(), 3)),
                Ok((2, T0, "x y".into(), 5)),
            ]
        );
    }

    #[test]
    fn quoted_values_with_commas_quotes_and_line_breaks() {
        let rows = all(
            b"\xEF\xBB\xBFbatch,event_time,value\r\n0,2026-11-23T17:33:00Z,\"a,b\"\r\n0,2026-11-23T17:33:00Z,\"say \"\"hi\"\"\"\r\n0,2026-11-23T17:33:00Z,\"two\nlines\"\n\"1\",\"2026-11-23T17:33:00Z\",plain\n",
        );
        assert_eq!(
            rows,
            vec![
                Ok((0, T0, "a,b".into(), 2)),
                Ok((0, T0, "say \"hi\"".into(), 3)),
                Ok((0, T0, "two\nlines".into(), 4)),
                Ok((1, T0, "plain".into(), 6)),
            ]
        );
    }

    #[test]
    fn bad_rows_name_the_line_and_the_reader_goes_on() {
        let rows = all(b"batch,event_time,value\n0,yesterday,a\nx,2026-11-23T17:33:00Z,a\n0,2026-11-23T17:33:00Z,a,b\n0,2026-11-23T17:33:00Z\n0,2026-11-23T17:33:00Z,\xff\n0,2026-11-23T17:33:00Z,ok\n");
        assert_eq!(rows.len(), 6, "{rows:?}");
        assert!(
            rows[0]
                .as_ref()
                .unwrap_err()
                .starts_with("events.csv:2: event_time: expected an RFC 3339 time")
        );
        assert_eq!(
            rows[1],
            Err("events.csv:3: batch \"x\" is not a whole number".into())
        );
        assert!(
            rows[2]
                .as_ref()
                .unwrap_err()
                .starts_with("events.csv:4: expected 3 columns (batch,event_time,value), found 4")
        );
        assert!(
            rows[3]
                .as_ref()
                .unwrap_err()
                .starts_with("events.csv:5: expected 3 columns")
        );
        assert!(
            rows[4]
                .as_ref()
                .unwrap_err()
                .starts_with("events.csv:6: value is not valid UTF-8")
        );
        assert_eq!(rows[5], Ok((0, T0, "ok".into(), 7)));
    }

    #[test]
    fn batches_must_ascend() {
        let rows =
            all(b"batch,event_time,value\n3,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:00Z,a\n");
        assert_eq!(
            rows[1],
            Err(
                "events.csv:3: batch 1 comes after batch 3; rows must be in ascending batch order"
                    .into()
            )
        );
    }

    #[test]
    fn header_is_required() {
        assert_eq!(
            all(b"0,2026-11-23T17:33:00Z,a\n"),
            vec![Err("events.csv:1: missing header: the first line must be `batch,event_time,value`, got `0,2026-11-23T17:33:00Z,a`".into())]
        );
        assert!(
            all(b"")[0]
                .as_ref()
                .unwrap_err()
                .contains("the file is empty")
        );
    }

    #[test]
    fn unterminated_quote_and_text_after_quote() {
        let rows = all(b"batch,event_time,value\n0,2026-11-23T17:33:00Z,\"open\n");
        assert_eq!(
            rows,
            vec![Err("events.csv:2: a quoted field is never closed".into())]
        );
        let rows = all(
            b"batch,event_time,value\n0,2026-11-23T17:33:00Z,\"a\"b\n0,2026-11-23T17:33:00Z,c\n",
        );
        assert_eq!(
            rows[0],
            Err("events.csv:2: unexpected text after a closing quote".into())
        );
    }

    #[test]
    fn rows_longer_than_the_limit_are_refused_and_skipped() {
        let mut text = b"batch,event_time,value\n0,2026-11-23T17:33:00Z,".to_vec();
        text.extend(std::iter::repeat_n(b'x', 300_000));
        text.extend_from_slice(b"\n1,2026-11-23T17:33:00Z,after\n");
        let rows = all(&text);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            Err("events.csv:2: row is longer than 1024 bytes (--max-line-bytes)".into())
        );
        assert_eq!(rows[1], Ok((1, T0, "after".into(), 3)));
    }

    #[test]
    fn the_tick_loop_reads_what_next_row_reads() {
        let mut text = String::from("batch,event_time,value\n");
        let values = ["9", "", "a,b", "say \"hi\"", "é", "x y", "\u{1F600}"];
        for i in 0..3_000u64 {
            let value = values[(i % 7) as usize];
            let quoted = value.contains(',') || value.contains('"');
            let value = if quoted {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value.to_string()
            };
            let time = if i % 11 == 0 {
                format!("2026-11-23T17:{:02}:00+01:00", i % 60)
            } else {
                format!("2026-11-23T17:33:{:02}.{:06}Z", i % 60, i * 37 % 1_000_000)
            };
            let end = if i % 5 == 0 { "\r\n" } else { "\n" };
            text.push_str(&format!("{},{time},{value}{end}", i / 13));
        }
        let plain = || ReplayReader::new(text.as_bytes(), "t".into(), 64).unwrap();
        let mut one = plain();
        let mut want = Vec::new();
        while let Some(row) = one.next_row().unwrap() {
            want.push((row.tick, row.event_time, row.value.to_string()));
        }
        let mut two = plain();
        let mut got = Vec::new();
        while let Some(row) = two.next_row().unwrap() {
            let tick = row.tick;
            got.push((tick, row.event_time, row.value.to_string()));
            two.rows_of_tick(tick, |t, v| got.push((tick, t, v.to_string())));
        }
        assert_eq!(got, want);
        assert_eq!(want.len(), 3_000);
        assert_eq!(two.position(), one.position());
    }

    #[test]
    fn reads_across_buffer_refills() {
        // A reader that hands out 7 bytes at a time splits every row across reads.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(7).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut text = String::from("batch,event_time,value\n");
        for i in 0..500 {
            text.push_str(&format!(
                "{},2026-11-23T17:33:{:02}Z,\"v,{i}\"\r\n",
                i / 10,
                i % 60
            ));
        }
        let mut r = ReplayReader::new(Trickle(text.as_bytes()), "t".into(), 64).unwrap();
        let mut n = 0;
        while let Some(row) = r.next_row().unwrap() {
            assert_eq!(row.value, format!("v,{n}"));
            n += 1;
        }
        assert_eq!(n, 500);
    }
}

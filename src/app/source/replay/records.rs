//! The replay reader's records: the next one found (empty lines passed over), its fields split
//! in place when it has no quote, else by `csv-core` (RFC 4180) into the scratch buffer, and a
//! row over `--max-line-bytes` refused wherever its end is found.

use std::io::Read;

use memchr::{memchr, memchr_iter};

use super::super::ReadError;
use super::super::plain::parse_u64;
use super::super::quoting::quoted_fields;
use super::{Record, ReplayReader};

impl<R: Read> ReplayReader<R> {
    /// Finds the next record (skipping empty lines), splits its fields and moves past it.
    pub(super) fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
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
            let record = Record {
                line: self.line,
                offset: self.base + self.pos as u64,
            };
            match self.split() {
                Split::Record => return Ok(Some(record)),
                Split::Empty => {}
                Split::Malformed(problem) => {
                    // Go on after the bad row: at the end of the file when a quote never closes.
                    return Err(self.bad(&record, None, problem));
                }
                Split::TooLong(tick) => return Err(self.too_long(&record, tick)),
                // More than a row and its carriage return, and no line break yet: the row is
                // too long, whatever follows. It is skipped up to its line break.
                Split::NeedMore if self.end - self.pos > self.max_row + 1 => {
                    self.skipping = true;
                    let tick = tick_of(&self.buf[self.pos..self.end]);
                    return Err(self.too_long(&record, tick));
                }
                Split::NeedMore => {
                    self.fill()?;
                }
            }
        }
    }

    /// A row over `--max-line-bytes`, of tick `tick` when its first field reads as one.
    fn too_long(&self, record: &Record, tick: Option<u64>) -> ReadError {
        let problem = format!(
            "row is longer than {} bytes (--max-line-bytes)",
            self.max_row
        );
        self.bad(record, tick, problem)
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

    /// Splits the record at `pos` into fields: in place when it has no quote, else by
    /// `csv-core` into the scratch buffer.
    fn split(&mut self) -> Split {
        let data = &self.buf[self.pos..self.end];
        let (line_len, consumed) = match memchr(b'\n', data) {
            Some(i) => (i, i + 1),
            None if self.eof => (data.len(), data.len()),
            None => return Split::NeedMore,
        };
        let mut line = &data[..line_len];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            self.pos += consumed;
            self.line += 1;
            return Split::Empty;
        }
        if memchr(b'"', line).is_some() {
            return self.split_quoted();
        }
        if line.len() > self.max_row {
            let tick = tick_of(line);
            self.pos += consumed;
            self.line += 1;
            return Split::TooLong(tick);
        }
        let base = self.pos;
        self.fields.clear();
        self.quoted.clear();
        self.in_scratch = false;
        let mut start = 0;
        for comma in memchr_iter(b',', line) {
            self.fields.push(base + start..base + comma);
            start = comma + 1;
        }
        self.fields.push(base + start..base + line.len());
        self.pos += consumed;
        self.line += 1;
        Split::Record
    }

    /// A record with a quote, which may span lines, read by `csv-core` (RFC 4180).
    fn split_quoted(&mut self) -> Split {
        let data = &self.buf[self.pos..self.end];
        let mut csv = csv_core::ReaderBuilder::new().build();
        self.scratch.clear();
        self.scratch.resize(data.len().max(64), 0);
        self.ends.clear();
        self.ends.resize(64, 0);
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        loop {
            let input = if nin < data.len() {
                &data[nin..]
            } else {
                &[][..]
            };
            let (result, i, o, e) =
                csv.read_record(input, &mut self.scratch[nout..], &mut self.ends[nend..]);
            nin += i;
            nout += o;
            nend += e;
            match result {
                csv_core::ReadRecordResult::InputEmpty if !self.eof => return Split::NeedMore,
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.scratch.len();
                    self.scratch.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        // csv-core ends a record at `\r`: its `\n` belongs to it too (wait for it if unread).
        if data[..nin].ends_with(b"\r") {
            match data.get(nin) {
                Some(b'\n') => nin += 1,
                None if !self.eof => return Split::NeedMore,
                _ => {}
            }
        }
        let raw = &data[..nin];
        let newlines = memchr_iter(b'\n', raw).count() as u64;
        // A quote inside a field that did not open with one is a plain byte (`q"x`), as Spark,
        // Python and the live decoder read it, and as `--record` writes it.
        if quoted_fields(raw, &mut self.quoted) {
            self.pos += nin;
            self.line += newlines + u64::from(!raw.ends_with(b"\n"));
            return Split::Malformed("a quoted field is never closed".into());
        }
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        let too_long = body.strip_suffix(b"\r").unwrap_or(body).len() > self.max_row;
        self.pos += nin;
        // A line break ends the record (unless the file does); the others are inside values.
        self.line += newlines + u64::from(!raw.ends_with(b"\n"));
        if too_long {
            let first = self.ends[..nend].first().map(|&end| &self.scratch[..end]);
            return Split::TooLong(first.and_then(parse_u64));
        }
        self.fields.clear();
        self.in_scratch = true;
        let mut start = 0;
        for &end in &self.ends[..nend] {
            self.fields.push(start..end);
            start = end;
        }
        Split::Record
    }
}

enum Split {
    Record,
    /// An empty line was passed over.
    Empty,
    /// The buffer ends inside the record: read more.
    NeedMore,
    Malformed(String),
    /// A whole record over `--max-line-bytes` (its line break aside) was passed over; its tick,
    /// when its first field reads as one.
    TooLong(Option<u64>),
}

/// The tick of the row at the start of `data`, when its first field, up to a comma, reads as
/// one.
fn tick_of(data: &[u8]) -> Option<u64> {
    memchr(b',', data).and_then(|comma| parse_u64(&data[..comma]))
}

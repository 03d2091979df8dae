//! Turning a byte stream into rows: split lines (LF or CRLF) across reads with a length limit,
//! then decode each line into `(event time, value)`: the arrival stamp and the whole line, or
//! with `--event-time payload` a `TIMESTAMP,VALUE` line.

use memchr::memchr;

use crate::app::config::EventTimeFrom;
use crate::engine::{MICROS_PER_MILLI, Micros, TimestampParser};

/// Why a line was not accepted. Each kind is counted and shown, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Longer than `--max-line-bytes`.
    TooLong,
    /// Not valid UTF-8.
    NotUtf8,
    /// `--event-time payload` and the line is not `TIMESTAMP,VALUE`.
    BadPayload,
}

impl Rejection {
    pub fn label(self) -> &'static str {
        match self {
            Rejection::TooLong => "too long",
            Rejection::NotUtf8 => "not UTF-8",
            Rejection::BadPayload => "bad TIMESTAMP,VALUE",
        }
    }
}

/// Splits chunks of bytes into lines, holding at most `max` bytes of a partial line.
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max: usize,
    /// The current line passed the limit: drop it up to its end.
    discarding: bool,
}

impl LineSplitter {
    pub fn new(max: usize) -> Self {
        LineSplitter {
            partial: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// Feeds a chunk; `on_line` gets every complete line (without its LF or CRLF), or
    /// `Err(TooLong)` once for each line over the limit.
    pub fn feed(&mut self, mut chunk: &[u8], mut on_line: impl FnMut(Result<&[u8], Rejection>)) {
        while !chunk.is_empty() {
            let newline = memchr(b'\n', chunk);
            let (piece, rest) = match newline {
                Some(i) => (&chunk[..i], &chunk[i + 1..]),
                None => (chunk, &chunk[chunk.len()..]),
            };
            chunk = rest;
            if self.discarding {
                if newline.is_some() {
                    self.discarding = false;
                }
                continue;
            }
            if newline.is_none() {
                // A partial line: keep it for the next chunk, within the limit.
                if self.partial.len() + piece.len() > self.max + 1 {
                    self.partial.clear();
                    self.discarding = true;
                    on_line(Err(Rejection::TooLong));
                } else {
                    self.partial.extend_from_slice(piece);
                }
                continue;
            }
            if self.partial.is_empty() {
                self.emit(piece, &mut on_line);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(piece);
                self.emit(&line, &mut on_line);
                line.clear();
                self.partial = line;
            }
        }
    }

    /// The end of the stream: a last line without a line break still counts.
    pub fn finish(&mut self, mut on_line: impl FnMut(Result<&[u8], Rejection>)) {
        if !self.partial.is_empty() && !self.discarding {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line, &mut on_line);
        }
        self.partial.clear();
        self.discarding = false;
    }

    fn emit(&self, line: &[u8], on_line: &mut impl FnMut(Result<&[u8], Rejection>)) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max {
            on_line(Err(Rejection::TooLong));
        } else {
            on_line(Ok(line));
        }
    }
}

/// Epoch milliseconds accepted in payloads: years 0001 to 9999, as RFC 3339 allows.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// Decodes lines into `(event time, value)`.
#[derive(Debug)]
pub struct LineDecoder {
    from: EventTimeFrom,
    times: TimestampParser,
}

impl LineDecoder {
    pub fn new(from: EventTimeFrom) -> Self {
        LineDecoder {
            from,
            times: TimestampParser::new(),
        }
    }

    /// The row a line stands for, stamped `arrival` unless the line carries its own time.
    pub fn decode<'a>(
        &mut self,
        line: &'a [u8],
        arrival: Micros,
    ) -> Result<(Micros, &'a str), Rejection> {
        match self.from {
            EventTimeFrom::Arrival => Ok((arrival, utf8(line)?)),
            EventTimeFrom::Payload => {
                let comma = memchr(b',', line).ok_or(Rejection::BadPayload)?;
                let (time, value) = (&line[..comma], &line[comma + 1..]);
                let time = time.trim_ascii();
                let event_time = if !time.is_empty()
                    && time
                        .iter()
                        .enumerate()
                        .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-'))
                {
                    let millis: i64 = utf8(time)?.parse().map_err(|_| Rejection::BadPayload)?;
                    if !(MIN_MILLIS..=MAX_MILLIS).contains(&millis) {
                        return Err(Rejection::BadPayload);
                    }
                    millis * MICROS_PER_MILLI
                } else {
                    self.times.parse(time).map_err(|_| Rejection::BadPayload)?
                };
                Ok((event_time, utf8(value)?))
            }
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(bytes).map_err(|_| Rejection::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Result<String, Rejection>> {
        let mut splitter = LineSplitter::new(max);
        let mut out = Vec::new();
        let mut push = |r: Result<&[u8], Rejection>| {
            out.push(r.map(|l| String::from_utf8_lossy(l).into_owned()));
        };
        for chunk in chunks {
            splitter.feed(chunk, &mut push);
        }
        splitter.finish(&mut push);
        out
    }

    #[test]
    fn lines_across_chunks_lf_and_crlf() {
        assert_eq!(
            split(&[b"1\n2", b"3\r", b"\n\n4"], 10),
            vec![
                Ok("1".into()),
                Ok("23".into()),
                Ok(String::new()),
                Ok("4".into())
            ]
        );
    }

    #[test]
    fn a_huge_line_is_rejected_once_and_the_next_line_survives() {
        let huge = vec![b'x'; 5 << 20];
        let chunks: Vec<&[u8]> = std::iter::once(&b"before\n"[..])
            .chain(huge.chunks(65_536))
            .chain([&b"\nafter\n"[..]])
            .collect();
        assert_eq!(
            split(&chunks, 1 << 20),
            vec![
                Ok("before".into()),
                Err(Rejection::TooLong),
                Ok("after".into())
            ]
        );
        // A complete line over the limit inside one chunk.
        assert_eq!(
            split(&[b"12345\n1\n"], 4),
            vec![Err(Rejection::TooLong), Ok("1".into())]
        );
    }

    #[test]
    fn arrival_time_and_payload_time() {
        let mut arrival = LineDecoder::new(EventTimeFrom::Arrival);
        assert_eq!(arrival.decode(b"7", 42), Ok((42, "7")));
        assert_eq!(arrival.decode(b"a,b", 42), Ok((42, "a,b")));
        assert_eq!(arrival.decode(b"\xff", 42), Err(Rejection::NotUtf8));

        let mut payload = LineDecoder::new(EventTimeFrom::Payload);
        assert_eq!(
            payload.decode(b"1795455180000,9", 0),
            Ok((1_795_455_180_000_000, "9"))
        );
        assert_eq!(payload.decode(b"-1000,x", 0), Ok((-1_000_000, "x")));
        assert_eq!(
            payload.decode(b"2026-11-23T17:33:00Z,a,b", 0),
            Ok((1_795_455_180_000_000, "a,b"))
        );
        assert_eq!(payload.decode(b"no comma", 0), Err(Rejection::BadPayload));
        assert_eq!(
            payload.decode(b"yesterday,1", 0),
            Err(Rejection::BadPayload)
        );
        assert_eq!(
            payload.decode(b"99999999999999999,1", 0),
            Err(Rejection::BadPayload)
        );
        assert_eq!(payload.decode(b"1,\xff", 0), Err(Rejection::NotUtf8));
    }
}

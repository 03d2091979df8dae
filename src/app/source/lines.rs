//! Splitting a byte stream into lines (LF or CRLF) across reads, with a length limit; each line
//! is then decoded into a row ([`super::decode`]).

use memchr::memchr;

use super::decode::Rejection;

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
}

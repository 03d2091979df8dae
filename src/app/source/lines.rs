//! Splitting a byte stream into lines across reads, with a length limit; each line is then
//! decoded into a row ([`super::decode`]). A line ends at LF, CR or CRLF, as Spark's socket
//! source reads it (Java's `BufferedReader.readLine`): `a\rb\n` is two lines, `a` and `b`.

use memchr::memchr2;

use super::decode::Rejection;

/// Splits chunks of bytes into lines, holding at most `max` bytes of a partial line.
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max: usize,
    /// The current line passed the limit: drop it up to its end.
    discarding: bool,
    /// The last line ended at a CR: an LF next is the rest of its CRLF.
    after_cr: bool,
}

impl LineSplitter {
    pub fn new(max: usize) -> Self {
        LineSplitter {
            partial: Vec::new(),
            max,
            discarding: false,
            after_cr: false,
        }
    }

    /// Feeds a chunk; `on_line` gets every complete line (without its LF, CR or CRLF), or
    /// `Err(TooLong)` once for each line over the limit.
    pub fn feed(&mut self, mut chunk: &[u8], mut on_line: impl FnMut(Result<&[u8], Rejection>)) {
        while !chunk.is_empty() {
            if std::mem::take(&mut self.after_cr) && chunk[0] == b'\n' {
                chunk = &chunk[1..];
                continue;
            }
            let end = memchr2(b'\n', b'\r', chunk);
            let (piece, rest) = match end {
                Some(i) => {
                    self.after_cr = chunk[i] == b'\r';
                    (&chunk[..i], &chunk[i + 1..])
                }
                None => (chunk, &chunk[chunk.len()..]),
            };
            chunk = rest;
            if self.discarding {
                if end.is_some() {
                    self.discarding = false;
                }
                continue;
            }
            if end.is_none() {
                // A partial line: keep it for the next chunk, within the limit.
                if self.partial.len() + piece.len() > self.max {
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
        self.after_cr = false;
    }

    fn emit(&self, line: &[u8], on_line: &mut impl FnMut(Result<&[u8], Rejection>)) {
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

    /// Lines end as Spark's socket source ends them (Java's `readLine`): at LF, CR or CRLF,
    /// a CRLF across two reads one line end.
    #[test]
    fn a_lone_cr_ends_a_line_as_in_spark() {
        assert_eq!(
            split(&[b"a\rb\nc\r\nd\r", b"\ne\r\rf"], 10),
            vec![
                Ok("a".into()),
                Ok("b".into()),
                Ok("c".into()),
                Ok("d".into()),
                Ok("e".into()),
                Ok(String::new()),
                Ok("f".into())
            ]
        );
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

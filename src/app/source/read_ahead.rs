//! Reading a replay file ahead, on a thread of its own: it parses rows into chunks while the
//! engine folds the previous ones, so replay uses both cores. Chunks are recycled, and at most a
//! few are in flight, so memory stays small however large the file.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::replay_file::{BadRow, ReadError, ReplayReader, Row, RowSource};
use crate::engine::Micros;

/// Rows per chunk, at most.
const CHUNK_ROWS: usize = 16 * 1024;
/// Bytes of values per chunk, past which it takes no more rows (long values make few rows).
const CHUNK_TEXT: usize = 1 << 20;
/// Chunks parsed ahead of the engine.
const AHEAD: usize = 4;

/// What the reading thread found besides rows of the tick it is in.
#[derive(Debug)]
enum Mark {
    /// The row here came from `next_row`: it may open a tick, so it keeps where it is.
    Head {
        tick: u64,
        line: u64,
        offset: u64,
    },
    Bad(Box<BadRow>),
    Failed(Box<(String, std::io::ErrorKind, String)>),
    /// The end of the file, and its position.
    End(u64, u64),
}

/// Rows in file order, kept compact (12 bytes a row plus its value) since every row of the file
/// passes through one; the rare rows that carry more, and what is not a row, are marks.
#[derive(Debug, Default)]
struct Chunk {
    times: Vec<Micros>,
    /// Where each row's value ends in `text`.
    ends: Vec<u32>,
    /// Values, back to back.
    text: String,
    /// `(row index, mark)`, ascending: a `Head` describes that row; the others come before it.
    marks: Vec<(usize, Mark)>,
}

impl Chunk {
    fn clear(&mut self) {
        self.times.clear();
        self.ends.clear();
        self.text.clear();
        self.marks.clear();
    }

    /// Adds a row; returns whether the chunk has room for more.
    fn push(&mut self, event_time: Micros, value: &str) -> bool {
        self.text.push_str(value);
        self.times.push(event_time);
        // Below 4 GiB: the chunk stops taking rows past CHUNK_TEXT, and a value is at most
        // --max-line-bytes (1 GiB at most).
        self.ends.push(self.text.len() as u32);
        self.has_room()
    }

    /// Rows and marks (bad rows among them) count alike, so a file of bad rows is read ahead no
    /// further than one of good ones.
    fn has_room(&self) -> bool {
        self.times.len() + self.marks.len() < CHUNK_ROWS && self.text.len() < CHUNK_TEXT
    }

    fn mark(&mut self, mark: Mark) {
        self.marks.push((self.times.len(), mark));
    }
}

/// A [`RowSource`] fed by a thread that reads the file ahead.
pub struct ReadAhead {
    chunks: Receiver<Chunk>,
    recycle: SyncSender<Chunk>,
    current: Chunk,
    /// The current chunk's next row and next mark.
    next: usize,
    next_mark: usize,
    /// Where the current chunk's next value starts in its text.
    text_at: usize,
    end: Option<(u64, u64)>,
    /// The last head row's tick, line and offset: a row read with `next_row` that is no head
    /// (rather than with `rows_of_tick`) is its tick's next line.
    head: (u64, u64, u64),
    thread: Option<JoinHandle<()>>,
    /// The file's name, for the error should the reading thread die.
    file: String,
    /// The reading thread died, and that was said.
    died: bool,
}

impl ReadAhead {
    /// Starts reading `reader` (already positioned) on a thread.
    pub fn start<R: std::io::Read + Send + 'static>(mut reader: ReplayReader<R>) -> Self {
        let file = reader.file().to_string();
        let (send, chunks) = sync_channel::<Chunk>(AHEAD);
        let (recycle, spare) = sync_channel::<Chunk>(AHEAD + 2);
        let thread = std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || {
                loop {
                    let mut chunk = spare.try_recv().unwrap_or_default();
                    chunk.clear();
                    let done = fill(&mut reader, &mut chunk);
                    if send.send(chunk).is_err() || done {
                        return;
                    }
                }
            })
            .expect("cannot start the replay reader thread");
        ReadAhead {
            chunks,
            recycle,
            current: Chunk::default(),
            next: 0,
            next_mark: 0,
            text_at: 0,
            end: None,
            head: (0, 0, 0),
            thread: Some(thread),
            file,
            died: false,
        }
    }

    /// Makes sure a row or mark is at hand, fetching a chunk when this one is used up; false
    /// after the last chunk.
    fn advance(&mut self) -> bool {
        while self.next == self.current.times.len() && self.next_mark == self.current.marks.len() {
            let Ok(chunk) = self.chunks.recv() else {
                return false;
            };
            let used = std::mem::replace(&mut self.current, chunk);
            let _ = self.recycle.try_send(used);
            (self.next, self.next_mark, self.text_at) = (0, 0, 0);
        }
        true
    }

    /// The row at `next` (which exists), moving past it.
    fn take_row(&mut self) -> (Micros, &str) {
        let (at, start) = (self.next, self.text_at);
        let end = self.current.ends[at] as usize;
        self.next += 1;
        self.text_at = end;
        (self.current.times[at], &self.current.text[start..end])
    }
}

/// Reads rows into `chunk` until it is full; returns whether the file is over.
fn fill<R: std::io::Read>(reader: &mut ReplayReader<R>, chunk: &mut Chunk) -> bool {
    while chunk.has_room() {
        match reader.next_row() {
            Ok(Some(Row {
                tick,
                event_time,
                value,
                line,
                offset,
            })) => {
                chunk.mark(Mark::Head { tick, line, offset });
                if chunk.push(event_time, value) {
                    reader.rows_of_tick_while(tick, |event_time, value| {
                        chunk.push(event_time, value)
                    });
                }
            }
            Ok(None) => {
                let (offset, line) = reader.position();
                chunk.mark(Mark::End(offset, line));
                return true;
            }
            Err(ReadError::Bad(bad)) => chunk.mark(Mark::Bad(Box::new(bad))),
            Err(ReadError::Io { file, source }) => {
                let failure = (file, source.kind(), source.to_string());
                chunk.mark(Mark::Failed(Box::new(failure)));
                return true;
            }
        }
    }
    false
}

impl RowSource for ReadAhead {
    fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError> {
        if self.end.is_some() || self.died {
            return Ok(None);
        }
        if !self.advance() {
            // Chunks end with the file's End mark; without it the thread died (a panic), and
            // there is no position to resume at.
            self.died = true;
            return Err(ReadError::Io {
                file: self.file.clone(),
                source: std::io::Error::other("the replay reader thread stopped"),
            });
        }
        let mark = match self.current.marks.get(self.next_mark) {
            Some((at, mark)) if *at == self.next => {
                self.next_mark += 1;
                Some(mark)
            }
            _ => None,
        };
        match mark {
            Some(&Mark::Head { tick, line, offset }) => self.head = (tick, line, offset),
            // Not opening a tick, so its offset is not needed; that of its tick's head stands in.
            None => self.head.1 += 1,
            Some(Mark::Bad(bad)) => return Err(ReadError::Bad((**bad).clone())),
            Some(Mark::Failed(failure)) => {
                return Err(ReadError::Io {
                    file: failure.0.clone(),
                    source: std::io::Error::new(failure.1, failure.2.clone()),
                });
            }
            Some(&Mark::End(offset, line)) => {
                self.end = Some((offset, line));
                return Ok(None);
            }
        }
        let (tick, line, offset) = self.head;
        let (event_time, value) = self.take_row();
        Ok(Some(Row {
            tick,
            event_time,
            value,
            line,
            offset,
        }))
    }

    #[inline]
    fn rows_of_tick(&mut self, _tick: u64, mut each: impl FnMut(Micros, &str)) -> u64 {
        let mut rows = 0;
        loop {
            let chunk = &self.current;
            let stop = chunk
                .marks
                .get(self.next_mark)
                .map_or(chunk.times.len(), |m| m.0);
            for at in self.next..stop {
                let end = chunk.ends[at] as usize;
                each(chunk.times[at], &chunk.text[self.text_at..end]);
                self.text_at = end;
            }
            rows += (stop - self.next) as u64;
            self.head.1 += (stop - self.next) as u64;
            self.next = stop;
            // A tick's rows may run on into the next chunk, unless a mark comes first.
            if self.next_mark < chunk.marks.len() || !self.advance() {
                return rows;
            }
            if self.current.marks.first().is_some_and(|m| m.0 == 0) {
                return rows;
            }
        }
    }

    fn position(&self) -> (u64, u64) {
        self.end.unwrap_or_default()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Unblock and end the reading thread: it stops when its next send fails.
        let (_, closed) = sync_channel(0);
        drop(std::mem::replace(&mut self.chunks, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(mut source: impl RowSource) -> Vec<Result<(u64, Micros, String), String>> {
        let mut out = Vec::new();
        loop {
            match source.next_row() {
                Ok(Some(row)) => {
                    let tick = row.tick;
                    out.push(Ok((tick, row.event_time, row.value.to_string())));
                    source.rows_of_tick(tick, |t, v| out.push(Ok((tick, t, v.to_string()))));
                }
                Ok(None) => return out,
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    }

    #[test]
    fn reads_what_the_file_reader_reads_across_chunks_and_errors() {
        let mut text = String::from("batch,event_time,value\n");
        for i in 0..(3 * CHUNK_ROWS as u64 + 17) {
            let value = match i % 500 {
                7 => "\"a,b\"".to_string(),
                9 => "x,y,z".to_string(),
                _ => format!("v{}", i % 13),
            };
            text.push_str(&format!(
                "{},2026-11-23T17:33:{:02}.000001Z,{value}\n",
                i / 700,
                i % 60
            ));
        }
        let reader = || {
            ReplayReader::new(
                std::io::Cursor::new(text.clone().into_bytes()),
                "t".into(),
                1024,
            )
            .unwrap()
        };
        let direct = rows(reader());
        let ahead = rows(ReadAhead::start(reader()));
        assert_eq!(ahead.len(), direct.len());
        let first_difference = ahead.iter().zip(&direct).position(|(a, d)| a != d);
        assert_eq!(first_difference, None, "rows differ");
        assert!(
            direct.iter().any(std::result::Result::is_err),
            "bad rows are reported in place"
        );
        let at_end = |mut source: Box<dyn FnMut() -> Option<(u64, u64)>>| loop {
            if let Some(end) = source() {
                return end;
            }
        };
        let mut direct = reader();
        let mut ahead = ReadAhead::start(reader());
        let want = at_end(Box::new(move || match direct.next_row() {
            Ok(None) => Some(direct.position()),
            _ => None,
        }));
        let got = at_end(Box::new(move || match ahead.next_row() {
            Ok(None) => Some(RowSource::position(&ahead)),
            _ => None,
        }));
        assert_eq!(got, want);
    }

    #[test]
    fn a_chunk_of_long_values_stops_at_its_byte_budget() {
        let value = "x".repeat(300 << 10);
        let mut text = String::from("batch,event_time,value\n");
        for _ in 0..20 {
            text.push_str(&format!("0,2026-11-23T17:33:00Z,{value}\n"));
        }
        let reader =
            || ReplayReader::new(std::io::Cursor::new(text.clone()), "t".into(), 1 << 20).unwrap();
        let mut chunk = Chunk::default();
        assert!(!fill(&mut reader(), &mut chunk), "the file goes on");
        assert!(
            chunk.text.len() < CHUNK_TEXT + value.len(),
            "{} bytes",
            chunk.text.len()
        );
        assert_eq!(chunk.times.len(), CHUNK_TEXT.div_ceil(value.len()));
        // Read whole, the rows are all there, in order, across chunks.
        let all = rows(ReadAhead::start(reader()));
        assert_eq!(all.len(), 20);
        assert!(
            all.iter()
                .all(|r| r.as_ref().is_ok_and(|(_, _, v)| *v == value))
        );
    }

    #[test]
    fn a_chunk_of_bad_rows_is_as_bounded_as_one_of_rows() {
        let mut text = String::from("batch,event_time,value\n");
        for _ in 0..(3 * CHUNK_ROWS) {
            text.push_str("0,yesterday,v\n");
        }
        let mut reader =
            ReplayReader::new(std::io::Cursor::new(text), "t".into(), 1 << 20).unwrap();
        let mut chunk = Chunk::default();
        assert!(!fill(&mut reader, &mut chunk), "the file goes on");
        assert_eq!(chunk.marks.len(), CHUNK_ROWS);
        assert!(chunk.times.is_empty());
    }

    /// Reads `data`, then panics.
    struct PanicsAfter(std::io::Cursor<Vec<u8>>);

    impl std::io::Read for PanicsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => panic!("the disk caught fire"),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_reading_thread_that_dies_is_an_error_not_the_end_of_the_file() {
        // More than the reader takes in at the start, so that the thread meets the fire.
        let mut text = String::from("batch,event_time,value\n");
        for _ in 0..20_000 {
            text.push_str("0,2026-11-23T17:33:00Z,a\n");
        }
        let reader = ReplayReader::new(
            PanicsAfter(std::io::Cursor::new(text.into_bytes())),
            "t".into(),
            1024,
        )
        .unwrap();
        let got = rows(ReadAhead::start(reader));
        assert!(
            matches!(got.last(), Some(Err(e)) if e.contains("reader thread stopped")),
            "{got:?}"
        );
    }

    #[test]
    fn dropping_it_early_ends_the_thread() {
        let mut text = String::from("batch,event_time,value\n");
        for i in 0..200_000 {
            text.push_str(&format!("{},2026-11-23T17:33:00Z,v\n", i / 1000));
        }
        let reader =
            ReplayReader::new(std::io::Cursor::new(text.into_bytes()), "t".into(), 1024).unwrap();
        let mut source = ReadAhead::start(reader);
        source.next_row().unwrap();
        drop(source);
    }
}

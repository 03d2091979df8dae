//! The checkpoint's log, `log/N`: the batches from N on, a record appended each time one begins
//! (its offsets, and a live batch's rows) and each time one commits (where to resume, when, and
//! the state it changed). A log after the first starts with the commit of batch N − 1 carrying the
//! whole state after it, so the newest log is all a restart reads.
//!
//! The file is the header line `window-tui-checkpoint v4 log QUERY-ID`, then records: a kind
//! byte (`B` begin, `C` commit), the body's length (u64, little-endian), the CRC-32 of those nine
//! bytes, the CRC-32 of the body, then the body. A record is appended and `fdatasync`ed in one go:
//! one journal commit, where a new file costs its own `fsync` and its folder's.
//!
//! A kill while a record is appended leaves it cut short (whole records, then part of one): it
//! was never acknowledged, so a restart drops it and its batch runs again. So does a power cut
//! that leaves zeros where an unacknowledged record's data had not reached the disk (no record
//! starts with a zero byte). A record whose header does not check, or whose body does not match
//! its checksum, is damage, named with the file and the record's offset, even at the end of the
//! file: a header checked by its own CRC cannot make a record look cut short when it is not.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::framed::{self, FrameError};
use super::{Commit, Offsets};
use crate::app::durable;
use crate::engine::Micros;

const BEGIN: u8 = b'B';
const COMMIT: u8 = b'C';
/// Kind, length, the CRC-32 of both, and the body's CRC-32.
const RECORD_HEADER: usize = 17;

/// One record of a log, borrowing its bytes from the file's.
#[derive(Debug)]
pub enum Record<'a> {
    /// A batch about to run: its offsets, and a live batch's rows as [`super::input_log`] encodes
    /// them.
    Begin {
        offsets: Offsets,
        input: Option<&'a [u8]>,
    },
    /// A batch every sink has: where to resume, when it committed (microseconds since the epoch)
    /// and the state it changed (a delta, or the whole state in a log's first record).
    Commit {
        commit: Commit,
        at: Micros,
        state: &'a [u8],
    },
}

/// A log file read back.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// Each record, with its offset in the file.
    pub records: Vec<(usize, Record<'a>)>,
    /// The length of the file up to the end of the last whole record: a kill may have cut the
    /// one after short.
    pub whole: usize,
}

/// Appends a begin record for `offsets` to `out`; `input` writes a live batch's rows.
pub fn begin(out: &mut Vec<u8>, offsets: &Offsets, input: Option<impl FnOnce(&mut Vec<u8>)>) {
    frame(out, BEGIN, |out| {
        json(out, offsets);
        if let Some(input) = input {
            input(out);
        }
    });
}

/// Appends a commit record to `out`; `state` writes the state it carries.
pub fn commit(out: &mut Vec<u8>, commit: &Commit, at: Micros, state: impl FnOnce(&mut Vec<u8>)) {
    frame(out, COMMIT, |out| {
        out.extend_from_slice(&at.to_le_bytes());
        json(out, commit);
        state(out);
    });
}

/// A value as its JSON's length (u32) and the JSON.
fn json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    serde_json::to_writer(&mut *out, value).expect("offsets and commits serialize");
    let len = u32::try_from(out.len() - start - 4).expect("offsets and commits are short");
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn frame(out: &mut Vec<u8>, kind: u8, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(&[0; RECORD_HEADER - 1]);
    body(out);
    let len = (out.len() - start - RECORD_HEADER) as u64;
    out[start + 1..start + 9].copy_from_slice(&len.to_le_bytes());
    let head_crc = crc32fast::hash(&out[start..start + 9]);
    let body_crc = crc32fast::hash(&out[start + RECORD_HEADER..]);
    out[start + 9..start + 13].copy_from_slice(&head_crc.to_le_bytes());
    out[start + 13..start + 17].copy_from_slice(&body_crc.to_le_bytes());
}

/// The error for the record at byte `at` of `file`.
pub fn damaged(file: &str, at: usize, why: &str) -> FrameError {
    framed::corrupt(file, &format!("the record at byte {at}: {why}"))
}

/// Reads the log `data`, the contents of `file`, a log of the query `query_id`.
pub fn parse<'a>(file: &str, data: &'a [u8], query_id: &str) -> Result<Parsed<'a>, FrameError> {
    let header = framed::header(file, data)?;
    match header.fields[..] {
        ["log", id] if id == query_id => {}
        ["log", id] => {
            return Err(framed::corrupt(
                file,
                &format!("it is a log of another query ({id}, not {query_id})"),
            ));
        }
        _ => return Err(framed::corrupt(file, "it is not a log")),
    }
    let mut records = Vec::new();
    let mut at = header.end;
    while let Some(head) = data.get(at..at + RECORD_HEADER) {
        if data[at..].iter().all(|&b| b == 0) {
            break; // Space a power cut left unwritten: no record starts with a zero byte.
        }
        let damaged = |why: &str| damaged(file, at, why);
        if crc32fast::hash(&head[..9]).to_le_bytes() != head[9..13] {
            return Err(damaged("its header's checksum does not match"));
        }
        let len = u64::from_le_bytes(head[1..9].try_into().expect("8 bytes"));
        let Some(body) = usize::try_from(len)
            .ok()
            .and_then(|len| data[at + RECORD_HEADER..].get(..len))
        else {
            break; // Cut short by a kill while it was appended.
        };
        if crc32fast::hash(body).to_le_bytes() != head[13..17] {
            return Err(damaged("its checksum does not match"));
        }
        let record = match head[0] {
            BEGIN => {
                let (offsets, input) = take_json(body).ok_or_else(|| damaged("bad offsets"))?;
                Record::Begin {
                    offsets,
                    input: (!input.is_empty()).then_some(input),
                }
            }
            COMMIT => {
                let (time, rest) = body
                    .split_first_chunk::<8>()
                    .ok_or_else(|| damaged("no time"))?;
                let (commit, state) = take_json(rest).ok_or_else(|| damaged("bad commit"))?;
                Record::Commit {
                    commit,
                    at: Micros::from_le_bytes(*time),
                    state,
                }
            }
            kind => return Err(damaged(&format!("unknown kind {kind:#04x}"))),
        };
        records.push((at, record));
        at += RECORD_HEADER + body.len();
    }
    Ok(Parsed { records, whole: at })
}

/// A value's JSON (length first), and the bytes after it.
fn take_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<(T, &[u8])> {
    let (len, rest) = body.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    let json = rest.get(..len)?;
    Some((serde_json::from_slice(json).ok()?, &rest[len..]))
}

/// The log records are appended to.
#[derive(Debug)]
pub struct Appender {
    file: File,
    path: PathBuf,
    /// The length of what is durable: a failed append is cut back to it.
    len: u64,
    /// Where its records after the state it starts with begin.
    start: u64,
    /// Whether a failed append may have left part of a record after `len`, not cut back yet.
    torn: bool,
    /// The record being written.
    next: Vec<u8>,
    /// The last record appended, when it was: a record that repeats it is not appended again.
    last: Vec<u8>,
    #[cfg(test)]
    fail_after: Option<u32>,
}

impl Appender {
    /// Creates the log `path` of the query `query_id`, holding `records` (whole records),
    /// atomically: a restart finds the whole file or none. `last` is its last record, when a
    /// restart may repeat it.
    pub fn create(
        path: &Path,
        query_id: &str,
        records: &[u8],
        last: Vec<u8>,
    ) -> anyhow::Result<Self> {
        let header = framed::log_header(query_id);
        durable::write_atomically(path, |out| {
            out.write_all(header.as_bytes())?;
            out.write_all(records)
        })?;
        let len = (header.len() + records.len()) as u64;
        Self::open(path, len, len, last)
    }

    /// Opens the log `path` to append after its first `len` bytes. What follows (a record a
    /// kill left cut short) is cut off by the first append, not now: a run that stops before it
    /// appends anything (the output refused, say) leaves the file as it found it. Its records
    /// after `start` count as grown; `last` is its last record, when a restart may repeat it.
    pub fn open(path: &Path, len: u64, start: u64, last: Vec<u8>) -> anyhow::Result<Self> {
        let cannot = || format!("cannot open the checkpoint log {}", path.display());
        let file = File::options()
            .append(true)
            .open(path)
            .with_context(cannot)?;
        let torn = file.metadata().with_context(cannot)?.len() != len;
        Ok(Appender {
            file,
            path: path.to_path_buf(),
            len,
            start,
            torn,
            next: Vec::new(),
            last,
            #[cfg(test)]
            fail_after: None,
        })
    }

    /// How many bytes its records after the state it starts with take.
    pub fn grown(&self) -> u64 {
        self.len - self.start
    }

    /// Makes appends fail after `after` more of them (each failure writing half its record and
    /// leaving it, as a full disk whose cut-back failed too), or never (`None`).
    #[cfg(test)]
    pub fn fail_after(&mut self, after: Option<u32>) {
        self.fail_after = after;
    }

    /// Appends the record `write` makes and makes it durable, unless it repeats the last record
    /// appended byte for byte (a restart running its pending batch again logs the same begin).
    /// A failed append leaves nothing: what it wrote is cut off, now or before the next append.
    pub fn append(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> anyhow::Result<()> {
        let cannot = || format!("cannot append to {}", self.path.display());
        if self.torn {
            self.file
                .set_len(self.len)
                .with_context(|| format!("{}: cannot cut off a record cut short", cannot()))?;
            self.torn = false;
        }
        self.next.clear();
        write(&mut self.next);
        if self.next == self.last {
            return Ok(());
        }
        // Until the record is durable, part of it may be left after `len`.
        self.torn = true;
        #[cfg(test)]
        if let Some(left) = &mut self.fail_after {
            if *left == 0 {
                let half = &self.next[..self.next.len() / 2];
                (&self.file).write_all(half).expect("half a record");
                return Err(std::io::Error::from_raw_os_error(28)).with_context(cannot);
            }
            *left -= 1;
        }
        let written = (&self.file)
            .write_all(&self.next)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            if self.file.set_len(self.len).is_ok() {
                self.torn = false;
            }
            return Err(e).with_context(cannot);
        }
        self.torn = false;
        self.len += self.next.len() as u64;
        std::mem::swap(&mut self.next, &mut self.last);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::runtime::checkpoint::Position;
    use crate::engine::BatchKind;

    const QUERY: &str = "q-1";

    fn offsets(batch_id: u64) -> Offsets {
        Offsets {
            batch_id,
            kind: BatchKind::Data,
            tick: batch_id * 3,
            watermark: -5,
        }
    }

    fn commit_of(batch_id: u64) -> Commit {
        Commit {
            batch_id,
            position: Position::Live { tick: batch_id },
        }
    }

    fn log(records: &[u8]) -> Vec<u8> {
        let mut data = framed::log_header(QUERY).into_bytes();
        data.extend_from_slice(records);
        data
    }

    fn read(data: &[u8]) -> Result<Parsed<'_>, FrameError> {
        parse("log/7", data, QUERY)
    }

    fn two_records() -> Vec<u8> {
        let mut records = Vec::new();
        begin(
            &mut records,
            &offsets(7),
            Some(|out: &mut Vec<u8>| out.extend_from_slice(b"rows")),
        );
        commit(&mut records, &commit_of(7), 1234, |out| {
            out.extend_from_slice(b"state");
        });
        records
    }

    fn replay_begin(batch_id: u64) -> impl FnOnce(&mut Vec<u8>) {
        move |out| begin(out, &offsets(batch_id), None::<fn(&mut Vec<u8>)>)
    }

    #[test]
    fn records_read_back_as_written() {
        let data = log(&two_records());
        let parsed = read(&data).unwrap();
        assert_eq!(parsed.whole, data.len());
        let [
            (first, Record::Begin { offsets: o, input }),
            (
                _,
                Record::Commit {
                    commit: c,
                    at,
                    state,
                },
            ),
        ] = &parsed.records[..]
        else {
            panic!("{parsed:?}");
        };
        assert_eq!(*first, framed::log_header(QUERY).len());
        assert_eq!((o, *input), (&offsets(7), Some(&b"rows"[..])));
        assert_eq!((c, *at, *state), (&commit_of(7), 1234, &b"state"[..]));
        let mut replay = Vec::new();
        replay_begin(8)(&mut replay);
        let data = log(&replay);
        assert!(matches!(
            read(&data).unwrap().records[..],
            [(_, Record::Begin { input: None, .. })]
        ));
    }

    #[test]
    fn a_record_cut_short_is_left_out_and_any_flipped_byte_is_damage() {
        let data = log(&two_records());
        let second = read(&data).unwrap().records[1].0;
        for cut in second..data.len() {
            let parsed = read(&data[..cut]).unwrap();
            assert_eq!(
                (parsed.records.len(), parsed.whole),
                (1, second),
                "cut at {cut}"
            );
        }
        // Lengths included: a record's header has a checksum of its own.
        for at in framed::log_header(QUERY).len()..data.len() {
            for bit in [0x01, 0x40, 0x80] {
                let mut flipped = data.clone();
                flipped[at] ^= bit;
                let err = read(&flipped).expect_err("damage").to_string();
                assert!(
                    err.contains("log/7") && err.contains("torn or corrupt"),
                    "{err}"
                );
                let of = if at < second {
                    29 + QUERY.len() + 1
                } else {
                    second
                };
                assert!(
                    err.contains(&format!("record at byte {of}")),
                    "byte {at}: {err}"
                );
            }
        }
    }

    #[test]
    fn another_files_header_is_refused() {
        let refused = |header: String| {
            let mut data = header.into_bytes();
            data.extend_from_slice(&two_records());
            read(&data).unwrap_err().to_string()
        };
        let another = refused(framed::log_header("q-2"));
        assert!(
            another.contains("another query (q-2, not q-1)"),
            "{another}"
        );
        let commit = refused(framed::log_header(QUERY).replace(" log", " commit"));
        assert!(commit.contains("not a log"), "{commit}");
        assert!(matches!(read(b"hello\n"), Err(FrameError::Foreign { .. })));
    }

    #[test]
    fn appends_are_durable_a_repeated_one_is_not_appended_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0");
        let mut appender = Appender::create(&path, QUERY, &[], Vec::new()).unwrap();
        appender.append(replay_begin(0)).unwrap();
        appender.append(replay_begin(0)).unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(read(&data).unwrap().records.len(), 1);
        assert_eq!(
            appender.grown(),
            (data.len() - framed::log_header(QUERY).len()) as u64
        );
        // A record cut short at the end is cut off by the next append, not by opening.
        let whole = data.len() as u64;
        let mut torn = data.clone();
        torn.extend_from_slice(&two_records()[..30]);
        std::fs::write(&path, &torn).unwrap();
        let mut appender = Appender::open(&path, whole, whole, Vec::new()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), torn);
        appender
            .append(|out| commit(out, &commit_of(0), 1, |_| {}))
            .unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(read(&data).unwrap().records.len(), 2);
    }

    #[test]
    fn a_log_grows_by_the_records_after_the_state_it_starts_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("8");
        let appender = Appender::create(&path, QUERY, &two_records(), Vec::new()).unwrap();
        assert_eq!(appender.grown(), 0);
        let mut appender = Appender::open(&path, appender.len, 100, Vec::new()).unwrap();
        let before = appender.grown();
        appender.append(replay_begin(8)).unwrap();
        let mut record = Vec::new();
        replay_begin(8)(&mut record);
        assert_eq!(appender.grown(), before + record.len() as u64);
    }

    #[test]
    fn zeros_where_a_record_was_being_written_are_no_record() {
        let mut data = log(&two_records());
        let whole = data.len();
        data.resize(whole + 40, 0);
        let parsed = read(&data).unwrap();
        assert_eq!((parsed.records.len(), parsed.whole), (2, whole));
        data[whole + 39] = 1;
        assert!(read(&data).is_err(), "not all zeros: damage");
    }

    #[test]
    fn a_failed_append_is_cut_off_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0");
        let mut appender = Appender::create(&path, QUERY, &[], Vec::new()).unwrap();
        appender.append(replay_begin(0)).unwrap();
        let whole = std::fs::read(&path).unwrap();
        // Half the commit is written, and not cut back (as when that fails too).
        appender.fail_after(Some(0));
        let commit_0 = |out: &mut Vec<u8>| commit(out, &commit_of(0), 1, |_| {});
        assert!(appender.append(commit_0).is_err());
        assert!(std::fs::metadata(&path).unwrap().len() > whole.len() as u64);
        assert_eq!(
            read(&std::fs::read(&path).unwrap()).unwrap().whole,
            whole.len()
        );
        // The same record again, or another, lands right after the last whole one.
        appender.fail_after(None);
        appender.append(commit_0).unwrap();
        appender.append(replay_begin(1)).unwrap();
        let data = std::fs::read(&path).unwrap();
        let parsed = read(&data).unwrap();
        assert_eq!((parsed.records.len(), parsed.whole), (3, data.len()));
    }
}

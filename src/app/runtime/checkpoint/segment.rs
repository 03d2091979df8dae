//! The checkpoint's log, `log/N`: the batches from N on, a record appended each time one begins
//! (its offsets, and a live batch's rows) and each time one commits (where to resume, when, and
//! the state it changed). A log after the first starts with the commit of batch N − 1 carrying the
//! whole state after it, so the newest log is all a restart reads.
//!
//! The file is the header line `window-tui-checkpoint v4 log`, then records: a kind byte (`B`
//! begin, `C` commit), the body's length (u32, little-endian), the CRC-32 of kind and body, then
//! the body. A record is appended and `fdatasync`ed in one go: one journal commit, where a new
//! file costs its own `fsync` and its folder's.
//!
//! A crash while a record is appended leaves it cut short: it was never acknowledged, so a restart
//! drops it (its batch runs again). Anything else that does not read back (a bad checksum, an
//! unknown kind) is damage, named with the file and the record's offset.

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
/// Kind, length and checksum.
const RECORD_HEADER: usize = 9;

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
    /// The length of the file up to the end of the last whole record: a crash may have cut the
    /// rest short.
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
    let len = u32::try_from(out.len() - start - 4).expect("a short JSON");
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn frame(out: &mut Vec<u8>, kind: u8, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(&[0; 8]);
    body(out);
    let len = u32::try_from(out.len() - start - RECORD_HEADER).expect("a record under 4 GiB");
    let mut crc = crc32fast::Hasher::new();
    crc.update(&[kind]);
    crc.update(&out[start + RECORD_HEADER..]);
    out[start + 1..start + 5].copy_from_slice(&len.to_le_bytes());
    out[start + 5..start + 9].copy_from_slice(&crc.finalize().to_le_bytes());
}

/// Reads the log `data`, the contents of `file`.
pub fn parse<'a>(file: &str, data: &'a [u8]) -> Result<Parsed<'a>, FrameError> {
    let header = framed::header(file, data)?;
    if header.fields != ["log"] {
        return Err(framed::corrupt(file, "it is not a log"));
    }
    let mut records = Vec::new();
    let mut at = header.end;
    while let Some(head) = data.get(at..at + RECORD_HEADER) {
        let len = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes")) as usize;
        let Some(body) = data
            .get(at + RECORD_HEADER..)
            .and_then(|rest| rest.get(..len))
        else {
            break;
        };
        let damaged = |why: &str| framed::corrupt(file, &format!("the record at byte {at}: {why}"));
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head[..1]);
        crc.update(body);
        if crc.finalize().to_le_bytes() != head[5..9] {
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
        at += RECORD_HEADER + len;
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
    /// The record being written, kept for the next.
    buf: Vec<u8>,
    #[cfg(test)]
    fail_after: Option<u32>,
}

impl Appender {
    /// Creates the log `path` holding `records` (whole records), atomically: a restart finds the
    /// whole file or none.
    pub fn create(path: &Path, records: &[u8]) -> anyhow::Result<Self> {
        durable::write_atomically(path, |out| {
            out.write_all(framed::log_header().as_bytes())?;
            out.write_all(records)
        })?;
        let len = (framed::log_header().len() + records.len()) as u64;
        Self::open(path, len)
    }

    /// Opens the log `path` to append after its first `len` bytes, cutting off what follows
    /// (a record a crash left cut short).
    pub fn open(path: &Path, len: u64) -> anyhow::Result<Self> {
        let cannot = || format!("cannot open the checkpoint log {}", path.display());
        let file = File::options()
            .append(true)
            .open(path)
            .with_context(cannot)?;
        if file.metadata().with_context(cannot)?.len() != len {
            file.set_len(len)
                .and_then(|()| file.sync_all())
                .with_context(|| {
                    format!("cannot cut {} back to its whole records", path.display())
                })?;
        }
        Ok(Appender {
            file,
            path: path.to_path_buf(),
            len,
            buf: Vec::new(),
            #[cfg(test)]
            fail_after: None,
        })
    }

    /// The log's length, in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Makes appends fail as a full disk would after `after` more of them, or never (`None`).
    #[cfg(test)]
    pub fn fail_after(&mut self, after: Option<u32>) {
        self.fail_after = after;
    }

    /// Appends the record `write` makes and makes it durable. A failed append leaves nothing.
    pub fn append(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> anyhow::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        write(&mut buf);
        #[cfg(test)]
        if let Some(left) = &mut self.fail_after {
            if *left == 0 {
                self.buf = buf;
                return Err(std::io::Error::from_raw_os_error(28))
                    .with_context(|| format!("cannot append to {}", self.path.display()));
            }
            *left -= 1;
        }
        let written = (&self.file)
            .write_all(&buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(self.len);
            self.buf = buf;
            return Err(e).with_context(|| format!("cannot append to {}", self.path.display()));
        }
        self.len += buf.len() as u64;
        self.buf = buf;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::runtime::checkpoint::Position;
    use crate::engine::BatchKind;

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
        let mut data = framed::log_header().into_bytes();
        data.extend_from_slice(records);
        data
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

    #[test]
    fn records_read_back_as_written() {
        let data = log(&two_records());
        let parsed = parse("log/7", &data).unwrap();
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
        assert_eq!(*first, framed::log_header().len());
        assert_eq!((o, *input), (&offsets(7), Some(&b"rows"[..])));
        assert_eq!((c, *at, *state), (&commit_of(7), 1234, &b"state"[..]));
        let mut replay = Vec::new();
        begin(&mut replay, &offsets(8), None::<fn(&mut Vec<u8>)>);
        let data = log(&replay);
        let parsed = parse("log/8", &data).unwrap();
        assert!(matches!(
            parsed.records[..],
            [(_, Record::Begin { input: None, .. })]
        ));
    }

    #[test]
    fn a_record_cut_short_is_left_out_and_damage_is_named() {
        let data = log(&two_records());
        let second = parse("log/7", &data).unwrap().records[1].0;
        for cut in second..data.len() {
            let parsed = parse("log/7", &data[..cut]).unwrap();
            assert_eq!(
                (parsed.records.len(), parsed.whole),
                (1, second),
                "cut at {cut}"
            );
        }
        // A flipped byte is damage, except in a length, which may instead make the record seem
        // to run past the end (cut short).
        let first = framed::log_header().len();
        let lengths = [first + 1..first + 5, second + 1..second + 5];
        for at in first..data.len() {
            let mut flipped = data.clone();
            flipped[at] ^= 0x40;
            match parse("log/7", &flipped) {
                Err(err) => {
                    let err = err.to_string();
                    assert!(
                        err.contains("log/7") && err.contains("torn or corrupt"),
                        "{err}"
                    );
                }
                Ok(parsed) => assert!(
                    lengths.iter().any(|r| r.contains(&at)) && parsed.records.len() < 2,
                    "byte {at}: {parsed:?}"
                ),
            }
        }
    }

    #[test]
    fn another_files_header_is_refused() {
        let mut data = framed::log_header()
            .replace(" log", " commit 3 0")
            .into_bytes();
        data.extend_from_slice(b"{}\n");
        assert!(
            parse("log/0", &data)
                .unwrap_err()
                .to_string()
                .contains("not a log")
        );
        assert!(matches!(
            parse("log/0", b"hello\n"),
            Err(FrameError::Foreign { .. })
        ));
    }

    #[test]
    fn appends_are_durable_and_a_failed_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0");
        let mut appender = Appender::create(&path, &[]).unwrap();
        appender
            .append(|out| begin(out, &offsets(0), None::<fn(&mut Vec<u8>)>))
            .unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(parse("0", &data).unwrap().records.len(), 1);
        // A torn record at the end is cut off when the log is opened again.
        let whole = data.len() as u64;
        let mut torn = data.clone();
        torn.extend_from_slice(&two_records()[..12]);
        std::fs::write(&path, &torn).unwrap();
        let mut appender = Appender::open(&path, whole).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        appender
            .append(|out| commit(out, &commit_of(0), 1, |_| {}))
            .unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(parse("0", &data).unwrap().records.len(), 2);
    }
}

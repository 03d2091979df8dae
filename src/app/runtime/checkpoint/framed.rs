//! Checkpoint files written whole (the metadata, and a format-3 checkpoint's files): a header
//! line with the format version, the body's length and its CRC-32, then the body; written aside,
//! fsynced and renamed. A torn or corrupted file is detected when read, and a file from a newer
//! format is refused, each with the file named. Logs ([`super::segment`]) start with such a
//! header line too, without length or checksum: each of their records has its own.

use std::io::Read;
use std::path::Path;

use crate::app::durable;

/// How every checkpoint file window-tui writes begins (then ` vN`, its format version).
pub const MAGIC: &str = "window-tui-checkpoint";
/// The format this build writes. Version 4 appends each batch to a log ([`super::segment`]);
/// versions 3 and 2 wrote a file per batch and step ([`super::legacy`]), and are still read (3
/// logs a live batch's rows cell by cell, `input_log`; 2 logged each row's image); version 1
/// logged them as CSV, and is refused.
pub const VERSION: u32 = 4;
/// The oldest format this build reads.
const OLDEST: u32 = 2;

/// Why a checkpoint file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// (`error` is part of the message, not a source: printed with its causes, it would show
    /// twice.)
    #[error("{file}: cannot read it: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: not a window-tui checkpoint file")]
    Foreign { file: String },
    #[error(
        "{file}: written by a newer window-tui (checkpoint format {found}, this one reads {OLDEST} to {VERSION})"
    )]
    Newer { file: String, found: u32 },
    #[error(
        "{file}: written by an older window-tui (checkpoint format {found}, this one reads {OLDEST} to {VERSION}); start afresh with --clean"
    )]
    Older { file: String, found: u32 },
    #[error(
        "{file}: torn or corrupt ({why}); the checkpoint cannot be trusted: move it aside to keep \
         it, or --clean to start over"
    )]
    Corrupt { file: String, why: String },
}

/// Writes `body` as a framed file of `kind`, atomically.
pub fn write(path: &Path, kind: &str, body: &[u8]) -> anyhow::Result<()> {
    let crc = crc32fast::hash(body);
    durable::write_atomically(path, |out| {
        use std::io::Write;
        writeln!(out, "{MAGIC} v{VERSION} {kind} {} {crc:08x}", body.len())?;
        out.write_all(body)
    })
}

/// Reads a framed file of `kind` and checks it; returns its body.
pub fn read(path: &Path, kind: &str) -> Result<Vec<u8>, FrameError> {
    read_versioned(path, kind).map(|(_, body)| body)
}

/// [`read`], with the format version the file was written in.
pub fn read_versioned(path: &Path, kind: &str) -> Result<(u32, Vec<u8>), FrameError> {
    let file = path.display().to_string();
    let data = read_file(path)?;
    let corrupt = |why: &str| corrupt(&file, why);
    let header = header(&file, &data)?;
    let [found_kind, len, crc] = header.fields[..] else {
        return Err(corrupt("the header is malformed"));
    };
    if found_kind != kind {
        return Err(corrupt(&format!("it holds {found_kind:?}, not {kind:?}")));
    }
    let len: usize = len
        .parse()
        .map_err(|_| corrupt("the length is malformed"))?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| corrupt("the checksum is malformed"))?;
    let body = &data[header.end..];
    if body.len() != len {
        return Err(corrupt(&format!(
            "{} bytes where {len} were written",
            body.len()
        )));
    }
    if crc32fast::hash(body) != crc {
        return Err(corrupt("the checksum does not match"));
    }
    Ok((header.version, body.to_vec()))
}

/// The whole of a checkpoint file, its path named in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, FrameError> {
    std::fs::read(path).map_err(|error| FrameError::Io {
        file: path.display().to_string(),
        error,
    })
}

/// The error for a file that does not read back as written.
pub fn corrupt(file: &str, why: &str) -> FrameError {
    FrameError::Corrupt {
        file: file.to_string(),
        why: why.to_string(),
    }
}

/// Whether the file at `path` begins as window-tui's checkpoint files do (or as one cut short
/// while its header was written does): what a removal checks first, so that a file of the same
/// name that is someone else's is left.
pub fn begins_like_ours(path: &Path) -> bool {
    // A file, not a link or a FIFO (whose opening would wait for a writer).
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut start = Vec::with_capacity(MAGIC.len());
    let read = std::fs::File::open(path)
        .and_then(|file| file.take(MAGIC.len() as u64).read_to_end(&mut start));
    read.is_ok() && MAGIC.as_bytes().starts_with(&start)
}

/// The header line of a log file of the query `query_id` ([`super::segment`]).
pub fn log_header(query_id: &str) -> String {
    format!("{MAGIC} v{VERSION} log {query_id}\n")
}

/// A file's header line, checked: ours, and of a format this build reads.
pub struct Header<'a> {
    pub version: u32,
    /// The fields after the version.
    pub fields: Vec<&'a str>,
    /// Where the body begins, after the header's newline.
    pub end: usize,
}

/// Reads and checks the header line at the start of `data`, the contents of `file`.
pub fn header<'a>(file: &str, data: &'a [u8]) -> Result<Header<'a>, FrameError> {
    let foreign = || FrameError::Foreign {
        file: file.to_string(),
    };
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        // A file cut short inside its header still begins like one.
        let ours = data.starts_with(MAGIC.as_bytes()) || MAGIC.as_bytes().starts_with(data);
        return Err(if ours && !data.is_empty() {
            corrupt(file, "the header is cut short")
        } else {
            foreign()
        });
    };
    let line = std::str::from_utf8(&data[..newline]).map_err(|_| foreign())?;
    let mut fields = line.split(' ');
    if fields.next() != Some(MAGIC) {
        return Err(foreign());
    }
    let version: u32 = fields
        .next()
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt(file, "the header has no version"))?;
    if version > VERSION {
        return Err(FrameError::Newer {
            file: file.to_string(),
            found: version,
        });
    }
    if version < OLDEST {
        return Err(FrameError::Older {
            file: file.to_string(),
            found: version,
        });
    }
    Ok(Header {
        version,
        fields: fields.collect(),
        end: newline + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage_detection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("7");
        write(&path, "commit", b"{\"batch\":7}").unwrap();
        assert_eq!(read(&path, "commit").unwrap(), b"{\"batch\":7}");

        let whole = std::fs::read(&path).unwrap();
        // Torn: the end of the file is missing.
        std::fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        let err = read(&path, "commit").unwrap_err().to_string();
        assert!(
            err.contains("torn or corrupt") && err.contains("/7"),
            "{err}"
        );
        // Corrupt: a flipped byte.
        let mut flipped = whole.clone();
        *flipped.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert!(
            read(&path, "commit")
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        // Cut inside the header.
        std::fs::write(&path, &whole[..10]).unwrap();
        assert!(matches!(
            read(&path, "commit"),
            Err(FrameError::Corrupt { .. })
        ));
        // Someone else's file, and the wrong kind.
        std::fs::write(&path, "hello\n").unwrap();
        assert!(matches!(
            read(&path, "commit"),
            Err(FrameError::Foreign { .. })
        ));
        std::fs::write(&path, &whole).unwrap();
        assert!(matches!(
            read(&path, "offsets"),
            Err(FrameError::Corrupt { .. })
        ));
        // Another format, newer or older than this build reads, is refused, not misread; the
        // oldest it reads is read, and says so.
        let text = String::from_utf8(whole).unwrap();
        let this = format!(" v{VERSION} ");
        for (other, says) in [(VERSION + 1, "newer window-tui"), (OLDEST - 1, "--clean")] {
            std::fs::write(&path, text.replacen(&this, &format!(" v{other} "), 1)).unwrap();
            let err = read(&path, "commit").unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
        std::fs::write(&path, text.replacen(&this, &format!(" v{OLDEST} "), 1)).unwrap();
        assert_eq!(
            read_versioned(&path, "commit").unwrap(),
            (OLDEST, b"{\"batch\":7}".to_vec())
        );
        assert!(matches!(
            read(&dir.path().join("none"), "commit"),
            Err(FrameError::Io { .. })
        ));
    }
}

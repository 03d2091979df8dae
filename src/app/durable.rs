//! Durable files: written aside under a hidden name, fsynced, renamed into place and the folder
//! fsynced, so a reader or a restart sees the whole file or none of it.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The hidden name a file is written under before it is renamed to `path`.
pub fn aside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes `path` atomically: the whole of `write`'s output or nothing.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> anyhow::Result<()> {
    let tmp = aside(path);
    let result = (|| -> io::Result<()> {
        let file = File::create(&tmp)?;
        let mut out = io::BufWriter::with_capacity(64 * 1024, &file);
        write(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_dir(parent_of(path))
}

/// The folder `path` is in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes a new file at `path`, never replacing one: when a file of that name exists, the error's
/// cause is an [`io::ErrorKind::AlreadyExists`] and nothing is touched. A failed write removes
/// the file it created.
pub fn write_new(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let result = (|| -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(64 * 1024, &file);
        write(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(path);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_dir(parent_of(path))
}

/// Whether `err` says a file was there already ([`write_new`]).
pub fn already_exists(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::AlreadyExists)
    })
}

/// Makes a folder's entries (creations, renames, removals) durable.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync folder {}", dir.display()))
}

/// Creates a folder and its parents, naming it in the error.
pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    // The folders about to be made, innermost first: each one's entry lives in its parent,
    // which is synced once it holds it, so that a power cut cannot undo the folder.
    let missing: Vec<&Path> = dir.ancestors().take_while(|a| !a.exists()).collect();
    fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    for created in missing.iter().rev() {
        let parent = created.parent().filter(|p| !p.as_os_str().is_empty());
        sync_dir(parent.unwrap_or(Path::new(".")))?;
    }
    Ok(())
}

/// The batch id a file name (its suffix removed) stands for. Only the id's own text counts:
/// paths are rebuilt from the id, so a stray `07` or `+7` would lead to a file that is not there.
pub fn batch_id(name: &str) -> Option<u64> {
    name.parse::<u64>().ok().filter(|id| id.to_string() == name)
}

/// Removes a folder and everything in it; a folder that is not there is fine (`--clean`).
pub fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", dir.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_id_is_only_its_own_text() {
        assert_eq!(batch_id("7"), Some(7));
        assert_eq!(batch_id("0"), Some(0));
        for name in ["07", "+7", "00", " 7", "7x", ""] {
            assert_eq!(batch_id(name), None, "{name:?}");
        }
    }

    #[test]
    fn a_new_file_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.py");
        write_new(&path, 0o644, |out| out.write_all(b"first")).unwrap();
        let err = write_new(&path, 0o644, |out| out.write_all(b"second")).unwrap_err();
        assert!(already_exists(&err), "{err:#}");
        assert_eq!(fs::read(&path).unwrap(), b"first");
        let failed = dir.path().join("failed.py");
        assert!(write_new(&failed, 0o644, |_| Err(io::Error::other("disk full"))).is_err());
        assert!(!failed.exists(), "a failed write leaves nothing");
    }

    #[test]
    fn writes_whole_files_and_leaves_nothing_aside_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        write_atomically(&path, |out| out.write_all(b"hello")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello");
        let err = write_atomically(&path, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(
            fs::read(&path).unwrap(),
            b"hello",
            "the old file stays whole"
        );
        assert!(!aside(&path).exists());
    }
}

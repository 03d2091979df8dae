//! One run per folder: a checkpoint or a file sink's output folder in use by another window-tui
//! is refused at once, naming the folder and the other process.
//!
//! The lock is an OS file lock (`flock`) on `DIR/.window-tui.lock`, which also holds the pid of
//! the process holding it, for the message. The OS drops the lock when the process ends, however
//! it ends, so a killed run never leaves a stale lock; the file itself stays, and is harmless:
//! Spark's readers pass over names starting with `.` (and `_`). A process keeps the locks it
//! took until it exits; taking the same folder's lock again in the same process is a no-op.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;

use crate::app::durable;
use crate::app::error::BadInput;

/// The lock file's name in the folder it guards.
pub const LOCK_FILE: &str = ".window-tui.lock";

/// The lock files this process holds, open, with their identity (device, inode): a folder is the
/// same however it is reached, and after it was moved.
static HELD: Mutex<Vec<((u64, u64), File)>> = Mutex::new(Vec::new());

/// Locks `dir` (creating it) for this process until it exits. `what` names the folder in the
/// refusal (`the checkpoint`, `the output folder`), `flag` the option that chooses another one.
pub fn hold(dir: &Path, what: &str, flag: &str) -> anyhow::Result<()> {
    durable::create_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot stat {}", path.display()))?;
    let identity = (meta.dev(), meta.ino());
    let mut held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if held.iter().any(|(id, _)| *id == identity) {
        return Ok(());
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!("another window-tui (pid {pid})"),
                Err(_) => "another window-tui".to_string(),
            };
            return Err(BadInput(format!(
                "{what} {} is in use by {holder}; two runs must not share it: wait for that \
                 one to end, or use another {flag}",
                dir.display()
            ))
            .into());
        }
        Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            tracing::warn!(
                "{}: this file system has no file locks; another run could share the folder",
                dir.display()
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    let pid = std::process::id();
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{pid}"))
        .with_context(|| format!("cannot write the lock file {}", path.display()))?;
    held.push((identity, file));
    Ok(())
}

/// Whether `name` is a lock file's (for code that lists a folder).
pub fn is_lock_file(name: &str) -> bool {
    name == LOCK_FILE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_held_here_can_be_taken_again_and_names_this_process() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("checkpoint");
        hold(&folder, "the checkpoint", "--checkpoint").unwrap();
        hold(&folder, "the checkpoint", "--checkpoint").unwrap();
        let text = std::fs::read_to_string(folder.join(LOCK_FILE)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        // Another open file description of the same file is refused, as another process is.
        let other = File::options()
            .read(true)
            .write(true)
            .open(folder.join(LOCK_FILE))
            .unwrap();
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
    }
}

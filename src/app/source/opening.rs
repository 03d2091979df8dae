//! Opening a file to read that a stop signal can interrupt. Opening a FIFO waits, in the
//! kernel, for a writer; a signal whose handler only sets a flag (the replay's:
//! [`crate::app::stop_signals::flag`]) does not end that wait, the open is restarted, and only a
//! second signal ended the process. Here such an open waits on a thread of its own, and the
//! caller gives it up once the flag is set.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

/// How often the flag is looked at while an open waits.
const POLL: Duration = Duration::from_millis(20);

/// `File::open(path)`, unless `stop` is set while it waits: then an error of kind
/// [`io::ErrorKind::Interrupted`] (the thread still waiting on the open is left to the end of
/// the process, which comes next). A regular file, or a path that is not there, opens at once,
/// on this thread; so does any path without a `stop` to watch.
pub fn open_unless(path: &Path, stop: Option<&AtomicBool>) -> io::Result<File> {
    let may_wait = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let Some(stop) = stop.filter(|_| may_wait) else {
        return File::open(path);
    };
    let (opened, open) = channel();
    let owned = path.to_path_buf();
    std::thread::Builder::new()
        .name("open".into())
        .spawn(move || {
            let _ = opened.send(File::open(owned));
        })?;
    loop {
        match open.recv_timeout(POLL) {
            Ok(result) => return result,
            Err(RecvTimeoutError::Timeout) if stop.load(Ordering::Relaxed) => {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "stopped by a signal while waiting for a writer to open it",
                ));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(io::Error::other("the thread opening it ended"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::process::Command;
    use std::time::Instant;

    use super::*;

    fn fifo(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("fifo");
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        path
    }

    #[test]
    fn a_fifo_without_a_writer_is_given_up_when_the_flag_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = fifo(dir.path());
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                stop.store(true, Ordering::Relaxed);
            });
            let err = open_unless(&path, Some(&stop)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        });
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_fifo_opens_when_its_writer_comes_and_a_file_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = fifo(dir.path());
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| std::fs::write(&path, "hello").unwrap());
            let mut text = String::new();
            open_unless(&path, Some(&stop))
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            assert_eq!(text, "hello");
        });
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        stop.store(true, Ordering::Relaxed);
        assert!(
            open_unless(&file, Some(&stop)).is_ok(),
            "a file opens, flag or not"
        );
        let missing = open_unless(&dir.path().join("missing"), Some(&stop)).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}

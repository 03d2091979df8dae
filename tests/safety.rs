//! Nothing lost, nothing surprising: `--clean` deletes only what window-tui wrote, a folder in
//! use is refused, no file is overwritten unasked, a restart deletes no data it cannot prove
//! its own, and no control byte from a file reaches the terminal raw.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{BIN, hermetic};

/// `window-tui ARGS` in a clean environment, run in `dir`.
fn window_tui(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    hermetic(&mut cmd)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run window-tui")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// A small replay file: `ticks` ticks of two rows each, a second apart.
fn events(dir: &Path, ticks: u64) -> PathBuf {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        for value in ["a", "b"] {
            text.push_str(&format!(
                "{tick},2026-11-23T17:{:02}:{:02}Z,{value}\n",
                33 + tick * 10 / 60,
                tick * 10 % 60
            ));
        }
    }
    write(dir, "events.csv", text)
}

#[test]
fn control_bytes_from_a_file_never_reach_the_terminal_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let header = write(
        dir,
        "pwned.csv",
        "batch,event_time,\x1b]0;PWNED\x07\n0,2026-11-23T17:33:00Z,a\n",
    );
    let out = window_tui(dir, &["replay", header.to_str().unwrap(), "--sink", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("PWNED"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(err.contains("\\x1b]0;PWNED\\x07"), "{err}");

    let rows = write(
        dir,
        "rows.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,\x1b[2J\u{9b}31m,b\n",
    );
    let out = window_tui(
        dir,
        &["replay", rows.to_str().unwrap(), "--sink", "json", "--on-bad-row", "skip"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("skipped 1 bad row"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\u{9b}'), "{err:?}");
}

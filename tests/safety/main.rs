//! Nothing lost, nothing surprising: `--clean` deletes only what window-tui wrote, a folder in
//! use is refused, no file is overwritten unasked, a restart deletes no data it cannot prove
//! its own, a checkpoint of the format before is continued, and no control byte from a file
//! reaches the terminal raw.
//! This file holds what the parts share.

#[path = "../common/mod.rs"]
mod common;

mod checkpoints;
mod folders;
mod restarts;
mod terminal;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{BIN, hermetic, output_in as window_tui};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// A small replay file: `ticks` ticks of two rows each, ten seconds apart.
fn events(dir: &Path, ticks: u64) -> PathBuf {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        let t = chrono::DateTime::from_timestamp(1_795_455_180 + tick as i64 * 10, 0).unwrap();
        for value in ["a", "b"] {
            let _ = writeln!(text, "{tick},{},{value}", t.format("%Y-%m-%dT%H:%M:%SZ"));
        }
    }
    write(dir, "events.csv", text)
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const T: std::time::Duration = std::time::Duration::from_secs(30);

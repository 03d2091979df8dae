//! Disk faults: an output or checkpoint folder that is read-only, missing or full gives a clear
//! error, the batch is not committed, nothing half-written is visible, and once the disk is
//! fixed the same command finishes the job exactly.
//!
//! Read-only folders use `chmod` (or `chattr +i` as root, whom permissions do not stop); a full
//! disk is a 64 KiB tmpfs. Where the machine allows neither, the test says so and passes.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_file_sink, window_tui_in};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes a folder read-only for this process until dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        let ok = if is_root() {
            Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success())
        } else {
            Command::new("chmod")
                .arg("555")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ok {
            eprintln!("skipped: cannot make {} read-only here", dir.display());
        }
        ok.then(|| ReadOnly(dir.to_path_buf()))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = Command::new("chmod").arg("755").arg(&self.0).status();
    }
}

/// A tiny tmpfs mounted at a folder until dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn new(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipped: cannot mount a small tmpfs here (not root?)");
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A replay file of `ticks` ticks over many distinct values, so the output is large.
fn events(path: &Path, ticks: u64) {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        for i in 0..50 {
            let t = chrono::DateTime::from_timestamp(1_795_455_180 + tick as i64, 0).unwrap();
            writeln!(
                text,
                "{tick},{},value-{:04}",
                t.format("%Y-%m-%dT%H:%M:%SZ"),
                (tick * 50 + i) % 700
            )
            .unwrap();
        }
    }
    std::fs::write(path, text).unwrap();
}

fn replay(dir: &Path, events: &Path, out: &Path, checkpoint: &Path) -> std::process::Output {
    window_tui_in(dir)
        .arg("replay")
        .arg(events)
        .args(["--window", "4s", "--slide", "2s", "--watermark", "1s"])
        .args(["--sink", "file", "--output"])
        .arg(out)
        .arg("--checkpoint")
        .arg(checkpoint)
        .output()
        .unwrap()
}

#[test]
fn a_read_only_output_folder_is_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    events(&file, 20);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let Some(_guard) = ReadOnly::new(&out) else {
        return;
    };
    let output = replay(dir.path(), &file, &out, &dir.path().join("ckpt"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&out.display().to_string()),
        "the folder is named: {stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_read_only_checkpoint_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    events(&file, 5);
    let checkpoint = dir.path().join("ckpt");
    std::fs::create_dir(&checkpoint).unwrap();
    let Some(_guard) = ReadOnly::new(&checkpoint) else {
        return;
    };
    let output = replay(dir.path(), &file, &dir.path().join("out"), &checkpoint);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ckpt"), "the checkpoint is named: {stderr}");
}

#[test]
fn an_output_that_cannot_be_a_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    events(&file, 5);
    std::fs::write(dir.path().join("taken"), "a file").unwrap();
    let out = dir.path().join("taken/out");
    let output = replay(dir.path(), &file, &out, &dir.path().join("ckpt"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("taken/out"), "{stderr}");
}

#[test]
fn a_full_disk_stops_the_run_uncommitted_and_the_same_command_finishes_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    events(&file, 60);
    let reference = dir.path().join("reference");
    let output = window_tui_in(dir.path())
        .arg("replay")
        .arg(&file)
        .args(["--window", "4s", "--slide", "2s", "--watermark", "1s"])
        .args(["--sink", "file", "--output"])
        .arg(&reference)
        .output()
        .unwrap();
    assert!(output.status.success());
    let (_, want) = check_file_sink(&reference);

    let disk = dir.path().join("disk");
    let Some(_mount) = Tmpfs::new(&disk, "192k") else {
        return;
    };
    // Most of the disk is taken by something else.
    let filler = disk.join("filler");
    std::fs::write(&filler, vec![0u8; 120 * 1024]).unwrap();
    let out = disk.join("out");
    let checkpoint = dir.path().join("ckpt");
    let output = replay(dir.path(), &file, &out, &checkpoint);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the disk should fill up: {stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // What is visible is whole: every listed file exists, nothing is left aside.
    let (logged, _) = check_file_sink(&out);
    assert!(!logged.is_empty(), "some batches got through first");

    // Room again: the same command continues and the output is exactly the reference's.
    std::fs::remove_file(&filler).unwrap();
    let output = replay(dir.path(), &file, &out, &checkpoint);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("resuming at batch"),
        "the batches before the disk filled were committed: {stderr}"
    );
    let (_, got) = check_file_sink(&out);
    if let Err(e) = common::diff("rows after the disk was full", &want, &got) {
        panic!("{e}");
    }
}

//! What a first hour with the command line met: advice that works when followed, options that
//! would do nothing refused with the reason, and messages that say what happened plainly.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, hermetic};

/// `window-tui ARGS` with the variables `env` set, in a clean environment, run in `dir`.
fn window_tui(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    hermetic(&mut cmd)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().expect("cannot run window-tui")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A short headless live run of three values, its batches a trigger apart.
const SHORT: [&str; 7] = [
    "--headless",
    "--count",
    "3",
    "--delay",
    "0ms",
    "--trigger",
    "50ms",
];

fn short(extra: &[&str]) -> Vec<&'static str> {
    let mut args = SHORT.to_vec();
    for arg in extra {
        args.push(arg.to_string().leak());
    }
    args
}

/// A second run without a checkpoint into the same output is told to use `--clean`, and
/// `--clean` with `--no-checkpoint` does it: the output alone, of what window-tui wrote.
#[test]
fn the_advice_for_an_output_an_earlier_run_wrote_works_without_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let run = short(&["--no-checkpoint", "--sink", "file", "--flush-at-end"]);
    let out = window_tui(tmp.path(), &run, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(tmp.path().join("output/notes.txt"), "mine").unwrap();
    let out = window_tui(tmp.path(), &run, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("use --clean"), "{}", stderr(&out));
    let mut again = run.clone();
    again.push("--clean");
    let out = window_tui(tmp.path(), &again, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(tmp.path().join("output/notes.txt").exists());
    assert!(!tmp.path().join("checkpoint").exists());
}

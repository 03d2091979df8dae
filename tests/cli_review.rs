//! What a first hour with the command line met: advice that works when followed, options that
//! would do nothing refused with the reason, and messages that say what happened plainly.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, hermetic, output_to_full, output_with_env as window_tui};

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

/// A replay file of the default query: three rows in two ticks.
fn events(dir: &Path) -> String {
    let path = dir.join("events.csv");
    std::fs::write(
        &path,
        "batch,event_time,value\n0,2026-11-23T17:33:01Z,a\n0,2026-11-23T17:33:02Z,b\n\
         1,2026-11-23T17:33:40Z,a\n",
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

/// An option typed where it would do nothing is refused (exit 2), saying why, before anything
/// is made.
#[test]
fn an_option_that_would_do_nothing_is_refused_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir);
    let cases: [(&[&str], &str); 9] = [
        (
            &[
                "--headless",
                "--source",
                "nosuchhost.invalid:9",
                "--delay",
                "1s",
            ],
            "--delay sets what the embedded stream server sends",
        ),
        (
            &["--source", "nosuchhost.invalid:9", "--count", "3"],
            "drop --count",
        ),
        (
            &["--source", "nosuchhost.invalid:9", "--repeat", "2"],
            "drop --repeat",
        ),
        (
            &["--source", "nosuchhost.invalid:9", "--generator", "random"],
            "drop --generator",
        ),
        (
            &["--headless", "--output", "out", "--count", "1"],
            "no --sink file is on",
        ),
        (
            &["--headless", "--max-state-rows", "0"],
            "0 would refuse every row",
        ),
        (
            &["replay", &events, "--sink", "json", "--speed", "4"],
            "--speed sets the dashboard's playback",
        ),
        (
            &["replay", &events, "--sink", "console", "--play"],
            "drop --play",
        ),
        (
            &["replay", &events, "--sink", "json", "--output", "out"],
            "no --sink file is on",
        ),
    ];
    for (args, why) in cases {
        let out = window_tui(dir, args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        let made: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "events.csv")
            .collect();
        assert!(made.is_empty(), "{args:?} made {made:?}");
    }
    let out = window_tui(
        dir,
        &["replay", &events],
        &[("WINDOW_TUI_MAX_STATE_ROWS", "0")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("WINDOW_TUI_MAX_STATE_ROWS"),
        "{}",
        stderr(&out)
    );
}

/// A variable of an option that does not apply to this run is left unread, not refused: the
/// environment holds settings for many runs.
#[test]
fn a_variable_that_does_not_apply_fails_no_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir);
    let env = [
        ("WINDOW_TUI_SPEED", "4"),
        ("WINDOW_TUI_PLAY", "1"),
        ("WINDOW_TUI_OUTPUT", "elsewhere"),
    ];
    let out = window_tui(dir, &["replay", &events, "--sink", "json"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = window_tui(dir, &short(&["--no-checkpoint", "--sink", "json"]), &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = window_tui(
        dir,
        &short(&["--no-checkpoint", "--sink", "json"]),
        &[("WINDOW_TUI_CLEAN", "1")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.join("elsewhere").exists());
}

/// A TIMESTAMP column without `--event-time` means windows by arrival time, said at the start.
#[test]
fn a_timestamp_column_left_out_of_the_event_time_is_hinted_at() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("c.csv"),
        "2026-11-23T17:33:01Z,ana,3\n2026-11-23T17:33:02Z,bo,4\n",
    )
    .unwrap();
    let query = [
        "--generator",
        "file",
        "--file",
        "c.csv",
        "--format",
        "csv",
        "--schema",
        "ts TIMESTAMP, user STRING, bytes INT",
        "--group-by",
        "user",
        "--no-checkpoint",
    ];
    let out = window_tui(dir, &short(&query), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hint = "window-tui: ts is a TIMESTAMP column but the event time is arrival (when each \
                line is read); --event-time ts?\n";
    assert!(stderr(&out).starts_with(hint), "{}", stderr(&out));
    let out = window_tui(
        dir,
        &short(&[&query[..], &["--event-time", "ts"]].concat()),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("TIMESTAMP column"),
        "{}",
        stderr(&out)
    );
}

/// The closing line counts one of a thing in the singular; a bad flag variable lists what it
/// takes; `replay -` reads standard input.
#[test]
fn messages_say_what_happened_plainly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut cmd = Command::new(BIN);
    hermetic(&mut cmd)
        .current_dir(dir)
        .args(["replay", "-", "--sink", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        b"batch,event_time,value\n0,2026-11-23T17:33:01Z,a\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("window-tui: 2 batches, 1 row; bad rows skipped: none"),
        "{}",
        stderr(&out)
    );
    let out = window_tui(
        dir,
        &[
            "--headless",
            "--no-checkpoint",
            "--sink",
            "json",
            "--count",
            "1",
            "--delay",
            "0ms",
            "--trigger",
            "50ms",
        ],
        &[],
    );
    assert!(
        stderr(&out).contains(", 1 row; lines rejected: none"),
        "{}",
        stderr(&out)
    );
    let out = window_tui(dir, &["--count", "1"], &[("WINDOW_TUI_HEADLESS", "maybe")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("1 or 0, true or false, yes or no"),
        "{}",
        stderr(&out)
    );
}

/// A start refused because the output folder cannot be made leaves no checkpoint folder.
#[test]
fn a_start_refused_for_its_output_leaves_no_checkpoint_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("afile"), "").unwrap();
    let out = window_tui(
        dir,
        &short(&["--sink", "file", "--output", "afile/out"]),
        &[],
    );
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.join("checkpoint").exists(), "{}", stderr(&out));
    // The folders it made above a nested checkpoint go too; one that was there stays.
    std::fs::create_dir(dir.join("mine")).unwrap();
    for checkpoint in ["a/b/ck", "mine/c/ck"] {
        let args = [
            "--sink",
            "file",
            "--output",
            "afile/out",
            "--checkpoint",
            checkpoint,
        ];
        let out = window_tui(dir, &short(&args), &[]);
        assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert!(!dir.join("a").exists());
    assert!(dir.join("mine").is_dir() && !dir.join("mine/c").exists());
}

/// A sink that cannot write says which sink and which batch, with the OS's error, in words.
#[test]
fn a_full_stdout_names_the_sink_and_one_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let events = events(tmp.path());
    for sink in ["json", "console"] {
        let out = output_to_full(tmp.path(), &["replay", &events, "--sink", sink]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        let said = format!("window-tui: error: the {sink} sink: cannot write batch ");
        assert!(err.contains(&said), "{err}");
        assert!(err.contains("No space left on device"), "{err}");
        assert!(
            !err.contains("Sink[") && !err.contains("background"),
            "{err}"
        );
    }
}

//! What reaches the terminal: no raw control byte from a file, a replay's progress bar,
//! `TERM=dumb`, and an unwritable home.

use super::*;

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
        &[
            "replay",
            rows.to_str().unwrap(),
            "--sink",
            "json",
            "--on-bad-row",
            "skip",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("skipped 1 bad row"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\u{9b}'), "{err:?}");
}

#[test]
fn a_replay_shows_a_progress_bar_on_a_terminal_and_closes_with_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 50);
    let events = events.to_str().unwrap();
    // Not a terminal: no bar, the closing line.
    let out = window_tui(dir, &["replay", events, "--sink", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains('%'), "no bar off a terminal: {err}");
    let (batches, rows, _) =
        common::headless_summary(&err.replace("bad rows skipped", "lines rejected"));
    assert_eq!(rows, 100);
    assert!(batches >= 50, "{batches}");
    // A terminal (util-linux `script` gives one): the bar, by bytes of the file.
    let command = format!("{BIN} replay {events} --sink json > /dev/null");
    let Ok(tty) = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env("TZ", "UTC")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("skipped: no `script` to run the replay on a terminal");
        return;
    };
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(text.contains("batches") && text.contains("B/"), "{text:?}");
    assert!(text.contains("window-tui: "), "{text:?}");
}

/// `window-tui ARGS` on a terminal (util-linux `script` gives one), with `env`; what the
/// terminal showed, or `None` without `script`. `keys` are typed after `after`.
fn on_a_terminal(
    dir: &Path,
    args: &str,
    env: &[(&str, &str)],
    keys: &str,
    after: std::time::Duration,
) -> Option<String> {
    use std::io::Write as _;
    let mut cmd = Command::new("script");
    hermetic(&mut cmd)
        .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let Ok(mut child) = cmd.spawn() else {
        eprintln!("skipped: no `script` to give window-tui a terminal");
        return None;
    };
    std::thread::sleep(after);
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(keys.as_bytes());
    let _ = stdin.flush();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn term_dumb_runs_headless_with_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(shown) = on_a_terminal(
        tmp.path(),
        "--count 2 --delay 0ms --trigger 50ms --no-checkpoint --sink json",
        &[("TERM", "dumb")],
        "",
        std::time::Duration::ZERO,
    ) else {
        return;
    };
    assert!(
        shown.contains("TERM=dumb") && shown.contains("running headless"),
        "{shown:?}"
    );
    assert!(
        shown.contains("2 batches") || shown.contains(" rows; "),
        "{shown:?}"
    );
}

#[test]
fn an_unwritable_home_does_not_stop_the_dashboard() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A file where the home folder must be: no log folder can be made there, root or not.
    write(dir, "home", "a file");
    let home = dir.join("home/me");
    let user = format!("safety-test-{}", std::process::id());
    let Some(shown) = on_a_terminal(
        dir,
        "--no-checkpoint --delay 100ms",
        &[
            ("TERM", "xterm"),
            ("HOME", home.to_str().unwrap()),
            ("USER", &user),
            ("TMPDIR", dir.to_str().unwrap()),
        ],
        "q",
        std::time::Duration::from_millis(1500),
    ) else {
        return;
    };
    let log = dir.join(format!("window-tui-{user}.log"));
    assert!(
        shown.contains(&format!("logging to {}", log.display())),
        "{shown:?}"
    );
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.contains("logging to"), "the log says it too: {text}");
}

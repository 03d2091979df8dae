//! Nothing lost, nothing surprising: `--clean` deletes only what window-tui wrote, a folder in
//! use is refused, no file is overwritten unasked, a restart deletes no data it cannot prove
//! its own, a checkpoint of the format before is continued, and no control byte from a file
//! reaches the terminal raw.

mod common;

use std::fmt::Write as _;
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

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn clean_leaves_folders_window_tui_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 3);
    let events = events.to_str().unwrap();
    fs::create_dir(dir.join("output")).unwrap();
    write(&dir.join("output"), "thesis.tex", "\\documentclass{book}");

    // The file sink is off: the output folder is none of --clean's business.
    let out = window_tui(dir, &["replay", events, "--sink", "json", "--clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(names(&dir.join("output")), ["thesis.tex"]);

    // On, but the folder has no _spark_metadata: refused, untouched.
    let out = window_tui(dir, &["replay", events, "--sink", "file", "--clean"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("output") && err.contains("_spark_metadata"),
        "{err}"
    );
    assert_eq!(names(&dir.join("output")), ["thesis.tex"]);

    // A checkpoint folder that is not window-tui's: refused, untouched, in replay and live.
    fs::create_dir(dir.join("checkpoint")).unwrap();
    write(&dir.join("checkpoint"), "notes.txt", "mine");
    let out = window_tui(
        dir,
        &[
            "replay",
            events,
            "--sink",
            "json",
            "--checkpoint",
            "checkpoint",
            "--clean",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no metadata file written by window-tui"),
        "{}",
        stderr(&out)
    );
    let live = window_tui(
        dir,
        &[
            "--headless",
            "--sink",
            "json",
            "--clean",
            "--count",
            "2",
            "--delay",
            "1ms",
        ],
    );
    assert_eq!(live.status.code(), Some(2), "{}", stderr(&live));
    assert!(stderr(&live).contains("checkpoint"), "{}", stderr(&live));
    assert_eq!(names(&dir.join("checkpoint")), ["notes.txt"]);
    assert_eq!(names(&dir.join("output")), ["thesis.tex"]);
}

#[test]
fn clean_removes_what_window_tui_wrote_says_so_and_keeps_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 25);
    let events = events.to_str().unwrap();
    let run = |clean: bool| {
        let mut args = vec!["replay", events, "--sink", "file", "--checkpoint", "ck"];
        if clean {
            args.push("--clean");
        }
        window_tui(dir, &args)
    };
    let first = run(false);
    assert!(first.status.success(), "{}", stderr(&first));
    let (_, want) = common::check_file_sink(&dir.join("output"));
    write(&dir.join("output"), "thesis.tex", "mine");
    write(&dir.join("ck"), "notes.txt", "mine");
    // Part files of another writer (a Spark job's, with its random uuid), among window-tui's
    // own and in a partition folder of their own.
    let output = dir.join("output");
    let window = fs::read_dir(&output)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|name| name.starts_with("window="))
        .expect("a partition folder");
    let spark = "part-00000-3f1c2a7e-9b4d-4e2a-8c1f-2d3e4f5a6b7c.c000.csv";
    let beside = write(&output.join(&window), spark, "spark,1");
    fs::create_dir(output.join("window=120000-120030")).unwrap();
    let alone = write(&output.join("window=120000-120030"), spark, "spark,2");
    // Their entries may be in the sink's log: nothing is removed while they are there.
    let shared = run(true);
    assert_eq!(shared.status.code(), Some(2), "{}", stderr(&shared));
    let err = stderr(&shared);
    assert!(err.contains("part files window-tui did not write"), "{err}");
    assert_eq!(fs::read_to_string(&beside).unwrap(), "spark,1", "{err}");
    assert_eq!(fs::read_to_string(&alone).unwrap(), "spark,2", "{err}");
    assert!(
        fs::read_dir(output.join("_spark_metadata"))
            .unwrap()
            .count()
            > 0
    );
    fs::remove_file(&beside).unwrap();
    fs::remove_dir_all(output.join("window=120000-120030")).unwrap();
    assert_eq!(common::check_file_sink(&output).1, want, "nothing removed");

    let again = run(true);
    assert!(again.status.success(), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(
        err.contains("--clean: removed the checkpoint ck ("),
        "{err}"
    );
    assert!(
        err.contains("--clean: removed the output folder output ("),
        "{err}"
    );
    assert!(
        err.contains("thesis.tex") && err.contains("notes.txt"),
        "{err}"
    );
    assert!(!err.contains("resuming"), "it started over: {err}");
    assert_eq!(
        fs::read_to_string(dir.join("output/thesis.tex")).unwrap(),
        "mine"
    );
    assert_eq!(
        fs::read_to_string(dir.join("ck/notes.txt")).unwrap(),
        "mine"
    );
    let (_, got) = common::check_file_sink(&dir.join("output"));
    assert_eq!(got, want, "the same rows, written once");
}

/// A live headless run over the embedded server in `dir` that goes on for minutes.
fn long_live_run(dir: &Path, extra: &[&str]) -> common::Running {
    let mut cmd = common::window_tui_in(dir);
    cmd.args([
        "--headless",
        "--delay",
        "50ms",
        "--count",
        "100000",
        "--trigger",
        "100ms",
    ])
    .args(extra);
    let mut run = common::Running::spawn(&mut cmd);
    run.wait_for_stderr("reading 127.0.0.1", T);
    run
}

const T: std::time::Duration = std::time::Duration::from_secs(30);

#[test]
fn a_folder_in_use_by_another_run_is_refused_at_once_and_a_killed_run_leaves_no_stale_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut first = long_live_run(dir, &["--sink", "file"]);
    let pid = first.pid().to_string();

    // The same checkpoint: refused, naming the folder and the process.
    let second = window_tui(dir, &["--headless", "--sink", "json", "--count", "1"]);
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    let err = stderr(&second);
    assert!(err.contains("the checkpoint checkpoint is in use"), "{err}");
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    // ... also with --clean, which removes nothing then.
    let cleaning = window_tui(
        dir,
        &["--headless", "--sink", "file", "--clean", "--count", "1"],
    );
    assert_eq!(cleaning.status.code(), Some(2), "{}", stderr(&cleaning));
    assert!(dir.join("checkpoint/metadata").exists());
    // The same output folder under another checkpoint: refused too, in a replay as well.
    let other = window_tui(
        dir,
        &[
            "--headless",
            "--sink",
            "file",
            "--checkpoint",
            "other",
            "--count",
            "1",
        ],
    );
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    let err = stderr(&other);
    assert!(
        err.contains("the output folder output is in use") && err.contains(&pid),
        "{err}"
    );
    let events = events(dir, 2);
    let replay = window_tui(dir, &["replay", events.to_str().unwrap(), "--sink", "file"]);
    assert_eq!(replay.status.code(), Some(2), "{}", stderr(&replay));
    assert!(stderr(&replay).contains("in use"), "{}", stderr(&replay));
    // The lock file is one Spark's readers pass over.
    let hidden: Vec<String> = names(&dir.join("output"))
        .into_iter()
        .filter(|n| !n.starts_with("window=") && n != "_spark_metadata")
        .collect();
    assert!(hidden.iter().all(|n| n.starts_with('.')), "{hidden:?}");

    // Killed: the next run starts at once, on the same folders.
    first.kill();
    let next = long_live_run(dir, &["--sink", "file"]);
    next.signal("TERM");
    let done = next.wait(T);
    assert!(done.status.success(), "{}", done.stderr);
}

#[test]
fn export_spark_never_overwrites_a_file_unasked_and_keeps_off_window_tuis_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "job.py", "my own job");
    let out = window_tui(dir, &["export-spark", "-o", "job.py"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("job.py exists") && stderr(&out).contains("--force"));
    assert_eq!(
        fs::read_to_string(dir.join("job.py")).unwrap(),
        "my own job"
    );

    let out = window_tui(dir, &["export-spark", "-o", "job.py", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let job = fs::read_to_string(dir.join("job.py")).unwrap();
    assert!(
        job.contains("APP_CHECKPOINT_DIR = \"checkpoint-spark\""),
        "{job}"
    );
    assert!(
        job.contains("APP_DATA_OUTPUT_DIR = \"output-spark\""),
        "{job}"
    );
    let out = window_tui(dir, &["export-spark", "-o", "new.py", "--sink", "file"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let job = fs::read_to_string(dir.join("new.py")).unwrap();
    let same = job
        .lines()
        .find(|l| l.trim_start().starts_with("window-tui "))
        .unwrap();
    assert!(
        !same.contains("--output"),
        "window-tui's command keeps its own folder: {same}"
    );
}

/// The part files under a file sink's folder, by `window=…/name`.
fn part_files(out: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for folder in names(out).into_iter().filter(|n| n.starts_with("window=")) {
        for name in names(&out.join(&folder)) {
            files.push(format!("{folder}/{name}"));
        }
    }
    files
}

#[test]
fn a_damaged_sink_log_deletes_no_part_file_on_restart_and_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 305);
    let events = events.to_str().unwrap();
    let args = ["replay", events, "--sink", "file", "--checkpoint", "ck"];
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let written = part_files(&dir.join("output"));
    assert!(written.len() > 100, "{}", written.len());

    fs::remove_file(dir.join("output/_spark_metadata/299.compact")).unwrap();
    let again = window_tui(dir, &args);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("_spark_metadata/299.compact is missing"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        part_files(&dir.join("output")),
        written,
        "no part file deleted"
    );
}

#[test]
fn a_restart_leaves_part_files_it_cannot_prove_its_own_and_says_so_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 12);
    let events = events.to_str().unwrap();
    let args = ["replay", events, "--sink", "file", "--checkpoint", "ck"];
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let folder = dir.join("output/window=173300-173330");
    let stranger = "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv";
    write(&folder, stranger, "x,1\n");
    let again = window_tui(dir, &args);
    assert!(again.status.success(), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(folder.join(stranger).exists(), "left where it is");
    assert_eq!(err.matches(stranger).count(), 1, "said once: {err}");
    assert!(err.contains("no _spark_metadata entry lists"), "{err}");
}

#[test]
fn the_progress_log_has_each_batch_once_after_kill_9s() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 400);
    let mut kills = 0;
    for round in 0u64.. {
        let mut cmd = common::window_tui_in(dir);
        cmd.arg("replay").arg(&events).args([
            "--sink",
            "file",
            "--checkpoint",
            "ck",
            "--progress",
            "p.jsonl",
        ]);
        let mut run = common::Running::spawn(&mut cmd);
        std::thread::sleep(std::time::Duration::from_millis(20 + (round * 37) % 150));
        if run.is_running() && kills < 15 {
            run.kill();
            kills += 1;
            continue;
        }
        let done = run.wait(T);
        assert!(done.status.success(), "{}", done.stderr);
        break;
    }
    let ids: Vec<u64> = common::read_progress(&dir.join("p.jsonl"))
        .iter()
        .map(|p| p["batchId"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = (0..ids.len() as u64).collect();
    assert_eq!(ids, want, "each batch once, in order ({kills} kills)");
    assert!(ids.len() > 400, "{}", ids.len());
}

#[test]
fn a_full_disk_under_record_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(
        tmp.path(),
        &[
            "--headless",
            "--record",
            "/dev/full",
            "--count",
            "3000",
            "--delay",
            "0ms",
            "--no-checkpoint",
            "--sink",
            "json",
            "--trigger",
            "300ms",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("record file /dev/full") && last.contains("No space left"),
        "{err}"
    );
}

#[test]
fn a_source_whose_name_does_not_resolve_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(
        tmp.path(),
        &[
            "--headless",
            "--source",
            "nosuchhost.invalid:9999",
            "--no-checkpoint",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("nosuchhost.invalid does not resolve"), "{err}");
}

/// Every file under `dir` and its bytes.
fn files_under(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

/// A run refused at the start for its input (a `--source` that does not resolve, a `--file`
/// that cannot be read, an output folder that is a file) creates no checkpoint, and leaves one
/// already there as it was.
#[test]
fn a_run_refused_at_the_start_leaves_no_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "afile", "");
    let refused: [(&[&str], &str); 3] = [
        (
            &["--sink", "json", "--source", "nosuchhost.invalid:9999"],
            "nosuchhost.invalid does not resolve",
        ),
        (
            &[
                "--sink",
                "json",
                "--generator",
                "file",
                "--file",
                "nosuch.txt",
            ],
            "cannot read --file nosuch.txt",
        ),
        (
            &["--sink", "file", "--output", "afile"],
            "the output folder afile is not a folder",
        ),
    ];
    let run =
        |args: &[&str]| window_tui(dir, &[&["--headless", "--trigger", "100ms"], args].concat());
    for (args, said) in refused {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert!(
            !dir.join("checkpoint").exists(),
            "{args:?} left a checkpoint: {:?}",
            files_under(&dir.join("checkpoint")).keys()
        );
    }
    // A run that works leaves its checkpoint; the refused ones change nothing in it.
    let out = run(&["--sink", "json", "--count", "1", "--delay", "10ms"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = files_under(&dir.join("checkpoint"));
    for (args, _) in refused {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(files_under(&dir.join("checkpoint")), before, "{args:?}");
    }
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

/// Copies the folder `from` into `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The fixture's format-3 checkpoint in `dir/ck`, its metadata naming the replay file
/// `dir/events.csv` as window-tui 095d73b named its input (path, size, CRC-32 of the first 64 KiB).
fn format_3_checkpoint(fixture: &Path, dir: &Path) {
    let events = dir.join("events.csv");
    fs::copy(fixture.join("events.csv"), &events).unwrap();
    let ck = dir.join("ck");
    copy_dir(&fixture.join("checkpoint"), &ck);
    let data = fs::read(ck.join("metadata")).unwrap();
    let newline = data.iter().position(|&b| b == b'\n').unwrap();
    let mut metadata: serde_json::Value = serde_json::from_slice(&data[newline + 1..]).unwrap();
    let text = fs::read(&events).unwrap();
    metadata["spec"]["input"] = format!(
        "replay of {} ({} bytes, crc {:08x})",
        fs::canonicalize(&events).unwrap().display(),
        text.len(),
        crc32fast::hash(&text[..text.len().min(64 * 1024)])
    )
    .into();
    let body = serde_json::to_vec(&metadata).unwrap();
    let header = format!(
        "window-tui-checkpoint v3 metadata {} {:08x}\n",
        body.len(),
        crc32fast::hash(&body)
    );
    fs::write(ck.join("metadata"), [header.as_bytes(), &body].concat()).unwrap();
}

#[test]
fn a_checkpoint_of_the_format_before_is_continued_as_that_build_would() {
    // Made by window-tui 095d73b (checkpoint format 3): a replay of the first 15 ticks of
    // `events.csv` with this query; `resumed.json` is what that build printed when it went on
    // with the whole file, and `resumed-after-crash.json` what it printed with batch 15's commit
    // and delta removed (as a kill between its offsets and its commit leaves them).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint-format-3");
    let query = [
        "--group-by",
        "value",
        "--agg",
        "count,min(event_time)",
        "--output-mode",
        "update",
        "--watermark",
        "2 seconds",
        "--window",
        "4 seconds",
        "--slide",
        "2 seconds",
        "--sink",
        "json",
    ];
    // Run in the zone the fixture was made in (`TZ` unset: the system's, `Etc/UTC`).
    let window_tui = |dir: &Path, args: &[&str]| {
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd)
            .env("TZ", "Etc/UTC")
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run window-tui")
    };
    for (crashed, want, batch) in [
        (false, "resumed.json", 16),
        (true, "resumed-after-crash.json", 15),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        format_3_checkpoint(&fixture, dir);
        if crashed {
            fs::remove_file(dir.join("ck/commits/15")).unwrap();
            fs::remove_file(dir.join("ck/state/15.delta")).unwrap();
        }
        let mut args = vec!["replay", "events.csv", "--checkpoint", "ck"];
        args.extend(query);
        let out = window_tui(dir, &args);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains(&format!("resuming the replay at batch {batch}")),
            "{err}"
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            fs::read_to_string(fixture.join(want)).unwrap(),
            "{want}"
        );
        // The old files are gone, the log holds the run, and a run after this one goes on.
        let mut names: Vec<String> = fs::read_dir(dir.join("ck"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".window-tui.lock", "log", "metadata"]);
        let again = window_tui(dir, &args);
        let next = format!("resuming the replay at batch {}", batch + 10);
        assert!(stderr(&again).contains(&next), "{}", stderr(&again));
    }
}

#[test]
fn a_checkpoint_is_the_same_querys_whatever_the_name_of_its_time_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    events(dir, 3);
    let in_zone = |tz: Option<&str>| {
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd);
        match tz {
            Some(tz) => cmd.env("TZ", tz),
            None => cmd.env_remove("TZ"),
        };
        cmd.current_dir(dir)
            .args([
                "replay",
                "events.csv",
                "--sink",
                "json",
                "--checkpoint",
                "ck",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("cannot run window-tui")
    };
    let first = in_zone(Some("UTC"));
    assert!(first.status.success(), "{}", stderr(&first));
    // `TZ` unset is the system's zone (`Etc/UTC` here, or whatever it is: then refused below).
    let system_is_utc = fs::read_to_string("/etc/timezone").is_ok_and(|z| z.trim() == "Etc/UTC");
    let mut same = vec![Some("Etc/UTC"), Some("Zulu"), Some("UTC0"), Some(":UTC")];
    if system_is_utc {
        same.push(None);
    }
    for tz in same {
        let out = in_zone(tz);
        assert!(out.status.success(), "TZ={tz:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("resuming"),
            "TZ={tz:?}: {}",
            stderr(&out)
        );
    }
    let out = in_zone(Some("Europe/Paris"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("its time zone is UTC, this run's Europe/Paris"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_damaged_checkpoint_is_an_error_naming_what_is_missing_and_clean_starts_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    events(dir, 4);
    let args = [
        "replay",
        "events.csv",
        "--sink",
        "json",
        "--checkpoint",
        "ck",
    ];
    let clean = [&args[..], &["--clean"]].concat();
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!first.stdout.is_empty());
    // Its log gone: an error (exit status 1, a failure: nothing typed is wrong), not a restart.
    fs::remove_dir_all(dir.join("ck/log")).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ck/log holds no log"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "nothing emitted again");
    let again = window_tui(dir, &clean);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(again.stdout, first.stdout, "--clean starts over");
    // Its metadata gone: an error, and the advice to use --clean works.
    fs::remove_file(dir.join("ck/metadata")).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no metadata") && err.contains("--clean"),
        "{err}"
    );
    let again = window_tui(dir, &clean);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("removed the checkpoint"),
        "{}",
        stderr(&again)
    );
    assert_eq!(again.stdout, first.stdout, "--clean starts over");
    // Its metadata corrupt: the same class of error, naming the file.
    let metadata = dir.join("ck/metadata");
    let mut bytes = fs::read(&metadata).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&metadata, bytes).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("ck/metadata"), "{}", stderr(&out));
}

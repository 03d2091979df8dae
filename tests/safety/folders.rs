//! Folders and files: `--clean` deletes only what window-tui wrote, a folder in use is refused,
//! export-spark overwrites nothing unasked, a refused run leaves no checkpoint, and a full disk
//! or a host that does not resolve is named.

use super::*;

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
fn record_writes_over_no_file_it_did_not_begin() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("mine.csv"), "precious\n").unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--headless",
            "--record",
            "mine.csv",
            "--count",
            "5",
            "--delay",
            "10ms",
            "--sink",
            "json",
            "--trigger",
            "100ms",
        ];
        args.extend_from_slice(extra);
        window_tui(tmp.path(), &args)
    };
    // Nor a checkpointed run that is starting over, nor one that begins.
    fs::create_dir(tmp.path().join("old")).unwrap();
    fs::write(tmp.path().join("old/metadata"), "").unwrap();
    for extra in [
        &["--no-checkpoint"][..],
        &["--checkpoint", "ck"][..],
        &["--checkpoint", "old", "--clean"][..],
    ] {
        let out = run(extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains("--record mine.csv exists"), "{err}");
        assert_eq!(
            fs::read_to_string(tmp.path().join("mine.csv")).unwrap(),
            "precious\n"
        );
        assert!(!tmp.path().join("ck").exists(), "a checkpoint was created");
    }
    // Empty, it holds nothing to lose.
    fs::write(tmp.path().join("mine.csv"), "").unwrap();
    let out = run(&["--no-checkpoint"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recorded = fs::read_to_string(tmp.path().join("mine.csv")).unwrap();
    assert!(recorded.starts_with("batch,"), "{recorded}");
}

#[test]
fn files_named_as_checkpoint_files_are_removed_only_when_they_are_window_tuis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 25);
    let events = events.to_str().unwrap();
    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", events, "--sink", "json", "--checkpoint", "ck"];
        args.extend_from_slice(extra);
        window_tui(dir, &args)
    };
    let first = replay(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Named as a stale log (the log a restart supersedes goes), and as format-3 batch files
    // (carried over and removed once read), but someone else's.
    let log = dir.join("ck/log");
    let mine = [
        log.join("3"),
        dir.join("ck/commits/3"),
        dir.join("ck/offsets/30"),
    ];
    for path in &mine {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "my notes").unwrap();
    }
    let again = replay(&[]);
    assert!(again.status.success(), "{}", stderr(&again));
    for path in &mine {
        assert_eq!(
            fs::read_to_string(path).unwrap(),
            "my notes",
            "{}",
            path.display()
        );
    }
    // --clean neither, nor what a symbolic link in the checkpoint leads to.
    let elsewhere = dir.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    write(&elsewhere, "7", "precious");
    std::os::unix::fs::symlink(&elsewhere, dir.join("ck/state")).unwrap();
    let clean = replay(&["--clean"]);
    let err = stderr(&clean);
    // What is left is named, and the run after the cleaning refuses it, saying whose it is.
    assert_eq!(clean.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is named as a window-tui checkpoint's batch file, and is not one"),
        "{err}"
    );
    for path in &mine {
        assert_eq!(fs::read_to_string(path).unwrap(), "my notes", "{err}");
    }
    assert_eq!(fs::read_to_string(elsewhere.join("7")).unwrap(), "precious");
    assert!(err.contains("what window-tui did not write"), "{err}");
    assert!(err.contains("log/3") && err.contains("state"), "{err}");
}

#[test]
fn one_folder_for_checkpoint_and_output_and_a_file_for_the_staging_folder_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 3);
    let events = events.to_str().unwrap();
    fs::create_dir(dir.join("both")).unwrap();
    for (checkpoint, output) in [("both", "both"), ("both", "./both/"), ("./new", "new/")] {
        let out = window_tui(
            dir,
            &[
                "replay",
                events,
                "--sink",
                "file",
                "--checkpoint",
                checkpoint,
                "--output",
                output,
            ],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("are the same folder"), "{err}");
        assert_eq!(names(&dir.join("both")), Vec::<String>::new(), "{err}");
        assert!(!dir.join("new").exists(), "{err}");
    }
    write(dir, "staged", "a file");
    let out = window_tui(
        dir,
        &[
            "export-spark",
            "--replay-dir",
            "staged",
            "--stage",
            events,
            "-o",
            "job.py",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--replay-dir staged is not a folder"), "{err}");
    assert_eq!(fs::read_to_string(dir.join("staged")).unwrap(), "a file");
}

#[test]
fn a_spark_jobs_checkpoint_is_refused_as_the_wrong_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 3);
    let spark = dir.join("spark-ck");
    fs::create_dir_all(spark.join("offsets")).unwrap();
    write(&spark, "metadata", "{\"id\":\"4a3c2e1f\"}\n");
    write(&spark.join("offsets"), "0", "v1\n{}\n");
    let out = window_tui(
        dir,
        &[
            "replay",
            events.to_str().unwrap(),
            "--sink",
            "json",
            "--checkpoint",
            "spark-ck",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("spark-ck/metadata is not a window-tui checkpoint's"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(spark.join("metadata")).unwrap(),
        "{\"id\":\"4a3c2e1f\"}\n"
    );
    assert_eq!(names(&spark.join("offsets")), ["0"]);
}

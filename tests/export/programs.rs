//! The programs export-spark writes, without Spark: every member of the query family compiles
//! (`python3 -m py_compile`) and says what it runs, bad usage exits 2, and `--stage` stages a
//! replay file's batches for a job.

use super::*;

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one program per option, checked in a row"
)]
fn exported_programs_compile_and_say_what_they_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let seed = export(dir, &[]);
    py_compile(dir, "seed.py", &seed);
    assert_has(
        &seed,
        &[
            "Windowed counts in append mode",
            "Targets Apache Spark 3.5.3",
            "SPARK_VERSION = \"3.5.3\"",
            "WINDOW = \"30 seconds\"",
            "SLIDE = \"15 seconds\"",
            "WATERMARK = \"15 seconds\"",
            "OUTPUT_MODE = \"append\"",
            "EVENT_TIME = \"timestamp\"",
            "TRIGGER = \"15 seconds\"",
            "STREAM_HOST = \"localhost\"",
            "STREAM_PORT = 9999",
            ".option(\"includeTimestamp\", \"true\")",
            "SINK = \"console\"",
            "SINKS = [\"console\", \"file\"]",
            "APP_DATA_OUTPUT_DIR = \"output-spark\"",
            "APP_CHECKPOINT_DIR = \"checkpoint-spark\"",
            "WINDOW_PATTERN = \"HHmmss\"",
            ".outputMode(OUTPUT_MODE)",
            ".partitionBy(\"window\")",
            ".groupBy(F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\"), \"value\")",
            ".agg(F.count(F.lit(1)).alias(\"count\"))",
            "local[*]",
            "\"--master\"",
            "spark.sql.session.timeZone",
            "def start_query(spark, sink=SINK):",
            // Spark's socket source fails on a checkpoint an earlier run left: refused first.
            "RESUMES = False",
            "elif not RESUMES and earlier_run(APP_CHECKPOINT_DIR):",
            "socket source\ncannot continue from it",
        ],
    );
    assert!(!seed.contains("REPLAY_DIR") && !seed.contains("from_csv"));

    let file = export(
        dir,
        &[
            "--window",
            "1m30s",
            "--slide",
            "45s",
            "--watermark",
            "500ms",
            "--trigger",
            "2s",
            "--sink",
            "file",
            "--output",
            "/data/out",
            "--checkpoint",
            "/data/ckpt",
            "--source",
            "stream-host:9998",
            "-o",
            "file.py",
        ],
    );
    py_compile(dir, "file.py", &file);
    assert_has(
        &file,
        &[
            "WINDOW = \"1 minute 30 seconds\"",
            "SLIDE = \"45 seconds\"",
            "WATERMARK = \"500 milliseconds\"",
            "TRIGGER = \"2 seconds\"",
            "SINK = \"file\"",
            "APP_DATA_OUTPUT_DIR = \"/data/out\"",
            "APP_CHECKPOINT_DIR = \"/data/ckpt\"",
            "STREAM_HOST = \"stream-host\"",
            "STREAM_PORT = 9998",
            "spark-submit --master local[2] file.py",
        ],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("file.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "the program is executable");
    }

    let replay = export(
        dir,
        &[
            "--replay-dir",
            "staged",
            "--window",
            "25 seconds",
            "--slide",
            "10 seconds",
            "--watermark",
            "5 seconds",
            "--window-format",
            "%Y-%m-%d %H:%M:%S",
            "-o",
            "-",
        ],
    );
    py_compile(dir, "replay.py", &replay);
    assert_has(
        &replay,
        &[
            "REPLAY_DIR = \"staged\"",
            "COLUMNS = [(\"event_time\", \"TIMESTAMP\"), (\"value\", \"STRING\")]",
            "EVENT_TIME = \"event_time\"",
            "the header `batch,event_time,value`",
            ".option(\"maxFilesPerTrigger\", 1)",
            "WINDOW_PATTERN = \"yyyy-MM-dd HH:mm:ss\"",
            "window-tui replay EVENTS.csv --window '25 seconds'",
            "RESUMES = True",
            "a restart continues where it\nstopped",
            // A column named `a.b` is that column, not field b of a.
            "read_staged(files[quoted(name)], name, data_type)",
        ],
    );
    assert!(!replay.contains("STREAM_HOST"));

    // Paths with quotes, backslashes and line breaks stay inside their strings.
    let odd = export(
        dir,
        &[
            "--output",
            "it's \"out\"\\\n\"\"\"",
            "--checkpoint",
            "C:\\Nope",
            "--source",
            "[::1]:9999",
        ],
    );
    py_compile(dir, "odd.py", &odd);
    assert_has(&odd, &["STREAM_HOST = \"::1\"", "--source '[::1]:9999'"]);
}

/// The family: CSV and JSON lines, typed columns, an event-time column, aggregates, the three
/// output modes, session windows.
#[test]
fn the_whole_query_family_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let family = [
        (
            "csv.py",
            &[
                "--format",
                "csv",
                "--schema",
                "ts TIMESTAMP, user STRING, bytes LONG, ok BOOLEAN",
                "--event-time",
                "ts",
                "--group-by",
                "user,ok",
                "--agg",
                "count,count(bytes),sum(bytes),avg(bytes),min(bytes),max(bytes)",
                "--output-mode",
                "update",
            ][..],
            &[
                "Windowed aggregates in update mode",
                "F.from_csv(\"value\"",
                "(\"bytes\", \"BIGINT\")",
                "EVENT_TIME = \"ts\"",
                "OUTPUT_MODE = \"update\"",
                "SINKS = [\"console\"]",
                "F.sum(\"bytes\").alias(\"sum(bytes)\")",
                "F.count(\"bytes\").alias(\"count(bytes)\")",
                "\"`count(bytes)`\",",
                "no file sink",
                "--format csv",
                "--agg 'count,count(bytes),sum(bytes),avg(bytes),min(bytes),max(bytes)'",
            ][..],
        ),
        (
            "json.py",
            &[
                "--format",
                "json",
                "--schema",
                "`event time` TIMESTAMP, `a.b` STRING, x DOUBLE",
                "--event-time",
                "event time",
                "--group-by",
                "a.b",
                "--agg",
                "max(x)",
                "--session-gap",
                "10 seconds",
                "--output-mode",
                "complete",
            ],
            &[
                "Session-windowed aggregates in complete mode",
                "F.from_json(\"value\"",
                "SESSION_GAP = \"10 seconds\"",
                "F.session_window(quoted(EVENT_TIME), SESSION_GAP)",
                "EVENT_TIME = \"event time\"",
                "F.max(\"x\").alias(\"max(x)\")",
                "\"`a.b`\"",
                "--session-gap '10 seconds'",
            ],
        ),
        (
            "replay_family.py",
            &[
                "--replay-dir",
                "staged",
                "--format",
                "csv",
                "--schema",
                "ts TIMESTAMP, k STRING, n INT",
                "--event-time",
                "ts",
                "--group-by",
                "",
                "--agg",
                "avg(n)",
                "--sink",
                "file",
            ],
            &[
                "the header `batch,ts,k,n`",
                "def read_staged(",
                ".groupBy(F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\"))",
                "holding `avg(n)` rows",
                "--group-by ''",
            ],
        ),
    ];
    for (name, args, needles) in family {
        let program = export(dir, args);
        py_compile(dir, name, &program);
        assert_has(&program, needles);
    }
}

#[test]
fn bad_usage_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("events.csv"), "batch,event_time,value\n").unwrap();
    fs::create_dir(tmp.path().join("used")).unwrap();
    fs::write(tmp.path().join("used/theirs"), "").unwrap();
    for (args, says) in [
        (&["--slide", "1m"][..], "slide"),
        (&["--window", "0s"], "window"),
        (&["--watermark", "-1s"], "watermark"),
        (&["--trigger", "-1s"], "--trigger"),
        (&["--window-format", "%e"], "--window-format"),
        (&["--window-format", "%Q"], "--window-format"),
        (&["--source", "nohost"], "--source"),
        (&["--sink", "json"], "json"),
        (&["--replay-dir", "d", "--source", "h:1"], "--source"),
        (&["--stage", "events.csv"], "--replay-dir"),
        (
            &["--replay-dir", "d", "--stage", "missing.csv"],
            "missing.csv",
        ),
        (
            &["--replay-dir", "used", "--stage", "events.csv"],
            "used is not empty",
        ),
        (&["--output-mode", "update", "--sink", "file"], "append"),
        (&["--output-mode", "complete", "--sink", "file"], "append"),
        (&["--agg", "sum(value)"], "STRING"),
        (
            &[
                "--format",
                "csv",
                "--schema",
                "ts STRING, v LONG",
                "--event-time",
                "ts",
            ],
            "TIMESTAMP",
        ),
    ] {
        let mut full = vec!["export-spark"];
        full.extend_from_slice(args);
        let out = window_tui(tmp.path(), &full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: no {says:?} in {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a program");
    }
}

/// `--stage EVENTS.csv` writes the job and stages the replay file's rows for it, one file per
/// batch under the file's header, in the folder `--replay-dir` names.
#[test]
fn stage_writes_the_job_and_a_file_per_batch() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("run.csv"),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n4,2026-11-23T17:33:50Z,\"b,c\"\n",
    )
    .unwrap();
    let out = window_tui(
        tmp.path(),
        &[
            "export-spark",
            "--replay-dir",
            "in",
            "--stage",
            "run.csv",
            "-o",
            "job.py",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("staged the 2 rows of run.csv in in, one file per batch (2 files)"),
        "{stderr}"
    );
    assert!(
        fs::read_to_string(tmp.path().join("job.py"))
            .unwrap()
            .contains("REPLAY_DIR = \"in\"")
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("in/batch-000004.csv")).unwrap(),
        "batch,event_time,value\n4,2026-11-23T17:33:50Z,\"b,c\"\n"
    );
}

/// The job's `--clean` removes what Spark wrote in its checkpoint and output folders and nothing
/// else (run under a stand-in `pyspark`: the cleanup comes before Spark starts).
#[test]
fn the_jobs_clean_removes_only_what_spark_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    export(
        dir,
        &[
            "--sink",
            "file",
            "--output",
            "proj",
            "--checkpoint",
            "proj/ck",
            "-o",
            "job.py",
        ],
    );
    let files = [
        ("proj/thesis.tex", false),
        ("proj/data/raw.csv", false),
        ("proj/_spark_metadata/0", true),
        ("proj/window=173300-173330/part-00000-x.c000.csv", true),
        ("proj/ck/metadata", true),
        ("proj/ck/offsets/0", true),
        ("proj/ck/commits/0", true),
        ("proj/ck/sources/0/0", true),
        ("proj/ck/state/0/0/1.delta", true),
        ("proj/ck/notes.txt", false),
    ];
    for (file, _) in files {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "mine").unwrap();
    }
    let out = under_stand_in_pyspark(dir, "import job; job.cleanup()");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for (file, spark_wrote) in files {
        assert_eq!(!dir.join(file).exists(), spark_wrote, "{file}: {stderr}");
    }
    assert!(
        stderr.contains("left in proj/ck what Spark did not write: notes.txt"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left in proj what Spark did not write: ck, data, thesis.tex"),
        "{stderr}"
    );
}

/// Runs `script` in `dir` as `job.py --clean` would start, with a stand-in `pyspark` that
/// lets the job's module load (its cleanup and checks come before Spark starts).
fn under_stand_in_pyspark(dir: &Path, script: &str) -> std::process::Output {
    let stub = dir.join("stub/pyspark/sql");
    fs::create_dir_all(&stub).unwrap();
    fs::write(dir.join("stub/pyspark/__init__.py"), "").unwrap();
    fs::write(stub.join("__init__.py"), "class SparkSession: pass\n").unwrap();
    fs::write(stub.join("functions.py"), "").unwrap();
    Command::new("python3")
        .current_dir(dir)
        .env("PYTHONPATH", dir.join("stub"))
        .args([
            "-c",
            &format!("import sys; sys.argv = ['job.py', '--clean']; {script}"),
        ])
        .output()
        .expect("python3 runs the job")
}

/// A job given window-tui's own checkpoint or output folder would write among its files, and
/// its `--clean` remove them: export-spark refuses such a folder, and the job, run where the
/// folder is window-tui's, refuses to start (exit 2) and changes nothing.
#[test]
fn a_job_is_refused_window_tuis_own_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("e.csv"),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n",
    )
    .unwrap();
    let replay = [
        "replay",
        "e.csv",
        "--sink",
        "file",
        "--output",
        "out",
        "--checkpoint",
        "ck",
    ];
    let ran = window_tui(dir, &replay);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let listing = || {
        let mut files: Vec<_> = walkdir(dir, &["ck", "out"]);
        files.sort();
        files
    };
    let before = listing();
    assert!(
        before.iter().any(|f| f.ends_with("ck/metadata")),
        "{before:?}"
    );
    for (flag, folder) in [("--checkpoint", "ck"), ("--output", "out")] {
        let out = window_tui(
            dir,
            &[
                "export-spark",
                "--sink",
                "file",
                flag,
                folder,
                "-o",
                "job.py",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {folder}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{flag} {folder} is a folder window-tui writes (it holds .window-tui.lock)"
            )),
            "{stderr}"
        );
        assert!(!dir.join("job.py").exists(), "no job written for {flag}");
    }
    // Exported elsewhere and run here, where the folders are window-tui's.
    let args = [
        "--sink",
        "file",
        "--output",
        "out2",
        "--checkpoint",
        "ck2",
        "-o",
        "job.py",
    ];
    export(dir, &args);
    fs::rename(dir.join("out"), dir.join("out2")).unwrap();
    let ran = under_stand_in_pyspark(dir, "import job; job.main()");
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("out2 is a folder window-tui writes (it holds .window-tui.lock)")
            && stderr.contains("Nothing was changed"),
        "{stderr}"
    );
    fs::rename(dir.join("out2"), dir.join("out")).unwrap();
    assert_eq!(listing(), before, "the job changed window-tui's folders");
}

/// The files under `roots` in `dir`, as paths relative to it.
fn walkdir(dir: &Path, roots: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo: Vec<std::path::PathBuf> = roots.iter().map(|r| dir.join(r)).collect();
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    found
}

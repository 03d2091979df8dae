//! `window-tui export-spark`: the PySpark program it writes.
//!
//! Every run: programs exported with several option sets pass `python3 -m py_compile` and say
//! what they run (durations, sink, trigger, source, `local[*]`, the Spark version); bad usage
//! exits with status 2.
//!
//! When PySpark (and Java) are installed: programs exported for corpus cases are run by real
//! Spark through `tests/export_harness.py` (events staged one file per tick, as the corpus was
//! made) and what Spark wrote is compared with window-tui's replay of the same case: the rows of
//! the file sink, the rows of each batch id, and each batch's progress figures. Without PySpark
//! that test says `skipped: PySpark not installed` and passes.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{BIN, Running, bag, check_file_sink, diff, hermetic, hhmmss, json_rows, micros};
use serde_json::Value;

/// `window-tui ARGS` in a clean environment (`TZ=UTC`, no `WINDOW_TUI_*`), run in `dir`.
fn window_tui(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    hermetic(&mut cmd)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run window-tui")
}

/// `window-tui export-spark ARGS`: the program, from `-o FILE` when the arguments name one,
/// else from stdout.
fn export(dir: &Path, args: &[&str]) -> String {
    let mut full = vec!["export-spark"];
    full.extend_from_slice(args);
    let out = window_tui(dir, &full);
    assert!(
        out.status.success(),
        "export-spark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match args.iter().position(|a| *a == "-o").map(|i| args[i + 1]) {
        Some(file) if file != "-" => {
            assert!(out.stdout.is_empty(), "-o {file} also printed to stdout");
            fs::read_to_string(dir.join(file)).unwrap()
        }
        _ => String::from_utf8(out.stdout).unwrap(),
    }
}

/// `python3 -m py_compile` on the program; panics with Python's message.
fn py_compile(dir: &Path, name: &str, program: &str) {
    let path = dir.join(name);
    fs::write(&path, program).unwrap();
    let out = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(&path)
        .output()
        .expect("python3 is needed for the syntax check of the exported program");
    assert!(
        out.status.success(),
        "{name} does not compile:\n{}\n{program}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_has(program: &str, needles: &[&str]) {
    for needle in needles {
        assert!(program.contains(needle), "no {needle:?} in:\n{program}");
    }
}

#[test]
fn exported_programs_compile_and_say_what_they_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let seed = export(dir, &[]);
    py_compile(dir, "seed.py", &seed);
    assert_has(
        &seed,
        &[
            "Targets Apache Spark 3.5.3",
            "SPARK_VERSION = \"3.5.3\"",
            "WINDOW = \"30 seconds\"",
            "SLIDE = \"15 seconds\"",
            "WATERMARK = \"15 seconds\"",
            "TRIGGER = \"15 seconds\"",
            "STREAM_HOST = \"localhost\"",
            "STREAM_PORT = 9999",
            ".option(\"includeTimestamp\", \"true\")",
            "SINK = \"console\"",
            "APP_DATA_OUTPUT_DIR = \"spark-output\"",
            "APP_CHECKPOINT_DIR = \"spark-checkpoint\"",
            "WINDOW_PATTERN = \"HHmmss\"",
            ".outputMode(\"append\")",
            ".partitionBy(\"window\")",
            "local[*]",
            "\"--master\"",
            "spark.sql.session.timeZone",
            "def start_query(spark, sink=SINK):",
        ],
    );
    assert!(!seed.contains("REPLAY_DIR"));

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
            "REPLAY_SCHEMA = \"event_time TIMESTAMP, value STRING\"",
            ".option(\"maxFilesPerTrigger\", 1)",
            "WINDOW_PATTERN = \"yyyy-MM-dd HH:mm:ss\"",
            "window-tui replay EVENTS.csv --window '25 seconds'",
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

#[test]
fn bad_usage_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
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

/// Corpus cases the Spark comparison runs: odd boundaries and idle ticks, odd values, and a slide
/// that does not divide the window.
const SPARK_CASES: &[&str] = &["boundaries", "strange_values", "uneven_slide"];

/// Can this machine run PySpark?
fn pyspark_available() -> bool {
    let ok = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    ok(Command::new("python3").args(["-c", "import pyspark"]))
        && ok(Command::new("java").arg("-version"))
}

fn corpus_case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

/// A case's `WINDOW`, `SLIDE` and `WATERMARK`.
fn params(case: &Path) -> BTreeMap<String, String> {
    fs::read_to_string(case.join("params.env"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once('=')?;
            Some((key.to_string(), value.trim_matches('"').to_string()))
        })
        .collect()
}

/// The progress figures compared, by batch id.
type Figures = BTreeMap<i64, [i64; 6]>;

fn figures<'a>(reports: impl IntoIterator<Item = &'a Value>) -> Figures {
    reports
        .into_iter()
        .map(|p| {
            let op = &p["stateOperators"][0];
            let int = |v: &Value| v.as_i64().unwrap_or(-1);
            let watermark = p["eventTime"]["watermark"]
                .as_str()
                .map_or(-1, |t| micros(t).unwrap());
            (
                int(&p["batchId"]),
                [
                    int(&p["numInputRows"]),
                    watermark,
                    int(&op["numRowsTotal"]),
                    int(&op["numRowsUpdated"]),
                    int(&op["numRowsRemoved"]),
                    int(&op["numRowsDroppedByWatermark"]),
                ],
            )
        })
        .collect()
}

/// Spark's run of one case against window-tui's replay of it; every difference, described.
fn compare(name: &str, spark: &Value, work: &Path) -> Vec<String> {
    let case = corpus_case(name);
    let p = params(&case);
    let out = work.join("window-tui-out");
    let progress = work.join("progress.jsonl");
    let replay = window_tui(
        work,
        &[
            "replay",
            case.join("events.csv").to_str().unwrap(),
            "--window",
            &p["WINDOW"],
            "--slide",
            &p["SLIDE"],
            "--watermark",
            &p["WATERMARK"],
            "--sink",
            "json",
            "--sink",
            "file",
            "--output",
            out.to_str().unwrap(),
            "--progress",
            progress.to_str().unwrap(),
        ],
    );
    assert!(
        replay.status.success(),
        "{name}: replay failed: {}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let mut problems = Vec::new();

    // The rows of the file sink: partition folder, value, count.
    let spark_rows: Vec<(i64, String, String, u64)> = spark["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_i64().unwrap(),
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
                r[3].as_u64().unwrap(),
            )
        })
        .collect();
    let (_, ours) = check_file_sink(&out);
    let theirs = bag(spark_rows
        .iter()
        .map(|(_, w, v, c)| (w.clone(), v.clone(), *c)));
    problems.extend(
        diff(
            &format!("{name}: file sink rows, window-tui's (expected) against Spark's"),
            &ours,
            &theirs,
        )
        .err(),
    );

    // The same rows by batch id.
    let json = json_rows(&String::from_utf8_lossy(&replay.stdout)).unwrap();
    let ours = bag(json.iter().flat_map(|(row, n)| {
        let key = (
            row.batch,
            format!("window={}-{}", hhmmss(row.start), hhmmss(row.end)),
            row.value.clone(),
            row.count as u64,
        );
        std::iter::repeat_n(key, *n)
    }));
    let theirs = bag(spark_rows);
    problems.extend(
        diff(
            &format!("{name}: rows by batch id, window-tui's (expected) against Spark's"),
            &ours,
            &theirs,
        )
        .err(),
    );

    // Each batch's progress.
    let ours_progress: Vec<Value> = fs::read_to_string(&progress)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ours = figures(&ours_progress);
    let theirs = figures(spark["progress"].as_array().unwrap());
    if ours != theirs {
        problems.push(format!(
            "{name}: progress [numInputRows, watermark, numRowsTotal, numRowsUpdated, \
             numRowsRemoved, numRowsDroppedByWatermark] by batch id differ:\n  window-tui {ours:?}\n  Spark      {theirs:?}"
        ));
    }
    problems
}

#[test]
fn the_exported_program_gives_window_tuis_rows_in_spark() {
    if !pyspark_available() {
        println!("skipped: PySpark not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut harness_args: Vec<String> = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/export_harness.py")
            .to_string_lossy()
            .into_owned(),
        tmp.path()
            .join("result.json")
            .to_string_lossy()
            .into_owned(),
    ];
    for name in SPARK_CASES {
        let case = corpus_case(name);
        let p = params(&case);
        let work = tmp.path().join(name);
        fs::create_dir(&work).unwrap();
        let path = |leaf: &str| work.join(leaf).to_string_lossy().into_owned();
        export(
            &work,
            &[
                "--window",
                &p["WINDOW"],
                "--slide",
                &p["SLIDE"],
                "--watermark",
                &p["WATERMARK"],
                "--trigger",
                "200ms",
                "--replay-dir",
                &path("staged"),
                "--sink",
                "file",
                "--output",
                &path("spark-out"),
                "--checkpoint",
                &path("checkpoint"),
                "-o",
                "job.py",
            ],
        );
        harness_args.extend([
            name.to_string(),
            path("job.py"),
            case.join("events.csv").to_string_lossy().into_owned(),
        ]);
    }
    let mut python = Command::new("python3");
    python
        .args(&harness_args)
        .env("TZ", "UTC")
        .current_dir(tmp.path());
    let run = Running::spawn(&mut python).wait(Duration::from_secs(240));
    assert!(
        run.status.success(),
        "the harness failed ({}):\n{}",
        run.status,
        run.stderr
    );
    let result: Value =
        serde_json::from_str(&fs::read_to_string(tmp.path().join("result.json")).unwrap()).unwrap();
    let problems: Vec<String> = SPARK_CASES
        .iter()
        .flat_map(|name| compare(name, &result[*name], &tmp.path().join(name)))
        .collect();
    assert!(
        problems.is_empty(),
        "Spark and window-tui differ:\n{}\n\nharness:\n{}",
        problems.join("\n"),
        run.stderr
    );
    eprintln!(
        "{}",
        run.stderr
            .lines()
            .filter(|l| l.starts_with("export_harness:"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

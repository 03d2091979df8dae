//! `window-tui export-spark`: the `PySpark` program it writes.
//!
//! Every run: programs exported for the query family (sliding and session windows, group-by
//! columns, aggregates, the three output modes, text, CSV and JSON lines, staged files) pass
//! `python3 -m py_compile` and say what they run; bad usage, the file sink outside append mode
//! included, exits with status 2.
//!
//! When `PySpark` (and Java) are installed: programs exported for corpus cases are run by real
//! Spark through `tests/export_harness.py` (events staged one file per tick, as the corpus was
//! made), and what Spark wrote is compared with the corpus (Spark's own run of the query: the
//! file sink's rows against `expected.csv` and `files/`, the console sink's tables against
//! `console.txt`) and with window-tui's replay of the same case (each batch's progress figures);
//! and the exported jobs' reading of CSV and JSON socket lines (good and bad ones, in Spark) is
//! compared with what window-tui accepts from the same lines (its `--record` of them).
//! `PySpark` is looked for with `$PYSPARK_PYTHON` (e.g. a virtualenv's `bin/python`), else
//! `python3`; without it that test says `skipped: PySpark not installed` and passes.

mod common;
#[allow(dead_code)]
#[path = "common/corpus/mod.rs"]
mod corpus;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{BIN, Running, hermetic, micros};
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

/// Corpus cases the Spark comparison runs, and the sink each is run with: aggregates over
/// NULLs and doubles (file sink), session windows, update and complete mode (console sink; Spark
/// has no file sink for the last two), and the seed query over odd strings.
const SPARK_CASES: &[(&str, &str)] = &[
    ("q_nulls_doubles", "file"),
    ("q_session_aggs", "console"),
    ("q_seed_update", "console"),
    ("q_seed_complete", "console"),
    ("strange_values", "file"),
];

/// A Python that imports `PySpark`, with Java to run it: `$PYSPARK_PYTHON`, else `python3`.
fn pyspark_python() -> Option<String> {
    let ok = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(Command::new("java").arg("-version")) {
        return None;
    }
    std::env::var("PYSPARK_PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string()])
        .find(|python| ok(Command::new(python).args(["-c", "import pyspark"])))
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

/// The exported program's arguments for a corpus case: its query (check.py's), lines as CSV
/// records for a typed schema, staged files in `work`, the sink, a short trigger.
fn export_args(case: &corpus::Case, work: &Path, sink: &str) -> Vec<String> {
    let path = |leaf: &str| work.join(leaf).to_string_lossy().into_owned();
    let mut args = case.query.args().unwrap();
    if case.query.general {
        args.extend(["--format".into(), "csv".into()]);
    }
    for (flag, value) in [
        ("--trigger", "200ms".to_string()),
        ("--replay-dir", path("staged")),
        ("--sink", sink.to_string()),
        ("--output", path("spark-out")),
        ("--checkpoint", path("checkpoint")),
        ("-o", "job.py".to_string()),
    ] {
        args.extend([flag.to_string(), value]);
    }
    args
}

/// What Spark printed for each case: the harness's stdout cut at its `export_harness: case NAME`
/// lines.
fn console_by_case(stdout: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut parts = stdout.split("export_harness: case ").skip(1);
    for part in parts.by_ref() {
        let (name, text) = part.split_once('\n').unwrap_or((part, ""));
        out.insert(name.to_string(), text.to_string());
    }
    out
}

/// Spark's run of one case against the corpus and window-tui's replay; every difference,
/// described, and a line saying what matched.
fn compare(
    case: &corpus::Case,
    sink: &str,
    spark: &Value,
    console: &str,
    work: &Path,
) -> Result<String, String> {
    let name = &case.name;
    let rows = if sink == "file" {
        corpus::files::verify_files(case, &work.join("spark-out"))
            .map_err(|e| format!("{name}: Spark's file sink against the corpus: {e}"))?;
        spark["rows"].as_array().map_or(0, Vec::len)
    } else {
        corpus::console::verify_console(case, console)
            .map_err(|e| format!("{name}: Spark's console sink against console.txt: {e}"))?;
        console.lines().filter(|l| l.starts_with('|')).count()
            - console.lines().filter(|l| l.starts_with("|window")).count()
    };
    let progress = work.join("window-tui-progress.jsonl");
    corpus::run_json(case, &progress)?;
    let ours: Vec<Value> = fs::read_to_string(&progress)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ours = figures(&ours);
    let theirs = figures(spark["progress"].as_array().unwrap());
    if ours != theirs {
        return Err(format!(
            "{name}: progress [numInputRows, watermark, numRowsTotal, numRowsUpdated, \
             numRowsRemoved, numRowsDroppedByWatermark] by batch id differ:\n  window-tui \
             {ours:?}\n  Spark      {theirs:?}"
        ));
    }
    Ok(format!(
        "{name}: {sink} sink, {rows} rows and {} batches as Spark's corpus run and window-tui's",
        theirs.len()
    ))
}

#[test]
fn the_exported_program_gives_window_tuis_rows_in_spark() {
    let Some(python) = pyspark_python() else {
        println!("skipped: PySpark not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let at = |path: &Path| path.to_string_lossy().into_owned();
    let lines = tmp.path().join("lines");
    fs::create_dir(&lines).unwrap();
    let mut harness_args: Vec<String> = vec![
        at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export_harness.py")),
        at(&tmp.path().join("result.json")),
        "--lines".into(),
        BIN.into(),
        at(&lines),
    ];
    let mut cases = Vec::new();
    for &(name, sink) in SPARK_CASES {
        let case = corpus::Case::load(&corpus::root().join(name)).unwrap();
        let work = tmp.path().join(name);
        fs::create_dir(&work).unwrap();
        let args = export_args(&case, &work, sink);
        export(&work, &args.iter().map(String::as_str).collect::<Vec<_>>());
        harness_args.extend([
            name.to_string(),
            at(&work.join("job.py")),
            at(&case.dir.join("events.csv")),
            sink.to_string(),
        ]);
        cases.push((case, sink, work));
    }
    let mut harness = Command::new(&python);
    hermetic(&mut harness)
        .args(&harness_args)
        .env("PYSPARK_PYTHON", &python)
        .current_dir(tmp.path());
    let run = Running::spawn(&mut harness).wait(Duration::from_secs(900));
    assert!(
        run.status.success(),
        "the harness failed ({}):\n{}",
        run.status,
        run.stderr
    );
    let result: Value =
        serde_json::from_str(&fs::read_to_string(tmp.path().join("result.json")).unwrap()).unwrap();
    let console = console_by_case(&run.stdout);
    let mut problems = Vec::new();
    for (format, found) in result["lines"].as_object().unwrap() {
        let [only_spark, only_ours] = ["only_spark", "only_window_tui"].map(|k| &found[k]);
        if only_spark.as_array().is_none_or(|a| !a.is_empty())
            || only_ours.as_array().is_none_or(|a| !a.is_empty())
        {
            problems.push(format!(
                "{format} lines: rows only the exported job reads {only_spark}, rows only \
                 window-tui reads {only_ours}"
            ));
        } else {
            eprintln!(
                "export: {format} lines: of {}, window-tui and the exported job read the same {}",
                found["lines"], found["spark"]
            );
        }
    }
    for (case, sink, work) in &cases {
        let printed = console.get(&case.name).map_or("", String::as_str);
        match compare(case, sink, &result[&case.name], printed, work) {
            Ok(said) => eprintln!("export: {said}"),
            Err(e) => problems.push(e),
        }
    }
    assert!(
        problems.is_empty(),
        "Spark and window-tui differ:\n{}\n\nharness:\n{}",
        problems.join("\n"),
        run.stderr
    );
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

//! What the sinks write: the json rows' shape, sinks together or named twice, a closed
//! standard output or a full standard error, and windows sharing a partition.

use super::*;
use common::dev_full;

#[test]
fn json_rows_have_the_documented_shape() {
    let case = corpus_case("strange_values");
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("strange_values"))
        .args(["--sink", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.ends_with('\n'));
    let keys = |o: &Value| -> BTreeSet<String> {
        o.as_object().expect("an object").keys().cloned().collect()
    };
    let mut lines = 0;
    for line in text.lines() {
        let o: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(
            keys(&o),
            BTreeSet::from(["batch_id", "window", "value", "count"].map(String::from)),
            "{line}"
        );
        assert_eq!(
            keys(&o["window"]),
            BTreeSet::from(["start", "end"].map(String::from)),
            "{line}"
        );
        assert!(o["batch_id"].is_u64(), "{line}");
        assert!(o["count"].as_u64().is_some_and(|c| c >= 1), "{line}");
        assert!(o["value"].is_string(), "{line}");
        let start = micros(o["window"]["start"].as_str().unwrap()).unwrap();
        let end = micros(o["window"]["end"].as_str().unwrap()).unwrap();
        assert!(start < end, "{line}");
        lines += 1;
    }
    assert!(lines > 0);
    assert_eq!(
        json_rows(&text).unwrap(),
        expected_rows(&case.join("expected.csv")).unwrap()
    );
}

/// Both write to stdout, where their lines would interleave (`| jq` breaks on a table): the
/// pair is refused before anything runs, from the command line or the environment.
#[test]
fn console_and_json_together_are_refused() {
    let case = corpus_case("strange_values");
    for sinks in [
        &["console", "json"][..],
        &["json", "console"],
        &["console,json"],
    ] {
        let mut cmd = window_tui();
        cmd.arg("replay").arg(case.join("events.csv"));
        for sink in sinks {
            cmd.args(["--sink", sink]);
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{sinks:?}");
        assert!(output.stdout.is_empty(), "{sinks:?}");
        assert!(
            stderr(&output).contains("both write to stdout"),
            "{sinks:?}: {}",
            stderr(&output)
        );
    }
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .env("WINDOW_TUI_SINK", "json,console")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_sink_named_twice_writes_each_batch_once() {
    let console = replay_case("strange_values", &["console"]);
    let batches =
        console.matches("\nBatch: ").count() + usize::from(console.starts_with("Batch: "));
    assert!(batches >= 2, "{console}");
    for sinks in [
        &["console", "console"][..],
        &["console,console"],
        &["console", "console,console"],
    ] {
        assert_eq!(replay_case("strange_values", sinks), console, "{sinks:?}");
    }
    let json = replay_case("strange_values", &["json"]);
    assert_eq!(
        sorted_lines(&replay_case("strange_values", &["json", "json"])),
        sorted_lines(&json)
    );
}

/// A replay whose output is far larger than a pipe buffer.
fn big_events(dir: &Path) -> PathBuf {
    let mut text = String::from(HEADER);
    for i in 0..20_000u32 {
        writeln!(
            text,
            "{},2026-11-23T17:{:02}:{:02}Z,value-{i}",
            i / 100,
            33 + (i / 100) / 60,
            (i / 100) % 60
        )
        .unwrap();
    }
    write(dir, "big.csv", text)
}

/// `window-tui replay BIG --sink SINK | head -1`: exit status 0 and nothing on stderr.
fn closed_stdout(sink: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let events = big_events(tmp.path());
    {
        let mut cmd = std::process::Command::new(BIN);
        hermetic(&mut cmd)
            .args(["replay"])
            .arg(&events)
            .args(["--sink", sink])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut first = String::new();
        {
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            reader.read_line(&mut first).unwrap();
            // Dropping the reader closes the pipe, as `| head -1` does.
        }
        assert!(!first.is_empty(), "{sink}: no output");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{sink}: still running after its stdout closed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{sink}: {status:?}, stderr: {err}");
        assert!(!err.to_lowercase().contains("error"), "{sink}: {err}");
        assert!(!err.contains("panicked"), "{sink}: {err}");
    }
}

#[test]
fn a_closed_stdout_is_not_an_error_console() {
    closed_stdout("console");
}

#[test]

fn a_closed_stdout_is_not_an_error_json() {
    closed_stdout("json");
}

/// `cmd` as `window-tui replay EVENTS --sink json OPTIONS`, reading nothing on stdin.
fn replay_json<'c>(
    cmd: &'c mut std::process::Command,
    events: &Path,
    options: &[&str],
) -> &'c mut std::process::Command {
    hermetic(cmd)
        .args(["replay"])
        .arg(events)
        .args(["--sink", "json"])
        .args(options)
        .stdin(Stdio::null())
}

/// Diagnostics are lost, not the run, when stderr cannot take them (`2>/dev/full`, or
/// `2>&1 | head` once head is gone): the closing lines of a replay, a resumed one's first line,
/// and a bad row's error each once, the run's exit status as it would be (it was 101, a
/// panic printing to stderr).
#[test]
fn a_full_stderr_loses_the_diagnostics_not_the_run() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let good = big_events(tmp.path());
    let bad = write(
        tmp.path(),
        "bad.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,notatime,b\n",
    );
    let checkpoint = tmp.path().join("ck");
    let checkpoint = checkpoint.to_str().unwrap();
    let runs: [(&Path, &[&str], i32); 4] = [
        (&good, &[], 0),
        (&good, &["--checkpoint", checkpoint], 0),
        (&good, &["--checkpoint", checkpoint], 0),
        (&bad, &[], 2),
    ];
    for (events, options, status) in runs {
        let mut cmd = std::process::Command::new(BIN);
        let output = replay_json(&mut cmd, events, options)
            .stderr(dev_full())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(status), "{options:?}");
        if status == 0 && options.is_empty() {
            assert!(!output.stdout.is_empty());
        }
    }
}

/// The json sink writes on a thread of its own: an error there still ends the run, exit 1,
/// with the error on stderr.
#[test]
fn a_json_sink_that_cannot_write_fails_the_replay() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Many batches (the error is met by a later one), and one batch, the last (the error is
    // met when the run waits for the sink at its end).
    let one = write(
        tmp.path(),
        "one.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n",
    );
    let flush: &[&str] = &["--flush-at-end"];
    for (events, options) in [(big_events(tmp.path()), &[][..]), (one, flush)] {
        let mut cmd = std::process::Command::new(BIN);
        let output = replay_json(&mut cmd, &events, options)
            .stdout(dev_full())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}: {err}", events.display());
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]

fn windows_sharing_a_partition_keep_all_their_rows() {
    // 17:33:20 falls in [17:33:00, 17:33:30) and [17:33:15, 17:33:45): both are `17:33-17:33`
    // with %H:%M and are emitted in the same batch. Spark writes both rows into the partition.
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "events.csv",
        "batch,event_time,value\n0,2026-11-23T17:33:20Z,a\n1,2026-11-23T17:35:00Z,b\n",
    );
    let out = tmp.path().join("out");
    let output = run(&[
        &"replay",
        &events,
        &"--sink",
        &"file",
        &"--output",
        &out,
        &"--window-format",
        &"%H:%M",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (parts, _, listed) = file_sink_state(&out);
    assert_eq!(
        listed,
        parts.iter().cloned().collect::<Vec<_>>(),
        "each file listed once"
    );
    let rows = part_rows(&out, &parts);
    assert_eq!(
        rows,
        common::bag([
            ("window=17%3A33-17%3A33".to_string(), "a".to_string(), 1),
            ("window=17%3A33-17%3A33".to_string(), "a".to_string(), 1),
        ])
    );
}

/// A quote inside a field that does not open with one is a plain byte, as Spark and Python
/// read it and as `--record` writes a live value that holds one.
#[test]
fn a_quote_inside_a_plain_field_is_a_plain_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "events.csv",
        "batch,event_time,value\n\
         0,2026-11-23T17:33:00Z,q\"x\n\
         0,2026-11-23T17:33:01Z,5\" pipe\n\
         0,2026-11-23T17:33:02Z,\"a,\"\"b\"\"\"\n",
    );
    let output = run(&[&"replay", &events, &"--sink", &"json", &"--flush-at-end"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    let values: BTreeSet<String> = stdout(&output)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: BTreeSet<String> = ["q\"x", "5\" pipe", "a,\"b\""].map(String::from).into();
    assert_eq!(values, want, "{err}");
}

/// A `--window-format` that names two windows one slide apart alike (the seed's `%H%M%S` and
/// 250 ms windows) is said once on stderr where the console or file sink writes the names;
/// the json sink's windows are times, so it says nothing.
#[test]
fn a_window_format_too_coarse_for_the_slide_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "events.csv",
        "batch,ts,user\n0,2026-11-23T17:33:00.100Z,a\n0,2026-11-23T17:33:00.300Z,a\n",
    );
    let query = [
        "--schema",
        "ts TIMESTAMP, user STRING",
        "--event-time",
        "ts",
        "--group-by",
        "user",
        "--window",
        "250ms",
        "--flush-at-end",
    ];
    let said = |sinks: &[&str], window_format: &str| {
        let out = window_tui()
            .arg("replay")
            .arg(&events)
            .args(query)
            .args(sinks)
            .args(["--window-format", window_format])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        err.matches("names two windows open together alike").count()
    };
    assert_eq!(said(&["--sink", "console,file"], "%H%M%S"), 1);
    assert_eq!(said(&["--sink", "json"], "%H%M%S"), 0);
    assert_eq!(said(&["--sink", "console"], "%H%M%S%.3f"), 0);
}

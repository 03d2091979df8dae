//! Options refused before anything runs or honoured: durations, a missing file, environment
//! variables, `--window-format` and line endings.

use super::*;

#[test]
fn bad_durations_are_refused_before_anything_runs() {
    let events = corpus_case("tumbling").join("events.csv");
    let cases: &[(&[&str], &str)] = &[
        (&["--window", "15 fortnights"], "fortnights"),
        (&["--window", "0s"], "window"),
        (&["--slide", "0 seconds"], "slide"),
        (&["--slide", "31s", "--window", "30s"], "slide"),
        (&["--watermark=-1s"], "negative"),
        (&["--watermark", "-1s"], "-1"),
        (&["--window", "thirty seconds"], "thirty"),
    ];
    for &(args, needle) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let progress = tmp.path().join("progress.jsonl");
        let output = window_tui()
            .arg("replay")
            .arg(&events)
            .args(args)
            .args(["--sink", "file", "--sink", "json", "--output"])
            .arg(&out)
            .arg("--progress")
            .arg(&progress)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            output.stdout.is_empty(),
            "{args:?}: stdout {}",
            stdout(&output)
        );
        assert!(!err.trim().is_empty(), "{args:?}: no message");
        assert!(
            err.lines().count() <= 8 && err.len() < 600,
            "{args:?}: the message is not short: {err}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}: {err}"
        );
        assert!(!out.exists(), "{args:?}: the output folder was created");
        assert!(!progress.exists(), "{args:?}: the progress log was created");
    }
}

#[test]
fn a_missing_events_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("no-such-events.csv");
    let out = tmp.path().join("out");
    let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains(&events.display().to_string()), "{err}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "the output folder was created");
}

#[test]
fn a_file_without_event_time_says_to_name_its_time_column() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("e.csv");
    fs::write(&events, "batch,ts,value\n0,2026-11-23T17:33:00Z,a\n").unwrap();
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no event_time column") && err.contains("--event-time ts"),
        "{err}"
    );
    let output = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--event-time",
        &"ts",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn environment_variables_are_honoured() {
    // tumbling is 20 s / 20 s / 10 s: the defaults (30 s / 15 s / 15 s) give other rows.
    let case = corpus_case("tumbling");
    let want = expected_rows(&case.join("expected.csv")).unwrap();
    let mut cmd = window_tui();
    cmd.arg("replay").arg(case.join("events.csv"));
    for (key, value) in case_params("tumbling") {
        cmd.env(format!("WINDOW_TUI_{key}"), value);
    }
    let output = cmd.env("WINDOW_TUI_SINK", "json").output().unwrap();
    assert_eq!(rows_of(&output), want, "configured through the environment");

    let defaults = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(["--sink", "json"])
        .output()
        .unwrap();
    assert_ne!(
        rows_of(&defaults),
        want,
        "the defaults must differ for this test to mean anything"
    );

    // A flag beats its variable.
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("tumbling"))
        .env("WINDOW_TUI_WINDOW", "1 minute")
        .env("WINDOW_TUI_WATERMARK", "1 hour")
        .env("WINDOW_TUI_SINK", "json")
        .output()
        .unwrap();
    assert_eq!(rows_of(&output), want, "flags over the environment");

    // WINDOW_TUI_SINK takes a list, as --sink does.
    let tmp = tempfile::tempdir().unwrap();
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("tumbling"))
        .env("WINDOW_TUI_SINK", "json,file")
        .env("WINDOW_TUI_OUTPUT", tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).lines().all(|l| l.starts_with('{')));
    assert!(tmp.path().join("out/_spark_metadata").is_dir());
}

#[test]
fn window_format_changes_the_window_text() {
    let default = replay_case("strange_values", &["console"]);
    assert!(default.contains("|173245-173315|"), "{default}");
    let case = corpus_case("strange_values");
    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(case_args("strange_values"))
        .args(["--sink", "console", "--window-format", "%H:%M"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("|17:32-17:33|"), "{text}");
    assert!(!text.contains("173245"), "{text}");
    // Same tables otherwise: same batches, same number of lines.
    assert_eq!(text.lines().count(), default.lines().count());

    let output = window_tui()
        .arg("replay")
        .arg(case.join("events.csv"))
        .args(["--sink", "console"])
        .env("WINDOW_TUI_WINDOW_FORMAT", "%H.%M.%S")
        .output()
        .unwrap();
    assert!(stdout(&output).contains("|17.32.45-17.33.15|"));
}

#[test]
fn an_invalid_window_format_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for pattern in ["%Q", "%H%", "%"] {
        let output = window_tui()
            .arg("replay")
            .arg(corpus_case("strange_values").join("events.csv"))
            .args(["--sink", "console", "--sink", "file", "--output"])
            .arg(&out)
            .args(["--window-format", pattern])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{pattern}: {err}");
        assert!(err.contains(pattern), "{pattern}: {err}");
        assert!(output.stdout.is_empty(), "{pattern}: {}", stdout(&output));
        assert!(!out.exists(), "{pattern}: the output folder was created");
    }
}

#[test]
fn crlf_and_a_missing_final_newline_replay_the_same() {
    // The last row decides: without it the watermark never passes the first windows.
    let tmp = tempfile::tempdir().unwrap();
    let lf = "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n";
    let lf_file = write(tmp.path(), "lf.csv", lf);
    let want = rows_of(&run(&[&"replay", &lf_file, &"--sink", &"json"]));
    assert_eq!(want.values().sum::<usize>(), 2, "{want:?}");
    let variants = [
        ("crlf", lf.replace('\n', "\r\n")),
        ("no final newline", lf.trim_end().to_string()),
        (
            "crlf, no final newline",
            lf.replace('\n', "\r\n").trim_end().to_string(),
        ),
        ("final blank line", format!("{lf}\n")),
    ];
    for (what, text) in variants {
        let events = write(tmp.path(), "variant.csv", text);
        let got = rows_of(&run(&[&"replay", &events, &"--sink", &"json"]));
        assert_eq!(got, want, "{what}");
    }

    // A whole corpus case (written with CRLF) read with LF and without its last line break.
    let case = corpus_case("tumbling");
    let want = expected_rows(&case.join("expected.csv")).unwrap();
    let crlf = fs::read_to_string(case.join("events.csv")).unwrap();
    assert!(crlf.contains("\r\n"), "the corpus file is CRLF");
    for (what, text) in [
        ("as recorded", crlf.clone()),
        ("lf", crlf.replace("\r\n", "\n")),
        ("crlf, no final newline", crlf.trim_end().to_string()),
        (
            "lf, no final newline",
            crlf.replace("\r\n", "\n").trim_end().to_string(),
        ),
    ] {
        let events = write(tmp.path(), "tumbling.csv", text);
        let output = window_tui()
            .arg("replay")
            .arg(&events)
            .args(case_args("tumbling"))
            .args(["--sink", "json"])
            .output()
            .unwrap();
        assert_eq!(rows_of(&output), want, "{what}");
    }
}

#[test]
fn a_pipe_is_replayed_read_once_and_refused_with_a_checkpoint() {
    // Large enough for replay's counting threads, which open a regular file again.
    let events = corpus_case("seed_random").join("events.csv");
    let bytes = fs::read(&events).unwrap();
    let from_file = window_tui()
        .args(["replay", "--sink", "json", "--flush-at-end"])
        .arg(&events)
        .output()
        .unwrap();
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    let from_pipe = window_tui()
        .args(["replay", "--sink", "json", "--flush-at-end", "/dev/stdin"])
        .write_stdin(bytes.clone())
        .output()
        .unwrap();
    assert!(from_pipe.status.success(), "{}", stderr(&from_pipe));
    assert!(!from_file.stdout.is_empty());
    assert_eq!(stdout(&from_pipe), stdout(&from_file));

    let tmp = tempfile::tempdir().unwrap();
    let checkpoint = tmp.path().join("ck");
    let refused = window_tui()
        .args(["replay", "--sink", "json", "/dev/stdin", "--checkpoint"])
        .arg(&checkpoint)
        .write_stdin(bytes)
        .output()
        .unwrap();
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(!checkpoint.exists(), "the checkpoint folder was created");
}

#[test]
fn an_os_error_is_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = run(&[&"replay", &tmp.path(), &"--sink", &"json"]);
    let checkpoint = tmp.path().join("ck");
    fs::create_dir_all(checkpoint.join("metadata")).unwrap();
    let events = corpus_case("tumbling").join("events.csv");
    let metadata = run(&[
        &"replay",
        &events,
        &"--sink",
        &"json",
        &"--checkpoint",
        &checkpoint,
    ]);
    for (output, code) in [(folder, 2), (metadata, 1)] {
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(code), "{err}");
        assert_eq!(err.matches("(os error").count(), 1, "{err}");
    }
}

/// Grouped by its event time beside the window, a query is refused where Spark 3.5.3 refuses
/// it (append and update mode), with exit status 2 and nothing on stdout, and runs where Spark
/// runs it (complete mode): here the replay's `event_time`, which the query stamps on arrival.
#[test]
fn the_event_time_as_a_key_is_refused_where_spark_refuses_it() {
    let events = corpus_case("tumbling").join("events.csv");
    for mode in ["append", "update", "complete"] {
        let output = window_tui()
            .arg("replay")
            .arg(&events)
            .args(["--group-by", "value,event_time", "--output-mode", mode])
            .args(["--sink", "json"])
            .output()
            .unwrap();
        let err = stderr(&output);
        if mode == "complete" {
            assert_eq!(output.status.code(), Some(0), "{mode}: {err}");
            assert!(stdout(&output).contains(r#""event_time":"#), "{mode}");
        } else {
            assert_eq!(output.status.code(), Some(2), "{mode}: {err}");
            assert!(output.stdout.is_empty(), "{mode}");
            assert!(
                err.contains("--group-by \"event_time\" is the event-time column")
                    && err.contains("More than one event time columns"),
                "{mode}: {err}"
            );
        }
    }
}

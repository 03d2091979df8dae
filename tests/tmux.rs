//! The real binary in a real terminal: tmux runs the dashboard, the test waits for data, presses
//! keys as a person would and reads the screen back with `capture-pane`.
//!
//! Without tmux on the machine the test says so and passes, unless `WINDOW_TUI_REQUIRE_TMUX` is
//! set (`.ci/run` installs tmux and sets it).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tmux::{Tmux, have_tmux};

/// The dashboard over a fast embedded server (a line every 100 ms, 1 s triggers, 4 s windows
/// sliding by 2 s, a 1 s watermark) with `extra` options, in a 120×40 tmux window in `dir`;
/// its exit status is printed as `EXIT=N` when it ends.
fn fast_dashboard(name: &str, dir: &Path, extra: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!(
        "TZ=UTC NO_COLOR=1 {bin} --delay 100ms --trigger 1s --window 4s --slide 2s \
         --watermark 1s {extra}; echo EXIT=$?; sleep 600"
    );
    Tmux::start(name, dir, &command, 120, 40)
}

#[test]
fn a_person_runs_the_dashboard_switches_the_file_sink_reads_the_help_and_quits() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = fast_dashboard(
        "person",
        dir.path(),
        "--output out --checkpoint ckpt --log run.log",
    );
    let long = Duration::from_secs(30);

    // All six panels, filling with data within a trigger or two.
    let screen = tmux.wait_for("emitted rows in Output batches", long, |s| {
        s.contains("Output batches") && s.lines().any(|l| l.contains("    |") && l.contains('-'))
    });
    for title in [
        "Watermark",
        "Open windows",
        "Output batches",
        "Metrics",
        "Late data",
        "Sinks",
    ] {
        assert!(screen.contains(title), "no {title} panel:\n{screen}");
    }
    assert!(screen.contains("● connected"), "{screen}");
    assert!(
        !Path::new(&dir.path().join("out/_spark_metadata")).exists(),
        "file sink starts off"
    );

    // `f` switches the file sink on: CSV files appear under --output.
    tmux.keys(&["f"]);
    tmux.wait_for("the file sink on", long, |s| s.contains("file    ● on"));
    let out = dir.path().join("out");
    let start = Instant::now();
    let part_files = loop {
        let parts: Vec<_> = std::fs::read_dir(&out)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("window="))
            .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
            .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
            .collect();
        if !parts.is_empty() {
            break parts.len();
        }
        assert!(
            start.elapsed() < long,
            "no part file under out/:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(part_files > 0);

    // `?` explains every key; Esc closes it.
    tmux.keys(&["?"]);
    let help = tmux.wait_for("the help", long, |s| s.contains("Keys · Esc closes"));
    for text in [
        "quit",
        "console sink on/off",
        "file sink on/off",
        "pause/resume",
        "late row",
    ] {
        assert!(help.contains(text), "help lacks {text:?}:\n{help}");
    }
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help to close", long, |s| {
        !s.contains("Keys · Esc closes")
    });

    // `l` sends a late row: it shows in Late data.
    tmux.keys(&["l"]);
    tmux.wait_for("the late row", long, |s| s.contains("\"late\""));

    // `q` quits with status 0 and gives the terminal back.
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit status", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(
        !end.contains("Output batches"),
        "the dashboard is still on screen:\n{end}"
    );
    let logged = std::fs::read_to_string(dir.path().join("run.log")).unwrap_or_default();
    assert!(
        logged.contains("connected to"),
        "nothing logged to the file: {logged}"
    );
}

#[test]
fn a_small_terminal_is_told_so() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!("{bin} --delay 1s --log run.log; echo EXIT=$?; sleep 600");
    let tmux = Tmux::start("small", dir.path(), &command, 70, 20);
    tmux.wait_for("the too-small notice", Duration::from_secs(20), |s| {
        s.contains("terminal too small")
    });
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
}

/// At 30×8 the whole notice shows, wrapped, and keys other than q act on nothing unseen:
/// `e` writes no job, `f` opens no file sink.
#[test]
fn a_terminal_too_small_takes_only_q() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!(
        "{bin} --no-checkpoint --trigger 1s --delay 100ms --log run.log; echo EXIT=$?; sleep 600"
    );
    let tmux = Tmux::start("tiny", dir.path(), &command, 30, 8);
    tmux.wait_for("the whole notice", Duration::from_secs(20), |s| {
        s.contains("terminal too small") && s.contains("80×24") && s.contains("to quit")
    });
    std::thread::sleep(Duration::from_secs(2));
    for key in ["e", "f", "space"] {
        tmux.keys(&[key]);
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["run.log"], "no job written, no file sink opened");
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn the_end_of_the_source_is_shown_and_a_failed_pipeline_closes_the_dashboard_saying_why() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let long = Duration::from_secs(30);

    // The embedded server's program ends: the dashboard stays, says so, and q quits with 0.
    let command = format!(
        "{bin} --count 3 --delay 10ms --trigger 200ms --no-checkpoint --log run.log; \
         echo EXIT=$?; sleep 600"
    );
    let tmux = Tmux::start("over", dir.path(), &command, 120, 40);
    tmux.wait_for("the end of the source", long, |s| {
        s.contains("the source is over: q quits")
    });
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");

    // The record cannot be written: the pipeline fails, the dashboard closes by itself, gives
    // the terminal back and says why, with status 1.
    let command = format!(
        "{bin} --delay 10ms --trigger 200ms --no-checkpoint --record /dev/full --log run.log; \
         echo EXIT=$?; sleep 600"
    );
    let tmux = Tmux::start("fails", dir.path(), &command, 120, 40);
    let end = tmux.wait_for("the exit", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=1"), "{end}");
    assert!(end.contains("No space left on device"), "{end}");
    assert!(
        !end.contains("Output batches"),
        "the dashboard is still on screen:\n{end}"
    );
}

#[test]
fn a_kill_gives_the_terminal_back() {
    if !have_tmux() {
        return;
    }
    // SIGQUIT too: raw mode makes Ctrl-\\ a key, so it comes only from `kill`.
    for signal in ["INT", "QUIT"] {
        let dir = tempfile::tempdir().unwrap();
        let bin = env!("CARGO_BIN_EXE_window-tui");
        let command = format!(
            "{bin} --delay 100ms --trigger 1s --no-checkpoint --log run.log & \
             sleep 2; kill -{signal} $!; wait $!; echo EXIT=$?; stty -a | grep -o ' icanon'; \
             echo DONE; sleep 600"
        );
        let tmux = Tmux::start(&signal.to_lowercase(), dir.path(), &command, 120, 40);
        let end = tmux.wait_for("the exit", Duration::from_secs(30), |s| s.contains("DONE"));
        assert!(end.contains("EXIT=0"), "{signal}: {end}");
        assert!(
            end.contains(" icanon"),
            "{signal}: the terminal is left in raw mode:\n{end}"
        );
        assert!(
            !end.contains("Output batches"),
            "{signal}: the dashboard is still on screen:\n{end}"
        );
    }
}

#[test]
fn ctrl_z_gives_the_terminal_to_the_shell_and_fg_brings_the_dashboard_back() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    // An interactive shell, for its job control.
    let tmux = Tmux::start("suspend", dir.path(), "bash --norc --noprofile -i", 120, 40);
    tmux.keys(&[
        &format!("NO_COLOR=1 {bin} --delay 100ms --trigger 1s --no-checkpoint --log run.log"),
        "Enter",
    ]);
    tmux.wait_for("the dashboard", Duration::from_secs(30), |s| {
        s.contains("Output batches")
    });
    tmux.keys(&["C-z"]);
    let shell = tmux.wait_for("the shell", Duration::from_secs(10), |s| {
        s.contains("Stopped")
    });
    // The terminal as the shell had it: the main screen, no mouse reporting, the cursor shown
    // (bash restores its own modes when a job stops, so those are not what is checked).
    assert_eq!(
        tmux.format("#{alternate_on} #{mouse_any_flag} #{cursor_flag}"),
        "0 0 1",
        "{shell}"
    );
    assert!(!shell.contains("Output batches"), "{shell}");
    tmux.keys(&["clear; fg", "Enter"]);
    tmux.wait_for("the dashboard again", Duration::from_secs(10), |s| {
        s.contains("Output batches")
    });
    tmux.keys(&["q"]);
    tmux.keys(&["echo EXIT=$?", "Enter"]);
    // The line echoed, not the command typed (which starts with the prompt).
    let end = tmux.wait_for("the exit", Duration::from_secs(30), |s| {
        s.lines().any(|line| line.starts_with("EXIT="))
    });
    assert!(end.lines().any(|line| line == "EXIT=0"), "{end}");
}

#[test]
fn the_modes_view_fills_its_three_columns_and_closes() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = fast_dashboard("modes", dir.path(), "--log run.log");
    let long = Duration::from_secs(30);
    tmux.wait_for("emitted rows in Output batches", long, |s| {
        s.lines().any(|l| l.contains("    |") && l.contains('-'))
    });

    // `o` opens the view; within a few ticks every column has a batch with rows: append the
    // windows the watermark closed, update the rows a batch changed, complete the whole table.
    tmux.keys(&["o"]);
    let screen = tmux.wait_for("three filled columns", long, |s| {
        s.contains("closed ") && s.contains(" changed") && s.contains("all ")
    });
    let heading = screen
        .lines()
        .find(|l| l.contains("append mode"))
        .unwrap_or_else(|| panic!("no column headings:\n{screen}"));
    assert!(
        heading.contains("append mode · this run")
            && heading.contains("update mode")
            && heading.contains("complete mode"),
        "{screen}"
    );
    // A band: a tick in the gutter, then each column's batch on the same line.
    let band = screen
        .lines()
        .find(|l| l.contains(" tick ") && l.contains(" changed") && l.contains(" rows"))
        .unwrap_or_else(|| panic!("no tick band with all three modes:\n{screen}"));
    assert!(
        band.contains("wm "),
        "append's batch names its watermark: {band}"
    );
    // Rows under it, one per column, each starting with a window.
    let rows_line = screen
        .lines()
        .skip_while(|l| *l != band)
        .nth(1)
        .unwrap_or_default();
    assert!(
        rows_line.matches('-').count() >= 2,
        "rows under the band:\n{screen}"
    );

    tmux.keys(&["o"]);
    tmux.wait_for("the main screen again", long, |s| {
        s.contains("Open windows") && !s.contains("update mode")
    });
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit status", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn a_replay_stopped_by_a_bad_row_ends_with_its_error_and_status_2_once_quit() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad_mid.csv"),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:10Z,b\n2,notatime,b\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!(
        "TZ=UTC NO_COLOR=1 {bin} replay bad_mid.csv --play --speed 8 2>err.txt; \
         echo EXIT=$?; sleep 600"
    );
    let tmux = Tmux::start("badrow", dir.path(), &command, 100, 30);
    let long = Duration::from_secs(30);
    // The dashboard shows the error (in its footer) and stays until the user quits.
    tmux.wait_for("the bad row in the footer", long, |s| {
        s.contains("bad_mid.csv:4")
    });
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit status", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=2"), "{end}");
    assert!(
        !end.contains("Output batches"),
        "the dashboard is still on screen:\n{end}"
    );
    let err = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert_eq!(
        err,
        "window-tui: error: bad_mid.csv:4: event_time: expected a time as Spark reads it, like \
         2026-11-23T17:33:14.999999Z or 2026-11-23 17:33:14, got \"notatime\"\n",
        "the headless replay's line"
    );
}

/// `e` in a replay writes the job of its batches and stages the replayed rows for it, one file
/// per batch in `./staged` (or the first free `staged-N`), saying so in the footer.
#[test]
fn e_in_a_replay_writes_the_job_and_stages_its_rows() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("run.csv"),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n0,2026-11-23T17:33:01Z,b\n\
         2,2026-11-23T17:33:40Z,c\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("staged")).unwrap();
    std::fs::write(dir.path().join("staged/theirs.csv"), "kept").unwrap();
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!("TZ=UTC NO_COLOR=1 {bin} replay run.csv; echo EXIT=$?; sleep 600");
    let tmux = Tmux::start("stage", dir.path(), &command, 120, 40);
    let long = Duration::from_secs(30);
    tmux.wait_for("the dashboard", long, |s| s.contains("Output batches"));
    tmux.keys(&["e"]);
    let screen = tmux.wait_for("the rows staged", long, |s| s.contains("staged the 3 rows"));
    assert!(
        screen.contains("spark-submit ./window_append_streaming.py"),
        "{screen}"
    );
    let staged = dir.path().join("staged-2");
    assert_eq!(
        std::fs::read_to_string(staged.join("batch-000000.csv")).unwrap(),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n0,2026-11-23T17:33:01Z,b\n"
    );
    assert!(staged.join("batch-000002.csv").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("staged/theirs.csv")).unwrap(),
        "kept",
        "a folder holding files is left alone"
    );
    let job = std::fs::read_to_string(dir.path().join("window_append_streaming.py")).unwrap();
    assert!(job.contains("REPLAY_DIR = \"staged-2\""), "{job}");
    // Once staged, the rows are not staged again: the next job reads the same folder.
    tmux.keys(&["e"]);
    tmux.wait_for("the second job", long, |s| {
        s.contains("for the rows staged in ./staged-2: spark-submit it")
    });
    let job = std::fs::read_to_string(dir.path().join("window_append_streaming-2.py")).unwrap();
    assert!(job.contains("REPLAY_DIR = \"staged-2\""), "{job}");
    assert!(!dir.path().join("staged-3").exists());
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit status", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
}

/// A replay stepped back, then `f`: the batch on screen shows the file sink on, as the footer
/// says, and so does every batch stepped to after it, back or forth.
#[test]
fn f_on_a_replay_stepped_back_shows_the_sink_on_every_batch() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let events =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/boundaries/events.csv");
    let bin = env!("CARGO_BIN_EXE_window-tui");
    let command = format!(
        "TZ=UTC NO_COLOR=1 {bin} replay {} --output out; echo EXIT=$?; sleep 600",
        events.display()
    );
    let tmux = Tmux::start("stepback", dir.path(), &command, 120, 40);
    let long = Duration::from_secs(30);
    tmux.wait_for("the dashboard", long, |s| s.contains("Output batches"));
    let file_on = |s: &str| s.contains("file    ● on");
    tmux.keys(&["n", "n", "n", "n"]);
    tmux.wait_for("batch 3", long, |s| s.contains("▸ Batch 3"));
    tmux.keys(&["p", "p"]);
    let screen = tmux.wait_for("batch 1", long, |s| s.contains("▸ Batch 1"));
    assert!(!file_on(&screen), "{screen}");
    tmux.keys(&["f"]);
    tmux.wait_for("the file sink on, on batch 1", long, |s| {
        s.contains("file sink on") && s.contains("▸ Batch 1") && file_on(s)
    });
    for (key, batch) in [("p", 0), ("n", 1), ("n", 2), ("n", 3), ("n", 4)] {
        tmux.keys(&[key]);
        let shown = format!("▸ Batch {batch}");
        let screen = tmux.wait_for(&shown, long, |s| s.contains(&shown));
        assert!(file_on(&screen), "{screen}");
    }
    // Batch 4 ran with the sink on: its files are under out/.
    assert!(dir.path().join("out/_spark_metadata/4").exists());
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the exit status", long, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
}

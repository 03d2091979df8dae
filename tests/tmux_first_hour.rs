//! The first hour with the dashboard, in a real terminal: a run resumed from its checkpoint says
//! so, the mouse focuses panels and is given back on quit, and a terminal that cannot draw gets
//! a headless replay instead.
//!
//! Without tmux on the machine each test says so and passes, unless `WINDOW_TUI_REQUIRE_TMUX`
//! is set (`.ci/run` installs tmux and sets it).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::tmux::{Tmux, have_tmux};

const LONG: Duration = Duration::from_secs(30);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_window-tui")
}

fn events() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/seed_random/events.csv")
}

/// Presses `q` and waits for the shell's `EXIT=`; returns the screen then.
fn quit(tmux: &Tmux) -> String {
    tmux.keys(&["q"]);
    tmux.wait_for("the exit status", LONG, |s| s.contains("EXIT="))
}

#[test]
fn a_run_resumed_from_its_checkpoint_says_so_in_the_header() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "TZ=UTC NO_COLOR=1 {} --delay 100ms --trigger 1s --checkpoint ckpt --log run.log; \
         echo EXIT=$?; sleep 600",
        bin()
    );
    // A first run: no checkpoint yet, so nothing resumed; it quits once a batch committed.
    let first = Tmux::start("resume-1", dir.path(), &command, 120, 40);
    let screen = first.wait_for("a data batch", LONG, |s| s.contains("(data)"));
    assert!(!screen.contains("resumed"), "{screen}");
    let end = quit(&first);
    assert!(end.contains("EXIT=0"), "{end}");
    drop(first);

    // The same command again picks up where it stopped, and the header says where and when.
    let second = Tmux::start("resume-2", dir.path(), &command, 120, 40);
    let screen = second.wait_for("the resumed note", LONG, |s| {
        s.lines().next().unwrap_or("").contains("resumed at batch")
    });
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("from ckpt, ") && header.contains(" s old"),
        "{header}"
    );
    let end = quit(&second);
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn a_click_focuses_a_panel_and_the_mouse_is_given_back_on_quit() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "TZ=UTC NO_COLOR=1 {} replay {}; echo EXIT=$?; sleep 600",
        bin(),
        events().display()
    );
    let tmux = Tmux::start("mouse", dir.path(), &command, 80, 24);
    tmux.wait_for("the dashboard", LONG, |s| s.contains("Output batches"));
    assert_eq!(tmux.format("#{mouse_any_flag}"), "1", "no mouse capture");
    tmux.keys(&["n"]);
    tmux.wait_for("the first batch", LONG, |s| s.contains("▸ Batch 0"));

    // Enter opens a batch only when Output batches has the focus (Open windows has it first):
    // a left click (SGR report, as a terminal sends it) on that panel gives it the focus.
    tmux.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!tmux.screen().contains("Esc closes"), "{}", tmux.screen());
    tmux.keys(&["-l", "\x1b[<0;60;13M"]);
    tmux.keys(&["-l", "\x1b[<0;60;13m"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the batch opened in full", LONG, |s| {
        s.contains("Esc closes")
    });
    tmux.keys(&["Escape"]);

    // q gives the terminal back: the screen, and the mouse.
    let end = quit(&tmux);
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(!end.contains("Output batches"), "{end}");
    assert_eq!(
        tmux.format("#{mouse_any_flag}#{mouse_button_flag}#{mouse_sgr_flag}"),
        "000",
        "mouse reporting left on"
    );
}

#[test]
fn term_dumb_replays_headless_to_the_console_saying_so() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // stderr to a file, so that the note does not scroll away (stdout stays the terminal).
    let command = format!(
        "TZ=UTC TERM=dumb {} replay {} 2>err.txt; echo EXIT=$?; sleep 600",
        bin(),
        events().display()
    );
    let tmux = Tmux::start("dumb", dir.path(), &command, 120, 40);
    let end = tmux.wait_for("the exit status", LONG, |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(end.contains("Batch: "), "no console tables:\n{end}");
    assert!(
        !end.contains("Output batches"),
        "a dashboard was drawn:\n{end}"
    );
    let said = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert!(
        said.starts_with(
            "window-tui: TERM=dumb: this terminal cannot draw the dashboard; \
             replaying to --sink console\n"
        ),
        "{said}"
    );
}

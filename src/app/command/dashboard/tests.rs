//! The replay dashboard's driver, stepped as a person would.
use clap::Parser;

use super::render_loop::Driver;
use super::replay_driver::ReplayDriver;
use crate::app::cli::Cli;
use crate::app::config::Command;
use crate::ui::keymap::Action;
use crate::ui::model::{self, Link, Mode, Status};

fn replay_driver(case: &str) -> ReplayDriver {
    replay_driver_with(case, &[])
}

fn replay_driver_with(case: &str, options: &[&str]) -> ReplayDriver {
    let events = format!(
        "{}/tests/conformance/{case}/events.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    replay_driver_of(&events, options)
}

/// The driver of a replay of the file `events`, with `options`.
fn replay_driver_of(events: &str, options: &[&str]) -> ReplayDriver {
    let command_line = ["window-tui", "replay", events];
    let command_line = command_line.iter().chain(options);
    let Command::Replay(config) = Cli::try_parse_from(command_line)
        .unwrap()
        .into_command(crate::engine::Zone::utc())
        .unwrap()
    else {
        panic!("a replay command");
    };
    super::replay_driver(&config).unwrap()
}

/// Acts, then waits for the worker to answer; returns what the footer says.
fn act(driver: &mut ReplayDriver, action: Action) -> Option<String> {
    let said = driver.act(action);
    driver.settle();
    said.or_else(|| driver.take_notice())
}

fn next_batch_id(driver: &ReplayDriver) -> u64 {
    driver.snapshot().unwrap().next_batch_id
}

fn shown_batch(driver: &ReplayDriver) -> Option<u64> {
    driver
        .snapshot()
        .and_then(|s| s.batches.first().map(|b| b.id))
}

/// A burst of keys (tmux send-keys nnnnnnnnnn): every press counts, in order, though steps
/// are still on their way.
#[test]
fn every_n_and_p_of_a_burst_counts() {
    let mut driver = replay_driver("boundaries");
    for _ in 0..4 {
        driver.act(Action::StepNext);
    }
    driver.settle();
    assert_eq!(shown_batch(&driver), Some(3), "four presses, four batches");
    for action in [Action::StepNext, Action::StepPrev].repeat(3) {
        driver.act(action);
    }
    driver.settle();
    assert_eq!(
        shown_batch(&driver),
        Some(3),
        "n p n p n p: back where it was"
    );
}

#[test]
fn stepping_forward_and_back_through_a_replay() {
    let mut driver = replay_driver("boundaries");
    assert_eq!(shown_batch(&driver), None, "nothing before the first step");
    act(&mut driver, Action::StepNext);
    assert_eq!(shown_batch(&driver), Some(0));
    act(&mut driver, Action::StepNext);
    act(&mut driver, Action::StepNext);
    assert_eq!(shown_batch(&driver), Some(2));
    let console = driver.snapshot().unwrap().batches[0]
        .console
        .clone()
        .unwrap();
    assert!(
        console.contains("Batch: 2"),
        "the console sink fills Output batches"
    );
    act(&mut driver, Action::StepPrev);
    assert_eq!(shown_batch(&driver), Some(1), "back to what was seen");
    act(&mut driver, Action::StepNext);
    assert_eq!(
        shown_batch(&driver),
        Some(2),
        "forward again without running it twice"
    );
    assert_eq!(next_batch_id(&driver), 3);
    for _ in 0..20 {
        act(&mut driver, Action::StepNext);
    }
    assert_eq!(
        shown_batch(&driver),
        Some(9),
        "Spark ran batches 0..=9 on this case"
    );
    let finished = driver.snapshot().unwrap();
    assert!(matches!(finished.mode, Mode::Replay { finished: true, .. }));
    assert_eq!(
        act(&mut driver, Action::StepNext).as_deref(),
        Some("the replay is over")
    );
}

#[test]
fn a_bad_row_shows_and_ends_the_run_with_its_error_once_the_dashboard_closes() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("bad_mid.csv");
    std::fs::write(
        &events,
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:10Z,b\n2,notatime,b\n",
    )
    .unwrap();
    let events = events.to_str().unwrap();
    let mut driver = replay_driver_of(events, &[]);
    act(&mut driver, Action::StepNext);
    assert_eq!(shown_batch(&driver), Some(0));
    act(&mut driver, Action::StepNext);
    assert_eq!(
        shown_batch(&driver),
        Some(1),
        "the batch before the bad row"
    );
    let said = act(&mut driver, Action::StepNext).expect("the error is said");
    let expected = format!("{events}:4: event_time:");
    assert!(said.starts_with(&expected), "{said}");
    assert_eq!(shown_batch(&driver), Some(1), "still shown");
    assert_eq!(
        driver.status().link,
        Link::Stopped,
        "the header says stopped"
    );
    assert_eq!(
        act(&mut driver, Action::StepNext).as_deref(),
        Some("the replay is over")
    );
    let err = driver.outcome().expect_err("the run ends with the bad row");
    assert_eq!(
        format!("{err:#}"),
        said,
        "the message headless replay gives"
    );
    assert_eq!(crate::app::error::exit_status(&err), 2);
}

#[test]
fn a_replay_quit_before_its_end_ends_well() {
    let mut driver = replay_driver("boundaries");
    act(&mut driver, Action::StepNext);
    assert!(driver.outcome().is_ok());
}

#[test]
fn play_and_speed_keys() {
    let mut driver = replay_driver("seed_random");
    act(&mut driver, Action::Pause);
    assert_eq!(driver.playback(), (true, 2.0));
    act(&mut driver, Action::Faster);
    assert_eq!(driver.playback(), (true, 4.0));
    act(&mut driver, Action::Slower);
    act(&mut driver, Action::Slower);
    assert_eq!(driver.playback(), (true, 1.0));
    act(&mut driver, Action::StepNext);
    assert!(!driver.playback().0, "stepping by hand stops playback");
}

#[test]
fn a_sink_that_fails_shows_in_the_sinks_panel_and_its_batch_waits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut driver = replay_driver_with("boundaries", &["--output", out.to_str().unwrap()]);
    act(&mut driver, Action::StepNext);
    let said = act(&mut driver, Action::ToggleFile).unwrap();
    assert_eq!(said, "file sink on");
    // The output folder goes away and a file takes its place: the next batch cannot be
    // written.
    let away = dir.path().join("away");
    std::fs::rename(&out, &away).unwrap();
    std::fs::write(&out, "in the way").unwrap();
    let said = act(&mut driver, Action::StepNext).expect("the error is said");
    assert!(said.contains("out"), "{said}");
    let shown = driver.snapshot().unwrap();
    let file = shown.sinks.iter().find(|s| s.kind == model::SinkKind::File);
    assert!(
        file.and_then(|s| s.error.as_deref()).is_some(),
        "the Sinks panel shows the error: {:?}",
        shown.sinks
    );
    assert!(!driver.playback().0);
    assert_eq!(next_batch_id(&driver), 2, "the engine keeps its state");
    assert_eq!(shown_batch(&driver), Some(0), "batch 1 waits for the sink");

    // Still in the way: the same batch fails again, nothing new runs.
    assert!(act(&mut driver, Action::StepNext).is_some());
    assert_eq!(next_batch_id(&driver), 2);
    // Once there is room, the next step writes the batch that waited, then goes on.
    std::fs::remove_file(&out).unwrap();
    std::fs::rename(&away, &out).unwrap();
    assert_eq!(act(&mut driver, Action::StepNext), None);
    assert_eq!(
        driver.status().notice,
        None,
        "the error is gone once it works"
    );
    assert_eq!(shown_batch(&driver), Some(1));
    act(&mut driver, Action::StepNext);
    assert_eq!(shown_batch(&driver), Some(2));
    let log = out.join("_spark_metadata");
    assert!(
        log.join("1").exists() && log.join("2").exists(),
        "batch 1 was not skipped"
    );
}

#[test]
fn a_replay_quit_while_a_sink_cannot_write_its_batch_ends_in_failure() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out");
    let events = format!(
        "{}/tests/conformance/boundaries/events.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let output_arg = output.to_str().unwrap();
    let mut driver = replay_driver_of(&events, &["--sink", "file", "--output", output_arg]);
    // Each batch's entry goes into the sink's log, `_spark_metadata`: a file in its place
    // fails the first batch's write.
    let log = output.join("_spark_metadata");
    std::fs::remove_dir_all(&log).unwrap();
    std::fs::write(&log, "in the way").unwrap();
    let said = act(&mut driver, Action::StepNext).expect("the sink's error is said");
    let err = driver.outcome().expect_err("a batch the sink never wrote");
    assert!(format!("{err:#}").starts_with(&said), "{err:#} / {said}");
    assert_eq!(crate::app::error::exit_status(&err), 1);
}

/// Whether the snapshot shown says the sink `kind` is on.
fn shown_on(driver: &ReplayDriver, kind: model::SinkKind) -> bool {
    driver
        .snapshot()
        .unwrap()
        .sinks
        .iter()
        .any(|s| s.kind == kind && s.enabled)
}

/// `f` switches the file sink of the run, for the batches to come, wherever the user stepped
/// back to: every batch shown after it says the sink is as `f` left it (it showed the switch
/// only on the newest batch, and the batch on screen still said the opposite), and the next
/// `f` does what the screen says it will.
#[test]
fn a_sink_switched_while_stepped_back_shows_switched_on_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut driver = replay_driver_with("boundaries", &["--output", out.to_str().unwrap()]);
    for _ in 0..4 {
        act(&mut driver, Action::StepNext);
    }
    act(&mut driver, Action::StepPrev);
    act(&mut driver, Action::StepPrev);
    assert_eq!(shown_batch(&driver), Some(1));
    assert!(!shown_on(&driver, model::SinkKind::File));
    assert_eq!(
        act(&mut driver, Action::ToggleFile).as_deref(),
        Some("file sink on")
    );
    assert_eq!(shown_batch(&driver), Some(1), "the view stays where it was");
    assert!(
        shown_on(&driver, model::SinkKind::File),
        "the batch on screen shows the switch"
    );
    let screen = drawn(&driver);
    assert!(screen.contains("file    ● on"), "{screen}");
    // Back, forward, to the newest and past it: the switch shows the same everywhere.
    for (key, batch) in [
        (Action::StepPrev, 0),
        (Action::StepNext, 1),
        (Action::StepNext, 2),
        (Action::StepNext, 3),
        (Action::StepNext, 4),
    ] {
        act(&mut driver, key);
        assert_eq!(shown_batch(&driver), Some(batch));
        assert!(shown_on(&driver, model::SinkKind::File), "batch {batch}");
    }
    // Batch 4 ran with the sink on; the batches before it wrote nothing.
    let written = |driver: &ReplayDriver| {
        let shown = driver.snapshot().unwrap();
        let file = shown.sinks.iter().find(|s| s.kind == model::SinkKind::File);
        file.map_or(0, |s| s.batches)
    };
    assert_eq!(written(&driver), 1);
    act(&mut driver, Action::StepPrev);
    assert_eq!(written(&driver), 0, "what a batch wrote stays that batch's");
    // Off again, from a batch back, with the console sink too.
    act(&mut driver, Action::StepPrev);
    assert_eq!(
        act(&mut driver, Action::ToggleFile).as_deref(),
        Some("file sink off")
    );
    assert_eq!(
        act(&mut driver, Action::ToggleConsole).as_deref(),
        Some("console sink off")
    );
    for key in [Action::StepNext, Action::StepNext, Action::StepPrev] {
        act(&mut driver, key);
        assert!(!shown_on(&driver, model::SinkKind::File));
        assert!(!shown_on(&driver, model::SinkKind::Console));
    }
}

/// The dashboard as it draws the driver's snapshot at 120×40.
fn drawn(driver: &ReplayDriver) -> String {
    let driver_status = Status {
        file_output: "out".into(),
        ..Status::default()
    };
    let snapshot = driver.snapshot().unwrap();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|frame| {
            crate::ui::draw(
                frame,
                &crate::ui::Screen {
                    snapshot: &snapshot,
                    status: &driver_status,
                    view: &crate::ui::view::ViewState::default(),
                    now: snapshot.taken_at,
                    zone: crate::engine::Zone::utc(),
                    theme: crate::ui::theme::Theme::plain(),
                },
            );
        })
        .unwrap();
    terminal.backend().to_string()
}

//! The dashboard as a person sees it: every screen rendered on ratatui's `TestBackend` at 80×24
//! and 120×40 and compared with insta snapshots (`cargo insta review` after a deliberate change).
//!
//! The snapshots come from replaying a corpus case through the real pipeline, with the wall-clock
//! figures (durations, rates, times) pinned so that the pictures are deterministic.
//! This file holds what the parts share, and the tests whose snapshots it names itself.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use window_tui::app::cli;
use window_tui::app::command::dashboard::snapshot::SnapshotBuilder;
use window_tui::app::command::dashboard::{self, SharedBuffer};
use window_tui::app::command::replay::ReplayStepper;
use window_tui::app::config::{Command, ReplayConfig, SinkKind};
use window_tui::app::sink::cells::Cells;
use window_tui::app::sink::console::ConsoleSink;
use window_tui::app::sink::window_text::DEFAULT_PATTERN;
use window_tui::app::sink::{Sink, SinkOpener, SinkSet};
use window_tui::app::source::replay::ReplaySource;
use window_tui::engine::{BatchOutput, MICROS_PER_SECOND, Window, Zone};
use window_tui::ui::keymap::Action;
use window_tui::ui::model::{Link, Mode, Resumed, Snapshot, Status};
use window_tui::ui::theme::Theme;
use window_tui::ui::view::{Panel, ViewState};
use window_tui::ui::{self, Screen};

mod cells;
mod footer;
mod screens;
mod scrolling;
mod sorting;
mod states;
mod watermarks;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn utc() -> Zone {
    Zone::utc()
}

/// `window-tui replay EVENTS QUERY_ARGS`, as the command line makes it.
fn replay_config(events: &Path, query_args: &[&str]) -> ReplayConfig {
    let mut words = vec!["window-tui", "replay", events.to_str().unwrap()];
    words.extend_from_slice(query_args);
    match cli::parse(words).unwrap().into_command(utc()).unwrap() {
        Command::Replay(config) => config,
        _ => unreachable!("a replay command line"),
    }
}

/// A replay of `events` with `query_args` into the sinks `sinks` opens, and a snapshot
/// builder for it in `mode`.
fn open_replay(
    events: &Path,
    query_args: &[&str],
    mode: Mode,
    console: SharedBuffer,
    sinks: impl FnOnce(&Cells) -> SinkSet,
) -> (ReplayStepper<ReplaySource>, SnapshotBuilder) {
    let config = replay_config(events, query_args);
    dashboard::open_replay(
        &config,
        mode,
        Some(Duration::from_secs(15)),
        console,
        |query, _| Ok(sinks(&Cells::new(query, utc(), DEFAULT_PATTERN).unwrap())),
    )
    .unwrap()
}

/// A corpus case with `query_args` after `steps` batches, as a live run at 17:34:31 would show
/// it.
fn replayed(case: &str, query_args: &[&str], steps: usize, mode: Mode) -> Arc<Snapshot> {
    let events = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(case)
        .join("events.csv");
    replayed_file(&events, query_args, steps, mode)
}

/// The file `events` with `query_args` after `steps` batches, as [`replayed`] shows a case.
fn replayed_file(events: &Path, query_args: &[&str], steps: usize, mode: Mode) -> Arc<Snapshot> {
    let console = SharedBuffer::default();
    let (mut stepper, mut builder) =
        open_replay(events, query_args, mode, console.clone(), |cells| {
            let (console, cells) = (console, cells.clone());
            let opener: SinkOpener =
                Box::new(move |_| Ok(Box::new(ConsoleSink::new(console.clone(), cells.clone()))));
            SinkSet::new(opener, &[SinkKind::Console]).unwrap()
        });
    let base = 1_795_455_180 * MICROS_PER_SECOND;
    for step in 0..steps {
        let Some(batch) = stepper.step().unwrap() else {
            break;
        };
        let at = base + (step as i64 + 1) * 15 * MICROS_PER_SECOND;
        builder.record_batch(stepper.pipeline(), &batch, at);
    }
    let now = base + 91 * MICROS_PER_SECOND;
    let snapshot = builder.snapshot(
        stepper.pipeline(),
        steps as u64,
        Some(now + 9 * MICROS_PER_SECOND),
        now,
    );
    Arc::new(pinned(&snapshot))
}

/// Replaces the wall-clock figures with fixed ones.
fn pinned(snapshot: &Snapshot) -> Snapshot {
    let mut s = snapshot.clone();
    s.batches = s
        .batches
        .iter()
        .map(|b| {
            let mut b = (**b).clone();
            b.duration = Duration::from_micros(40 + b.id * 7);
            Arc::new(b)
        })
        .collect();
    let n = s.metrics.input_rate.len();
    s.metrics.input_rate = (0..n).map(|i| (i % 5) as f64 * 0.1 + 0.3).collect();
    s.metrics.processed_rate = (0..n)
        .map(|i| (i % 4) as f64 * 10_000.0 + 5_000.0)
        .collect();
    s.metrics.last_duration = Some(Duration::from_micros(61));
    s.metrics.state_bytes = 2_150;
    s
}

fn live_snapshot(steps: usize) -> Arc<Snapshot> {
    as_live("seed_random", &[], steps)
}

/// A corpus case with `query_args` after `steps` batches, as a live run would show it.
fn as_live(case: &str, query_args: &[&str], steps: usize) -> Arc<Snapshot> {
    replayed(
        case,
        query_args,
        steps,
        Mode::Live {
            source: "127.0.0.1:40213".into(),
        },
    )
}

fn status() -> Status {
    Status {
        link: Link::Connected,
        accepted: 90,
        rejected: 2,
        rate: 0.5,
        paused: false,
        delay: Some(Duration::from_secs(2)),
        speed: None,
        file_output: "output".into(),
        notice: None,
    }
}

fn render(snapshot: &Snapshot, status: &Status, view: &ViewState, size: (u16, u16)) -> String {
    drawn(snapshot, status, view, size, Theme::plain())
        .backend()
        .to_string()
}

/// The screen the tests draw: `snapshot` at its own time, in UTC.
fn screen<'a>(
    snapshot: &'a Snapshot,
    status: &'a Status,
    view: &'a ViewState,
    theme: Theme,
) -> Screen<'a> {
    Screen {
        snapshot,
        status,
        view,
        now: snapshot.taken_at,
        zone: utc(),
        theme,
    }
}

/// The dashboard drawn on a test terminal of `(w, h)` in `theme`.
fn drawn(
    snapshot: &Snapshot,
    status: &Status,
    view: &ViewState,
    (w, h): (u16, u16),
    theme: Theme,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| {
            ui::draw(frame, &screen(snapshot, status, view, theme));
        })
        .unwrap();
    terminal
}

/// `action` on `view` as the render loop applies it in a terminal of `size`: a page key moves
/// by the rows drawn there at once (`ui::pages`).
fn act(view: &mut ViewState, action: Action, snapshot: &Snapshot, size: (u16, u16)) -> bool {
    let status = status();
    let pages = ui::pages(
        &screen(snapshot, &status, view, Theme::plain()),
        Rect::new(0, 0, size.0, size.1),
    );
    view.apply(action, snapshot, pages)
}

fn check(name: &str, snapshot: &Snapshot, status: &Status, view: &ViewState) {
    for size in SIZES {
        insta::assert_snapshot!(
            format!("{name}_{}x{}", size.0, size.1),
            render(snapshot, status, view, size)
        );
    }
}

#[test]
fn main_screen() {
    check("main", &live_snapshot(6), &status(), &ViewState::default());
    // A big terminal: the room goes to the panels' contents.
    insta::assert_snapshot!(
        "main_200x50",
        render(
            &live_snapshot(6),
            &status(),
            &ViewState::default(),
            (200, 50)
        )
    );
}

#[test]
fn help_scrolls_when_it_does_not_fit() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    act(&mut view, Action::Help, &snapshot, (80, 24));
    let top = render(&snapshot, &status(), &view, (80, 24));
    assert!(top.contains("lines 1-22 of 26"), "{top}");
    assert!(!top.contains("Mouse:"), "{top}");
    // A page down goes past the end: the help shows its last lines, not an empty box.
    act(&mut view, Action::PageDown, &snapshot, (80, 24));
    let bottom = render(&snapshot, &status(), &view, (80, 24));
    assert!(
        bottom.contains("Mouse:") && bottom.contains("lines 5-26 of 26"),
        "{bottom}"
    );
    insta::assert_snapshot!("help_scrolled_80x24", bottom);
    // At 120×40 it all fits: nothing to scroll, and no scroll line.
    let tall = render(&snapshot, &status(), &view, (120, 40));
    assert!(tall.contains(" q  ") && !tall.contains("lines "), "{tall}");
}

#[test]
fn too_small() {
    let snapshot = live_snapshot(2);
    for size in [(79, 24), (60, 15)] {
        insta::assert_snapshot!(
            format!("too_small_{}x{}", size.0, size.1),
            render(&snapshot, &status(), &ViewState::default(), size)
        );
    }
}

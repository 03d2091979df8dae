//! The dashboard as a person sees it: every screen rendered on ratatui's `TestBackend` at 80×24
//! and 120×40 and compared with insta snapshots (`cargo insta review` after a deliberate change).
//!
//! The snapshots come from replaying a corpus case through the real pipeline, with the wall-clock
//! figures (durations, rates, times) pinned so that the pictures are deterministic.

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
    let console = SharedBuffer::default();
    let (mut stepper, mut builder) =
        open_replay(&events, query_args, mode, console.clone(), |cells| {
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
            ui::draw(
                frame,
                &Screen {
                    snapshot,
                    status,
                    view,
                    now: snapshot.taken_at,
                    zone: utc(),
                    theme,
                },
            );
        })
        .unwrap();
    terminal
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

/// The query args of a corpus case's `query.env`, as check.py passes them.
fn case_args(case: &str) -> Vec<String> {
    let env = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(case)
        .join("query.env");
    let text = std::fs::read_to_string(env).unwrap();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('"').to_string())
    };
    let mut args = Vec::new();
    for (key, flag) in [
        ("SCHEMA", "--schema"),
        ("EVENT_TIME", "--event-time"),
        ("GROUP_BY", "--group-by"),
        ("AGGS", "--agg"),
        ("WINDOW", "--window"),
        ("SLIDE", "--slide"),
        ("SESSION_GAP", "--session-gap"),
        ("WATERMARK", "--watermark"),
        ("OUTPUT_MODE", "--output-mode"),
    ] {
        if let Some(value) = get(key) {
            args.extend([flag.to_string(), value]);
        }
    }
    args
}

/// A corpus case of the query family after `steps` batches, as a live run shows it.
fn case_snapshot(case: &str, steps: usize) -> Arc<Snapshot> {
    let args = case_args(case);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    as_live(case, &args, steps)
}

#[test]
fn the_modes_view_shows_what_each_mode_emits() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    assert!(view.apply(Action::Modes, &snapshot));
    let modes = snapshot
        .modes
        .as_ref()
        .expect("the dashboard runs the other modes");
    let newest = &modes.ticks[0];
    assert!(
        newest.batches.iter().all(Option::is_some),
        "a data tick: every mode ran a batch"
    );
    let screen = render(&snapshot, &status(), &view, (120, 40));
    for words in [
        "append mode · this run",
        "update mode",
        "complete mode",
        "tick 5",
    ] {
        assert!(screen.contains(words), "{words}:\n{screen}");
    }
    check("modes", &snapshot, &status(), &view);
    // Again closes it.
    assert!(view.apply(Action::Modes, &snapshot));
    assert_eq!(view.overlay, None);
}

#[test]
fn update_mode_with_aggregates_and_its_modes() {
    let snapshot = case_snapshot("q_aggs_update", 6);
    check("aggs_update", &snapshot, &status(), &ViewState::default());
    let mut view = ViewState::default();
    view.apply(Action::Modes, &snapshot);
    check("aggs_update_modes", &snapshot, &status(), &view);
}

#[test]
fn sessions_in_open_windows_and_no_update_mode() {
    let snapshot = case_snapshot("q_session_aggs", 8);
    check("sessions", &snapshot, &status(), &ViewState::default());
    let modes = snapshot.modes.as_ref().unwrap();
    assert!(
        modes.notes[1]
            .as_deref()
            .is_some_and(|n| n.contains("update mode")),
        "{:?}",
        modes.notes
    );
    let mut view = ViewState::default();
    view.apply(Action::Modes, &snapshot);
    check("sessions_modes", &snapshot, &status(), &view);
}

#[test]
fn help_overlay() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    assert!(view.apply(Action::Help, &snapshot));
    check("help", &snapshot, &status(), &view);
}

#[test]
fn a_resumed_run_says_so_and_its_old_windows_do_not_stretch_the_axis() {
    let mut snapshot = (*live_snapshot(6)).clone();
    snapshot.resumed = Some(Resumed {
        batch: 6,
        from: "./checkpoint".into(),
        age: Some(Duration::from_secs(12 * 60 + 5)),
        at: snapshot.taken_at - 5 * MICROS_PER_SECOND,
    });
    // A window from before the stop, twelve minutes back, still in the state.
    let mut open = (*snapshot.open).clone();
    let mut old = open.windows[0].clone();
    old.window = Window {
        start: old.window.start - 720 * MICROS_PER_SECOND,
        end: old.window.end - 720 * MICROS_PER_SECOND,
    };
    old.text = "172130-172200".into();
    open.windows.insert(0, old);
    snapshot.open = Arc::new(open);
    let wide = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    let header = wide.lines().next().unwrap();
    assert!(
        header.contains("resumed at batch 6 from ./checkpoint, 12 min old"),
        "{header}"
    );
    let narrow = render(&snapshot, &status(), &ViewState::default(), (80, 24));
    assert!(
        narrow
            .lines()
            .next()
            .unwrap()
            .contains("resumed at batch 6"),
        "{narrow}"
    );
    // The axis keeps to the windows in play: ticks 15 s apart, the old window not drawn.
    assert!(wide.contains("5 open windows, 1 not drawn"), "{wide}");
    assert!(
        wide.contains("17:33:45") && !wide.contains("17:21"),
        "{wide}"
    );
    check("resumed", &snapshot, &status(), &ViewState::default());
    // A minute on, the note gives way to the batch and the trigger when the line is short.
    snapshot.resumed.as_mut().unwrap().at -= 60 * MICROS_PER_SECOND;
    let later = render(&snapshot, &status(), &ViewState::default(), (80, 24));
    let header = later.lines().next().unwrap();
    assert!(
        header.contains("batch 5 (data)") && !header.contains("resumed"),
        "{header}"
    );
}

#[test]
fn help_scrolls_when_it_does_not_fit() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    view.apply(Action::Help, &snapshot);
    let top = render(&snapshot, &status(), &view, (80, 24));
    assert!(top.contains("lines 1-22 of 25"), "{top}");
    assert!(!top.contains("Mouse:"), "{top}");
    // A page down goes past the end: the help shows its last lines, not an empty box.
    view.apply(Action::PageDown, &snapshot);
    let bottom = render(&snapshot, &status(), &view, (80, 24));
    assert!(
        bottom.contains("Mouse:") && bottom.contains("lines 4-25 of 25"),
        "{bottom}"
    );
    insta::assert_snapshot!("help_scrolled_80x24", bottom);
    // At 120×40 it all fits: nothing to scroll, and no scroll line.
    let tall = render(&snapshot, &status(), &view, (120, 40));
    assert!(tall.contains(" q  ") && !tall.contains("lines "), "{tall}");
}

#[test]
fn paused_with_a_notice() {
    let mut paused = status();
    paused.paused = true;
    paused.notice = Some("source paused".into());
    // At 80×24 the footer gives way to the notice: fewer keys, the whole message.
    let narrow = render(&live_snapshot(6), &paused, &ViewState::default(), (80, 24));
    let footer = narrow.lines().last().unwrap();
    assert!(
        footer.contains("· source paused") && footer.contains("q quit"),
        "{footer}"
    );
    check("paused", &live_snapshot(6), &paused, &ViewState::default());
}

#[test]
fn a_batch_opened_in_full() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    view.apply(Action::FocusNext, &snapshot);
    assert_eq!(view.focus, Panel::Batches);
    view.apply(Action::Down, &snapshot);
    view.apply(Action::Open, &snapshot);
    check("batch_detail", &snapshot, &status(), &view);
}

#[test]
fn sorted_by_count_with_late_rows() {
    let snapshot = as_live("boundaries", &[], 10);
    let mut view = ViewState::default();
    view.apply(Action::Sort, &snapshot);
    check("late_and_sorted", &snapshot, &status(), &view);
}

#[test]
fn a_click_focuses_a_panel_and_the_wheel_scrolls_the_one_under_it() {
    let snapshot = as_live("boundaries", &[], 10);
    let area = Rect::new(0, 0, 80, 24);
    let mut view = ViewState::default();
    // A click on the Late data panel (bottom middle at 80×24) focuses it.
    view.click(ui::panel_at(area, 40, 20).unwrap());
    assert_eq!(view.focus, Panel::Late);
    // The wheel over Open windows scrolls it; the focus stays.
    view.wheel(ui::panel_at(area, 5, 12), 1, &snapshot);
    assert_eq!(
        (view.focus, view.windows_offset, view.late_offset),
        (Panel::Late, 1, 0)
    );
    // Over the footer, it scrolls the focused panel.
    view.wheel(ui::panel_at(area, 5, 23), 1, &snapshot);
    assert_eq!(view.late_offset, 1);
    view.wheel(None, -1, &snapshot);
    assert_eq!(view.late_offset, 0);
    // With the help open, a click does not move the focus and the wheel scrolls the help.
    view.apply(Action::Help, &snapshot);
    view.click(Panel::Sinks);
    view.wheel(Some(Panel::Sinks), 1, &snapshot);
    assert_eq!((view.focus, view.overlay_offset), (Panel::Late, 1));
}

#[test]
fn replay_stepping() {
    let mut snapshot = (*replayed(
        "uneven_slide",
        &[
            "--window",
            "25 seconds",
            "--slide",
            "10 seconds",
            "--watermark",
            "5 seconds",
        ],
        5,
        Mode::Replay {
            file: "uneven_slide/events.csv".into(),
            finished: false,
        },
    ))
    .clone();
    snapshot.next_trigger = None;
    let status = Status {
        link: Link::File,
        accepted: 120,
        rejected: 0,
        rate: 0.0,
        paused: false,
        delay: None,
        speed: None,
        file_output: "output".into(),
        notice: None,
    };
    check("replay", &snapshot, &status, &ViewState::default());
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

/// `events` replayed with the seed's query into the sink `opener` opens for `kind`, up to and
/// including its first batch, which the returned builder has recorded.
fn first_batch(
    events: &Path,
    opener: impl FnOnce(&Cells) -> SinkOpener,
    kind: SinkKind,
) -> (ReplayStepper<ReplaySource>, SnapshotBuilder) {
    let (mut stepper, mut builder) = open_replay(
        events,
        &[],
        Mode::Live { source: "x".into() },
        SharedBuffer::default(),
        |cells| SinkSet::new(opener(cells), &[kind]).unwrap(),
    );
    let batch = stepper.step().unwrap().unwrap();
    builder.record_batch(stepper.pipeline(), &batch, 0);
    (stepper, builder)
}

#[test]
fn a_frame_with_a_thousand_open_keys_draws() {
    // Many values in one batch: the Open windows panel lists them, the title counts them all.
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    let mut text = String::from("batch,event_time,value\n");
    for i in 0..500 {
        writeln!(text, "0,2026-11-23T17:33:{:02}.000000Z,v{i:03}", 20 + i % 5).unwrap();
    }
    std::fs::write(&events, text).unwrap();
    let opener = |cells: &Cells| -> SinkOpener {
        let cells = cells.clone();
        Box::new(move |_| {
            Ok(Box::new(ConsoleSink::new(
                SharedBuffer::default(),
                cells.clone(),
            )))
        })
    };
    let (stepper, mut builder) = first_batch(&events, opener, SinkKind::Console);
    let snapshot = builder.snapshot(stepper.pipeline(), 1, None, 0);
    assert_eq!(snapshot.open.keys, 1000);
    let screen = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    assert!(screen.contains("Open windows · 1,000 keys"), "{screen}");
}

/// A file sink on a full disk from batch 1 on.
struct FullFromBatchOne;

impl Sink for FullFromBatchOne {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        if batch.id == 0 {
            return Ok(());
        }
        Err(anyhow::Error::from(std::io::Error::from_raw_os_error(28))
            .context("cannot write output/window=173330-173400"))
    }

    fn describe(&self) -> String {
        "FileSink[output]".into()
    }
}

#[test]
fn a_failing_sink_shows_in_the_sinks_panel_and_the_engine_keeps_its_state() {
    let events =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/seed_random/events.csv");
    let opener = |_: &Cells| -> SinkOpener { Box::new(|_| Ok(Box::new(FullFromBatchOne))) };
    let (mut stepper, mut builder) = first_batch(&events, opener, SinkKind::File);
    let keys_before = stepper.pipeline().engine().state_rows();
    assert!(keys_before > 0);

    let err = format!("{:#}", stepper.step().unwrap_err());
    assert!(err.contains("No space left on device"), "{err}");
    // The failed batch ran in the engine and stays there, waiting for the sink.
    assert!(stepper.pipeline().has_unwritten());
    assert_eq!(stepper.pipeline().engine().next_batch_id(), 2);
    assert!(stepper.pipeline().engine().state_rows() >= keys_before);

    let snapshot = pinned(&builder.snapshot(stepper.pipeline(), 2, None, 0));
    assert!(
        snapshot.open.keys > 0,
        "the Open windows panel keeps its rows"
    );
    for (size, shows) in [
        ((80, 24), "✗ cannot write output/window=173330-"),
        (
            (120, 40),
            "✗ cannot write output/window=173330-173400: No space left on device",
        ),
    ] {
        let screen = render(&snapshot, &status(), &ViewState::default(), size);
        // The panel's text, its lines joined (a long error goes on over several).
        let sinks_panel: String = screen
            .lines()
            .filter_map(|line| line.rsplit_once('│').and_then(|(l, _)| l.rsplit_once('│')))
            .map(|(_, inner)| inner.trim())
            .collect();
        assert!(sinks_panel.contains(shows), "{size:?}:\n{screen}");
    }
    check("sink_error", &snapshot, &status(), &ViewState::default());
}

/// A replay opened on a checkpoint another replay left says in its snapshot where it resumed.
#[test]
fn a_checkpointed_replay_opened_again_says_where_it_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let events =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/seed_random/events.csv");
    let checkpoint = dir.path().join("ckpt");
    let args = ["--checkpoint", checkpoint.to_str().unwrap()];
    let console = SharedBuffer::default();
    let sinks = |cells: &Cells| {
        let cells = cells.clone();
        let console = SharedBuffer::default();
        let opener: SinkOpener =
            Box::new(move |_| Ok(Box::new(ConsoleSink::new(console.clone(), cells.clone()))));
        SinkSet::new(opener, &[SinkKind::Console]).unwrap()
    };
    let mode = || Mode::Replay {
        file: "events.csv".into(),
        finished: false,
    };
    {
        let (mut stepper, _) = open_replay(&events, &args, mode(), console.clone(), sinks);
        for _ in 0..3 {
            stepper.step().unwrap().unwrap();
        }
    }
    let (stepper, mut builder) = open_replay(&events, &args, mode(), console, sinks);
    let snapshot = builder.snapshot(stepper.pipeline(), 0, None, 0);
    let resumed = snapshot.resumed.as_ref().expect("the resume is told");
    assert_eq!(resumed.batch, 3);
    assert_eq!(resumed.from, checkpoint.display().to_string());
}

/// The modes and batch overlays scroll to their last line and no further (the render loop
/// brings an offset past `overlay_scroll_limit` back to it).
#[test]
fn the_modes_and_batch_overlays_scroll_no_further_than_their_end() {
    let snapshot = live_snapshot(6);
    let status = status();
    let size = (80, 24);
    let area = Rect::new(0, 0, size.0, size.1);
    let last_inner_row = |view: &ViewState| {
        let screen = render(&snapshot, &status, view, size);
        // The row above the overlay's bottom border.
        let rows: Vec<&str> = screen.lines().collect();
        let border = rows.iter().rposition(|r| r.contains('└')).unwrap();
        rows[border - 1]
            .trim_matches(|c| c == '"' || c == '│' || c == ' ')
            .to_string()
    };
    let limit_of = |view: &ViewState| {
        ui::overlay_scroll_limit(
            &Screen {
                snapshot: &snapshot,
                status: &status,
                view,
                now: snapshot.taken_at,
                zone: utc(),
                theme: Theme::plain(),
            },
            area,
        )
    };
    let mut modes = ViewState::default();
    assert!(modes.apply(Action::Modes, &snapshot));
    let limit = limit_of(&modes);
    assert!(limit > 0 && limit < 1_000, "{limit}");
    modes.overlay_offset = limit;
    assert!(!last_inner_row(&modes).is_empty(), "the last band shows");
    modes.overlay_offset = limit + 1;
    assert!(last_inner_row(&modes).is_empty(), "past the end");
    // A batch's table that fits does not scroll; its closing line shows.
    let mut batch = ViewState {
        focus: Panel::Batches,
        ..ViewState::default()
    };
    assert!(batch.apply(Action::Open, &snapshot));
    batch.overlay_offset = limit_of(&batch);
    assert!(limit_of(&batch) < 40);
    assert!(
        last_inner_row(&batch).is_empty()
            || render(&snapshot, &status, &batch, size).contains("+-")
    );
}

/// A large state, and rows the state limit refused, show as warnings in Metrics.
#[test]
fn a_large_or_full_state_is_a_warning() {
    let theme = Theme::colored();
    let style_of = |state_rows: u64, refused_rows: u64, needle: &str| {
        let mut snapshot = (*live_snapshot(3)).clone();
        snapshot.metrics.state_rows = state_rows;
        snapshot.metrics.refused_rows = refused_rows;
        let terminal = drawn(
            &snapshot,
            &status(),
            &ViewState::default(),
            (120, 40),
            Theme::colored(),
        );
        let buffer = terminal.backend().buffer().clone();
        let text = terminal.backend().to_string();
        let (row, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"));
        let column = line[..line.find(needle).unwrap()].chars().count() - 1;
        buffer[(
            u16::try_from(column).unwrap() + 1,
            u16::try_from(row).unwrap(),
        )]
            .fg
    };
    let warn = theme.warn.fg.unwrap();
    assert_ne!(style_of(12, 0, "state 12 rows"), warn);
    assert_eq!(style_of(2_000_000, 0, "state 2,000,000 rows"), warn);
    assert_eq!(style_of(12, 7, "full, 7 refused"), warn);
}

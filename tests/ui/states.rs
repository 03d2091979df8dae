//! Unusual states drawn: a thousand open keys, a failing sink, a checkpointed replay opened
//! again, overlays scrolled to their end, a large or full state, more late pairs than listed.

use super::*;

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
    // Before its first batch, it shows the windows the checkpoint left open.
    assert!(
        !snapshot.open.windows.is_empty() && snapshot.open.keys > 0,
        "{:?}",
        snapshot.open
    );
    assert_eq!(snapshot.open.keys, stepper.pipeline().engine().state_rows());
    let screen = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    assert!(
        !screen.contains("no open window") && !screen.contains("nothing open"),
        "{screen}"
    );
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
        ui::overlay_scroll_limit(&screen(&snapshot, &status, view, Theme::plain()), area)
    };
    let mut modes = ViewState::default();
    assert!(act(&mut modes, Action::Modes, &snapshot, (80, 24)));
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
    assert!(act(&mut batch, Action::Open, &snapshot, (80, 24)));
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

/// Rows without an event time (input rows in no window, as in Spark) show in Metrics once
/// some came, as a warning; none, and the line says nothing of them.
#[test]
fn rows_without_an_event_time_show_once_some_came() {
    let text_with = |rows_without_time: u64| {
        let mut snapshot = (*live_snapshot(3)).clone();
        snapshot.metrics.rows_without_time = rows_without_time;
        render(&snapshot, &status(), &ViewState::default(), (120, 40))
    };
    assert!(!text_with(0).contains("no time"));
    assert!(
        text_with(1_234).contains("· no time 1,234"),
        "{}",
        text_with(1_234)
    );
}

/// Late data's title counts every late pair, and the list keeps fewer (16 a batch): the title
/// says how many it lists then, as Open windows does of its keys; not when it lists them all.
#[test]
fn the_late_title_says_when_it_lists_fewer_pairs_than_it_counts() {
    let snapshot = super::scrolling::many_rows();
    assert_eq!(
        (snapshot.metrics.late_pairs, snapshot.late.len()),
        (24, 16),
        "24 late pairs, 16 of them kept"
    );
    let mut all = (*snapshot).clone();
    all.metrics.late_pairs = 16;
    for size in SIZES {
        let screen = render(&snapshot, &status(), &ViewState::default(), size);
        assert!(
            screen.contains("┌ Late data · 16 of 24 pairs ─"),
            "{size:?}:\n{screen}"
        );
        let screen = render(&all, &status(), &ViewState::default(), size);
        assert!(
            screen.contains("┌ Late data · 16 pairs ─"),
            "{size:?}:\n{screen}"
        );
    }
}

/// A count too long for the Late data panel's title at 80 columns is shortened, not left out:
/// the count in all without the list's, then the count alone.
#[test]
fn the_late_title_shortens_a_long_count_rather_than_leave_it_out() {
    let snapshot = super::scrolling::many_rows();
    let (narrow, wide) = (SIZES[0], SIZES[1]);
    let mut many = (*snapshot).clone();
    many.metrics.late_pairs = 1_234_567;
    let screen = render(&many, &status(), &ViewState::default(), narrow);
    assert!(
        screen.contains("┌ Late data · 1,234,567 pairs ─"),
        "{narrow:?}:\n{screen}"
    );
    let screen = render(&many, &status(), &ViewState::default(), wide);
    assert!(
        screen.contains("┌ Late data · 16 of 1,234,567 pairs ─"),
        "{wide:?}:\n{screen}"
    );
    many.metrics.late_pairs = 123_456_789_012;
    let screen = render(&many, &status(), &ViewState::default(), narrow);
    assert!(
        screen.contains("┌ Late data · 123,456,789,012 ─"),
        "{narrow:?}:\n{screen}"
    );
}

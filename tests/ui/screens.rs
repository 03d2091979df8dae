//! The dashboard's screens after replaying corpus cases: the modes view, update mode with
//! aggregates, sessions, the help, a resumed run, a pause, a batch opened, a sort, the mouse
//! and stepping a replay.

use super::*;

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
    assert!(act(&mut view, Action::Modes, &snapshot, (80, 24)));
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
    assert!(act(&mut view, Action::Modes, &snapshot, (80, 24)));
    assert_eq!(view.overlay, None);
}

#[test]
fn update_mode_with_aggregates_and_its_modes() {
    let snapshot = case_snapshot("q_aggs_update", 6);
    check("aggs_update", &snapshot, &status(), &ViewState::default());
    let mut view = ViewState::default();
    act(&mut view, Action::Modes, &snapshot, (80, 24));
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
    act(&mut view, Action::Modes, &snapshot, (80, 24));
    check("sessions_modes", &snapshot, &status(), &view);
}

#[test]
fn help_overlay() {
    let snapshot = live_snapshot(6);
    let mut view = ViewState::default();
    assert!(act(&mut view, Action::Help, &snapshot, (80, 24)));
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
    act(&mut view, Action::FocusNext, &snapshot, (80, 24));
    assert_eq!(view.focus, Panel::Batches);
    act(&mut view, Action::Down, &snapshot, (80, 24));
    act(&mut view, Action::Open, &snapshot, (80, 24));
    check("batch_detail", &snapshot, &status(), &view);
}

#[test]
fn sorted_by_count_with_late_rows() {
    let snapshot = as_live("boundaries", &[], 10);
    let mut view = ViewState::default();
    act(&mut view, Action::Sort, &snapshot, (80, 24));
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
    act(&mut view, Action::Help, &snapshot, (80, 24));
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

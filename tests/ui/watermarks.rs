//! What the Watermark panel says about the windows' fate in each output mode, and before the
//! first event (no watermark yet).

use super::*;

/// Complete mode keeps every window: nothing is marked closing and no close is counted down.
#[test]
fn complete_mode_marks_no_window_closing() {
    let snapshot = as_live("seed_random", &["--output-mode", "complete"], 6);
    for size in SIZES {
        let screen = render(&snapshot, &status(), &ViewState::default(), size);
        assert!(
            !screen.contains("closing") && !screen.contains("next close"),
            "{screen}"
        );
        assert!(screen.contains("complete mode evicts nothing"), "{screen}");
    }
    check("complete", &snapshot, &status(), &ViewState::default());
}

/// Update mode drops a window the watermark passed without emitting it: evicted, not closed.
#[test]
fn update_mode_says_evicted_not_closing() {
    let snapshot = as_live("seed_random", &["--output-mode", "update"], 6);
    let screen = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    assert!(
        !screen.contains("closing") && !screen.contains("next close"),
        "{screen}"
    );
    assert!(
        screen.contains("evicted") && screen.contains("next eviction"),
        "{screen}"
    );
}

/// A replay of the seed case after `steps` batches, as the replay dashboard shows it.
fn replay_at(steps: usize) -> Snapshot {
    let mut snapshot = (*replayed(
        "seed_random",
        &[],
        steps,
        Mode::Replay {
            file: "seed_random/events.csv".into(),
            finished: false,
        },
    ))
    .clone();
    snapshot.next_trigger = None;
    snapshot
}

/// Before any event there is no watermark: the initial one (epoch 0) shows as none, not as
/// midnight, on the axis, under it and in the modes view.
#[test]
fn the_initial_watermark_is_no_midnight() {
    let first = replay_at(0);
    let status = Status {
        link: Link::File,
        ..status()
    };
    let screen = render(&first, &status, &ViewState::default(), (80, 24));
    assert!(!screen.contains("00:00:00"), "{screen}");
    assert!(!screen.contains("23:59"), "{screen}");
    assert!(screen.contains("no event yet"), "{screen}");
    check("first_screen", &first, &status, &ViewState::default());
    // Batch 0 ran with the initial watermark: none yet, though an event came.
    let batch0 = replay_at(1);
    assert_eq!(batch0.watermark, 0);
    let screen = render(&batch0, &status, &ViewState::default(), (120, 40));
    assert!(!screen.contains("00:00:00"), "{screen}");
    assert!(screen.contains("wm —"), "{screen}");
    let mut view = ViewState::default();
    act(&mut view, Action::Modes, &batch0, (120, 40));
    let modes = render(&batch0, &status, &view, (120, 40));
    assert!(
        !modes.contains("00:00:00") && modes.contains("wm —"),
        "{modes}"
    );
}

/// Once the stream is over no trigger nor close comes: no countdown, no window marked closing,
/// and in append mode the windows still open are said never to be emitted.
#[test]
fn a_finished_stream_counts_down_to_nothing() {
    let mut replay = replay_at(20);
    replay.mode = Mode::Replay {
        file: "seed_random/events.csv".into(),
        finished: true,
    };
    let mut live = (*live_snapshot(20)).clone();
    // The last tick's trigger time, passed.
    live.next_trigger = Some(live.taken_at - MICROS_PER_SECOND);
    let over = Status {
        link: Link::Finished,
        ..status()
    };
    let file = Status {
        link: Link::File,
        ..status()
    };
    for (snapshot, status) in [(&replay, &file), (&live, &over)] {
        assert!(!snapshot.open.windows.is_empty(), "windows left open");
        for size in SIZES {
            let screen = render(snapshot, status, &ViewState::default(), size);
            for gone in ["next trigger", "next close", "closing"] {
                assert!(!screen.contains(gone), "{gone}: {screen}");
            }
            assert!(screen.contains("never emitted"), "{screen}");
        }
    }
    check("finished", &replay, &file, &ViewState::default());
    check("stream_over", &live, &over, &ViewState::default());
}

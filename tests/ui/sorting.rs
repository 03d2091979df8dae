//! The Open windows panel's orders, named after the query's columns in its title and the help.

use super::*;

/// A replay of a few rows of `user`s and their `bytes`, maxed and counted per user, after its
/// first batch.
fn users() -> Arc<Snapshot> {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("ev.csv");
    std::fs::write(
        &events,
        "batch,ts,user,bytes\n\
         0,2026-11-23T17:33:01Z,bob,10\n\
         0,2026-11-23T17:33:02Z,alice,30\n\
         0,2026-11-23T17:33:04Z,bob,20\n",
    )
    .unwrap();
    let args = [
        "--schema",
        "ts TIMESTAMP, user STRING, bytes LONG",
        "--event-time",
        "ts",
        "--group-by",
        "user",
        "--agg",
        "max(bytes),count",
        "--watermark",
        "10s",
    ];
    let mode = Mode::Replay {
        file: "ev.csv".into(),
        finished: false,
    };
    replayed_file(&events, &args, 1, mode)
}

#[test]
fn the_sort_key_names_the_group_by_and_the_aggregate() {
    let snapshot = users();
    let mut view = ViewState::default();
    act(&mut view, Action::Help, &snapshot, (120, 40));
    let help = render(&snapshot, &status(), &view, (120, 40));
    assert!(
        help.contains("sort Open windows by window, max(bytes) or user"),
        "{help}"
    );
    assert!(!help.contains("value"), "{help}");
    let mut view = ViewState::default();
    act(&mut view, Action::Sort, &snapshot, (120, 40));
    let by_max = render(&snapshot, &status(), &view, (120, 40));
    assert!(by_max.contains("Open windows · by max(bytes)"), "{by_max}");
    act(&mut view, Action::Sort, &snapshot, (120, 40));
    let by_user = render(&snapshot, &status(), &view, (120, 40));
    assert!(by_user.contains("Open windows · by user"), "{by_user}");
    let alice = by_user.find(" alice").unwrap();
    assert!(alice < by_user.find(" bob").unwrap(), "{by_user}");
}

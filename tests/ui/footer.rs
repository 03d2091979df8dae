//! Notices longer than the footer, and a replay stopped on an error.

use super::*;

/// A notice too long for the line keeps its start and its end: the file written, the error.
#[test]
fn a_long_notice_keeps_its_end() {
    let snapshot = live_snapshot(6);
    let notice = "staged the 120 rows in ./staged (2 files, 1 idle): \
                  spark-submit ./window_append_streaming.py";
    let status = Status {
        notice: Some(notice.into()),
        ..status()
    };
    for size in SIZES {
        let screen = render(&snapshot, &status, &ViewState::default(), size);
        let footer = screen.lines().last().unwrap();
        assert!(
            footer.contains("staged the")
                && footer.contains("spark-submit ./window_append_streaming.py"),
            "{footer}"
        );
    }
}

/// A replay that stopped on a bad row says so in the header, and its error's end shows.
#[test]
fn a_replay_stopped_on_an_error_says_so() {
    let mut snapshot = (*live_snapshot(0)).clone();
    snapshot.mode = Mode::Replay {
        file: "ev.csv".into(),
        finished: false,
    };
    snapshot.next_trigger = None;
    let status = Status {
        link: Link::Stopped,
        notice: Some("/tmp/some/where/ev.csv:4: bytes: '12x' is not a valid BIGINT".into()),
        ..status()
    };
    let screen = render(&snapshot, &status, &ViewState::default(), (80, 24));
    let header = screen.lines().next().unwrap();
    assert!(header.contains("stopped on an error"), "{header}");
    let footer = screen.lines().last().unwrap();
    assert!(
        footer.contains("ev.csv:4: bytes: '12x' is not a valid BIGINT"),
        "{footer}"
    );
    check("stopped", &snapshot, &status, &ViewState::default());
}

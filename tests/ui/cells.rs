//! Keys that are not plain ASCII: wide (CJK, emoji) and control characters take the columns a
//! terminal gives them, in the Open windows table and in a batch opened in full.

use unicode_width::UnicodeWidthStr;

use super::*;

/// The rows of the wide-cells repro: ASCII, emoji and CJK, NUL and ESC, and a long CJK key.
fn wide_keys_snapshot() -> Snapshot {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    let long = "日本".repeat(40);
    let text = format!(
        "batch,event_time,value\n0,2026-11-23T17:33:14Z,ok1\n0,2026-11-23T17:33:14Z,emoji😀日本語\n\
         0,2026-11-23T17:33:14Z,\"a\0b\0c\"\n0,2026-11-23T17:33:14Z,\"x\x1b[2Jy\"\n\
         0,2026-11-23T17:33:14Z,{long}\n"
    );
    std::fs::write(&events, text).unwrap();
    let console = SharedBuffer::default();
    let (mut stepper, mut builder) = open_replay(
        &events,
        &["--output-mode", "complete"],
        Mode::Replay {
            file: "events.csv".into(),
            finished: false,
        },
        console.clone(),
        |cells| {
            let cells = cells.clone();
            let opener: SinkOpener =
                Box::new(move |_| Ok(Box::new(ConsoleSink::new(console.clone(), cells.clone()))));
            SinkSet::new(opener, &[SinkKind::Console]).unwrap()
        },
    );
    let batch = stepper.step().unwrap().unwrap();
    builder.record_batch(stepper.pipeline(), &batch, 0);
    pinned(&builder.snapshot(stepper.pipeline(), 1, None, 0))
}

/// The rows of a `TestBackend`'s text, without its quotes and notes.
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| {
            let l = l.split("\" Hidden by multi-width").next().unwrap_or(l);
            l.trim_start_matches('"').trim_end_matches('"').to_string()
        })
        .collect()
}

/// The display column where `needle` starts in `line`.
fn column_of(line: &str, needle: &str) -> Option<usize> {
    line.find(needle).map(|at| line[..at].width())
}

#[test]
fn wide_and_control_characters_keep_the_open_windows_columns() {
    let snapshot = wide_keys_snapshot();
    let screen = render(&snapshot, &status(), &ViewState::default(), (120, 40));
    let rows: Vec<String> = rows(&screen)
        .into_iter()
        .filter(|l| l.starts_with("│ 173245-173315"))
        .collect();
    assert_eq!(rows.len(), 5, "{screen}");
    // The panel is 48 columns wide: each row's right border where the panel ends, and the
    // count (1) in the same column on every row.
    let mut count_columns = Vec::new();
    for row in &rows {
        let border = row
            .char_indices()
            .filter(|(_, c)| *c == '│')
            .map(|(at, _)| row[..at].width())
            .nth(1);
        assert_eq!(border, Some(47), "{row:?}\n{screen}");
        count_columns.push(column_of(row, " 1 ").unwrap_or_else(|| panic!("{row:?}")));
    }
    assert!(
        count_columns.windows(2).all(|w| w[0] == w[1]),
        "{count_columns:?}\n{screen}"
    );
    // Control characters show as their pictures; a long key is cut with `…`.
    assert!(
        screen.contains("a␀b␀c") && screen.contains("x␛[2Jy"),
        "{screen}"
    );
    assert!(screen.contains("日本日本日本日… "), "{screen}");
    insta::assert_snapshot!("wide_keys_120x40", screen);
}

#[test]
fn a_batch_with_wide_and_control_characters_opens_with_its_borders() {
    let snapshot = wide_keys_snapshot();
    let mut view = ViewState {
        focus: Panel::Batches,
        ..ViewState::default()
    };
    assert!(act(&mut view, Action::Open, &snapshot, (80, 24)));
    for size in SIZES {
        let screen = render(&snapshot, &status(), &view, size);
        let rows = rows(&screen);
        let top = rows.iter().position(|r| r.contains("┌ Batch 0")).unwrap();
        let bottom = rows.iter().position(|r| r.contains("└ ↑↓ scroll")).unwrap();
        let left = column_of(&rows[top], "┌ Batch 0").unwrap();
        for row in &rows[top + 1..bottom] {
            let at = row
                .char_indices()
                .find(|(at, _)| row[..*at].width() >= left)
                .map(|(at, c)| (row[..at].width(), c));
            assert_eq!(at, Some((left, '│')), "{size:?} {row:?}\n{screen}");
        }
        // Control characters as their pictures, a column each, as the table counts them.
        assert!(
            screen.contains("|173245-173315|a␀b␀c"),
            "{size:?}\n{screen}"
        );
        assert!(
            screen.contains("|173245-173315|x␛[2Jy"),
            "{size:?}\n{screen}"
        );
    }
}

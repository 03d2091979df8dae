//! Panels scrolled to their end: `End` (or `G`) shows the last page, the last row at the
//! bottom of the panel, not the last row alone; a key up then moves at once; an offset left
//! past the end (the rows fewer since, as when a replay steps back) shows the last page too.

use super::*;

/// Twelve keys open in two sliding windows each, then twelve rows too late for theirs: 24
/// open rows and 24 late pairs (16 of them kept), more than either panel shows at 120×40.
pub(super) fn many_rows() -> Arc<Snapshot> {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    let mut text = String::from("batch,event_time,value\n");
    // Batch 2 moves the watermark that drops late rows (the one batch 1 set) to 17:34:15.
    let batches = [
        (0, "17:33:20"),
        (1, "17:34:30"),
        (2, "17:34:31"),
        (3, "17:33:00"),
    ];
    for (batch, time) in batches {
        for key in 1..=12 {
            writeln!(text, "{batch},2026-11-23T{time}Z,k{key:02}").unwrap();
        }
    }
    std::fs::write(&events, text).unwrap();
    let mode = Mode::Live {
        source: "127.0.0.1:40213".into(),
    };
    replayed_file(&events, &[], 10, mode)
}

/// A view with `focus` after `actions`, each on the focused panel.
fn view_after(snapshot: &Snapshot, actions: &[(Panel, Action)]) -> ViewState {
    let mut view = ViewState::default();
    for &(panel, action) in actions {
        view.focus = panel;
        assert!(act(&mut view, action, snapshot, (80, 24)));
    }
    view
}

/// The lines of the panel whose top border starts with `title`, inside its borders.
fn panel_lines(screen: &str, title: &str) -> Vec<String> {
    let rows: Vec<Vec<char>> = screen
        .lines()
        .map(|l| l.trim_matches('"').chars().collect())
        .collect();
    let (top, left) = rows
        .iter()
        .enumerate()
        .find_map(|(y, row)| {
            let text: String = row.iter().collect();
            let at = text.find(&format!("┌ {title}"))?;
            Some((y, text[..at].chars().count()))
        })
        .unwrap_or_else(|| panic!("no {title} in\n{screen}"));
    let right = (left + 1..rows[top].len())
        .find(|&x| rows[top][x] == '┐')
        .unwrap();
    rows[top + 1..]
        .iter()
        .take_while(|row| row[left] != '└')
        .map(|row| row[left + 1..right].iter().collect::<String>())
        .collect()
}

/// `End` on Open windows and on Late data: each shows its last full page.
#[test]
fn end_shows_the_last_page_of_open_windows_and_late_data() {
    let snapshot = many_rows();
    assert_eq!(snapshot.open.shown(), 24);
    assert_eq!(snapshot.late.len(), 16, "the engine keeps 16 a batch");
    let view = view_after(
        &snapshot,
        &[
            (Panel::OpenWindows, Action::Bottom),
            (Panel::Late, Action::Bottom),
        ],
    );
    let last_pair = snapshot.late.last().unwrap();
    for (size, windows_shown, pairs_shown) in [((80, 24), 3, 2), ((120, 40), 14, 3)] {
        let screen = render(&snapshot, &status(), &view, size);
        let open = panel_lines(&screen, "Open windows");
        let rows: Vec<&str> = open[1..].iter().map(|l| l.trim()).collect();
        assert_eq!(rows.len(), windows_shown, "{size:?}:\n{screen}");
        assert!(
            rows.last().unwrap().starts_with("173430-173500 k12"),
            "the last row at the bottom, {size:?}:\n{screen}"
        );
        assert!(
            rows.iter().all(|r| r.starts_with("1734")),
            "a full page, {size:?}:\n{screen}"
        );
        let late = panel_lines(&screen, "Late data");
        let pairs = late.iter().filter(|l| l.contains('"')).count();
        assert_eq!(pairs, pairs_shown, "{size:?}:\n{screen}");
        let last = late.iter().rposition(|l| !l.trim().is_empty()).unwrap();
        assert!(
            late[last].contains(&format!("→ {}", last_pair.window)),
            "the last pair at the bottom, {size:?}:\n{screen}"
        );
        assert!(late.len() - last <= 2, "{size:?}:\n{screen}");
    }
    check("scrolled_to_the_end", &snapshot, &status(), &view);
}

/// After `End`, the render loop brings the offsets back to the last page's
/// (`ui::scroll_limits`): a key up shows one row more at the top at once.
#[test]
fn a_key_up_after_end_moves_at_once() {
    let snapshot = many_rows();
    let status = status();
    let area = Rect::new(0, 0, 80, 24);
    let limits = |view: &ViewState| {
        ui::scroll_limits(&screen(&snapshot, &status, view, Theme::plain()), area)
    };
    let mut view = view_after(
        &snapshot,
        &[
            (Panel::OpenWindows, Action::Bottom),
            (Panel::Late, Action::Bottom),
        ],
    );
    view.keep_within(limits(&view));
    // 24 rows, 3 shown; 16 pairs of two lines, 5 lines shown.
    assert_eq!((view.windows_offset, view.late_offset), (21, 14));
    let before = render(&snapshot, &status, &view, (80, 24));
    for panel in [Panel::OpenWindows, Panel::Late] {
        view.focus = panel;
        act(&mut view, Action::Up, &snapshot, (80, 24));
    }
    view.keep_within(limits(&view));
    assert_eq!((view.windows_offset, view.late_offset), (20, 13));
    let after = render(&snapshot, &status, &view, (80, 24));
    let open = panel_lines(&after, "Open windows");
    assert!(open[1].trim().starts_with("173430-173500 k09"), "{after}");
    assert_ne!(
        panel_lines(&before, "Late data"),
        panel_lines(&after, "Late data")
    );
    // Already at the top, an offset stays.
    let mut top = ViewState::default();
    top.keep_within(limits(&top));
    assert_eq!((top.windows_offset, top.late_offset), (0, 0));
}

/// Offsets past the end (a replay stepped back to a batch with fewer rows, a window closed)
/// show the last page: not one row, and not "no late rows" over a list of them.
#[test]
fn an_offset_past_the_end_shows_the_last_page() {
    let snapshot = many_rows();
    let view = ViewState {
        windows_offset: 1_000,
        late_offset: 1_000,
        ..ViewState::default()
    };
    let ended = view_after(
        &snapshot,
        &[
            (Panel::OpenWindows, Action::Bottom),
            (Panel::Late, Action::Bottom),
        ],
    );
    for size in SIZES {
        let screen = render(&snapshot, &status(), &view, size);
        assert!(!screen.contains("no late rows"), "{screen}");
        assert_eq!(
            screen,
            render(&snapshot, &status(), &ended, size),
            "{size:?}"
        );
    }
}

/// The rows a panel of `screen` shows whole: Open windows' rows (not its column names), Late
/// data's pairs (the window missed ends a pair, on its second line when the panel is narrow).
fn rows_shown(screen: &str, panel: Panel) -> Vec<String> {
    let lines = panel_lines(screen, panel.title());
    match panel {
        Panel::OpenWindows => lines[1..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect(),
        Panel::Late => lines.into_iter().filter(|l| l.contains('→')).collect(),
        _ => unreachable!("a panel of rows"),
    }
}

/// Page down (`PgDn`) moves Open windows and Late data by a page, the rows the panel shows (3
/// rows of Open windows at 80×24, not 10, 7 of them never seen): as many Downs would, the row
/// after the last one shown now at the top; page up comes back.
#[test]
fn a_page_key_moves_by_the_rows_the_panel_shows() {
    let snapshot = many_rows();
    let status = status();
    for size in SIZES {
        let area = Rect::new(0, 0, size.0, size.1);
        let limits = |view: &ViewState| {
            ui::scroll_limits(&screen(&snapshot, &status, view, Theme::plain()), area)
        };
        for panel in [Panel::OpenWindows, Panel::Late] {
            let top = ViewState {
                focus: panel,
                ..ViewState::default()
            };
            let before = render(&snapshot, &status, &top, size);
            let shown = rows_shown(&before, panel).len();
            assert!(shown > 1, "{size:?} {panel:?}:\n{before}");
            let mut paged = top.clone();
            assert!(act(&mut paged, Action::PageDown, &snapshot, size));
            paged.keep_within(limits(&paged));
            let mut stepped = top.clone();
            for _ in 0..shown {
                act(&mut stepped, Action::Down, &snapshot, size);
            }
            stepped.keep_within(limits(&stepped));
            assert_eq!(paged, stepped, "{size:?} {panel:?}: a page is {shown} rows");
            act(&mut paged, Action::PageUp, &snapshot, size);
            assert_eq!(paged, top, "{size:?} {panel:?}: PageUp comes back");
        }
    }
    // 80×24: Open windows shows 3 rows, Late data (narrow: two lines a pair) 2 pairs.
    let mut view = view_after(
        &snapshot,
        &[
            (Panel::OpenWindows, Action::PageDown),
            (Panel::Late, Action::PageDown),
        ],
    );
    assert_eq!((view.windows_offset, view.late_offset), (3, 2));
    let screen = render(&snapshot, &status, &view, (80, 24));
    let open = rows_shown(&screen, Panel::OpenWindows);
    assert!(open[0].trim().starts_with("173415-173445 k04"), "{screen}");
    // At the end, a page down stays at the last page.
    for panel in [Panel::OpenWindows, Panel::Late] {
        view.focus = panel;
        for _ in 0..10 {
            act(&mut view, Action::PageDown, &snapshot, (80, 24));
        }
    }
    let limits = ui::scroll_limits(
        &super::screen(&snapshot, &status, &view, Theme::plain()),
        Rect::new(0, 0, 80, 24),
    );
    view.keep_within(limits);
    assert_eq!((view.windows_offset, view.late_offset), (21, 14));
}

/// Page down in Output batches moves the selection by the batches the panel shows whole: one
/// at 80×24 (the next batch, not the fourth after), all four at 120×40.
#[test]
fn a_page_key_moves_output_batches_by_the_batches_shown() {
    let snapshot = many_rows();
    let ids: Vec<u64> = snapshot.batches.iter().map(|b| b.id).collect();
    assert_eq!(ids, [3, 2, 1, 0]);
    for (size, selected) in [((80, 24), Some(2)), ((120, 40), Some(0))] {
        let mut view = ViewState {
            focus: Panel::Batches,
            ..ViewState::default()
        };
        assert!(act(&mut view, Action::PageDown, &snapshot, size));
        assert_eq!(view.selected_batch, selected, "{size:?}");
        let screen = render(&snapshot, &status(), &view, size);
        assert!(
            screen.contains(&format!("▸ Batch {}", selected.unwrap())),
            "{size:?}:\n{screen}"
        );
        act(&mut view, Action::PageUp, &snapshot, size);
        assert_eq!(view.selected_batch, None, "{size:?}: back to the newest");
    }
}

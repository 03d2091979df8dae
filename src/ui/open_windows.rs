//! The Open windows panel: the state, one row per (window, key) with the group-by values and
//! the running aggregates as `show()` prints them, a bar for the first aggregate; sortable (by
//! window, by the first aggregate, by the group-by values, the first numerically when it is a
//! number) and scrollable.

use std::cmp::Ordering;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::model::OpenKey;
use super::view::{Panel, SortBy};
use super::{Screen, format};

/// The widest a column gets, in terminal columns; longer values are cut with `…`.
const MAX_COLUMN: usize = 16;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (open, theme) = (&screen.snapshot.open, &screen.theme);
    let mut rows: Vec<(&str, &OpenKey, usize)> = open
        .windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.keys.iter().map(move |k| (w.text.as_str(), k, i)))
        .collect();
    match screen.view.sort {
        SortBy::Window => rows.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| by_value(a.1, b.1))),
        SortBy::Count => rows.sort_by(|a, b| {
            b.1.bar
                .partial_cmp(&a.1.bar)
                .unwrap_or(Ordering::Equal)
                .then(a.2.cmp(&b.2))
                .then_with(|| a.1.cells.cmp(&b.1.cells))
        }),
        SortBy::Value => rows.sort_by(|a, b| by_value(a.1, b.1).then(a.2.cmp(&b.2))),
    }
    // Sessions grow and merge: each is a row, its window the session's start and end.
    let sessions = matches!(
        screen.snapshot.query.window(),
        crate::engine::WindowKind::Session { .. }
    );
    let (unit, window_name) = if sessions {
        ("sessions", "session")
    } else {
        ("keys", "window")
    };
    let shown = if rows.len() < open.keys {
        format!(
            "· {} of {} {unit}",
            format::count(rows.len() as u64),
            format::count(open.keys as u64)
        )
    } else {
        format!("· {} {unit}", format::count(open.keys as u64))
    };
    let order = match screen.view.sort {
        SortBy::Window => String::new(),
        sort => format!("· by {} ", sort.label(&screen.snapshot.query)),
    };
    // The order first: it is what a narrow panel keeps.
    let block = screen.block(Panel::OpenWindows, &format!("{order}{shown}"), area);

    let names = &screen.snapshot.query.output_names()[1..];
    let inner = page(area);
    let window_width = rows.iter().map(|r| r.0.width()).max().unwrap_or(6).max(6);
    // Each column as wide as its widest value or name; numbers (the aggregates) to the right.
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            rows.iter()
                .map(|r| r.1.cells.get(c).map_or(0, |v| format::printable(v).width()))
                .max()
                .unwrap_or(0)
                .max(format::printable(name).width())
                .clamp(3, MAX_COLUMN)
        })
        .collect();
    let keys = screen.snapshot.query.group_by().len();
    let max_bar = rows.iter().map(|r| r.1.bar).fold(0.0, f64::max).max(1.0);
    // The borders, a space before the window, a space before each column and one after them.
    let used: usize = 2 + 1 + window_width + widths.iter().map(|w| w + 1).sum::<usize>() + 1;
    let bar_width = (area.width as usize).saturating_sub(used);
    let mut header = format!(" {}", format::fit(window_name, window_width, false));
    for (c, (name, width)) in names.iter().zip(&widths).enumerate() {
        header.push(' ');
        header.push_str(&format::fit(name, *width, c >= keys));
    }
    let mut lines = vec![Line::styled(header, theme.dim)];
    // Scrolled to the end (or past it, the rows fewer since), the last row is at the bottom.
    let offset = screen.view.windows_offset.min(scroll_limit(screen, area));
    for (window, key, _) in rows.iter().skip(offset).take(inner) {
        let mut text = format!(" {}", format::fit(window, window_width, false));
        for (c, width) in widths.iter().enumerate() {
            text.push(' ');
            text.push_str(&format::fit(
                key.cells.get(c).map_or("", String::as_str),
                *width,
                c >= keys,
            ));
        }
        text.push(' ');
        let bar = ((key.bar.max(0.0) / max_bar) * bar_width as f64).ceil() as usize;
        lines.push(Line::from(vec![
            Span::raw(text),
            Span::styled("█".repeat(bar.min(bar_width)), theme.bar),
        ]));
    }
    if rows.is_empty() {
        lines.push(Line::styled(" nothing open: waiting for rows", theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// How far the panel drawn in `area` scrolls: its rows past the first page.
pub fn scroll_limit(screen: &Screen, area: Rect) -> usize {
    screen.snapshot.open.shown().saturating_sub(page(area))
}

/// Rows the panel shows at once in `area`: all but the borders and the column names.
pub fn page(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// The group-by values' order: the first one's, numbers by value (before text), text by its
/// bytes; then the next ones' (as text).
fn by_value(a: &OpenKey, b: &OpenKey) -> Ordering {
    match (a.number, b.number) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cells.first().cmp(&b.cells.first()),
    }
    .then_with(|| a.cells.cmp(&b.cells))
}

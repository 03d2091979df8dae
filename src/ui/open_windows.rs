//! The Open windows panel: the state, window × value → running count, sortable and scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::view::{Panel, SortBy};
use super::{Screen, format};

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (open, theme) = (&screen.snapshot.open, &screen.theme);
    let mut rows: Vec<(&str, &str, u64, usize)> = open
        .windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            w.keys
                .iter()
                .map(move |(v, c)| (w.text.as_str(), v.as_str(), *c, i))
        })
        .collect();
    match screen.view.sort {
        SortBy::Window => {}
        SortBy::Count => rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.3.cmp(&b.3)).then(a.1.cmp(b.1))),
        SortBy::Value => rows.sort_by(|a, b| a.1.cmp(b.1).then(a.3.cmp(&b.3))),
    }
    let shown = if rows.len() < open.keys {
        format!(
            "· {} of {} keys",
            format::count(rows.len() as u64),
            format::count(open.keys as u64)
        )
    } else {
        format!("· {} keys", format::count(open.keys as u64))
    };
    let order = match screen.view.sort {
        SortBy::Window => String::new(),
        sort => format!(" · by {}", sort.label()),
    };
    let block = screen.block(Panel::OpenWindows, &format!("{shown}{order}"));

    let inner = area.height.saturating_sub(3) as usize;
    let window_width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let value_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 16);
    let max_count = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
    let count_width = max_count.to_string().len().max(5);
    let bar_width = (area.width as usize)
        .saturating_sub(2 + window_width + value_width + count_width + 4)
        .min(20);
    let mut lines = vec![Line::styled(
        format!(
            " {:window_width$} {:value_width$} {:>count_width$}",
            "window", "value", "count"
        ),
        theme.dim,
    )];
    let offset = screen.view.windows_offset.min(rows.len().saturating_sub(1));
    for (window, value, count, _) in rows.iter().skip(offset).take(inner) {
        let value: String = value.chars().take(value_width).collect();
        let bar = ((*count as f64 / max_count as f64) * bar_width as f64).ceil() as usize;
        lines.push(Line::from(vec![
            Span::raw(format!(
                " {window:window_width$} {value:value_width$} {count:>count_width$} "
            )),
            Span::styled("█".repeat(bar.min(bar_width)), theme.bar),
        ]));
    }
    if rows.is_empty() {
        lines.push(Line::styled(" nothing open: waiting for rows", theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

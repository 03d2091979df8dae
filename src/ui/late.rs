//! The Late data panel: the latest late pairs, each with the window it missed and the watermark
//! that had closed it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::view::Panel;
use super::{Screen, format, title_room};
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (late, theme) = (&screen.snapshot.late, &screen.theme);
    let block = screen.block(
        Panel::Late,
        &title(screen, title_room(Panel::Late, area)),
        area,
    );
    let narrow = narrow(area);
    // Scrolled to the end (or past it, the pairs fewer since), the last pair is at the bottom.
    let offset = screen.view.late_offset.min(scroll_limit(screen, area));
    let mut lines: Vec<Line> = late
        .iter()
        .skip(offset)
        .flat_map(|row| {
            let value: String = row.key.chars().take(16).collect();
            let at = Span::styled(
                format!(" {} ", format::clock(row.event_time, &screen.zone)),
                theme.dim,
            );
            let missed = Span::raw(format!("→ {}", row.window));
            let wm = Span::styled(
                format!(" wm {}", format::watermark(row.watermark, &screen.zone)),
                theme.warn,
            );
            if narrow {
                vec![
                    Line::from(vec![at, Span::raw(format!("{value:?}"))]),
                    Line::from(vec![Span::raw("  "), missed, wm]),
                ]
            } else {
                vec![Line::from(vec![
                    at,
                    Span::raw(format!("{value:?} ")),
                    missed,
                    wm,
                ])]
            }
        })
        .collect();
    if lines.is_empty() {
        let hint = if screen.is_replay() {
            " no late rows"
        } else {
            " none yet (l sends one)"
        };
        lines.push(Line::styled(hint, theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `· 24 pairs`, the late pairs in all; `· 16 of 24 pairs` when the list holds fewer (a batch
/// keeps its latest [`LATE_SAMPLE`](crate::engine::LATE_SAMPLE) for it, the dashboard its
/// latest [`LATE_HISTORY`](crate::ui::model::LATE_HISTORY)), as Open windows says it of its
/// keys. Shorter where that does not fit in `room` columns: the count in all, then the count
/// alone (`· 12,345,678`), which the title would otherwise leave out.
fn title(screen: &Screen, room: usize) -> String {
    let counted = format::count(screen.snapshot.metrics.late_pairs);
    let listed = screen.snapshot.late.len() as u64;
    let all = format!("· {counted} pairs");
    let candidates = [
        (listed < screen.snapshot.metrics.late_pairs)
            .then(|| format!("· {} of {counted} pairs", format::count(listed))),
        Some(all.clone()),
        Some(format!("· {counted}")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|title| title.width() <= room)
        .unwrap_or(all)
}

/// Narrow: two lines a pair, the window and watermark on the second.
fn narrow(area: Rect) -> bool {
    area.width < 48
}

/// How far the panel drawn in `area` scrolls: its pairs past the first page.
pub fn scroll_limit(screen: &Screen, area: Rect) -> usize {
    screen.snapshot.late.len().saturating_sub(page(area))
}

/// Pairs the panel shows at once in `area` (at least one).
pub fn page(area: Rect) -> usize {
    let lines = area.height.saturating_sub(2) as usize;
    (lines / if narrow(area) { 2 } else { 1 }).max(1)
}

//! The help overlay: every key of the keymap with what it does; it scrolls when the terminal is
//! too short for all of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::view::SortBy;
use super::{Screen, keymap, overlay_area};

/// The widest the help box gets.
const WIDTH: u16 = 86;

/// Every line of the help.
fn lines(screen: &Screen) -> Vec<Line<'static>> {
    let theme = &screen.theme;
    let bindings: Vec<_> = keymap::bindings(screen.is_replay()).collect();
    let key_width = bindings
        .iter()
        .map(|b| b.shown.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:key_width$}  ", b.shown), theme.key),
                Span::raw(named(b.help, screen)),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    for text in [
        " Panels: Watermark (time axis), Open windows (state), Output batches (what",
        " the sinks emitted), Metrics, Late data (dropped pairs), Sinks.",
        " Mouse: a click focuses a panel, the wheel scrolls the panel under it.",
    ] {
        lines.push(Line::styled(text, theme.dim));
    }
    lines
}

/// `help` with the query's columns for `{aggregate}` and `{group-by}` (the names the Open
/// windows panel sorts by).
fn named(help: &str, screen: &Screen) -> String {
    let query = &screen.snapshot.query;
    help.replace("{aggregate}", &SortBy::Count.label(query))
        .replace("{group-by}", &SortBy::Value.label(query))
}

/// Lines of `total` the help shows in `area` (its box has a border above and below).
fn visible(area: Rect, total: usize) -> usize {
    (total + 2).min(area.height as usize).saturating_sub(2)
}

/// Lines the help shows at once in `area`.
pub fn page(screen: &Screen, area: Rect) -> usize {
    visible(area, lines(screen).len())
}

/// How far the help scrolls in `area`: 0 when it all fits.
pub fn scroll_limit(screen: &Screen, area: Rect) -> usize {
    let total = lines(screen).len();
    total - visible(area, total)
}

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let theme = &screen.theme;
    let lines = lines(screen);
    let total = lines.len();
    let rect = overlay_area(frame, area, WIDTH, total as u16 + 2);
    let shown = visible(area, total);
    let first = screen.view.overlay_offset.min(total - shown);
    let mut block = Block::bordered()
        .border_style(theme.focused)
        .title(Line::styled(" Keys · Esc closes ", theme.title));
    if shown < total {
        block = block.title_bottom(Line::styled(
            format!(
                " lines {}-{} of {total} · ↑↓ PgUp PgDn scroll ",
                first + 1,
                first + shown
            ),
            theme.dim,
        ));
    }
    let lines: Vec<Line> = lines.into_iter().skip(first).collect();
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

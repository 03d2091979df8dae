//! The help overlay: every key of the keymap with what it does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Screen, keymap, overlay_area};

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
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
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Panels: Watermark (time axis), Open windows (state), Output batches (what the",
        theme.dim,
    ));
    lines.push(Line::styled(
        " sinks emitted), Metrics, Late data (dropped pairs), Sinks. Esc closes this help.",
        theme.dim,
    ));
    let height = lines.len() as u16 + 2;
    let rect = overlay_area(frame, area, 86, height);
    let lines: Vec<Line> = lines.into_iter().skip(screen.view.overlay_offset).collect();
    let block = Block::bordered()
        .border_style(theme.focused)
        .title(Line::styled(" Keys · Esc closes ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

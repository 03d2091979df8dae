//! The bottom line: the main keys (from the keymap) and the latest notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Screen, keymap};

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let theme = &screen.theme;
    let mut spans = vec![Span::raw(" ")];
    for (key, word) in keymap::footer(screen.is_replay()) {
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::raw(format!(" {word}  ")));
    }
    if let Some(notice) = &screen.status.notice {
        spans.push(Span::styled(format!("· {notice}"), theme.warn));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

//! The bottom line: the latest notice, and the main keys (from the keymap) as many as fit
//! beside it: a notice is never hidden by the keys, and one longer than the line keeps its
//! start and its end.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Screen, format, keymap};

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let theme = &screen.theme;
    let notice = screen.status.notice.as_ref().map(|n| {
        // Too long for the line, it loses its middle: its start and its end (the file
        // written, the error) stay.
        let room = (area.width as usize).saturating_sub(1);
        Span::styled(format::cut_middle(&format!("· {n}"), room), theme.warn)
    });
    let mut room = (area.width as usize).saturating_sub(1 + notice.as_ref().map_or(0, Span::width));
    let mut spans = vec![Span::raw(" ")];
    // A replay that is not playing has no speed.
    let replay = screen.is_replay();
    let paused = if replay {
        screen.status.speed.is_none()
    } else {
        screen.status.paused
    };
    for (key, word) in keymap::footer(replay, paused) {
        let key = Span::styled(key, theme.key);
        let word = Span::raw(format!(" {word}  "));
        // The last key needs no gap after it, unless the notice follows.
        let width = key.width() + word.width() - 2;
        let gap = if notice.is_some() { 2 } else { 0 };
        if width + gap > room {
            break;
        }
        room = room.saturating_sub(width + 2);
        spans.extend([key, word]);
    }
    spans.extend(notice);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

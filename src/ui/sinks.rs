//! The Sinks panel: console and file (and json), on or off, where they write, what they wrote,
//! and the last error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::header::sink_name;
use super::view::Panel;
use super::{Screen, format};
use crate::app::cli::SinkKind;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (snapshot, theme) = (screen.snapshot, &screen.theme);
    let block = screen.block(Panel::Sinks, "");
    let mut lines = Vec::new();
    for kind in [SinkKind::Console, SinkKind::File, SinkKind::Json] {
        let sink = snapshot.sinks.iter().find(|s| s.kind == kind);
        if kind == SinkKind::Json && sink.is_none() {
            continue;
        }
        let on = sink.is_some_and(|s| s.enabled);
        let (mark, style) = if on {
            ("● on ", theme.good)
        } else {
            ("○ off", theme.dim)
        };
        let place = match kind {
            SinkKind::File => format!(" {}", screen.status.file_output),
            SinkKind::Json => " stdout".to_string(),
            SinkKind::Console => String::new(),
        };
        let counts = match kind {
            SinkKind::File => format!(
                "{} files {} rows",
                format::count(sink.map_or(0, |s| s.files)),
                format::count(sink.map_or(0, |s| s.rows))
            ),
            _ => format!(
                "{} batches {} rows",
                format::count(sink.map_or(0, |s| s.batches)),
                format::count(sink.map_or(0, |s| s.rows))
            ),
        };
        let head = vec![
            Span::raw(format!(" {:7} ", sink_name(kind))),
            Span::styled(mark, style),
            Span::raw(place),
        ];
        // Narrow: the figures go on a line of their own.
        if area.width < 44 {
            lines.push(Line::from(head));
            lines.push(Line::styled(format!("   {counts}"), theme.dim));
        } else {
            lines.push(Line::from(
                [head, vec![Span::raw(format!(" · {counts}"))]].concat(),
            ));
        }
        if let Some(error) = sink.and_then(|s| s.error.as_deref()) {
            lines.push(Line::styled(format!("   ✗ {error}"), theme.bad));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

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
        let wrote_nothing = sink.is_none_or(|s| s.batches == 0 && s.rows == 0 && s.files == 0);
        if !on && wrote_nothing {
            // Nothing to count: the line is left for what matters (an error of another sink).
            lines.push(Line::from(head));
        } else if area.width < 44 {
            // Narrow: the figures go on a line of their own.
            lines.push(Line::from(head));
            lines.push(Line::styled(format!("   {counts}"), theme.dim));
        } else {
            lines.push(Line::from(
                [head, vec![Span::raw(format!(" · {counts}"))]].concat(),
            ));
        }
        if let Some(error) = sink.and_then(|s| s.error.as_deref()) {
            let width = usize::from(area.width.saturating_sub(2));
            lines.extend(error_lines(error, width).map(|l| Line::styled(l, theme.bad)));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// An error as lines of at most `width` columns under a `✗`, cut anywhere (errors are mostly
/// paths), so that as much of it shows as the panel has room for.
fn error_lines(error: &str, width: usize) -> impl Iterator<Item = String> {
    let chars: Vec<char> = error.chars().collect();
    let room = width.saturating_sub(5).max(8);
    (0..chars.len()).step_by(room).map(move |at| {
        let lead = if at == 0 { "   ✗ " } else { "     " };
        let part: String = chars[at..(at + room).min(chars.len())].iter().collect();
        format!("{lead}{part}")
    })
}

//! The Sinks panel: console and file (and json), on or off, where they write, what they wrote,
//! and the last error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::header::sink_name;
use super::view::Panel;
use super::{Screen, format};
use crate::ui::model::SinkKind;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (snapshot, theme) = (screen.snapshot, &screen.theme);
    let block = screen.block(Panel::Sinks, "", area);
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
            lines.extend(
                error_lines(error, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.bad)),
            );
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// An error as lines of at most `width` columns under a `✗`, cut anywhere (errors are mostly
/// paths), so that as much of it shows as the panel has room for.
fn error_lines(error: &str, width: usize) -> Vec<String> {
    const LEAD: usize = 5;
    let room = width.saturating_sub(LEAD).max(1);
    let mut lines = vec![String::from("   ✗ ")];
    let mut used = 0;
    for c in error.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room && used > 0 {
            lines.push(" ".repeat(LEAD));
            used = 0;
        }
        lines.last_mut().expect("never empty").push(c);
        used += w;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_goes_on_over_lines_of_the_panel_width() {
        use unicode_width::UnicodeWidthStr;
        let lines = error_lines("cannot write /data/out: 磁盘已满 (os error 28)", 20);
        assert_eq!(lines[0], "   ✗ cannot write /d");
        assert!(lines.iter().all(|l| l.width() <= 20), "{lines:?}");
        let text: String = lines
            .iter()
            .map(|l| l.trim_start().trim_start_matches("✗ "))
            .collect();
        assert_eq!(text, "cannot write /data/out: 磁盘已满 (os error 28)");
        assert_eq!(
            error_lines("", 20),
            ["   ✗ "],
            "the mark shows even with no words"
        );
        assert!(
            error_lines("abc", 0).iter().all(|l| !l.trim().is_empty()),
            "no endless lines"
        );
    }
}

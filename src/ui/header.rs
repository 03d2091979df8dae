//! The top two lines: what is read, how fast, the last batch, the next trigger and the sinks
//! (parts of lower priority are left out when the line would not fit); then the query as Spark
//! code states it, with its output mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Screen, format};
use crate::ui::model::SinkKind;
use crate::ui::model::{Link, Mode};

/// A part of the line and its priority (0 is always shown).
struct Part(u8, Vec<Span<'static>>);

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (snapshot, status, theme) = (screen.snapshot, screen.status, &screen.theme);
    let mut parts = vec![Part(0, vec![Span::styled(" window-tui ▸", theme.title)])];
    match &snapshot.mode {
        Mode::Live { source } => {
            parts.push(Part(0, vec![Span::raw(format!(" live {source}"))]));
            parts.push(Part(
                0,
                vec![match &status.link {
                    Link::Connected => Span::styled(" ● connected", theme.good),
                    Link::Connecting => Span::styled(" ◌ connecting", theme.warn),
                    Link::Retrying(_) => Span::styled(" ○ retrying", theme.bad),
                    Link::Finished => Span::styled(" ■ stream over", theme.warn),
                    Link::File => Span::raw(""),
                }],
            ));
            parts.push(Part(
                2,
                vec![Span::raw(format!("  {} in", format::rate(status.rate)))],
            ));
        }
        Mode::Replay { file, finished } => {
            parts.push(Part(0, vec![Span::raw(format!(" replay {file}"))]));
            if *finished {
                parts.push(Part(0, vec![Span::styled("  ■ finished", theme.warn)]));
            }
        }
    }
    if status.paused {
        parts.push(Part(0, vec![Span::styled("  ⏸ paused", theme.warn)]));
    } else if let Some(speed) = status.speed {
        parts.push(Part(
            0,
            vec![Span::styled(format!("  ▶ {speed} batches/s"), theme.good)],
        ));
    }
    parts.push(Part(
        1,
        vec![match snapshot.batches.first() {
            Some(batch) => Span::raw(format!("  batch {} ({})", batch.id, batch.kind.label())),
            None => Span::styled("  no batch yet", theme.dim),
        }],
    ));
    if let Some(next) = snapshot.next_trigger {
        parts.push(Part(
            1,
            vec![Span::raw(format!(
                "  next trigger {}",
                format::countdown(screen.now, next)
            ))],
        ));
    }
    let mut sinks = vec![Span::raw("  sinks:")];
    for kind in [SinkKind::Console, SinkKind::File, SinkKind::Json] {
        let sink = snapshot.sinks.iter().find(|s| s.kind == kind);
        let (mark, style) = match sink {
            Some(s) if s.error.is_some() => ("✗", theme.bad),
            Some(s) if s.enabled => ("●", theme.good),
            _ if kind == SinkKind::Json => continue,
            _ => ("○", theme.dim),
        };
        sinks.push(Span::raw(format!(" {} ", sink_name(kind))));
        sinks.push(Span::styled(mark, style));
    }
    parts.push(Part(3, sinks));

    let width = |p: &Part| p.1.iter().map(Span::width).sum::<usize>();
    let mut room = area.width as usize;
    let mut keep = vec![false; parts.len()];
    for priority in 0..=3 {
        for (i, part) in parts.iter().enumerate().filter(|(_, p)| p.0 == priority) {
            if width(part) <= room {
                room -= width(part);
                keep[i] = true;
            }
        }
    }
    let spans: Vec<Span> = parts
        .into_iter()
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .flat_map(|(part, _)| part.1)
        .collect();
    let query = format!(
        " {}.writeStream.outputMode(\"{}\")",
        snapshot.query,
        snapshot.query.mode().name()
    );
    let lines = vec![
        Line::from(spans),
        Line::styled(format::cut(&query, area.width as usize), theme.dim),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn sink_name(kind: SinkKind) -> &'static str {
    match kind {
        SinkKind::Console => "console",
        SinkKind::File => "file",
        SinkKind::Json => "json",
    }
}

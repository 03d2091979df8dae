//! The top two lines: what is read, how fast, where a resumed run picked up, the last batch, the
//! next trigger and the sinks (parts of lower priority are shortened, then left out, when the line
//! would not fit); then the query as Spark code states it, with its output mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Screen, format};
use crate::engine::{MICROS_PER_SECOND, Micros};
use crate::ui::model::SinkKind;
use crate::ui::model::{Link, Mode, Resumed};

/// A part of the line and its priority (0 is always shown); the first of its forms that fits
/// is shown.
struct Part {
    priority: u8,
    forms: Vec<Vec<Span<'static>>>,
}

/// A part with one form.
fn part(priority: u8, spans: Vec<Span<'static>>) -> Part {
    Part {
        priority,
        forms: vec![spans],
    }
}

/// How long after the start the resumed note goes before the batch and the trigger.
const RESUMED_NEWS: Micros = 60 * MICROS_PER_SECOND;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (snapshot, status, theme) = (screen.snapshot, screen.status, &screen.theme);
    let mut parts = vec![part(0, vec![Span::styled(" window-tui ▸", theme.title)])];
    parts.extend(source_parts(screen));
    if status.paused {
        parts.push(part(0, vec![Span::styled("  ⏸ paused", theme.warn)]));
    } else if let Some(speed) = status.speed {
        parts.push(part(
            0,
            vec![Span::styled(format!("  ▶ {speed} batches/s"), theme.good)],
        ));
    }
    if let Some(resumed) = &snapshot.resumed {
        parts.push(resumed_part(screen, resumed));
    }
    parts.push(part(
        1,
        vec![match snapshot.batches.first() {
            Some(batch) => Span::raw(format!("  batch {} ({})", batch.id, batch.kind.label())),
            None => Span::styled("  no batch yet", theme.dim),
        }],
    ));
    if let Some(next) = snapshot.next_trigger.filter(|_| !screen.is_over()) {
        parts.push(part(
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
    parts.push(part(3, sinks));

    let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let mut room = area.width as usize;
    let mut chosen = vec![None; parts.len()];
    for priority in 0..=3 {
        for (i, part) in parts.iter().enumerate() {
            if part.priority != priority {
                continue;
            }
            if let Some(form) = part.forms.iter().position(|f| width(f) <= room) {
                room -= width(&part.forms[form]);
                chosen[i] = Some(form);
            }
        }
    }
    let spans: Vec<Span> = parts
        .into_iter()
        .zip(chosen)
        .filter_map(|(part, form)| part.forms.into_iter().nth(form?))
        .flatten()
        .collect();
    // The query as Spark code, with its output mode where that fits (the panels' titles name
    // the mode too), else cut.
    let code = format!(" {}", snapshot.query.code());
    let whole = format!(
        "{code}.writeStream.outputMode(\"{}\")",
        snapshot.query.mode().name()
    );
    let room = area.width as usize;
    let query = if Span::raw(whole.as_str()).width() <= room {
        whole
    } else {
        format::cut(&code, room)
    };
    let lines = vec![Line::from(spans), Line::styled(query, theme.dim)];
    frame.render_widget(Paragraph::new(lines), area);
}

/// What is read: the live source and its link, or the replayed file and whether it finished
/// or stopped on an error.
fn source_parts(screen: &Screen) -> Vec<Part> {
    let (snapshot, status, theme) = (screen.snapshot, screen.status, &screen.theme);
    let mut parts = Vec::new();
    match &snapshot.mode {
        Mode::Live { source } => {
            parts.push(part(0, vec![Span::raw(format!(" live {source}"))]));
            parts.push(part(
                0,
                vec![match &status.link {
                    Link::Connected => Span::styled(" ● connected", theme.good),
                    Link::Connecting => Span::styled(" ◌ connecting", theme.warn),
                    Link::Retrying(_) => Span::styled(" ○ retrying", theme.bad),
                    Link::Finished => Span::styled(" ■ stream over", theme.warn),
                    Link::File | Link::Stopped => Span::raw(""),
                }],
            ));
            parts.push(part(
                2,
                vec![Span::raw(format!("  {} in", format::rate(status.rate)))],
            ));
        }
        Mode::Replay { file, finished } => {
            parts.push(part(0, vec![Span::raw(format!(" replay {file}"))]));
            if status.link == Link::Stopped {
                parts.push(part(
                    0,
                    vec![Span::styled("  ✗ stopped on an error", theme.bad)],
                ));
            } else if *finished {
                parts.push(part(0, vec![Span::styled("  ■ finished", theme.warn)]));
            }
        }
    }
    parts
}

/// `resumed at batch 6 from ./checkpoint, 12 min old`, shorter when it must be; news for the
/// first minute (it goes before the batch and the trigger), then of the lowest priority.
fn resumed_part(screen: &Screen, resumed: &Resumed) -> Part {
    let style = screen.theme.accent;
    let head = format!("  resumed at batch {}", resumed.batch);
    let age = resumed
        .age
        .map(|age| format!(", {} old", format::age(age)))
        .unwrap_or_default();
    let forms = [
        format!("{head} from {}{age}", resumed.from),
        format!("{head}{age}"),
        head,
    ];
    let news = screen.now.saturating_sub(resumed.at) < RESUMED_NEWS;
    Part {
        priority: if news { 1 } else { 3 },
        forms: forms
            .into_iter()
            .map(|text| vec![Span::styled(text, style)])
            .collect(),
    }
}

pub fn sink_name(kind: SinkKind) -> &'static str {
    match kind {
        SinkKind::Console => "console",
        SinkKind::File => "file",
        SinkKind::Json => "json",
    }
}

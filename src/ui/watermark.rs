//! The Watermark panel: a time axis with the open windows as bars, the watermark, the latest event
//! time and the wall clock as markers, windows the next batch's watermark has passed marked (in
//! append mode they close: emitted, then dropped; in update mode they are dropped, their rows
//! emitted already; complete mode drops none), and countdowns to the next trigger and the next
//! window to go.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::view::Panel;
use super::{Screen, format};
use crate::engine::{MICROS_PER_SECOND, Micros, OutputMode, Query, WindowKind};
use crate::ui::model::{Mode, OpenWindow};

/// A row of cells, each a character with a style, drawn left to right.
struct Row {
    cells: Vec<(char, Style)>,
}

impl Row {
    fn new(width: usize) -> Self {
        Row {
            cells: vec![(' ', Style::new()); width],
        }
    }

    fn put(&mut self, col: usize, c: char, style: Style) {
        if let Some(cell) = self.cells.get_mut(col) {
            *cell = (c, style);
        }
    }

    /// Writes `text` from `col`, clipped at the right edge.
    fn text(&mut self, col: usize, text: &str, style: Style) {
        for (i, c) in text.chars().enumerate() {
            self.put(col + i, c, style);
        }
    }

    fn is_free(&self, from: usize, len: usize) -> bool {
        from + len <= self.cells.len() && self.cells[from..from + len].iter().all(|c| c.0 == ' ')
    }

    fn line(self) -> Line<'static> {
        let mut spans: Vec<Span> = Vec::new();
        let mut run = String::new();
        let mut style = None;
        for (c, s) in self.cells {
            if style != Some(s) && !run.is_empty() {
                spans.push(Span::styled(
                    std::mem::take(&mut run),
                    style.unwrap_or_default(),
                ));
            }
            style = Some(s);
            run.push(c);
        }
        spans.push(Span::styled(run, style.unwrap_or_default()));
        Line::from(spans)
    }
}

/// Maps times to columns of the axis.
struct Axis {
    lo: Micros,
    hi: Micros,
    width: usize,
}

impl Axis {
    fn col(&self, t: Micros) -> Option<usize> {
        (self.lo..=self.hi).contains(&t).then(|| {
            let span = i128::from((self.hi - self.lo).max(1));
            ((i128::from(t - self.lo) * (self.width as i128 - 1)) / span) as usize
        })
    }

    fn clamped(&self, t: Micros) -> usize {
        self.col(t.clamp(self.lo, self.hi)).unwrap_or(0)
    }
}

/// A window's length and the ruler's step: the window and slide, or a session's gap.
fn spans(query: &Query) -> (Micros, Micros) {
    match query.window() {
        WindowKind::Sliding(spec) => (spec.size(), spec.slide()),
        WindowKind::Session { gap } => (gap.micros(), gap.micros()),
    }
}

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let snapshot = screen.snapshot;
    let theme = &screen.theme;
    let windows = &snapshot.open.windows;
    let inner_height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let bar_rows = inner_height.saturating_sub(4).max(1);
    let (size, slide) = spans(&snapshot.query);
    // The axis follows the windows in play: open after the next batch, or closed by it less
    // than a window's length ago. Older ones (a resumed run's, from before it stopped) would
    // squeeze the axis to a dot; they are counted as not drawn.
    let in_play: Vec<&OpenWindow> = windows
        .iter()
        .filter(|w| w.window.end > snapshot.next_watermark - size)
        .collect();
    let shown = if in_play.is_empty() {
        windows.iter().collect()
    } else {
        in_play
    };
    let live = matches!(snapshot.mode, Mode::Live { .. });
    let axis = axis(screen, &shown, size, width);

    let mut lines = Vec::with_capacity(inner_height);
    // A replay before its first event has no time to show: a bare ruler.
    let timeless = !live && snapshot.max_event_time.is_none() && windows.is_empty();
    let (labels, ruler) = ruler(&axis, (!timeless).then_some(slide), screen, theme.dim);
    lines.push(labels);
    lines.push(ruler);
    // One window a row while they fit; else each goes in the first row where it does not
    // overlap another. Labels sit inside the bars.
    let pack = shown.len() > bar_rows;
    let mut rows: Vec<(Row, usize)> = Vec::new();
    let mut hidden = windows.len() - shown.len();
    for open in shown {
        let (from, to) = (
            axis.clamped(open.window.start),
            axis.clamped(open.window.end),
        );
        let to = to.max(from + 2);
        let free = rows.iter().position(|(_, end)| pack && *end <= from);
        let Some(index) = free.or_else(|| {
            (rows.len() < bar_rows).then(|| {
                rows.push((Row::new(width), 0));
                rows.len() - 1
            })
        }) else {
            hidden += 1;
            continue;
        };
        let (row, end) = &mut rows[index];
        *end = to;
        let going = going(snapshot.query.mode());
        // Once the stream is over, no batch comes to close it.
        let closing =
            going.is_some() && !screen.is_over() && open.window.end <= snapshot.next_watermark;
        let (glyph, style) = if closing {
            ('░', theme.closing)
        } else {
            ('█', theme.bar)
        };
        // The last column stays empty, so windows that touch stay apart.
        for col in from..to - 1 {
            row.put(col, glyph, style);
        }
        let label = match going {
            Some((label, _)) if closing => format!("{} {label}", open.text),
            _ => open.text.clone(),
        };
        let len = label.chars().count();
        if to - from >= len + 3 {
            row.text(from + 1, &label, style.add_modifier(Modifier::REVERSED));
        } else if !pack && row.is_free(to, len + 1) {
            row.text(to, &label, style);
        }
    }
    lines.extend(rows.into_iter().map(|(row, _)| row.line()));
    while lines.len() < inner_height.saturating_sub(2) {
        lines.push(Line::raw(""));
    }
    lines.push(markers(&axis, screen, live));
    lines.push(countdowns(screen, live, width));
    let extra = match (windows.len(), hidden) {
        (0, _) => "· no open window".to_string(),
        (1, _) => "· 1 open window".to_string(),
        (n, 0) => format!("· {n} open windows"),
        (n, h) => format!("· {n} open windows, {h} not drawn"),
    };
    // No countdown to a close says it: none comes.
    let extra = if going(snapshot.query.mode()).is_none() {
        format!("{extra} · complete mode evicts nothing")
    } else {
        extra
    };
    let block = screen.block(Panel::Watermark, &extra, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The axis over the windows `shown`, or a window either side of the latest event; with the
/// watermark, the latest event and the clock when they are near.
fn axis(screen: &Screen, shown: &[&OpenWindow], size: Micros, width: usize) -> Axis {
    let snapshot = screen.snapshot;
    let live = matches!(snapshot.mode, Mode::Live { .. });
    // Before any event, a replay has no time to show: its axis is drawn without ticks.
    let anchor =
        snapshot
            .max_event_time
            .unwrap_or(if live { screen.now } else { snapshot.watermark });
    let starts = shown.iter().map(|w| w.window.start).min();
    let ends = shown.iter().map(|w| w.window.end).max();
    let (mut lo, mut hi) = match (starts, ends) {
        (Some(start), Some(end)) => (start, end),
        _ => (anchor - size, anchor + size),
    };
    let pad = ((hi - lo) / 20).max(MICROS_PER_SECOND);
    (lo, hi) = (lo - pad, hi + pad);
    for t in [
        (snapshot.watermark != 0).then_some(snapshot.watermark),
        snapshot.max_event_time,
        live.then_some(screen.now),
    ]
    .into_iter()
    .flatten()
    {
        if t > lo - size && t < hi + size {
            lo = lo.min(t - pad);
            hi = hi.max(t + pad);
        }
    }
    Axis { lo, hi, width }
}

/// The tick labels and the ruler, a tick every slide (or a multiple, to leave room); no tick
/// without a slide.
fn ruler(
    axis: &Axis,
    slide: Option<Micros>,
    screen: &Screen,
    style: Style,
) -> (Line<'static>, Line<'static>) {
    let mut labels = Row::new(axis.width);
    let mut rule = Row::new(axis.width);
    for col in 0..axis.width {
        rule.put(col, '─', style);
    }
    let Some(slide) = slide else {
        return (labels.line(), rule.line());
    };
    let per_col = ((axis.hi - axis.lo) / axis.width.max(1) as i64).max(1);
    let mut step = slide.max(1);
    while step / per_col < 12 {
        step *= 2;
    }
    let mut t = axis.lo.div_euclid(step) * step + step;
    while t < axis.hi {
        if let Some(col) = axis.col(t) {
            rule.put(col, '┼', style);
            let text = format::clock(t, &screen.zone);
            if labels.is_free(col, text.len() + 1) {
                labels.text(col, &text, style);
            }
        }
        t += step;
    }
    (labels.line(), rule.line())
}

/// `▲wm`, `▲max`, `▲now` under their columns (an arrow at the edge when out of range).
fn markers(axis: &Axis, screen: &Screen, live: bool) -> Line<'static> {
    let snapshot = screen.snapshot;
    let theme = &screen.theme;
    // The initial watermark (epoch 0) is no time to mark.
    let mut marks = Vec::new();
    if snapshot.watermark != 0 {
        marks.push(("wm", snapshot.watermark, theme.warn));
    }
    if let Some(max) = snapshot.max_event_time {
        marks.push(("max", max, theme.accent));
    }
    if live {
        marks.push(("now", screen.now, theme.dim));
    }
    marks.sort_by_key(|m| m.1);
    let mut row = Row::new(axis.width);
    for (name, t, style) in marks {
        let (col, glyph) = match axis.col(t) {
            Some(col) => (col, '▲'),
            None if t < axis.lo => (0, '◀'),
            None => (axis.width.saturating_sub(1), '▶'),
        };
        if !row.is_free(col, 1) {
            continue;
        }
        row.put(col, glyph, style);
        if row.is_free(col + 1, name.len() + 1) {
            row.text(col + 1, name, style);
        }
    }
    row.line()
}

/// `wm 17:33:27 · max 17:33:42 · now 17:33:44 · next trigger 9s · next close … (~12s)`, the
/// parts that fit in `width` (the next close without its time when only that much fits); in
/// update mode the next eviction, in complete mode none (the title says none comes).
fn countdowns(screen: &Screen, live: bool, width: usize) -> Line<'static> {
    let snapshot = screen.snapshot;
    let theme = &screen.theme;
    let zone = &screen.zone;
    let mut spans = vec![Span::styled(
        if snapshot.max_event_time.is_none() {
            " no event yet".to_string()
        } else {
            format!(" wm {}", format::watermark(snapshot.watermark, zone))
        },
        theme.warn,
    )];
    if let Some(max) = snapshot.max_event_time {
        spans.push(Span::styled(
            format!(" · max {}", format::clock(max, zone)),
            theme.accent,
        ));
    }
    // Once the stream is over, the room goes to what that leaves open.
    if live && !screen.is_over() {
        spans.push(Span::styled(
            format!(" · now {}", format::clock(screen.now, zone)),
            theme.dim,
        ));
    }
    if screen.is_over() {
        let used: usize = spans.iter().map(Span::width).sum();
        spans.extend(never_emitted(screen, width.saturating_sub(used)));
        return fitting(spans, width);
    }
    if let Some(next) = snapshot.next_trigger {
        spans.push(Span::raw(format!(
            " · next trigger {}",
            format::countdown(screen.now, next)
        )));
    }
    // The next window to go: the first whose end the watermark has not reached.
    let delay = snapshot.query.delay().micros();
    let next = snapshot
        .open
        .windows
        .iter()
        .find(|w| w.window.end > snapshot.next_watermark);
    if let (Some((_, what)), Some(next)) = (going(snapshot.query.mode()), next) {
        let needs = next.window.end + delay;
        let short = format!(" · {what} {}", next.text);
        let mut text = format!(
            " · {what} {} at event {}",
            next.text,
            format::clock(needs, zone)
        );
        // With arrival times, event time keeps pace with the clock.
        let near = snapshot
            .max_event_time
            .is_some_and(|max| (max - screen.now).abs() < 60 * MICROS_PER_SECOND);
        if live && near {
            let _ = write!(text, " (~{})", format::countdown(screen.now, needs));
        }
        let used: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::raw(if used + text.chars().count() <= width {
            text
        } else {
            short
        }));
    }
    fitting(spans, width)
}

/// The first of `spans` that fit in `width`, as a line.
fn fitting(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut used = 0;
    let fits = spans.iter().take_while(|span| {
        used += span.width();
        used <= width
    });
    let fits = fits.count();
    Line::from(spans.into_iter().take(fits).collect::<Vec<_>>())
}

/// Once the stream is over, no batch runs again: in append mode, the windows still open are
/// never emitted (`--flush-at-end` would have closed them). The longest form that fits in
/// `room` columns.
fn never_emitted(screen: &Screen, room: usize) -> Option<Span<'static>> {
    let open = screen.snapshot.open.windows.len();
    if open == 0 || screen.snapshot.query.mode() != OutputMode::Append {
        return None;
    }
    let windows = if open == 1 {
        "1 open window is".to_string()
    } else {
        format!("{open} open windows are")
    };
    let forms = [
        format!(" · over: {windows} never emitted (--flush-at-end would emit them)"),
        format!(" · over: {windows} never emitted"),
        format!(" · over: {open} never emitted"),
    ];
    let text = forms
        .iter()
        .find(|form| form.chars().count() <= room)
        .unwrap_or(&forms[2]);
    Some(Span::styled(text.clone(), screen.theme.warn))
}

/// What becomes of a window the watermark passes in `mode`: its mark on the axis and the
/// countdown's words. Append mode emits it, then drops it; update mode drops it, its rows
/// emitted as they changed; complete mode keeps every window (none).
fn going(mode: OutputMode) -> Option<(&'static str, &'static str)> {
    match mode {
        OutputMode::Append => Some(("closing", "next close")),
        OutputMode::Update => Some(("evicted", "next eviction")),
        OutputMode::Complete => None,
    }
}

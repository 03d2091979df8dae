//! The modes view (`o`): the same stream through Spark's three output modes, side by side, one
//! band per trigger tick, newest first. Append shows the windows the batch's watermark closed,
//! update the rows the batch changed, complete the whole result table; a mode that ran no batch
//! at a tick (complete mode runs no no-data batches) says so.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Screen, format};
use crate::engine::{BatchKind, OutputMode};
use crate::ui::model::{ModeBatch, ModesTick, ModesView};

/// Rows shown per mode and tick; the band says how many more there were.
const BAND_ROWS: usize = 5;
/// The widest a cell is shown.
const MAX_CELL: usize = 16;
/// The tick column on the left.
const GUTTER: usize = 9;

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let theme = &screen.theme;
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.focused)
        .title(Line::from(vec![
            Span::styled(" Output modes ", theme.title),
            Span::styled(
                "· the same stream, tick by tick, newest first · o closes ",
                theme.dim,
            ),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(view) = &screen.snapshot.modes else {
        let text = Line::styled(" the other output modes do not run in this view", theme.dim);
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let [gutter, columns] =
        Layout::horizontal([Constraint::Length(GUTTER as u16), Constraint::Fill(1)]).areas(inner);
    let columns: [Rect; 3] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(columns);
    let bands: Vec<usize> = view.ticks.iter().map(band_height).collect();
    let offset = screen.view.overlay_offset;

    let mut left = vec![Line::raw(""), Line::raw("")];
    for (tick, height) in view.ticks.iter().zip(&bands) {
        left.push(Line::styled(format!(" tick {}", tick.tick), theme.accent));
        left.extend((1..*height).map(|_| Line::raw("")));
    }
    frame.render_widget(Paragraph::new(scrolled(left, offset)), gutter);

    for (at, (mode, area)) in OutputMode::ALL.into_iter().zip(columns).enumerate() {
        let width = area.width.saturating_sub(1) as usize;
        let mut lines = vec![heading(screen, view, mode), note(screen, view, at, width)];
        let widths = cell_widths(view, at);
        for (tick, height) in view.ticks.iter().zip(&bands) {
            let band = band(screen, tick.batches[at].as_ref(), mode, &widths, width);
            let pad = height.saturating_sub(band.len());
            lines.extend(band);
            lines.extend((0..pad).map(|_| Line::raw("")));
        }
        frame.render_widget(Paragraph::new(scrolled(lines, offset)), area);
    }
}

/// The column's title: the mode, and whether it is the run's.
fn heading(screen: &Screen, view: &ModesView, mode: OutputMode) -> Line<'static> {
    let theme = &screen.theme;
    let mut spans = vec![Span::styled(format!("{} mode", mode.name()), theme.title)];
    if mode == view.main {
        spans.push(Span::styled(" · this run", theme.good));
    }
    Line::from(spans)
}

/// What the mode does, or why it shows nothing.
fn note(screen: &Screen, view: &ModesView, at: usize, width: usize) -> Line<'static> {
    if let Some(why) = &view.notes[at] {
        return Line::styled(format::cut(why, width), screen.theme.warn);
    }
    let what = match OutputMode::ALL[at] {
        OutputMode::Append => "a window once, when the watermark passes its end",
        OutputMode::Update => "each batch, the rows it changed",
        OutputMode::Complete => "each batch, the whole result table",
    };
    Line::styled(format::cut(what, width), screen.theme.dim)
}

/// Lines a tick's band takes: its heading, the most rows a mode shows, and a line for more.
fn band_height(tick: &ModesTick) -> usize {
    let batches = tick.batches.iter().flatten();
    let shown = batches
        .clone()
        .map(|b| b.rows.len().min(BAND_ROWS))
        .max()
        .unwrap_or(0);
    let more = batches
        .clone()
        .any(|b| b.emitted > b.rows.len().min(BAND_ROWS));
    1 + shown + usize::from(more)
}

/// One mode's batch at one tick: a heading saying what it emitted and why, then its rows.
fn band(
    screen: &Screen,
    batch: Option<&ModeBatch>,
    mode: OutputMode,
    widths: &[usize],
    width: usize,
) -> Vec<Line<'static>> {
    let theme = &screen.theme;
    let Some(batch) = batch else {
        return vec![Line::styled("no batch", theme.dim)];
    };
    let kind = match batch.kind {
        BatchKind::Data => "data",
        BatchKind::NoData => "no-data",
    };
    let what = match (mode, batch.emitted) {
        (OutputMode::Append, 0) => format!("wm {}: nothing closed", clock(screen, batch)),
        (OutputMode::Append, n) => format!("wm {} closed {n}", clock(screen, batch)),
        (OutputMode::Update, 0) => "nothing changed".to_string(),
        (OutputMode::Update, n) => format!("{n} changed"),
        (OutputMode::Complete, n) => format!("all {n} rows"),
    };
    let style = if batch.emitted == 0 {
        theme.dim
    } else {
        theme.accent
    };
    let mut lines = vec![Line::styled(
        format::cut(&format!("#{} {kind} · {what}", batch.id), width),
        style,
    )];
    let shown = shown_rows(batch, mode);
    let hidden = batch.emitted - shown.len();
    let hidden = (hidden > 0).then(|| {
        let which = if mode == OutputMode::Complete {
            "earlier"
        } else {
            "more"
        };
        Line::styled(
            format!("… {} {which}", format::count(hidden as u64)),
            theme.dim,
        )
    });
    if mode == OutputMode::Complete {
        lines.extend(hidden.clone());
    }
    for row in shown {
        let text: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{:w$}", format::cut(cell, *w)))
            .collect();
        lines.push(Line::raw(format::cut(&text.join(" "), width)));
    }
    if mode != OutputMode::Complete {
        lines.extend(hidden);
    }
    lines
}

/// The rows a band shows: the first ones, or in complete mode the last ones (the newest
/// windows, where the result table changes).
fn shown_rows(batch: &ModeBatch, mode: OutputMode) -> &[Vec<String>] {
    let rows = &batch.rows[..];
    if mode == OutputMode::Complete {
        &rows[rows.len().saturating_sub(BAND_ROWS)..]
    } else {
        &rows[..rows.len().min(BAND_ROWS)]
    }
}

fn clock(screen: &Screen, batch: &ModeBatch) -> String {
    format::watermark(batch.watermark, &screen.zone)
}

/// Each cell position's width in a mode's column: its widest shown cell, at most [`MAX_CELL`].
fn cell_widths(view: &ModesView, at: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    let rows = view
        .ticks
        .iter()
        .filter_map(|t| t.batches[at].as_ref())
        .flat_map(|b| shown_rows(b, OutputMode::ALL[at]));
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count().min(MAX_CELL);
            match widths.get_mut(i) {
                Some(width) => *width = (*width).max(w),
                None => widths.push(w),
            }
        }
    }
    widths
}

/// How far the view scrolls in `area`: its band lines past those it shows under the two
/// title lines.
pub fn scroll_limit(screen: &Screen, area: Rect) -> usize {
    let Some(view) = &screen.snapshot.modes else {
        return 0;
    };
    let total: usize = view.ticks.iter().map(band_height).sum();
    total.saturating_sub(page(area))
}

/// Lines of bands the overlay shows at once in `area`: all but the borders and the columns'
/// titles.
pub fn page(area: Rect) -> usize {
    area.height.saturating_sub(2 + 2) as usize
}

/// The column's two title lines, then its bands from `offset` on.
fn scrolled(mut lines: Vec<Line<'static>>, offset: usize) -> Vec<Line<'static>> {
    let skip = offset.min(lines.len().saturating_sub(2));
    lines.drain(2..2 + skip.min(lines.len() - 2));
    lines
}

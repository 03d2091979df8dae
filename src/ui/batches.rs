//! The Output batches panel: emitted batches, newest first, each with its id, time, kind and
//! rows as the console sink printed them; the selected batch opens in full.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::view::Panel;
use super::{Screen, format, overlay_area};
use crate::engine::BatchKind;
use crate::ui::model::BatchRecord;

/// Table rows shown per batch in the list.
const ROWS_PER_BATCH: usize = 3;

/// The data rows of a console table (`|…|` lines after the header row).
fn table_rows(console: &str) -> impl Iterator<Item = &str> {
    console.lines().filter(|l| l.starts_with('|')).skip(1)
}

/// `Batch 5 · data · 17:34:30 · 7 in · 7 out · 75 µs`, as many parts as fit in `width`.
fn heading(screen: &Screen, batch: &BatchRecord, width: usize) -> String {
    format::fitting(
        [
            format!("Batch {}", batch.id),
            format!(" · {}", batch.kind.label()),
            format!(" · {}", format::clock(batch.at, &screen.zone)),
            format!(" · {} in", batch.input_rows),
            format!(" · {} out", batch.emitted),
            format!(" · {}", format::duration(batch.duration)),
        ],
        width,
    )
}

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (snapshot, theme) = (screen.snapshot, &screen.theme);
    let focused = screen.view.focus == Panel::Batches;
    let selected = screen.view.selected_index(snapshot);
    let extra = format!(
        "· {} mode · {} batches · Enter opens",
        snapshot.query.mode().name(),
        snapshot.metrics.batches
    );
    let block = screen.block(Panel::Batches, &extra, area);
    let inner = area.height.saturating_sub(2) as usize;
    // The borders and the mark of the selected batch.
    let heading_width = (area.width as usize).saturating_sub(4);

    // Lines per batch, then a start that keeps the selected batch in view.
    let entries: Vec<Vec<Line>> = snapshot
        .batches
        .iter()
        .enumerate()
        .map(|(i, batch)| {
            let style = match (i == selected && focused, batch.kind) {
                (true, _) => theme.selected,
                (false, BatchKind::NoData) => theme.dim,
                (false, BatchKind::Data) => theme.title,
            };
            let mut lines = vec![Line::from(vec![
                Span::styled(if i == selected { "▸ " } else { "  " }, theme.accent),
                Span::styled(heading(screen, batch, heading_width), style),
            ])];
            match &batch.console {
                Some(text) => {
                    let rows: Vec<&str> = table_rows(text).collect();
                    for row in rows.iter().take(ROWS_PER_BATCH) {
                        lines.push(Line::raw(format!("    {}", format::printable(row))));
                    }
                    if rows.len() > ROWS_PER_BATCH {
                        lines.push(Line::styled(
                            format!("    … {} more rows", rows.len() - ROWS_PER_BATCH),
                            theme.dim,
                        ));
                    }
                }
                None if batch.emitted > 0 => {
                    lines.push(Line::styled("    (console sink off)", theme.dim));
                }
                None => {}
            }
            debug_assert_eq!(lines.len(), entry_len(batch));
            lines
        })
        .collect();
    let lens: Vec<usize> = entries.iter().map(Vec::len).collect();
    let first = first_shown(&lens, selected, inner);
    let mut lines: Vec<Line> = entries.into_iter().skip(first).flatten().collect();
    if lines.is_empty() {
        lines.push(Line::styled("  no batch yet", theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Lines the list gives `batch`: its heading, then its first [`ROWS_PER_BATCH`] table rows and a
/// line for the rest, or a line saying the console sink was off.
fn entry_len(batch: &BatchRecord) -> usize {
    1 + match &batch.console {
        Some(text) => {
            let rows = table_rows(text).count();
            rows.min(ROWS_PER_BATCH) + usize::from(rows > ROWS_PER_BATCH)
        }
        None if batch.emitted > 0 => 1,
        None => 0,
    }
}

/// The first batch the list shows in `inner` lines, its batches `lens` lines each: the newest
/// from which the selected one fits.
fn first_shown(lens: &[usize], selected: usize, inner: usize) -> usize {
    let mut first = 0;
    let mut used: usize = lens[..selected.min(lens.len())].iter().sum();
    let selected_len = lens.get(selected).copied().unwrap_or(0);
    while first < selected && used + selected_len > inner {
        used -= lens[first];
        first += 1;
    }
    first
}

/// Batches the panel drawn in `area` shows whole at once, from the first shown on (at least
/// one).
pub fn page(screen: &Screen, area: Rect) -> usize {
    let inner = area.height.saturating_sub(2) as usize;
    let lens: Vec<usize> = screen
        .snapshot
        .batches
        .iter()
        .map(|b| entry_len(b))
        .collect();
    let first = first_shown(&lens, screen.view.selected_index(screen.snapshot), inner);
    let mut used = 0;
    let whole = lens[first.min(lens.len())..]
        .iter()
        .take_while(|len| {
            used += **len;
            used <= inner
        })
        .count();
    whole.max(1)
}

/// How far the batch-detail overlay scrolls: its lines past those the overlay shows.
pub fn detail_scroll_limit(screen: &Screen, area: Rect, id: u64) -> usize {
    detail_text(screen, id)
        .len()
        .saturating_sub(detail_page(area))
}

/// Lines the batch-detail overlay shows at once in `area`.
pub fn detail_page(area: Rect) -> usize {
    detail_height(area).saturating_sub(2) as usize
}

/// The overlay's height in `area`.
fn detail_height(area: Rect) -> u16 {
    area.height.saturating_sub(4)
}

/// The batch's console table as the console sink printed it, or why there is none.
fn detail_text(screen: &Screen, id: u64) -> Vec<Line<'static>> {
    let theme = &screen.theme;
    let batch = screen.snapshot.batches.iter().find(|b| b.id == id);
    match batch.and_then(|b| b.console.as_deref()) {
        // Control characters as their pictures: one column each, as the table counts them.
        Some(console) => console
            .lines()
            .map(|l| Line::raw(format::printable(l).into_owned()))
            .collect(),
        None if batch.is_some() => vec![Line::styled(
            "The console sink was off for this batch (press c to switch it on).",
            theme.dim,
        )],
        None => vec![Line::styled("This batch is no longer kept.", theme.dim)],
    }
}

/// The selected batch in full, over the panels.
pub fn draw_detail(frame: &mut Frame, screen: &Screen, area: Rect, id: u64) {
    let theme = &screen.theme;
    let batch = screen.snapshot.batches.iter().find(|b| b.id == id);
    let text = detail_text(screen, id);
    let width = text.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let rect = overlay_area(frame, area, width.max(50), detail_height(area));
    let title = batch.map_or_else(
        || format!(" Batch {id} "),
        |b| format!(" {} ", heading(screen, b, usize::MAX)),
    );
    let block = Block::bordered()
        .border_style(theme.focused)
        .title(Line::styled(title, theme.title))
        .title_bottom(Line::styled(" ↑↓ scroll · Esc closes ", theme.dim));
    let lines: Vec<Line> = text.into_iter().skip(screen.view.overlay_offset).collect();
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

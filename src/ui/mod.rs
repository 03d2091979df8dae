//! The dashboard: ratatui widgets drawn from an immutable [`Screen`] (snapshot, source status,
//! view state, clock). One module per screen region; no business logic here.

mod batches;
mod footer;
pub mod format;
mod header;
mod help;
pub mod keymap;
mod late;
mod metrics;
pub mod model;
mod modes;
mod open_windows;
mod sinks;
pub mod theme;
pub mod view;
mod watermark;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::engine::Micros;
use crate::engine::Zone;
use crate::ui::model::{Snapshot, Status};
use theme::Theme;
use view::{Overlay, Pages, Panel, ScrollLimits, ViewState};

/// The smallest terminal the dashboard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Everything one frame shows.
pub struct Screen<'a> {
    pub snapshot: &'a Snapshot,
    pub status: &'a Status,
    pub view: &'a ViewState,
    /// The wall clock.
    pub now: Micros,
    pub zone: Zone,
    pub theme: Theme,
}

impl Screen<'_> {
    fn is_replay(&self) -> bool {
        matches!(self.snapshot.mode, crate::ui::model::Mode::Replay { .. })
    }

    /// Whether no batch runs again: the replay finished or stopped on an error, or the live
    /// stream is over.
    fn is_over(&self) -> bool {
        use crate::ui::model::{Link, Mode};
        matches!(self.snapshot.mode, Mode::Replay { finished: true, .. })
            || matches!(self.status.link, Link::Finished | Link::Stopped)
    }

    /// A panel's frame over `area`, its title highlighted when it has the focus; of `extra`
    /// (`· a · b`), the parts that fit on the top border.
    fn block(&self, panel: Panel, extra: &str, area: Rect) -> Block<'static> {
        let focused = self.view.focus == panel && self.view.overlay.is_none();
        let border = if focused {
            self.theme.focused
        } else {
            self.theme.border
        };
        let mut title = vec![Span::styled(
            format!(" {} ", panel.title()),
            self.theme.title,
        )];
        let room = title_room(panel, area);
        let extra = format::fitting(
            extra.split(" · ").enumerate().map(|(i, part)| {
                if i == 0 {
                    part.to_string()
                } else {
                    format!(" · {part}")
                }
            }),
            room,
        );
        if !extra.is_empty() {
            title.push(Span::styled(format!("{extra} "), self.theme.dim));
        }
        Block::bordered()
            .border_style(border)
            .title(Line::from(title))
    }
}

/// Columns a panel's title has for what follows its name ([`Screen::block`]'s `extra`).
fn title_room(panel: Panel, area: Rect) -> usize {
    (area.width as usize).saturating_sub(panel.title().len() + 6)
}

/// Where each part of the dashboard goes in a frame.
struct Areas {
    header: Rect,
    body: Rect,
    footer: Rect,
    /// The panels, in [`Panel::ORDER`].
    panels: [Rect; 6],
}

/// The dashboard's layout in `area`; `None` when it is too small to draw in.
fn layout(area: Rect) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let watermark_height = (body.height * 3 / 10).clamp(8, 14);
    let lower_height = (body.height / 4).clamp(7, 10);
    let [watermark, middle, lower] = Layout::vertical([
        Constraint::Length(watermark_height),
        Constraint::Fill(1),
        Constraint::Length(lower_height),
    ])
    .areas(body);
    let [open, batches] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(middle);
    // Late data needs the room most when the terminal is narrow.
    let late_share = if area.width < 100 { 40 } else { 32 };
    let side_share = (100 - late_share) / 2;
    let [metrics, late, sinks] = Layout::horizontal([
        Constraint::Percentage(side_share),
        Constraint::Percentage(late_share),
        Constraint::Percentage(side_share),
    ])
    .areas(lower);
    Some(Areas {
        header,
        body,
        footer,
        panels: [watermark, open, batches, metrics, late, sinks],
    })
}

/// Whether the dashboard draws its panels in `area`: when not, it shows only that the terminal
/// is too small, and no key but quit and suspend acts (nothing it did would show).
pub fn fits(area: Rect) -> bool {
    layout(area).is_some()
}

/// The panel drawn at column `x`, row `y` of a frame of `area` (a mouse click's target); none
/// on the header, the footer, or a terminal too small for the panels.
pub fn panel_at(area: Rect, x: u16, y: u16) -> Option<Panel> {
    let at = ratatui::layout::Position::new(x, y);
    let areas = layout(area)?;
    Panel::ORDER
        .into_iter()
        .zip(areas.panels)
        .find(|(_, rect)| rect.contains(at))
        .map(|(panel, _)| panel)
}

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, screen: &Screen) {
    let area = frame.area();
    let Some(Areas {
        header: top,
        body,
        footer: bottom_line,
        panels:
            [
                watermark_area,
                open_area,
                batches_area,
                metrics_area,
                late_area,
                sinks_area,
            ],
    }) = layout(area)
    else {
        draw_too_small(frame, screen, area);
        return;
    };
    header::draw(frame, screen, top);
    watermark::draw(frame, screen, watermark_area);
    open_windows::draw(frame, screen, open_area);
    batches::draw(frame, screen, batches_area);
    metrics::draw(frame, screen, metrics_area);
    late::draw(frame, screen, late_area);
    sinks::draw(frame, screen, sinks_area);
    footer::draw(frame, screen, bottom_line);

    match screen.view.overlay {
        Some(Overlay::Help) => help::draw(frame, screen, area),
        Some(Overlay::Batch(id)) => batches::draw_detail(frame, screen, area, id),
        Some(Overlay::Modes) => modes::draw(frame, screen, body),
        None => {}
    }
}

/// How far the overlay open in `area` scrolls (`usize::MAX` when its length is not known
/// ahead).
pub fn overlay_scroll_limit(screen: &Screen, area: Rect) -> usize {
    match screen.view.overlay {
        Some(Overlay::Help) => help::scroll_limit(screen, area),
        Some(Overlay::Batch(id)) => batches::detail_scroll_limit(screen, area, id),
        Some(Overlay::Modes) => layout(area).map_or(0, |a| modes::scroll_limit(screen, a.body)),
        None => usize::MAX,
    }
}

/// How far each scrolling part of a frame of `area` scrolls: the open overlay, Open windows
/// and Late data (Output batches keeps the selected batch in view itself).
pub fn scroll_limits(screen: &Screen, area: Rect) -> ScrollLimits {
    let overlay = overlay_scroll_limit(screen, area);
    match layout(area) {
        Some(Areas {
            panels: [_, open, _, _, late_area, _],
            ..
        }) => ScrollLimits {
            overlay,
            windows: open_windows::scroll_limit(screen, open),
            late: late::scroll_limit(screen, late_area),
        },
        // Nothing shows: nothing scrolls back.
        None => ScrollLimits {
            overlay,
            windows: usize::MAX,
            late: usize::MAX,
        },
    }
}

/// How many rows the page keys move in each scrolling part of a frame of `area`: the rows each
/// shows at once (in Output batches, the batches).
pub fn pages(screen: &Screen, area: Rect) -> Pages {
    let Some(Areas {
        body,
        panels: [_, open, batches_area, _, late_area, _],
        ..
    }) = layout(area)
    else {
        // Too small for the panels: no key scrolls (nor acts).
        return Pages::default();
    };
    let overlay = match screen.view.overlay {
        Some(Overlay::Help) => help::page(screen, area),
        Some(Overlay::Batch(_)) => batches::detail_page(area),
        Some(Overlay::Modes) => modes::page(body),
        None => 0,
    };
    Pages {
        overlay,
        windows: open_windows::page(open),
        late: late::page(late_area),
        batches: batches::page(screen, batches_area),
    }
}

fn draw_too_small(frame: &mut Frame, screen: &Screen, area: Rect) {
    let text = vec![
        Line::styled("terminal too small", screen.theme.warn),
        Line::from(format!(
            "{}×{}: window-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::styled("enlarge the window, or press q to quit", screen.theme.dim),
    ];
    // Wrapped, so a narrow terminal shows the whole message; about centred (a word wrapped
    // early may take a row more: the text goes on down, not cut).
    let rows: usize = text
        .iter()
        .map(|line| line.width().div_ceil(usize::from(area.width.max(1))).max(1))
        .sum();
    let paragraph = Paragraph::new(text)
        .centered()
        .wrap(ratatui::widgets::Wrap { trim: true });
    let y = area.y + area.height.saturating_sub(rows as u16) / 2;
    let centered = Rect::new(area.x, y, area.width, area.bottom() - y);
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph, centered);
}

/// A box of `width`×`height` in the middle of `area`, cleared.
fn overlay_area(frame: &mut Frame, area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, rect);
    // A wide character just left of the box would hide its left border (a terminal draws it
    // over the next column): it goes, as a terminal would drop half of it.
    if let Some(left) = rect.x.checked_sub(1) {
        let buffer = frame.buffer_mut();
        for y in rect.top()..rect.bottom() {
            let cell = &mut buffer[(left, y)];
            if cell.symbol().width() > 1 {
                cell.set_symbol(" ");
            }
        }
    }
    rect
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_character_does_not_hide_an_overlay_left_border() {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(20, 3)).unwrap();
        terminal
            .draw(|frame| {
                let area = frame.area();
                frame.render_widget(Paragraph::new("日本".repeat(10)), area);
                // The box starts at column 5, the second half of the third 日.
                let rect = overlay_area(frame, area, 9, 3);
                assert_eq!(rect.x, 5);
                frame.render_widget(Block::bordered(), rect);
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        assert_eq!(buffer[(4, 0)].symbol(), " ", "the cut 日 goes");
        assert_eq!(buffer[(5, 0)].symbol(), "┌");
        assert_eq!(buffer[(2, 0)].symbol(), "本", "the others stay");
    }

    #[test]
    fn a_click_finds_the_panel_under_it() {
        let area = Rect::new(0, 0, 80, 24);
        // At 80×24: header 0-1, Watermark 2-9, Open windows and Output batches 10-15, the
        // lower panels 16-22, the footer 23.
        assert_eq!(panel_at(area, 0, 0), None, "the header");
        assert_eq!(panel_at(area, 40, 1), None);
        assert_eq!(panel_at(area, 0, 2), Some(Panel::Watermark));
        assert_eq!(panel_at(area, 79, 9), Some(Panel::Watermark));
        assert_eq!(panel_at(area, 5, 12), Some(Panel::OpenWindows));
        assert_eq!(panel_at(area, 31, 10), Some(Panel::OpenWindows));
        assert_eq!(panel_at(area, 32, 10), Some(Panel::Batches));
        assert_eq!(panel_at(area, 79, 15), Some(Panel::Batches));
        assert_eq!(panel_at(area, 0, 16), Some(Panel::Metrics));
        assert_eq!(panel_at(area, 40, 20), Some(Panel::Late));
        assert_eq!(panel_at(area, 79, 22), Some(Panel::Sinks));
        assert_eq!(panel_at(area, 10, 23), None, "the footer");
        assert_eq!(panel_at(area, 80, 12), None, "outside");
        assert_eq!(panel_at(Rect::new(0, 0, 79, 24), 5, 12), None, "too small");
        // The same at another size: the panels are where they are drawn.
        let big = Rect::new(0, 0, 200, 50);
        let layout = layout(big).unwrap();
        for (panel, rect) in Panel::ORDER.into_iter().zip(layout.panels) {
            assert_eq!(panel_at(big, rect.x, rect.y), Some(panel));
            assert_eq!(
                panel_at(big, rect.right() - 1, rect.bottom() - 1),
                Some(panel)
            );
        }
    }
}

//! What the user is looking at, independent of the data: the focused panel, the overlay, the
//! sort order and scroll positions. View actions change only this; rendering reads it.

use crate::engine::Query;
use crate::ui::keymap::Action;
use crate::ui::model::Snapshot;

/// The panels, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Panel {
    Watermark,
    OpenWindows,
    Batches,
    Metrics,
    Late,
    Sinks,
}

impl Panel {
    pub const ORDER: [Panel; 6] = [
        Panel::Watermark,
        Panel::OpenWindows,
        Panel::Batches,
        Panel::Metrics,
        Panel::Late,
        Panel::Sinks,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Watermark => "Watermark",
            Panel::OpenWindows => "Open windows",
            Panel::Batches => "Output batches",
            Panel::Metrics => "Metrics",
            Panel::Late => "Late data",
            Panel::Sinks => "Sinks",
        }
    }

    fn index(self) -> usize {
        Self::ORDER.iter().position(|p| *p == self).unwrap_or(0)
    }

    fn step(self, by: isize) -> Panel {
        let n = Self::ORDER.len() as isize;
        Self::ORDER[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// A box drawn over the panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// One batch's console table, in full.
    Batch(u64),
    /// The three output modes side by side.
    Modes,
}

/// The Open windows panel's order: by window, by the first aggregate (`Count`, its bars), or
/// by the group-by values (`Value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Window,
    Count,
    Value,
}

impl SortBy {
    /// The order's name for `query`: by window, by the first aggregate's column (`count`,
    /// `max(bytes)`), or by the group-by columns (`user`, `user, host`).
    pub fn label(self, query: &Query) -> String {
        match self {
            SortBy::Window => "window".to_string(),
            SortBy::Count => query
                .aggs()
                .first()
                .map_or_else(|| "aggregate".to_string(), |agg| agg.name.clone()),
            SortBy::Value => {
                let names: Vec<&str> = query.group_by_names().collect();
                if names.is_empty() {
                    "key".to_string()
                } else {
                    names.join(", ")
                }
            }
        }
    }
}

/// How many rows the page keys move in each scrolling part of a frame (`ui::pages`): a page,
/// the rows it shows at once; in Output batches, the batches it shows at once. None moves less
/// than one (the default's zeros move one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pages {
    pub overlay: usize,
    pub windows: usize,
    pub late: usize,
    pub batches: usize,
}

/// How far each scrolling part of a frame scrolls (`ui::scroll_limits`): the offset that
/// shows its last page, the last row at the bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrollLimits {
    pub overlay: usize,
    pub windows: usize,
    pub late: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    pub focus: Panel,
    pub overlay: Option<Overlay>,
    pub sort: SortBy,
    /// First row shown in Open windows.
    pub windows_offset: usize,
    /// First row shown in Late data.
    pub late_offset: usize,
    /// The selected batch; `None` follows the newest.
    pub selected_batch: Option<u64>,
    /// First line shown in an overlay.
    pub overlay_offset: usize,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            focus: Panel::OpenWindows,
            overlay: None,
            sort: SortBy::Window,
            windows_offset: 0,
            late_offset: 0,
            selected_batch: None,
            overlay_offset: 0,
        }
    }
}

impl ViewState {
    /// The index of the selected batch in the snapshot's list (newest first).
    pub fn selected_index(&self, snapshot: &Snapshot) -> usize {
        self.selected_batch
            .and_then(|id| snapshot.batches.iter().position(|b| b.id == id))
            .unwrap_or(0)
    }

    /// Applies a view action, a page key moving by `pages` (at least one row). Returns whether
    /// it was one (others are the app's to handle).
    pub fn apply(&mut self, action: Action, snapshot: &Snapshot, pages: Pages) -> bool {
        match action {
            Action::Help => {
                self.overlay = Some(Overlay::Help);
                self.overlay_offset = 0;
            }
            Action::Close => self.overlay = None,
            Action::Modes => {
                self.overlay = match self.overlay {
                    Some(Overlay::Modes) => None,
                    _ => Some(Overlay::Modes),
                };
                self.overlay_offset = 0;
            }
            Action::FocusNext => self.focus = self.focus.step(1),
            Action::FocusPrev => self.focus = self.focus.step(-1),
            Action::Sort => {
                self.sort = match self.sort {
                    SortBy::Window => SortBy::Count,
                    SortBy::Count => SortBy::Value,
                    SortBy::Value => SortBy::Window,
                };
                self.windows_offset = 0;
            }
            Action::Open => {
                if self.overlay.is_none()
                    && self.focus == Panel::Batches
                    && let Some(batch) = snapshot.batches.get(self.selected_index(snapshot))
                {
                    self.overlay = Some(Overlay::Batch(batch.id));
                    self.overlay_offset = 0;
                }
            }
            Action::Up => self.scroll(snapshot, -1),
            Action::Down => self.scroll(snapshot, 1),
            Action::PageUp => self.scroll(snapshot, -self.page(pages)),
            Action::PageDown => self.scroll(snapshot, self.page(pages)),
            Action::Top => self.scroll(snapshot, isize::MIN / 2),
            Action::Bottom => self.scroll(snapshot, isize::MAX / 2),
            _ => return false,
        }
        true
    }

    /// Brings each offset scrolled past its end (`End`, or the rows fewer since) back to it,
    /// so that the next key up moves what is shown.
    pub fn keep_within(&mut self, limits: ScrollLimits) {
        self.overlay_offset = self.overlay_offset.min(limits.overlay);
        self.windows_offset = self.windows_offset.min(limits.windows);
        self.late_offset = self.late_offset.min(limits.late);
    }

    /// A click on `panel` gives it the focus (under an overlay, a click does nothing).
    pub fn click(&mut self, panel: Panel) {
        if self.overlay.is_none() {
            self.focus = panel;
        }
    }

    /// The mouse wheel over `panel` (none: the header or the footer, where it scrolls the
    /// focused panel) scrolls it `by` lines without moving the focus; with an overlay open, it
    /// scrolls the overlay.
    pub fn wheel(&mut self, panel: Option<Panel>, by: isize, snapshot: &Snapshot) {
        self.scroll_panel(panel.unwrap_or(self.focus), snapshot, by);
    }

    /// The page of what the page keys scroll: the overlay, or the focused panel.
    fn page(&self, pages: Pages) -> isize {
        let page = match (self.overlay, self.focus) {
            (Some(_), _) => pages.overlay,
            (None, Panel::OpenWindows) => pages.windows,
            (None, Panel::Late) => pages.late,
            (None, Panel::Batches) => pages.batches,
            (None, Panel::Watermark | Panel::Metrics | Panel::Sinks) => 1,
        };
        page.clamp(1, usize::MAX / 4) as isize
    }

    fn scroll(&mut self, snapshot: &Snapshot, by: isize) {
        self.scroll_panel(self.focus, snapshot, by);
    }

    fn scroll_panel(&mut self, panel: Panel, snapshot: &Snapshot, by: isize) {
        let moved = |at: usize, len: usize| {
            (at as isize + by).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        if self.overlay.is_some() {
            self.overlay_offset = moved(self.overlay_offset, usize::MAX / 4);
            return;
        }
        match panel {
            Panel::OpenWindows => {
                self.windows_offset = moved(self.windows_offset, snapshot.open.shown());
            }
            Panel::Late => self.late_offset = moved(self.late_offset, snapshot.late.len()),
            Panel::Batches => {
                let index = moved(self.selected_index(snapshot), snapshot.batches.len());
                self.selected_batch = match index {
                    0 => None,
                    i => snapshot.batches.get(i).map(|b| b.id),
                };
            }
            Panel::Watermark | Panel::Metrics | Panel::Sinks => {}
        }
    }
}

//! Choosing how sliding windows are kept (by window, or by pane), and leaving panes for
//! windows when a batch's averages could no longer be added up exactly by pane.

use super::super::accumulate::Kind;
use super::super::emit::Emission;
use super::super::pane_state::PaneState;
use super::super::query::{Query, WindowKind};
use super::super::session::SessionState;
use super::super::sliding::{Fold, Partial};
use super::super::time::Micros;
use super::super::window_state::SlidingState;
use super::{Engine, Running, Windows};

impl Windows {
    /// The state a query starts with: by pane when [`PaneState::suits`] it.
    pub(super) fn of(query: &Query, kinds: &[Kind], exact_avg: bool) -> Windows {
        match query.window() {
            WindowKind::Sliding(spec) if PaneState::suits(query, kinds, exact_avg) => {
                Windows::Panes {
                    spec,
                    state: PaneState::new(spec, kinds.len()),
                    partial: Partial::default(),
                }
            }
            WindowKind::Sliding(spec) => Windows::Sliding {
                spec,
                state: SlidingState::default(),
                partial: Partial::default(),
            },
            WindowKind::Session { gap } => Windows::Session(SessionState::new(gap.micros())),
        }
    }
}

impl Engine {
    /// The running batch goes on by window, in row order, as Spark adds it up: its aggregates
    /// depend on row order, or its averages of integers are past what adds up exactly by pane.
    /// State kept by pane becomes state by window first (for good: its sums may no longer be
    /// exact either), and the batch's entries by pane are added into their windows.
    pub(super) fn by_window_from_here(&mut self) {
        if self.running.by_window {
            return;
        }
        self.state_by_window();
        if let Windows::Sliding { spec, partial, .. } = &mut self.windows {
            partial.panes_to_windows(spec, &self.kinds, &mut self.strings);
        }
        self.running.by_window = true;
    }

    /// Folds the running batch into state kept by pane and closes the windows its watermark
    /// passed. Returns `(state rows updated, late pairs)`.
    pub(super) fn finish_by_pane(
        &mut self,
        running: &Running,
        threshold: Micros,
        out: &mut Emission,
    ) -> (u64, u64) {
        let Windows::Panes { state, partial, .. } = &mut self.windows else {
            return (0, 0);
        };
        let spent = running.avg_spent - state.spent();
        // Its buffers hold no strings ([`PaneState::suits`]): nothing to release.
        let batch = partial.take_by_key();
        let mut fold = Fold::new(
            (&self.kinds, &mut self.strings),
            (&mut self.dropped_keys, &mut self.changed),
            (running.id, threshold),
        );
        let folded = state.fold(&batch, spent, &mut fold);
        let aggs = (&self.kinds[..], self.query.aggs());
        super::super::emit::panes(state, running.watermark, aggs, &mut self.strings, out);
        folded
    }

    /// Turns state kept by pane into the state by window it stands for.
    pub(crate) fn state_by_window(&mut self) {
        let windows = std::mem::replace(&mut self.windows, Windows::Session(SessionState::new(0)));
        self.windows = match windows {
            Windows::Panes {
                spec,
                state,
                partial,
            } => Windows::Sliding {
                spec,
                state: state.into_windows(&self.kinds, &mut self.strings),
                partial,
            },
            other => other,
        };
    }
}

//! What the engine holds now, for progress and the dashboard: its state's size (and the room
//! `--max-state-rows` leaves the running batch) and its open rows with their aggregates'
//! results.

use super::super::accumulate::{self, Acc};
use super::super::types::Datum;
use super::super::window::{Window, WindowSpec};
use super::{Engine, Windows};

impl Engine {
    /// State rows held now: (window, key) pairs, or sessions.
    pub fn state_rows(&self) -> usize {
        match &self.windows {
            Windows::Sliding { state, .. } => state.keys(),
            Windows::Panes { state, .. } => state.pairs() as usize,
            Windows::Session(sessions) => sessions.len(),
        }
    }

    /// Whether the running batch takes no more keys new to the state (`--max-state-rows`).
    pub(super) fn full(&self) -> bool {
        !self.has_room(1)
    }

    /// The state rows a row of a key new to the state opens at most: a window for each an
    /// event falls in, or a session.
    pub(super) fn rows_per_new_key(&self) -> usize {
        match &self.windows {
            Windows::Sliding { spec, .. } | Windows::Panes { spec, .. } => {
                spec.candidates_per_event().max(1)
            }
            Windows::Session(_) => 1,
        }
    }

    /// Whether the running batch may take `keys` more keys new to the state.
    pub(super) fn has_room(&self, keys: usize) -> bool {
        self.running
            .room
            .is_none_or(|room| self.new_keys.len() + keys <= room)
    }

    /// Distinct group keys (and string `min`/`max` values) held now.
    pub fn distinct_keys(&self) -> usize {
        self.strings.len()
    }

    /// The state's memory, roughly, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let n = self.kinds.len();
        let windows = match &self.windows {
            Windows::Sliding { state, .. } => state.heap_bytes(),
            Windows::Panes { state, .. } => state.heap_bytes(),
            Windows::Session(sessions) => sessions.heap_bytes(n),
        };
        windows + self.strings.heap_bytes()
    }

    /// How many windows are open: hold a state row.
    pub fn open_windows(&self) -> usize {
        match &self.windows {
            Windows::Sliding { state, .. } => state.windows().count(),
            Windows::Panes { state, .. } => state.open_windows() as usize,
            Windows::Session(sessions) => {
                let n = self.kinds.len();
                let spans: std::collections::BTreeSet<_> =
                    sessions.rows(n).map(|(_, w, _)| w).collect();
                spans.len()
            }
        }
    }

    /// Every open state row as (window, key bytes, aggregate results), windows in start order;
    /// at most `limit` rows are read, so a huge state costs the caller what it shows.
    pub fn open_rows(&self, limit: usize, mut each: impl FnMut(Window, &[u8], Vec<Datum>)) {
        let n = self.kinds.len();
        let mut left = limit;
        let results = |accs: &[Acc]| -> Vec<Datum> {
            accs.iter()
                .zip(&self.kinds)
                .zip(self.query.aggs())
                .map(|((acc, kind), agg)| accumulate::result(*kind, acc, agg.output, &self.strings))
                .collect()
        };
        match &self.windows {
            Windows::Sliding { state, .. } => {
                let size = self.query.spec().map_or(0, WindowSpec::size);
                for (start, window) in state.windows() {
                    let at = Window {
                        start,
                        end: start + size,
                    };
                    for (i, &id) in window.keys.iter().enumerate() {
                        if left == 0 {
                            return;
                        }
                        left -= 1;
                        each(at, self.strings.bytes(id), results(window.accs(i, n)));
                    }
                }
            }
            Windows::Panes { state, .. } => state.open_rows(&self.kinds, |window, id, accs| {
                if left == 0 {
                    return false;
                }
                left -= 1;
                each(window, self.strings.bytes(id), results(accs));
                true
            }),
            Windows::Session(sessions) => {
                for (id, window, accs) in sessions.rows(n) {
                    if left == 0 {
                        return;
                    }
                    left -= 1;
                    each(window, self.strings.bytes(id), results(accs));
                }
            }
        }
    }
}

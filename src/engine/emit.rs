//! What a batch emits from sliding windows, per Spark's output mode:
//!
//! - append: each (window, key) once, when the watermark has passed the window's end; it is
//!   evicted then;
//! - update: the (window, key) rows the batch changed, with their new aggregates; then the
//!   windows the watermark has passed are evicted without being emitted;
//! - complete: every row of the result table; nothing is ever evicted.
//!
//! State kept by pane is append mode's only ([`panes`]).

use super::accumulate::{self, Acc, Kind};
use super::batch::EmittedRow;
use super::interner::{Id, Interner};
use super::pane_state::PaneState;
use super::panes::start_order;
use super::query::{Agg, OutputMode};
use super::results::{Results, make_room};
use super::time::Micros;
use super::types::DataType;
use super::window::Window;
use super::window_state::SlidingState;

/// The bytes [`Emission::reserve`] allows a key when nothing says otherwise.
const SHORT_KEY: usize = 8;
/// How many keys ahead of its eviction a key's interner entry is asked for.
const EVICT_AHEAD: usize = 8;

/// Emits and evicts per `mode` after batch `batch`, whose watermark is `watermark`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sliding(
    state: &mut SlidingState,
    size: Micros,
    mode: OutputMode,
    watermark: Micros,
    batch: u64,
    kinds: &[Kind],
    aggs: &[Agg],
    strings: &mut Interner,
    out: &mut Emission,
) {
    let n = kinds.len();
    let window_at = |start| Window {
        start,
        end: start + size,
    };
    out.reserve(rows_to_emit(state, size, mode, watermark, batch));
    if mode != OutputMode::Append {
        for (start, window) in state.windows() {
            for (i, &id) in window.keys.iter().enumerate() {
                if mode == OutputMode::Complete || window.touched[i] == batch {
                    out.push(
                        window_at(start),
                        strings.bytes(id),
                        window.accs(i, n),
                        kinds,
                        aggs,
                        strings,
                    );
                }
            }
        }
        if mode == OutputMode::Complete {
            return;
        }
    }
    while let Some(start) = state.first_start() {
        if start + size > watermark {
            break;
        }
        state.evict_first(|start, window| {
            for (i, &id) in window.keys.iter().enumerate() {
                // A key's entry (its bytes, its uses) is likely a cache miss in a large state:
                // asked for some keys ahead, the misses overlap.
                if let Some(&ahead) = window.keys.get(i + EVICT_AHEAD) {
                    strings.prefetch(ahead);
                }
                let accs = window.accs(i, n);
                if mode == OutputMode::Append {
                    out.push(
                        window_at(start),
                        strings.bytes(id),
                        accs,
                        kinds,
                        aggs,
                        strings,
                    );
                }
                strings.release_later(id);
                for (kind, acc) in kinds.iter().zip(accs) {
                    accumulate::release(*kind, acc, strings);
                }
                out.removed += 1;
            }
        });
    }
    strings.flush_releases();
}

/// How many rows [`sliding`] emits: a batch's emission is that many rows, hundreds of
/// thousands with many keys, and its buffers are sized once rather than grown (each growth a
/// copy, into memory the system must first clear).
fn rows_to_emit(
    state: &SlidingState,
    size: Micros,
    mode: OutputMode,
    watermark: Micros,
    batch: u64,
) -> usize {
    let windows = state.windows();
    match mode {
        OutputMode::Complete => state.keys(),
        OutputMode::Update => windows
            .map(|(_, w)| w.touched.iter().filter(|&&t| t == batch).count())
            .sum(),
        OutputMode::Append => windows
            .take_while(|&(start, _)| start + size <= watermark)
            .map(|(_, w)| w.len())
            .sum(),
    }
}

/// Emits and evicts the (window, key) rows of state kept by pane that `watermark` passed, in
/// window start order (append mode).
pub(crate) fn panes(
    state: &mut PaneState,
    watermark: Micros,
    (kinds, aggs): (&[Kind], &[Agg]),
    strings: &mut Interner,
    out: &mut Emission,
) {
    let first = out.rows.len();
    let mut push = |window, id: Id, accs: &[Acc], strings: &Interner| {
        out.push(window, strings.bytes(id), accs, kinds, aggs, strings);
    };
    let removed = state.close(watermark, kinds, strings, Some(&mut push));
    out.removed += removed;
    // Closed key by key: put in window order (a counting sort), as state by window emits.
    let closed = &out.rows[first..];
    let order = start_order(closed, |row| row.window.start, state.geometry().slide());
    let sorted: Vec<EmittedRow> = order.iter().map(|&at| closed[at].clone()).collect();
    out.rows.truncate(first);
    out.rows.extend(sorted);
}

/// The rows a batch emits, with their aggregates, and how many state rows it evicted.
#[derive(Debug)]
pub(crate) struct Emission {
    pub rows: Vec<EmittedRow>,
    pub cells: Results,
    pub keys: Vec<u8>,
    pub removed: u64,
}

/// The lengths of an [`Emission`]'s buffers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EmittedSize {
    rows: usize,
    cells: usize,
    keys: usize,
}

impl Emission {
    /// An emission of rows whose aggregates are of `types`.
    pub(crate) fn new(types: &[DataType]) -> Self {
        Emission::sized(types, EmittedSize::default())
    }

    /// An emission whose buffers start with room for `size`.
    pub(crate) fn sized(types: &[DataType], size: EmittedSize) -> Self {
        Emission {
            rows: Vec::with_capacity(size.rows),
            cells: Results::with_capacity(types, size.cells),
            keys: Vec::with_capacity(size.keys),
            removed: 0,
        }
    }

    /// The lengths of its buffers.
    pub(crate) fn size(&self) -> EmittedSize {
        EmittedSize {
            rows: self.rows.len(),
            cells: self.cells.len(),
            keys: self.keys.len(),
        }
    }

    /// Room for `rows` more rows, their keys taking as many bytes each as the keys so far (or
    /// as the emission it was sized by).
    pub(crate) fn reserve(&mut self, rows: usize) {
        let key_bytes = match self.rows.len() {
            0 => self.keys.capacity().checked_div(self.rows.capacity()),
            held => Some(self.keys.len() / held),
        };
        make_room(&mut self.rows, rows);
        self.cells.reserve(rows * self.cells.width());
        make_room(&mut self.keys, rows * key_bytes.unwrap_or(SHORT_KEY).max(1));
    }

    /// Adds a row: `key`'s bytes and its buffers' results.
    pub fn push(
        &mut self,
        window: Window,
        key: &[u8],
        accs: &[Acc],
        kinds: &[Kind],
        aggs: &[Agg],
        strings: &Interner,
    ) {
        let first = self.cells.len();
        debug_assert_eq!(accs.len(), self.cells.width());
        for ((acc, kind), agg) in accs.iter().zip(kinds).zip(aggs) {
            self.cells
                .push(accumulate::value(*kind, acc, agg.output, strings));
        }
        let at = self.keys.len();
        self.keys.extend_from_slice(key);
        self.rows
            .push(EmittedRow::new(window, at..self.keys.len(), first));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::query::AggFn;
    use crate::engine::types::DataType;

    /// Three windows of 20 (starts 0, 10 and 20) holding 5, 3 and 2 keys; batch 7 changed
    /// two keys of the first and one of the last.
    fn state(strings: &mut Interner) -> SlidingState {
        let mut state = SlidingState::default();
        for (start, keys) in [(0, 5), (10, 3), (20, 2)] {
            for key in 0..keys {
                let id = strings.intern(format!("key {key}").as_bytes()).0;
                let (accs, touched, _) = state.slot(start, id, 1, strings);
                accs[0].a = 1;
                *touched = if (start, key) == (20, 0) || (start == 0 && key < 2) {
                    7
                } else {
                    6
                };
            }
        }
        state
    }

    /// For each mode, the rows counted before emitting are the rows emitted, and the buffers
    /// sized for them are not grown (a growth from none would double past 5 or 10).
    #[test]
    fn an_emission_is_sized_for_the_rows_it_gets() {
        let count = Agg {
            func: AggFn::Count,
            column: None,
            input: None,
            output: DataType::Long,
            name: "count".into(),
        };
        let kinds = [Kind::Count];
        // Watermark 25: the first window (0..20) has closed, the others not.
        for (mode, rows) in [
            (OutputMode::Append, 5),
            (OutputMode::Update, 3),
            (OutputMode::Complete, 10),
        ] {
            let mut strings = Interner::default();
            let mut state = state(&mut strings);
            assert_eq!(rows_to_emit(&state, 20, mode, 25, 7), rows, "{mode:?}");
            let mut out = Emission::new(&[DataType::Long]);
            let aggs = std::slice::from_ref(&count);
            sliding(
                &mut state,
                20,
                mode,
                25,
                7,
                &kinds,
                aggs,
                &mut strings,
                &mut out,
            );
            assert_eq!(out.rows.len(), rows, "{mode:?}");
            assert_eq!(out.rows.capacity(), rows, "{mode:?}");
            assert_eq!(out.cells.capacity(), rows, "{mode:?}");
        }
    }
}

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
use super::time::Micros;
use super::types::Datum;
use super::window::Window;
use super::window_state::SlidingState;

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
    pub cells: Vec<Datum>,
    pub keys: Vec<u8>,
    pub removed: u64,
    width: usize,
}

/// The lengths of an [`Emission`]'s buffers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EmittedSize {
    rows: usize,
    cells: usize,
    keys: usize,
}

impl Emission {
    pub(crate) fn new(width: usize) -> Self {
        Emission::sized(width, EmittedSize::default())
    }

    /// An emission whose buffers start with room for `size`.
    pub(crate) fn sized(width: usize, size: EmittedSize) -> Self {
        Emission {
            rows: Vec::with_capacity(size.rows),
            cells: Vec::with_capacity(size.cells),
            keys: Vec::with_capacity(size.keys),
            removed: 0,
            width,
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
        debug_assert_eq!(accs.len(), self.width);
        self.cells.extend(
            accs.iter()
                .zip(kinds)
                .zip(aggs)
                .map(|((acc, kind), agg)| accumulate::result(*kind, acc, agg.output, strings)),
        );
        let at = self.keys.len();
        self.keys.extend_from_slice(key);
        self.rows
            .push(EmittedRow::new(window, at..self.keys.len(), first));
    }
}

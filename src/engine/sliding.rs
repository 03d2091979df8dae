//! Sliding (and tumbling) windows: the state of every open window, and a batch's partial
//! aggregates before they are folded into it.
//!
//! Like Spark's partial aggregation, a batch first aggregates its rows per (unit, key): the unit
//! is the row's pane (the gcd of window and slide, so one update per row however many windows it
//! lands in) when the aggregates do not depend on row order, and each of its windows when they
//! do (floating-point sums round differently in another order). [`Partial::fold`] then merges
//! the batch into the windows, dropping late pairs.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::accumulate::{self, Acc, Kind};
use super::interner::{Id, Interner};
use super::pane_state::ByKey;
use super::panes::{Panes, start_order};
use super::query::Agg;
use super::row::Row;
use super::time::Micros;
use super::window::{Window, WindowSpec};

/// One open window: its keys and their aggregate buffers, `n` per key, in an arena.
#[derive(Debug, Default)]
pub(crate) struct WindowState {
    index: FxHashMap<Id, u32>,
    pub keys: Vec<Id>,
    pub accs: Vec<Acc>,
    /// The batch that last changed each key.
    pub touched: Vec<u64>,
}

impl WindowState {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Key `i`'s buffers.
    pub fn accs(&self, i: usize, n: usize) -> &[Acc] {
        &self.accs[i * n..(i + 1) * n]
    }

    pub fn find(&self, id: Id) -> Option<usize> {
        self.index.get(&id).map(|&i| i as usize)
    }

    fn clear(&mut self) {
        self.index.clear();
        self.keys.clear();
        self.accs.clear();
        self.touched.clear();
    }
}

/// Emptied windows kept for reuse, their memory with them.
const SPARE_WINDOWS: usize = 64;

/// The open windows, in start order.
#[derive(Debug, Default)]
pub(crate) struct SlidingState {
    windows: BTreeMap<Micros, WindowState>,
    spare: Vec<WindowState>,
    keys: usize,
}

impl SlidingState {
    /// State keys (window, key) held.
    pub fn keys(&self) -> usize {
        self.keys
    }

    pub fn windows(&self) -> impl Iterator<Item = (Micros, &WindowState)> {
        self.windows.iter().map(|(&start, w)| (start, w))
    }

    pub fn window(&self, start: Micros) -> Option<&WindowState> {
        self.windows.get(&start)
    }

    /// The earliest open window's start.
    pub fn first_start(&self) -> Option<Micros> {
        self.windows.first_key_value().map(|(&s, _)| s)
    }

    /// Sets key `id` of the window at `start` to `accs` (restoring a checkpoint); the key takes
    /// a reference to `id`. Returns whether it is new.
    pub fn set(
        &mut self,
        start: Micros,
        id: Id,
        accs: &[Acc],
        touched: u64,
        strings: &mut Interner,
        kinds: &[Kind],
    ) -> bool {
        let (slot, batch, fresh) = self.slot(start, id, accs.len(), strings);
        for (kind, acc) in kinds.iter().zip(slot.iter()) {
            accumulate::release(*kind, acc, strings);
        }
        slot.copy_from_slice(accs);
        *batch = touched;
        fresh
    }

    /// Key `id`'s buffers in the window at `start` and the batch that last changed them, found
    /// with one lookup of each map, and whether the key is new: a key not there is added
    /// (taking a reference to `id`) with empty buffers, for the caller to fill.
    pub fn slot(
        &mut self,
        start: Micros,
        id: Id,
        n: usize,
        strings: &mut Interner,
    ) -> (&mut [Acc], &mut u64, bool) {
        let (windows, spare) = (&mut self.windows, &mut self.spare);
        let state = windows
            .entry(start)
            .or_insert_with(|| spare.pop().unwrap_or_default());
        let found = state.find(id);
        let i = found.unwrap_or_else(|| {
            strings.acquire(id);
            state.index.insert(id, state.keys.len() as u32);
            state.keys.push(id);
            state.accs.resize(state.accs.len() + n, Acc::default());
            state.touched.push(0);
            self.keys += 1;
            state.keys.len() - 1
        });
        let fresh = found.is_none();
        (
            &mut state.accs[i * n..(i + 1) * n],
            &mut state.touched[i],
            fresh,
        )
    }

    /// Removes the earliest window, handing it to `take` before its memory is reused.
    pub fn evict_first(&mut self, take: impl FnOnce(Micros, &WindowState)) {
        let Some((start, mut state)) = self.windows.pop_first() else {
            return;
        };
        self.keys -= state.len();
        take(start, &state);
        state.clear();
        if self.spare.len() < SPARE_WINDOWS {
            self.spare.push(state);
        }
    }

    /// Bytes held by the maps, roughly.
    pub fn heap_bytes(&self, n: usize) -> usize {
        let per_key = size_of::<(Id, u32)>() + 1 + size_of::<Id>() + n * size_of::<Acc>() + 8;
        self.windows
            .values()
            .chain(&self.spare)
            .map(|w| w.index.capacity() * per_key)
            .sum::<usize>()
            + self.windows.len() * (size_of::<WindowState>() + 2 * size_of::<Micros>())
    }
}

/// Keys below this id are counted densely by count-only queries: no hashing per row.
const DENSE_IDS: usize = 4096;

/// A batch's rows, aggregated per (unit, key) before they are folded into the windows.
#[derive(Debug, Default)]
pub(crate) struct Partial {
    index: FxHashMap<(i64, Id), u32>,
    units: Vec<(i64, Id)>,
    accs: Vec<Acc>,
    /// Rows per entry (the late pairs a dropped entry stands for).
    rows: Vec<u64>,
    /// Count-only queries: the current pane's counts by key id, for small ids.
    dense: Dense,
    near: Box<NearIndex>,
}

#[derive(Debug, Default)]
struct Dense {
    unit: Option<i64>,
    counts: Vec<u64>,
    ids: Vec<Id>,
}

/// How many units [`Partial::entry_near`] keeps indexed: a pane, or the windows of one when
/// a window spans at most this many slides.
pub(crate) const NEAR_UNITS: usize = 4;

/// Where a unit's entries are, by key id, for small ids: the rows of a unit find their entry
/// without hashing.
#[derive(Debug, Default)]
struct UnitIndex {
    unit: Option<i64>,
    /// Entry index + 1 by key id; 0 for none.
    at: Vec<u32>,
    ids: Vec<Id>,
}

impl UnitIndex {
    fn clear(&mut self) {
        for &id in &self.ids {
            self.at[id as usize] = 0;
        }
        self.ids.clear();
        self.unit = None;
    }
}

/// The last units rows went to, each indexed.
#[derive(Debug, Default)]
struct NearIndex {
    units: [UnitIndex; NEAR_UNITS],
    /// The index to reuse next for a unit not indexed.
    victim: usize,
}

impl NearIndex {
    fn clear(&mut self) {
        for index in &mut self.units {
            index.clear();
        }
    }
}

impl Partial {
    /// The buffers of (`unit`, `id`), added if new.
    #[inline]
    pub fn entry(&mut self, unit: i64, id: Id, n: usize) -> (&mut [Acc], &mut u64) {
        let at = self.slot(unit, id, n);
        (&mut self.accs[at * n..(at + 1) * n], &mut self.rows[at])
    }

    /// The index of (`unit`, `id`)'s entry, added if new.
    #[inline]
    fn slot(&mut self, unit: i64, id: Id, n: usize) -> usize {
        if let Some(&at) = self.index.get(&(unit, id)) {
            return at as usize;
        }
        let at = self.units.len();
        self.index.insert((unit, id), at as u32);
        self.units.push((unit, id));
        self.accs.resize(self.accs.len() + n, Acc::default());
        self.rows.push(0);
        at
    }

    /// [`Partial::entry`] for rows whose units repeat (a pane's rows mostly follow each other,
    /// and go to that pane or its few windows): small key ids find the entries of the last
    /// [`NEAR_UNITS`] units in arrays.
    #[inline]
    pub fn entry_near(&mut self, unit: i64, id: Id, n: usize) -> (&mut [Acc], &mut u64) {
        let at = self.slot_near(unit, id, n);
        (&mut self.accs[at * n..(at + 1) * n], &mut self.rows[at])
    }

    /// The index of the entry [`Partial::entry_near`] gives.
    #[allow(clippy::inline_always)] // every row's (see `Updater::update`)
    #[inline(always)]
    fn slot_near(&mut self, unit: i64, id: Id, n: usize) -> usize {
        if (id as usize) >= DENSE_IDS {
            return self.slot(unit, id, n);
        }
        let near = &mut self.near;
        let found = near.units.iter().position(|index| index.unit == Some(unit));
        let which = found.unwrap_or_else(|| {
            let which = near.victim;
            near.victim = (which + 1) % NEAR_UNITS;
            near.units[which].clear();
            near.units[which].unit = Some(unit);
            which
        });
        let index = &mut near.units[which];
        let slot = id as usize;
        if slot >= index.at.len() {
            index
                .at
                .resize((slot + 1).next_power_of_two().clamp(64, DENSE_IDS), 0);
        }
        match index.at[slot] {
            0 => {
                let at = self.slot(unit, id, n);
                let index = &mut self.near.units[which];
                index.at[slot] = at as u32 + 1;
                index.ids.push(id);
                at
            }
            at => at as usize - 1,
        }
    }

    /// Counts one row of key `id` in `unit`, for a query whose only aggregate is `count`.
    #[inline]
    pub fn count(&mut self, unit: i64, id: Id) {
        if (id as usize) >= DENSE_IDS {
            let (accs, rows) = self.entry(unit, id, 1);
            accs[0].a += 1;
            *rows += 1;
            return;
        }
        if self.dense.unit != Some(unit) {
            self.flush_dense();
            self.dense.unit = Some(unit);
        }
        let at = id as usize;
        if at >= self.dense.counts.len() {
            self.dense
                .counts
                .resize((at + 1).next_power_of_two().clamp(64, DENSE_IDS), 0);
        }
        let count = &mut self.dense.counts[at];
        if *count == 0 {
            self.dense.ids.push(id);
        }
        *count += 1;
    }

    fn flush_dense(&mut self) {
        let Some(unit) = self.dense.unit.take() else {
            return;
        };
        let ids = std::mem::take(&mut self.dense.ids);
        for &id in &ids {
            let count = std::mem::take(&mut self.dense.counts[id as usize]);
            let (accs, rows) = self.entry(unit, id, 1);
            accs[0].a += count;
            *rows += count;
        }
        self.dense.ids = ids;
        self.dense.ids.clear();
    }

    /// Adds a row of key `id` at `event_time` to the entries of each of its windows, each
    /// column read once for them all when they are few.
    #[inline]
    pub fn add_by_window<R: Row + ?Sized>(
        &mut self,
        spec: &WindowSpec,
        (event_time, id): (Micros, Id),
        (aggs, kinds): (&[Agg], &[Kind]),
        row: &R,
        strings: &mut Interner,
    ) {
        let n = kinds.len();
        if spec.candidates_per_event() > NEAR_UNITS {
            for window in spec.windows_of(event_time) {
                let (accs, rows) = self.entry(window.start, id, n);
                *rows += 1;
                accumulate::update_all(aggs, kinds, accs, row, strings);
            }
            return;
        }
        // A few windows: their entries first, then each column read once.
        let mut at = [0; NEAR_UNITS];
        let mut count = 0;
        for window in spec.windows_of(event_time) {
            at[count] = self.slot_near(window.start, id, n);
            count += 1;
        }
        for &i in &at[..count] {
            self.rows[i] += 1;
        }
        accumulate::update_all_at(aggs, kinds, &mut self.accs, &at[..count], row, strings);
    }

    /// Turns entries by pane into entries by window, their rows with them. Exact for what a
    /// batch by pane holds (aggregates that do not depend on row order, and averages of
    /// integers while their sums are), in any order: a key's windows are swept once, in start
    /// order, and the windows holding the same of its panes (most of them, where a window spans
    /// many panes) take one merge of those panes, not a merge of each.
    pub fn panes_to_windows(&mut self, spec: &WindowSpec, kinds: &[Kind], strings: &mut Interner) {
        let n = kinds.len();
        let ByKey {
            units,
            accs,
            rows,
            order,
        } = self.take_by_key();
        let pane_start = |at: usize| units[at].0 * spec.pane();
        let first_window = |at: usize| spec.windows_of_pane(units[at].0).next().map(|w| w.start);
        let mut merged = Panes::new(n);
        for panes in order.chunk_by(|&a, &b| units[a].1 == units[b].1) {
            let id = units[panes[0]].1;
            merged.clear(kinds, strings);
            // The window at `start` holds `panes[lo..hi]`.
            let (mut lo, mut hi) = (0, 0);
            let Some(mut start) = first_window(panes[0]) else {
                continue;
            };
            while lo < panes.len() {
                while hi < panes.len() && pane_start(panes[hi]) < start + spec.size() {
                    hi += 1;
                }
                while lo < hi && pane_start(panes[lo]) < start {
                    lo += 1;
                }
                if lo == hi {
                    match panes.get(lo).and_then(|&at| first_window(at)) {
                        Some(next) => start = next,
                        None => break,
                    }
                    continue;
                }
                merged.hold((lo, hi), panes, (&accs, &rows), kinds, strings);
                let slot = self.slot(start, id, n);
                let window_accs = &mut self.accs[slot * n..(slot + 1) * n];
                accumulate::merge_all(kinds, window_accs, &merged.accs, strings);
                self.rows[slot] += merged.rows;
                start += spec.slide();
            }
        }
        merged.clear(kinds, strings);
        for pane_accs in accs.chunks(n.max(1)) {
            for (kind, acc) in kinds.iter().zip(pane_accs) {
                accumulate::release(*kind, acc, strings);
            }
        }
    }

    /// Takes the batch's entries out, in key then unit order; the caller releases their
    /// buffers.
    pub fn take_by_key(&mut self) -> ByKey {
        self.flush_dense();
        let units = std::mem::take(&mut self.units);
        self.index.clear();
        self.near.clear();
        let order = key_then_unit_order(&units);
        ByKey {
            units,
            accs: std::mem::take(&mut self.accs),
            rows: std::mem::take(&mut self.rows),
            order,
        }
    }

    /// Forgets the batch (dropped unfinished), giving back the string references it held.
    pub fn discard(&mut self, kinds: &[Kind], strings: &mut Interner) {
        self.flush_dense();
        for accs in self.accs.chunks(kinds.len().max(1)) {
            for (kind, acc) in kinds.iter().zip(accs) {
                accumulate::release(*kind, acc, strings);
            }
        }
        self.near.clear();
        self.index.clear();
        self.units.clear();
        self.accs.clear();
        self.rows.clear();
    }

    /// Folds the batch into `state`: each entry into every window of its unit (a pane's
    /// windows, or the one window it is), the windows ending at or before `threshold` dropped as
    /// late. Returns `(keys updated, late pairs)`; dropped and changed keys are recorded.
    #[allow(clippy::too_many_arguments)]
    pub fn fold(
        &mut self,
        spec: &WindowSpec,
        mut by_pane: bool,
        fold: &mut Fold<'_>,
        state: &mut SlidingState,
    ) -> (u64, u64) {
        if by_pane && fold.whole_windows {
            self.panes_to_windows(spec, fold.kinds, fold.strings);
            by_pane = false;
        }
        self.flush_dense();
        let n = fold.kinds.len();
        let (mut updated, mut late_pairs) = (0, 0);
        // Entries by window in start order: a window's keys one after another, its table warm.
        let order = if by_pane {
            (0..self.units.len()).collect()
        } else {
            start_order(&self.units, |u| u.0, spec.slide())
        };
        for at in order {
            let (unit, id) = self.units[at];
            let partial = &self.accs[at * n..(at + 1) * n];
            let windows: &mut dyn Iterator<Item = Window> = if by_pane {
                &mut spec.windows_of_pane(unit)
            } else {
                &mut std::iter::once(spec.window_at(unit))
            };
            for window in windows {
                if window.end <= fold.threshold {
                    late_pairs += self.rows[at];
                    fold.dropped.insert((window.start, id));
                    continue;
                }
                let (accs, touched, fresh) = state.slot(window.start, id, n, fold.strings);
                // Each buffer in place: no copy of the key's buffers through a scratch (a
                // `memcpy` call a (window, key)).
                for ((kind, acc), from) in fold.kinds.iter().zip(accs.iter_mut()).zip(partial) {
                    let merged = accumulate::merge_into_state(
                        *kind,
                        (!fresh).then_some(&*acc),
                        from,
                        fold.strings,
                    );
                    accumulate::release(*kind, acc, fold.strings);
                    *acc = merged;
                }
                if fresh || *touched != fold.batch {
                    updated += 1;
                    fold.changed.push((window.start, id));
                }
                *touched = fold.batch;
            }
        }
        for accs in self.accs.chunks(n.max(1)) {
            for (kind, acc) in fold.kinds.iter().zip(accs) {
                accumulate::release(*kind, acc, fold.strings);
            }
        }
        self.near.clear();
        self.index.clear();
        self.units.clear();
        self.accs.clear();
        self.rows.clear();
        (updated, late_pairs)
    }
}

/// The late pairs a batch dropped and the state rows it changed, by (window start, key).
pub(crate) type Marked<'a> = (&'a mut FxHashSet<(Micros, Id)>, &'a mut Vec<(Micros, Id)>);

/// What folding a batch needs besides the partial and the state.
pub(crate) struct Fold<'a> {
    pub kinds: &'a [Kind],
    pub strings: &'a mut Interner,
    pub batch: u64,
    /// `wm[N-1]`: windows ending at or before it take no rows.
    pub threshold: Micros,
    pub dropped: &'a mut FxHashSet<(Micros, Id)>,
    pub changed: &'a mut Vec<(Micros, Id)>,
    /// A window's batch buffers meet the state whole, as Spark's do (an average's double sum
    /// would round otherwise): entries by pane are added into their windows first.
    pub whole_windows: bool,
}

impl<'a> Fold<'a> {
    /// Batch `batch`'s fold with late threshold `threshold`, not by whole windows.
    pub fn new(
        (kinds, strings): (&'a [Kind], &'a mut Interner),
        (dropped, changed): Marked<'a>,
        (batch, threshold): (u64, Micros),
    ) -> Self {
        Fold {
            kinds,
            strings,
            batch,
            threshold,
            dropped,
            changed,
            whole_windows: false,
        }
    }
}

/// The indexes of `units` (each `(unit, key)` once) in key then unit order. Key ids are
/// interned, so small and dense: a counting sort by key, after which each key's entries are
/// nearly always in unit order already (a batch meets a key's panes in time order) and only
/// checked. Sparse ids (few entries, a large id) get a comparison sort.
pub(crate) fn key_then_unit_order(units: &[(i64, Id)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    let top = units.iter().map(|&(_, id)| id as usize).max().unwrap_or(0);
    if top > 4 * units.len() + 1024 {
        order.sort_unstable_by_key(|&at| (units[at].1, units[at].0));
        return order;
    }
    let mut next = vec![0; top + 2];
    for &(_, id) in units {
        next[id as usize + 1] += 1;
    }
    for id in 1..next.len() {
        next[id] += next[id - 1];
    }
    for (at, &(_, id)) in units.iter().enumerate() {
        order[next[id as usize]] = at;
        next[id as usize] += 1;
    }
    for key in order.chunk_by_mut(|&a, &b| units[a].1 == units[b].1) {
        if !key.is_sorted_by_key(|&at| units[at].0) {
            key.sort_unstable_by_key(|&at| units[at].0);
        }
    }
    order
}

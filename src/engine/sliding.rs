//! Sliding (and tumbling) windows: a batch's partial aggregates before they are folded into
//! the state of the open windows ([`super::window_state`]).
//!
//! Like Spark's partial aggregation, a batch first aggregates its rows per (unit, key): the unit
//! is the row's pane (the gcd of window and slide, so one update per row however many windows it
//! lands in) when the aggregates do not depend on row order, and each of its windows when they
//! do (floating-point sums round differently in another order). [`Partial::fold`] then merges
//! the batch into the windows, dropping late pairs.

mod entry_index;

use std::ops::Range;

use rustc_hash::FxHashSet;

use super::accumulate::{self, Acc, Kind};
use super::changes::Changes;
use super::interner::{Id, Interner};
use super::pane_state::ByKey;
use super::panes::{Panes, start_order};
use super::query::Agg;
use super::row::Row;
use super::time::Micros;
use super::window::WindowSpec;
use super::window_state::SlidingState;
use entry_index::EntryIndex;

/// Keys below this id are counted densely by count-only queries: no hashing per row.
const DENSE_IDS: usize = 4096;

/// A batch's rows, aggregated per (unit, key) before they are folded into the windows.
#[derive(Debug, Default)]
pub(crate) struct Partial {
    index: EntryIndex,
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
        match self.index.find_or_add(unit, id, &self.units) {
            Some(at) => at,
            None => self.push_entry(unit, id, n),
        }
    }

    /// Adds an entry of (`unit`, `id`) with empty buffers; the caller has indexed it.
    #[inline]
    fn push_entry(&mut self, unit: i64, id: Id, n: usize) -> usize {
        let at = self.units.len();
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
        self.count_rows(unit, id, 1);
    }

    /// Starts loading where key `id`'s entry is looked for.
    #[inline]
    pub fn prefetch(&self, id: Id) {
        self.index.prefetch(id);
    }

    /// [`Partial::count`] of a key the batch holds no entry of (one new to the interner, with
    /// many keys most of them): its entry is added without being looked for.
    #[inline]
    pub fn count_new(&mut self, unit: i64, id: Id) {
        if (id as usize) < DENSE_IDS {
            return self.count_rows(unit, id, 1);
        }
        let at = self.units.len();
        self.index.add_new(id, at);
        self.push_entry(unit, id, 1);
        self.accs[at].a = 1;
        self.rows[at] = 1;
    }

    /// [`Partial::count`] of `n` rows at once: the same entries, made in the same order, as
    /// `n` calls of it in a row.
    #[inline]
    pub fn count_rows(&mut self, unit: i64, id: Id, n: u64) {
        if (id as usize) >= DENSE_IDS {
            let (accs, rows) = self.entry(unit, id, 1);
            accs[0].a += n;
            *rows += n;
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
        *count += n;
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
        self.index.by_window();
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
        self.index.by_window();
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

    /// Empties the batch's entries and their indexes (their buffers given back already).
    fn forget_entries(&mut self) {
        self.near.clear();
        self.index.clear();
        self.units.clear();
        self.accs.clear();
        self.rows.clear();
    }

    /// Forgets the batch (dropped unfinished), giving back the string references it held.
    pub fn discard(&mut self, kinds: &[Kind], strings: &mut Interner) {
        self.flush_dense();
        for accs in self.accs.chunks(kinds.len().max(1)) {
            for (kind, acc) in kinds.iter().zip(accs) {
                accumulate::release(*kind, acc, strings);
            }
        }
        self.forget_entries();
    }

    /// The batch's entries in window start order, and for each window the batch has rows in its
    /// start and its entries (a run of that order): by window, the entries of one window; by
    /// pane, those of the panes it holds, in pane order, each entry in every window of its pane.
    /// A run's entries are in the order they came. Windows between the batch's panes are
    /// skipped, not visited: the work is the pairs', however far apart the panes are.
    fn window_runs(
        &self,
        spec: &WindowSpec,
        by_pane: bool,
    ) -> (Vec<usize>, Vec<(Micros, Range<usize>)>) {
        let unit_of = |at: usize| self.units[at].0;
        let (step, panes) = if by_pane {
            (1, spec.size() / spec.pane())
        } else {
            (spec.slide(), 1)
        };
        let order = start_order(&self.units, |u| u.0, step);
        let (Some(&first), Some(&last)) = (order.first(), order.last()) else {
            return (order, Vec::new());
        };
        let mut runs = Vec::new();
        if by_pane {
            // The first window holding pane `p`.
            let first_window = |p| spec.windows_of_pane(p).next().map(|w| w.start);
            let Some(last) = spec.windows_of_pane(unit_of(last)).last() else {
                return (order, runs);
            };
            let (mut at, mut start) = (0, first_window(unit_of(first)));
            while let Some(from) = start.filter(|&s| s <= last.start && at < order.len()) {
                let first_pane = from.div_euclid(spec.pane());
                at += order[at..].partition_point(|&i| unit_of(i) < first_pane);
                let len = order[at..].partition_point(|&i| unit_of(i) < first_pane + panes);
                if len > 0 {
                    runs.push((from, at..at + len));
                    start = Some(from + spec.slide());
                } else {
                    // None of the batch's panes is in this window: on to the first window of
                    // the next pane it has, however far (a row years late, say).
                    start = order.get(at).and_then(|&i| first_window(unit_of(i)));
                }
            }
        } else {
            let mut at = 0;
            for run in order.chunk_by(|&a, &b| unit_of(a) == unit_of(b)) {
                runs.push((unit_of(run[0]), at..at + run.len()));
                at += run.len();
            }
        }
        (order, runs)
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
        // One window at a time: its keys one after another, its table warm.
        let (order, runs) = self.window_runs(spec, by_pane);
        for (start, run) in runs {
            let entries = &order[run];
            if start + spec.size() <= fold.threshold {
                for &at in entries {
                    late_pairs += self.rows[at];
                    fold.dropped.insert((start, self.units[at].1));
                }
                continue;
            }
            let (window, keys) = state.window_mut(start);
            window.reserve(self.new_keys(entries, by_pane), fold.strings.id_bound());
            for (k, &at) in entries.iter().enumerate() {
                // A key's place and entry are likely cache misses in a large state: asked
                // for some keys ahead, they load while the keys before are folded.
                if let Some(&ahead) = entries.get(k + FOLD_AHEAD) {
                    let id = self.units[ahead].1;
                    window.prefetch(id);
                    fold.strings.prefetch(id);
                }
                if let Some(&ahead) = entries.get(k + FOLD_AHEAD / 2) {
                    window.prefetch_slot(self.units[ahead].1, n);
                }
                let id = self.units[at].1;
                let (accs, touched, fresh) = window.slot(id, n, fold.strings);
                *keys += usize::from(fresh);
                // Each buffer in place: no copy of the key's buffers through a scratch (a
                // `memcpy` call a (window, key)).
                let partial = &self.accs[at * n..(at + 1) * n];
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
                    fold.changed.note(start, id);
                }
                *touched = fold.batch;
            }
        }
        for accs in self.accs.chunks(n.max(1)) {
            for (kind, acc) in fold.kinds.iter().zip(accs) {
                accumulate::release(*kind, acc, fold.strings);
            }
        }
        self.forget_entries();
        (updated, late_pairs)
    }

    /// The fewest and the most keys one window's `entries` hold that the window may not: each
    /// key once, or, by pane, once in each pane (as many as the largest pane's, at least).
    fn new_keys(&self, entries: &[usize], by_pane: bool) -> (usize, usize) {
        let runs = entries.chunk_by(|&a, &b| !by_pane || self.units[a].0 == self.units[b].0);
        (runs.map(<[usize]>::len).max().unwrap_or(0), entries.len())
    }
}

/// How many keys ahead the fold asks for a key's place in the window and its interner entry.
const FOLD_AHEAD: usize = 16;

/// The late pairs a batch dropped and the state rows it changed, by (window start, key).
pub(crate) type Marked<'a> = (&'a mut FxHashSet<(Micros, Id)>, &'a mut Changes);

/// What folding a batch needs besides the partial and the state.
pub(crate) struct Fold<'a> {
    pub kinds: &'a [Kind],
    pub strings: &'a mut Interner,
    pub batch: u64,
    /// `wm[N-1]`: windows ending at or before it take no rows.
    pub threshold: Micros,
    pub dropped: &'a mut FxHashSet<(Micros, Id)>,
    pub changed: &'a mut Changes,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A key counted new takes one entry, which its next rows in the pane find.
    #[test]
    fn a_key_counted_new_has_one_entry_its_next_rows_find() {
        let mut partial = Partial::default();
        let id = DENSE_IDS as Id + 5;
        partial.count_new(3, id);
        partial.count(3, id);
        partial.count_rows(3, id, 2);
        partial.count(4, id);
        assert_eq!(partial.units, [(3, id), (4, id)]);
        assert_eq!(partial.rows, [4, 1]);
        assert_eq!(partial.accs[0].a, 4);
    }

    /// Panes a day apart under 10-second windows sliding every second: the runs are the ten
    /// windows of each pane, not the 86,400 windows between them.
    #[test]
    fn window_runs_skip_the_windows_between_a_batchs_panes() {
        const SECOND: Micros = 1_000_000;
        let spec = WindowSpec::new(10 * SECOND, SECOND);
        let mut partial = Partial::default();
        for (pane, id) in [(86_400, 1), (0, 2), (0, 3)] {
            partial.entry(pane, id, 1);
        }
        let (order, runs) = partial.window_runs(&spec, true);
        let starts: Vec<Micros> = runs.iter().map(|(start, _)| start / SECOND).collect();
        let want: Vec<Micros> = (-9..=0).chain(86_391..=86_400).collect();
        assert_eq!(starts, want);
        for (start, run) in runs {
            let ids: Vec<Id> = order[run].iter().map(|&at| partial.units[at].1).collect();
            assert_eq!(ids, if start <= 0 { vec![2, 3] } else { vec![1] });
        }
    }
}

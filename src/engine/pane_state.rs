//! Sliding windows kept by pane, for append-mode queries whose events land in many windows.
//!
//! The state is each key's panes (a pane is the gcd of window and slide: all of its events lie
//! in the same windows) with their buffers; a window's buffers are merged from its panes when
//! the watermark closes it, by a two-stacks sweep over the key's panes, so that each pane is
//! merged a bounded number of times whatever the number of windows holding it. A row costs one
//! update and a batch one merge per (pane, key) it touched, where state by window costs one per
//! (window, key): 600 for an event of a 10-minute window sliding every second.
//!
//! That is exact only where a merge's answer does not depend on grouping (counts, integral
//! sums, integral extremes, and averages of integers while every sum stays an integer of at most
//! 2^53 in magnitude: see `exact_avg`). [`PaneState::suits`] says when; [`PaneState::spent`]
//! keeps the magnitudes of averaged values held, and a batch that would take them past 2^53
//! turns the state into state by window first ([`PaneState::into_windows`]).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::accumulate::{Acc, Kind, Numeric, merge_all};
use super::interner::{Id, Interner};
use super::pane_sweep::{Stacks, Sweep};
use super::query::{OutputMode, Query, WindowKind};
use super::sliding::{Fold, NEAR_UNITS};
use super::time::Micros;
use super::window::{Window, WindowSpec};
use super::window_state::SlidingState;

/// Windows by index `j` (window `j` starts at `j × slide`) and panes by index `p` (pane `p`
/// starts at `p × pane`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    spec: WindowSpec,
    per_slide: i64,
    per_window: i64,
}

impl Geometry {
    pub fn new(spec: WindowSpec) -> Self {
        Geometry {
            spec,
            per_slide: spec.slide() / spec.pane(),
            per_window: spec.size() / spec.pane(),
        }
    }

    /// The windows holding pane `p`: `lo..=hi`.
    #[inline]
    pub fn windows_of(&self, p: i64) -> (i64, i64) {
        (
            (p - self.per_window).div_euclid(self.per_slide) + 1,
            p.div_euclid(self.per_slide),
        )
    }

    /// The panes of window `j`: `a..b`.
    #[inline]
    pub fn panes_of(&self, j: i64) -> (i64, i64) {
        let a = j * self.per_slide;
        (a, a + self.per_window)
    }

    /// The first window ending after `t`.
    pub fn first_after(&self, t: Micros) -> i64 {
        t.saturating_sub(self.spec.size())
            .div_euclid(self.spec.slide())
            + 1
    }

    pub fn slide(&self) -> Micros {
        self.spec.slide()
    }

    pub fn window(&self, j: i64) -> Window {
        self.spec.window_at(j * self.spec.slide())
    }

    pub fn pane_start(&self, p: i64) -> Micros {
        p * self.spec.pane()
    }

    /// The pane starting at `start`.
    pub fn pane_of_start(&self, start: Micros) -> i64 {
        self.spec.pane_of(start)
    }
}

/// How many of the windows from `from` on hold one of `panes` (strictly ascending). A run of
/// consecutive panes holds the windows from its first's first to its last's last, so the count
/// costs a step a run (one for a key with a pane every slide), not one a pane.
pub(crate) fn windows_held(geometry: &Geometry, mut panes: &[i64], from: i64) -> u64 {
    let (mut next, mut count) = (from, 0);
    while let Some(&first) = panes.first() {
        let run = run_len(panes);
        let (lo, _) = geometry.windows_of(first);
        let (_, hi) = geometry.windows_of(panes[run - 1]);
        let lo = lo.max(next);
        if hi >= lo {
            count += (hi - lo + 1) as u64;
            next = hi + 1;
        }
        panes = &panes[run..];
    }
    count
}

/// How many of `panes` (strictly ascending, not empty) are consecutive from the first: a
/// binary search, since pane `i` is `first + i` exactly while the run lasts.
fn run_len(panes: &[i64]) -> usize {
    let in_run = |i: usize| panes[i] - panes[0] == i as i64;
    let (mut lo, mut hi) = (0, panes.len() - 1);
    if in_run(hi) {
        return panes.len();
    }
    // `in_run(lo)` holds, `in_run(hi)` does not.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if in_run(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo + 1
}

/// One key's panes, ascending, and their buffers (`n` a pane); those before `head` are gone.
#[derive(Debug, Default)]
struct KeyPanes {
    head: usize,
    panes: Vec<i64>,
    accs: Vec<Acc>,
    /// The (window, key) state rows it stands for.
    pairs: u64,
    /// The sweep's stacks, kept from one close to the next.
    stacks: Stacks,
}

impl KeyPanes {
    fn panes(&self) -> &[i64] {
        &self.panes[self.head..]
    }

    fn accs(&self, n: usize) -> &[Acc] {
        &self.accs[self.head * n..]
    }

    /// The live panes with their buffers, and the sweep's stacks over them, to sweep on.
    fn live_and_stacks(&mut self, n: usize) -> ((&[i64], &[Acc]), &mut Stacks) {
        let live = (&self.panes[self.head..], &self.accs[self.head * n..]);
        (live, &mut self.stacks)
    }

    /// Pane `p`'s buffers (added if new) and whether it is new; the sweep's stacks are
    /// forgotten if they merged it or a pane after it.
    fn pane(&mut self, p: i64, n: usize) -> (&mut [Acc], bool) {
        let live = &self.panes[self.head..];
        let at = self.head
            + match live.last() {
                Some(&last) if last < p => live.len(),
                _ => live.partition_point(|&q| q < p),
            };
        if self.stacks.covers(at - self.head) {
            self.stacks.forget();
        }
        let fresh = self.panes.get(at) != Some(&p);
        if fresh {
            self.panes.insert(at, p);
            let tail = self.accs.len();
            self.accs.resize(tail + n, Acc::default());
            self.accs[at * n..].rotate_right(n);
        }
        (&mut self.accs[at * n..(at + 1) * n], fresh)
    }

    /// Forgets the panes all of whose windows are at or before window `j`.
    fn drop_through(&mut self, geometry: &Geometry, j: i64, n: usize) {
        let dropped = self
            .panes()
            .partition_point(|&p| geometry.windows_of(p).1 <= j);
        self.stacks.drop_front(dropped);
        self.head += dropped;
        if self.head > 0 && self.head * 2 >= self.panes.len() {
            self.panes.drain(..self.head);
            self.accs.drain(..self.head * n);
            self.head = 0;
        }
    }
}

/// The open windows' panes, by key.
#[derive(Debug)]
pub(crate) struct PaneState {
    geometry: Geometry,
    n: usize,
    keys: FxHashMap<Id, KeyPanes>,
    /// (window, key) state rows held, Spark's count.
    pairs: u64,
    /// Windows ending at or before it are emitted and gone.
    closed: Micros,
    /// The magnitudes of averaged values held, by the latest pane of the batch that added them
    /// (held as long as any pane of that batch is).
    spent: BTreeMap<i64, u64>,
    sweep: Sweep,
}

impl PaneState {
    /// Whether a query's sliding windows are best and exactly kept by pane: append mode, events
    /// in more windows than a batch indexes near ([`NEAR_UNITS`]), and aggregates that merge
    /// exactly in any grouping (averages of integers while exact; no string extremes, whose
    /// merges hold references).
    pub fn suits(query: &Query, kinds: &[Kind], exact_avg: bool) -> bool {
        let WindowKind::Sliding(spec) = query.window() else {
            return false;
        };
        query.mode() == OutputMode::Append
            && spec.candidates_per_event() > NEAR_UNITS
            && (!query.order_sensitive() || exact_avg)
            && !kinds
                .iter()
                .any(|k| matches!(k, Kind::Extreme(_, Numeric::Str)))
    }

    pub fn new(spec: WindowSpec, n: usize) -> Self {
        PaneState {
            geometry: Geometry::new(spec),
            n,
            keys: FxHashMap::default(),
            pairs: 0,
            closed: 0,
            spent: BTreeMap::new(),
            sweep: Sweep::default(),
        }
    }

    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// State rows held: (window, key) pairs, as state by window would hold.
    pub fn pairs(&self) -> u64 {
        self.pairs
    }

    /// The magnitudes of averaged values held, added up.
    pub fn spent(&self) -> u64 {
        self.spent.values().sum()
    }

    /// Every (pane, magnitude) of [`PaneState::spent`].
    pub fn spent_by_pane(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.spent.iter().map(|(&p, &m)| (p, m))
    }

    pub fn set_spent(&mut self, spent: impl IntoIterator<Item = (i64, u64)>) {
        self.spent = spent.into_iter().collect();
    }

    /// Every key with its panes and their buffers (`n` a pane).
    pub fn keys(&self) -> impl Iterator<Item = (Id, &[i64], &[Acc])> {
        self.keys
            .iter()
            .map(|(&id, key)| (id, key.panes(), key.accs(self.n)))
    }

    /// Key `id`'s pane `p` and its buffers, if held.
    pub fn pane(&self, id: Id, p: i64) -> Option<&[Acc]> {
        let key = self.keys.get(&id)?;
        let at = key.panes().binary_search(&p).ok()?;
        Some(&key.accs(self.n)[at * self.n..(at + 1) * self.n])
    }

    /// Sets key `id`'s pane `p` to `accs` (restoring a checkpoint); [`PaneState::recount`]
    /// after the last.
    pub fn set(&mut self, id: Id, p: i64, accs: &[Acc], strings: &mut Interner) {
        let key = self.keys.entry(id).or_insert_with(|| {
            strings.acquire(id);
            KeyPanes::default()
        });
        key.pane(p, self.n).0.copy_from_slice(accs);
    }

    /// Counts the state rows again (after [`PaneState::set`]s).
    pub fn recount(&mut self) {
        let from = self.geometry.first_after(self.closed);
        self.pairs = 0;
        for key in self.keys.values_mut() {
            key.pairs = windows_held(&self.geometry, key.panes(), from);
            self.pairs += key.pairs;
        }
    }

    /// Bytes held, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.keys
            .values()
            .map(|k| {
                k.panes.capacity() * 8
                    + k.accs.capacity() * size_of::<Acc>()
                    + k.stacks.heap_bytes()
            })
            .sum::<usize>()
            + self.keys.capacity() * (size_of::<(Id, KeyPanes)>() + 1)
    }

    /// Folds a batch's entries by pane into the state: the windows of a pane ending at or
    /// before `fold.threshold` take none of its rows (late pairs, counted and recorded), and a
    /// pane with no other window is dropped. `spent` is the magnitude of the batch's averaged
    /// values. Returns `(state rows updated, late pairs)`.
    pub fn fold(&mut self, batch: &ByKey, spent: u64, fold: &mut Fold<'_>) -> (u64, u64) {
        let (n, geometry) = (self.n, self.geometry);
        let open = geometry.first_after(fold.threshold);
        let (mut updated, mut late_pairs) = (0, 0);
        let mut newest = None;
        for group in batch
            .order
            .chunk_by(|&a, &b| batch.units[a].1 == batch.units[b].1)
        {
            let id = batch.units[group[0]].1;
            let key = self.keys.entry(id).or_insert_with(|| {
                fold.strings.acquire(id);
                KeyPanes::default()
            });
            let mut next = open;
            for &at in group {
                let p = batch.units[at].0;
                let (lo, hi) = geometry.windows_of(p);
                for j in lo..=hi.min(open - 1) {
                    late_pairs += batch.rows[at];
                    fold.dropped.insert((geometry.window(j).start, id));
                }
                if hi < open {
                    continue;
                }
                updated += (hi - lo.max(next) + 1).max(0) as u64;
                next = next.max(hi + 1);
                newest = newest.max(Some(p));
                let (accs, fresh) = key.pane(p, n);
                let from = &batch.accs[at * n..(at + 1) * n];
                if fresh {
                    accs.copy_from_slice(from);
                } else {
                    merge_all(fold.kinds, accs, from, fold.strings);
                }
                fold.changed.note(geometry.pane_start(p), id);
            }
            let pairs = windows_held(&geometry, key.panes(), open);
            self.pairs = self.pairs - key.pairs + pairs;
            key.pairs = pairs;
            if key.panes().is_empty() {
                self.keys.remove(&id);
                fold.strings.release(id);
            }
        }
        if let Some(p) = newest.filter(|_| spent > 0) {
            *self.spent.entry(p).or_default() += spent;
        }
        (updated, late_pairs)
    }

    /// Closes the windows ending at or before `watermark`: each (window, key) is handed to
    /// `each` (when given) with its buffers, a key's windows in start order, and forgotten with
    /// the panes no open window holds. Returns the state rows removed.
    pub fn close(
        &mut self,
        watermark: Micros,
        kinds: &[Kind],
        strings: &mut Interner,
        mut each: Option<Closed<'_>>,
    ) -> u64 {
        let (n, geometry) = (self.n, self.geometry);
        let (from, to) = (
            geometry.first_after(self.closed),
            geometry.first_after(watermark) - 1,
        );
        self.closed = self.closed.max(watermark);
        if to < from {
            return 0;
        }
        let mut removed = 0;
        let (sweep, pairs) = (&mut self.sweep, &mut self.pairs);
        self.keys.retain(|&id, key| {
            if key
                .panes()
                .first()
                .is_none_or(|&p| geometry.windows_of(p).0 > to)
            {
                return true;
            }
            let (live, stacks) = key.live_and_stacks(n);
            sweep.resume(stacks, &geometry, live, kinds, (from, to), strings);
            removed += sweep.starts.len() as u64;
            if let Some(each) = each.as_deref_mut() {
                for (&j, accs) in sweep.starts.iter().zip(sweep.accs.chunks(n.max(1))) {
                    each(geometry.window(j), id, accs, strings);
                }
            }
            key.drop_through(&geometry, to, n);
            let held = windows_held(&geometry, key.panes(), to + 1);
            *pairs = *pairs - key.pairs + held;
            key.pairs = held;
            let keep = !key.panes().is_empty();
            if !keep {
                strings.release_later(id);
            }
            keep
        });
        strings.flush_releases();
        while let Some(entry) = self.spent.first_entry() {
            if geometry.windows_of(*entry.key()).1 > to {
                break;
            }
            entry.remove();
        }
        removed
    }

    /// The state by window it stands for (each (window, key) marked as changed by no batch),
    /// its keys' references passed on.
    pub fn into_windows(mut self, kinds: &[Kind], strings: &mut Interner) -> SlidingState {
        let mut state = SlidingState::default();
        let from = self.geometry.first_after(self.closed);
        for (id, key) in self.keys.drain() {
            let Some(&last) = key.panes().last() else {
                continue;
            };
            let to = self.geometry.windows_of(last).1;
            let geometry = &self.geometry;
            self.sweep.run(
                geometry,
                (key.panes(), key.accs(self.n)),
                kinds,
                (from, to),
                strings,
            );
            for (i, &j) in self.sweep.starts.iter().enumerate() {
                let accs = &self.sweep.accs[i * self.n..(i + 1) * self.n];
                state.set(geometry.window(j).start, id, accs, u64::MAX, strings, kinds);
            }
            strings.release(id);
        }
        state
    }

    /// Every open (window, key) with its buffers, windows in start order, keys in no set order,
    /// until `each` says stop. Windows are swept [`OPEN_ROWS_WINDOWS`] at a time, each key's
    /// panes once a time, so the first rows cost what their windows hold; windows no pane is in
    /// are skipped.
    pub fn open_rows(&self, kinds: &[Kind], mut each: impl FnMut(Window, Id, &[Acc]) -> bool) {
        let (n, geometry) = (self.n, self.geometry);
        let last = self.keys.values().filter_map(|k| k.panes().last()).max();
        let Some(to) = last.map(|&p| geometry.windows_of(p).1) else {
            return;
        };
        // The buffers hold no strings ([`PaneState::suits`]): their merges need no interner.
        let (mut sweep, mut no_strings) = (Sweep::default(), Interner::default());
        let (mut found, mut accs): (Vec<(i64, Id, usize)>, Vec<Acc>) = (Vec::new(), Vec::new());
        let mut from = geometry.first_after(self.closed);
        while from <= to {
            let until = to.min(from + OPEN_ROWS_WINDOWS - 1);
            let first = geometry.panes_of(from).0;
            found.clear();
            accs.clear();
            for (&id, key) in &self.keys {
                let at = key.panes().partition_point(|&p| p < first);
                let panes = (&key.panes()[at..], &key.accs(n)[at * n..]);
                sweep.run(&geometry, panes, kinds, (from, until), &mut no_strings);
                let base = accs.len() / n.max(1);
                found.extend(
                    sweep
                        .starts
                        .iter()
                        .enumerate()
                        .map(|(i, &j)| (j, id, base + i)),
                );
                accs.extend_from_slice(&sweep.accs);
            }
            found.sort_by_key(|&(j, _, _)| j);
            for &(j, id, i) in &found {
                if !each(geometry.window(j), id, &accs[i * n..(i + 1) * n]) {
                    return;
                }
            }
            from = if found.is_empty() {
                // Nothing held there: on to the next window a pane is in.
                let next = self.keys.values().filter_map(|key| {
                    let panes = key.panes();
                    panes.get(panes.partition_point(|&p| geometry.windows_of(p).1 <= until))
                });
                next.map(|&p| geometry.windows_of(p).0.max(until + 1))
                    .min()
                    .unwrap_or(to + 1)
            } else {
                until + 1
            };
        }
    }

    /// How many windows are open: hold a key's pane.
    pub fn open_windows(&self) -> u64 {
        let mut panes: Vec<i64> = self
            .keys
            .values()
            .flat_map(KeyPanes::panes)
            .copied()
            .collect();
        panes.sort_unstable();
        panes.dedup();
        windows_held(
            &self.geometry,
            &panes,
            self.geometry.first_after(self.closed),
        )
    }
}

/// How many windows [`PaneState::open_rows`] sweeps at a time.
const OPEN_ROWS_WINDOWS: i64 = 16;

/// Where [`PaneState::close`] hands each closed (window, key) and its buffers.
pub(crate) type Closed<'a> = &'a mut dyn FnMut(Window, Id, &[Acc], &Interner);

/// A batch's entries by pane, taken out of the partial aggregate, in key then pane order.
#[derive(Debug, Default)]
pub(crate) struct ByKey {
    pub units: Vec<(i64, Id)>,
    pub accs: Vec<Acc>,
    pub rows: Vec<u64>,
    pub order: Vec<usize>,
}

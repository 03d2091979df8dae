//! Session windows, as Spark 3.5's `session_window(ts, GAP)` runs them in a stream.
//!
//! Each row opens a session `[t, t + GAP)`. A batch first aggregates its rows per (key, t); rows
//! whose session ends at or before the previous batch's watermark are dropped as late. Then, per
//! key with rows in the batch, its stored sessions and the new ones are merged in start order:
//! a session that starts at or before the end of the one before joins it (its end is the later
//! of the two, its aggregates merged). Every session of such a key is written back (Spark's
//! `numRowsUpdated`). Sessions that end at or before the watermark are emitted and evicted in
//! append mode; complete mode emits them all and evicts nothing.

use rustc_hash::{FxHashMap, FxHashSet};

use super::accumulate::{self, Acc, Kind};
use super::changes::Changes;
use super::emit::Emission;
use super::interner::{Id, Interner};
use super::query::{Agg, OutputMode};
use super::time::Micros;
use super::window::Window;

/// One key's sessions, in start order, with `n` buffers each.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeySessions {
    pub spans: Vec<Window>,
    pub accs: Vec<Acc>,
}

#[derive(Debug)]
pub(crate) struct SessionState {
    gap: Micros,
    keys: FxHashMap<Id, KeySessions>,
    sessions: usize,
    /// The batch's rows in arrival order, each with its buffers; rows of one (key, event time)
    /// are combined when the batch folds (a hash lookup per row cost more than the sort).
    entries: Vec<(Id, Micros)>,
    accs: Vec<Acc>,
    rows: Vec<u64>,
}

impl SessionState {
    pub fn new(gap: Micros) -> Self {
        SessionState {
            gap,
            keys: FxHashMap::default(),
            sessions: 0,
            entries: Vec::new(),
            accs: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The session a row at `t` opens.
    pub fn window_of(&self, t: Micros) -> Window {
        Window {
            start: t,
            end: t.saturating_add(self.gap),
        }
    }

    /// Sessions held.
    pub fn len(&self) -> usize {
        self.sessions
    }

    /// The buffers of a new row of key `id` at `t`.
    #[inline]
    pub fn entry(&mut self, id: Id, t: Micros, n: usize) -> &mut [Acc] {
        let at = self.entries.len();
        self.entries.push((id, t));
        self.accs.resize(self.accs.len() + n, Acc::default());
        self.rows.push(1);
        &mut self.accs[at * n..(at + 1) * n]
    }

    /// The batch's rows in (key, event time) order, each (key, event time) once: the rows of
    /// one are combined into its first, in arrival order, as Spark's partial aggregate per
    /// (key, session start) adds them before any session merge.
    fn combined(&mut self, kinds: &[Kind], strings: &mut Interner) -> Vec<usize> {
        let n = kinds.len();
        let order = arrival_by_key_and_time(&self.entries);
        let mut firsts: Vec<usize> = Vec::with_capacity(order.len());
        for &(_, _, i) in &order {
            match firsts.last() {
                Some(&first) if self.entries[first] == self.entries[i] => {
                    // `first < i`: arrival order, so `first`'s buffers sit before `i`'s.
                    let (head, tail) = self.accs.split_at_mut(i * n);
                    accumulate::merge_all(kinds, &mut head[first * n..], &tail[..n], strings);
                    self.rows[first] += self.rows[i];
                }
                _ => firsts.push(i),
            }
        }
        firsts
    }

    fn clear_batch(&mut self, kinds: &[Kind], strings: &mut Interner) {
        if kinds.iter().any(|&kind| accumulate::holds_strings(kind)) {
            for accs in self.accs.chunks(kinds.len().max(1)) {
                for (kind, acc) in kinds.iter().zip(accs) {
                    accumulate::release(*kind, acc, strings);
                }
            }
        }
        self.entries.clear();
        self.accs.clear();
        self.rows.clear();
    }

    /// Forgets the batch (dropped unfinished).
    pub fn discard(&mut self, kinds: &[Kind], strings: &mut Interner) {
        self.clear_batch(kinds, strings);
    }

    /// Merges the batch into the sessions (see the module documentation). Returns `(sessions
    /// written, late rows, sessions replaced)`: a stored session a merge replaced by one that
    /// starts elsewhere is removed from Spark's store, and counted in `numRowsRemoved`. Late
    /// (key, start) pairs go to `dropped`, changed keys to `changed` (as `(0, key)`).
    pub fn fold(
        &mut self,
        kinds: &[Kind],
        strings: &mut Interner,
        threshold: Micros,
        dropped: &mut FxHashSet<(Micros, Id)>,
        changed: &mut Changes,
    ) -> (u64, u64, u64) {
        let n = kinds.len();
        let order = self.combined(kinds, strings);
        let (mut updated, mut late, mut replaced) = (0, 0, 0);
        let mut at = 0;
        let mut fresh: Vec<(Window, usize)> = Vec::new();
        while at < order.len() {
            let id = self.entries[order[at]].0;
            let end = order[at..]
                .iter()
                .position(|&i| self.entries[i].0 != id)
                .map_or(order.len(), |p| at + p);
            fresh.clear();
            for &i in &order[at..end] {
                let window = self.window_of(self.entries[i].1);
                if window.end <= threshold {
                    dropped.insert((window.start, id));
                    late += self.rows[i];
                } else {
                    fresh.push((window, i));
                }
            }
            at = end;
            if fresh.is_empty() {
                continue;
            }
            let old = self.keys.remove(&id).unwrap_or_default();
            if old.spans.is_empty() {
                strings.acquire(id);
            }
            self.sessions -= old.spans.len();
            let merged = merge_sessions(&old, &fresh, &self.accs, kinds, strings);
            for accs in old.accs.chunks(n.max(1)) {
                for (kind, acc) in kinds.iter().zip(accs) {
                    accumulate::release(*kind, acc, strings);
                }
            }
            updated += merged.spans.len() as u64;
            replaced += old
                .spans
                .iter()
                .filter(|w| !merged.spans.iter().any(|m| m.start == w.start))
                .count() as u64;
            self.sessions += merged.spans.len();
            changed.note(0, id);
            self.keys.insert(id, merged);
        }
        self.clear_batch(kinds, strings);
        (updated, late, replaced)
    }

    /// Emits per `mode` after a batch whose watermark is `watermark`: append mode emits and
    /// evicts the sessions that end at or before it; complete mode emits every session.
    pub fn emit(
        &mut self,
        mode: OutputMode,
        watermark: Micros,
        kinds: &[Kind],
        aggs: &[Agg],
        strings: &mut Interner,
        out: &mut Emission,
    ) {
        let n = kinds.len();
        if mode == OutputMode::Complete {
            for (&id, key) in &self.keys {
                for (i, &window) in key.spans.iter().enumerate() {
                    let accs = &key.accs[i * n..(i + 1) * n];
                    out.push(window, strings.bytes(id), accs, kinds, aggs, strings);
                }
            }
            return;
        }
        let mut emptied = Vec::new();
        for (&id, key) in &mut self.keys {
            if key.spans.first().is_none_or(|w| w.end > watermark) {
                continue;
            }
            let mut kept = KeySessions::default();
            for (i, &window) in key.spans.iter().enumerate() {
                let accs = &key.accs[i * n..(i + 1) * n];
                if window.end > watermark {
                    kept.spans.push(window);
                    kept.accs.extend_from_slice(accs);
                    continue;
                }
                out.push(window, strings.bytes(id), accs, kinds, aggs, strings);
                for (kind, acc) in kinds.iter().zip(accs) {
                    accumulate::release(*kind, acc, strings);
                }
                out.removed += 1;
                self.sessions -= 1;
            }
            if kept.spans.is_empty() {
                emptied.push(id);
            }
            *key = kept;
        }
        for id in emptied {
            self.keys.remove(&id);
            strings.release_later(id);
        }
        strings.flush_releases();
    }

    /// A key's sessions (restoring a checkpoint): `spans` with `n` buffers each, which now
    /// belong to the state; none removes the key.
    pub fn set(&mut self, id: Id, sessions: KeySessions, strings: &mut Interner, kinds: &[Kind]) {
        let n = kinds.len();
        let keep = !sessions.spans.is_empty();
        if keep {
            // Taken before the old sessions let go of the key, which would free it.
            strings.acquire(id);
        }
        if let Some(old) = self.keys.remove(&id) {
            self.sessions -= old.spans.len();
            for accs in old.accs.chunks(n.max(1)) {
                for (kind, acc) in kinds.iter().zip(accs) {
                    accumulate::release(*kind, acc, strings);
                }
            }
            strings.release(id);
        }
        if keep {
            self.sessions += sessions.spans.len();
            self.keys.insert(id, sessions);
        }
    }

    /// A key's sessions.
    pub fn of(&self, id: Id) -> Option<&KeySessions> {
        self.keys.get(&id)
    }

    /// Every session as (key, window, buffers).
    pub fn rows(&self, n: usize) -> impl Iterator<Item = (Id, Window, &[Acc])> {
        self.keys.iter().flat_map(move |(&id, key)| {
            key.spans
                .iter()
                .enumerate()
                .map(move |(i, &w)| (id, w, &key.accs[i * n..(i + 1) * n]))
        })
    }

    /// Every key with sessions.
    pub fn keys(&self) -> impl Iterator<Item = (Id, &KeySessions)> {
        self.keys.iter().map(|(&id, key)| (id, key))
    }

    pub fn heap_bytes(&self, n: usize) -> usize {
        self.keys.capacity() * (size_of::<(Id, KeySessions)>() + 1)
            + self.sessions * (size_of::<Window>() + n * size_of::<Acc>())
    }
}

/// `(key, event time, arrival)` of every row, in that order. Rows come mostly in event-time
/// order, so for key ids no larger than the rows are many, a counting sort by key (which keeps
/// arrival order) leaves each key's rows sorted already or nearly, for [`sort_by_time`] to
/// finish. Other batches are sorted whole. The tuples themselves are sorted, not indices into
/// them: no indirection per comparison.
fn arrival_by_key_and_time(entries: &[(Id, Micros)]) -> Vec<(Id, Micros, usize)> {
    let max_id = entries
        .iter()
        .map(|&(id, _)| id as usize)
        .max()
        .unwrap_or(0);
    if max_id > 4 * entries.len() + 1024 {
        let mut order: Vec<_> = (entries.iter().enumerate())
            .map(|(i, &(id, t))| (id, t, i))
            .collect();
        order.sort_unstable();
        return order;
    }
    // Where each key's rows start, then where the next row of each goes.
    let mut next = vec![0usize; max_id + 2];
    for &(id, _) in entries {
        next[id as usize + 1] += 1;
    }
    for k in 1..next.len() {
        next[k] += next[k - 1];
    }
    let starts = next.clone();
    let mut order = vec![(0, 0, 0); entries.len()];
    for (i, &(id, t)) in entries.iter().enumerate() {
        order[next[id as usize]] = (id, t, i);
        next[id as usize] += 1;
    }
    for key in starts.windows(2) {
        sort_by_time(&mut order[key[0]..key[1]]);
    }
    order
}

/// Sorts one key's rows by time, stably (arrival order among equal times). They come nearly
/// sorted (a late row here and there), so each row is moved back past the later times before
/// it, as an insertion sort does, while that has taken fewer moves than four a row; past that,
/// the library's stable sort does the rest. (Its own run detection cost the sessions query 50
/// instructions a row, for a late row in a hundred.)
fn sort_by_time(rows: &mut [(Id, Micros, usize)]) {
    let mut moves = 4 * rows.len();
    for i in 1..rows.len() {
        let mut j = i;
        while j > 0 && rows[j - 1].1 > rows[j].1 {
            if moves == 0 {
                rows.sort_by_key(|&(_, t, _)| t);
                return;
            }
            rows.swap(j - 1, j);
            (j, moves) = (j - 1, moves - 1);
        }
    }
}

/// A key's stored sessions merged with its new ones (`fresh`: a session and where its buffers
/// are in `batch`), in start order, the stored first of equal starts. Both come in start order
/// (the stored as kept, the new as the batch's rows were ordered), so they are merged in one
/// pass, not sorted. The result's buffers hold their own string references.
fn merge_sessions(
    old: &KeySessions,
    fresh: &[(Window, usize)],
    batch: &[Acc],
    kinds: &[Kind],
    strings: &mut Interner,
) -> KeySessions {
    let n = kinds.len();
    debug_assert!(old.spans.is_sorted_by_key(|w| w.start));
    debug_assert!(fresh.is_sorted_by_key(|(w, _)| w.start));
    let stored = (old.spans.iter().enumerate()).map(|(i, &w)| (w, &old.accs[i * n..(i + 1) * n]));
    let new = (fresh.iter()).map(|&(w, at)| (w, &batch[at * n..(at + 1) * n]));
    let mut out = KeySessions::default();
    for (window, accs) in in_start_order(stored, new) {
        let joins = out
            .spans
            .last()
            .is_some_and(|last| window.start <= last.end);
        if joins {
            let last = out.spans.last_mut().expect("checked");
            last.end = last.end.max(window.end);
        } else {
            out.spans.push(window);
            out.accs.resize(out.accs.len() + n, Acc::default());
        }
        let base = out.accs.len() - n;
        accumulate::merge_all(kinds, &mut out.accs[base..], accs, strings);
    }
    out
}

/// The items of `a` and `b`, each in start order, in start order: `a`'s first of equal starts
/// (as a stable sort of `a` then `b` would give them).
fn in_start_order<'a>(
    a: impl Iterator<Item = (Window, &'a [Acc])>,
    b: impl Iterator<Item = (Window, &'a [Acc])>,
) -> impl Iterator<Item = (Window, &'a [Acc])> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some((x, _)), Some((y, _))) if y.start < x.start => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The counting sort gives what sorting the tuples gives, for keys few or many and
        /// times in order or not.
        #[test]
        fn rows_come_in_key_time_arrival_order(
            entries in proptest::collection::vec((0u32..50, 0i64..20), 0..200),
            sparse in proptest::bool::ANY,
        ) {
            let entries: Vec<(Id, Micros)> = entries
                .into_iter()
                .map(|(id, t)| (if sparse { id * 100_000 } else { id }, t))
                .collect();
            let mut want: Vec<_> = (entries.iter().enumerate())
                .map(|(i, &(id, t))| (id, t, i))
                .collect();
            want.sort_unstable();
            proptest::prop_assert_eq!(arrival_by_key_and_time(&entries), want);
        }

        /// Rows nearly in time order, or not at all, come out as a stable sort by time puts
        /// them.
        #[test]
        fn a_keys_rows_sort_as_a_stable_sort_by_time(
            times in proptest::collection::vec(0i64..1000, 0..300),
            late in proptest::collection::vec((0usize..300, 0i64..50), 0..10),
            reversed in proptest::bool::ANY,
        ) {
            let mut times = times;
            times.sort_unstable();
            if reversed {
                times.reverse();
            }
            for (at, by) in late {
                if let Some(t) = times.get_mut(at) {
                    *t -= by;
                }
            }
            let mut rows: Vec<(Id, Micros, usize)> =
                times.iter().enumerate().map(|(i, &t)| (7, t / 3, i)).collect();
            let mut want = rows.clone();
            want.sort_by_key(|&(_, t, _)| t);
            sort_by_time(&mut rows);
            proptest::prop_assert_eq!(rows, want);
        }

        /// The merge of two runs in start order is their stable sort: the first run's first
        /// of equal starts.
        #[test]
        fn two_runs_merge_as_their_stable_sort(
            mut a in proptest::collection::vec(0i64..20, 0..30),
            mut b in proptest::collection::vec(0i64..20, 0..30),
        ) {
            a.sort_unstable();
            b.sort_unstable();
            // Each item's end tells where it came from.
            let run = |starts: &[i64], from: i64| -> Vec<(Window, &[Acc])> {
                (starts.iter().enumerate())
                    .map(|(i, &start)| (Window { start, end: from + i as i64 }, &[][..]))
                    .collect()
            };
            let (a, b) = (run(&a, 0), run(&b, 1000));
            let mut want: Vec<Window> = a.iter().chain(&b).map(|(w, _)| *w).collect();
            want.sort_by_key(|w| w.start);
            let got: Vec<Window> = in_start_order(a.into_iter(), b.into_iter())
                .map(|(w, _)| w)
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}

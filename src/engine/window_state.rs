//! The state of every open sliding (or tumbling) window: per window, its keys and their
//! aggregate buffers in an arena, found through an index by key id. A batch's partial
//! aggregates are folded into it ([`super::sliding::Partial::fold`]) and windows are emitted
//! and evicted from it ([`super::emit`]).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::accumulate::{self, Acc, Kind};
use super::interner::{Id, Interner};
use super::time::Micros;

/// One open window: its keys and their aggregate buffers, `n` per key, in an arena.
#[derive(Debug, Default)]
pub(crate) struct WindowState {
    index: Index,
    pub keys: Vec<Id>,
    pub accs: Vec<Acc>,
    /// The batch that last changed each key.
    pub touched: Vec<u64>,
}

/// Where each of a window's keys is in its arena, by key id: a hash map, or, while the window
/// holds a good share of the ids up to its largest (a window of a million keys, say), an array
/// by id, whose lookup is one load and no hash, and which then takes no more memory.
#[derive(Debug)]
enum Index {
    Map(FxHashMap<Id, u32>),
    /// Each id's place in the arena, [`ABSENT`] for an id the window does not hold.
    Dense(Vec<u32>),
}

impl Default for Index {
    fn default() -> Self {
        Index::Map(FxHashMap::default())
    }
}

/// [`Index::Dense`]'s mark of an id not in the window.
const ABSENT: u32 = u32::MAX;
/// A window's index turns dense once it holds this many keys...
const DENSE_MIN_KEYS: usize = 1 << 14;
/// ... and at least one in this many of the ids given out: four bytes an id is then at most
/// what the map takes a key (about eighteen, at its load and growth).
const DENSE_SHARE: usize = 4;

/// Whether an array of `ids` places pays for `keys` keys: enough of them, and at least one in
/// [`DENSE_SHARE`] of its places.
fn pays(keys: usize, ids: usize) -> bool {
    keys >= DENSE_MIN_KEYS && keys * DENSE_SHARE >= ids
}

/// The array by id of `map`'s places, `id_bound` long.
fn dense(map: &FxHashMap<Id, u32>, id_bound: usize) -> Vec<u32> {
    let mut at = vec![ABSENT; id_bound];
    for (&id, &i) in map {
        at[id as usize] = i;
    }
    at
}

impl Index {
    #[inline]
    fn get(&self, id: Id) -> Option<u32> {
        match self {
            Index::Map(map) => map.get(&id).copied(),
            Index::Dense(at) => at.get(id as usize).copied().filter(|&i| i != ABSENT),
        }
    }

    /// Adds key `id` at place `i`: the index turns dense when the window now holds `i + 1`
    /// of the `id_bound` ids given out and that pays, and back into a map when `id` is so far
    /// past a dense index's end that it no longer would.
    #[inline]
    fn insert(&mut self, id: Id, i: u32, id_bound: usize) {
        match self {
            Index::Map(map) => {
                map.insert(id, i);
                if pays(i as usize + 1, id_bound) {
                    *self = Index::Dense(dense(map, id_bound));
                }
            }
            Index::Dense(at) => {
                let id = id as usize;
                if id >= at.len() {
                    // An array grown to a later id is kept only while the window holds a
                    // quarter of it (a window that stayed open while others took new ids may
                    // not): otherwise the map again.
                    if (i as usize + 1) * DENSE_SHARE < id + 1 {
                        let mut map: FxHashMap<Id, u32> = (at.iter().enumerate())
                            .filter(|&(_, &i)| i != ABSENT)
                            .map(|(id, &i)| (id as Id, i))
                            .collect();
                        map.insert(id as Id, i);
                        *self = Index::Map(map);
                        return;
                    }
                    at.resize(id + 1, ABSENT);
                }
                at[id] = i;
            }
        }
    }

    /// Readies the index of a window of `keys` keys for a batch bringing it between `fewest`
    /// and `most` new ones, ids below `id_bound`: the index takes the form it would have on
    /// the way, now (a batch bringing a window a hundred thousand new keys otherwise rehashed
    /// its map a dozen times, or turned an emptied window's array into a map and back), and a
    /// map grows once. An array chosen for keys that do not come costs at most what the batch's
    /// own entries take (it pays at a quarter of the ids, four bytes an id), and goes when the
    /// window is emptied ([`WindowState::clear`]); a map grows by `fewest` alone.
    fn reserve(&mut self, keys: usize, (fewest, most): (usize, usize), id_bound: usize) {
        let pays = pays(keys + most.min(id_bound.saturating_sub(keys)), id_bound);
        match self {
            Index::Map(map) if pays => *self = Index::Dense(dense(map, id_bound)),
            Index::Map(map) => map.reserve(fewest),
            Index::Dense(at) if pays && at.len() < id_bound => at.resize(id_bound, ABSENT),
            Index::Dense(_) => {}
        }
    }

    /// Starts loading where `id` is, when that place is known before the lookup (a dense
    /// index).
    #[inline]
    fn prefetch(&self, id: Id) {
        if let Index::Dense(at) = self {
            prefetch_index::prefetch_index(at, id as usize);
        }
    }

    /// Bytes held.
    fn heap_bytes(&self) -> usize {
        match self {
            Index::Map(map) => map.capacity() * (size_of::<(Id, u32)>() + 1),
            Index::Dense(at) => at.capacity() * size_of::<u32>(),
        }
    }
}

impl WindowState {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Key `i`'s buffers.
    pub fn accs(&self, i: usize, n: usize) -> &[Acc] {
        &self.accs[i * n..(i + 1) * n]
    }

    /// Starts loading what [`WindowState::slot`] of `id` reads first, a few keys ahead of it.
    #[inline]
    pub fn prefetch(&self, id: Id) {
        self.index.prefetch(id);
    }

    /// Starts loading key `id`'s buffers and its batch mark, once its place is in the cache
    /// ([`WindowState::prefetch`] some keys before): the second of a key's two cache misses in
    /// a window large enough for a dense index (a smaller one stays in the cache).
    #[inline]
    pub fn prefetch_slot(&self, id: Id, n: usize) {
        if let Index::Dense(_) = self.index
            && let Some(i) = self.find(id)
        {
            prefetch_index::prefetch_index(&self.accs, i * n);
            prefetch_index::prefetch_index(&self.touched, i);
        }
    }

    /// Readies the window for a batch bringing it between `fewest` and `most` new keys
    /// ([`Index::reserve`]); the arena grows as keys come.
    pub fn reserve(&mut self, new_keys: (usize, usize), id_bound: usize) {
        self.index.reserve(self.keys.len(), new_keys, id_bound);
    }

    pub fn find(&self, id: Id) -> Option<usize> {
        self.index.get(id).map(|i| i as usize)
    }

    /// Key `id`'s buffers and the batch that last changed them, and whether the key is new: a
    /// key not there is added (taking a reference to `id`) with empty buffers, for the caller
    /// to fill.
    #[inline]
    pub(crate) fn slot(
        &mut self,
        id: Id,
        n: usize,
        strings: &mut Interner,
    ) -> (&mut [Acc], &mut u64, bool) {
        let found = self.find(id);
        let i = found.unwrap_or_else(|| {
            strings.acquire(id);
            self.index
                .insert(id, self.keys.len() as u32, strings.id_bound());
            self.keys.push(id);
            self.accs.resize(self.accs.len() + n, Acc::default());
            self.touched.push(0);
            self.keys.len() - 1
        });
        (
            &mut self.accs[i * n..(i + 1) * n],
            &mut self.touched[i],
            found.is_none(),
        )
    }

    /// Empties the window for reuse. An index by array that the window's keys still paid for
    /// stays one, with no id in it (the windows that follow a window of many keys mostly hold
    /// as many); any other becomes an empty map.
    fn clear(&mut self) {
        match &mut self.index {
            Index::Map(map) => map.clear(),
            Index::Dense(at) if pays(self.keys.len(), at.len()) => {
                for &id in &self.keys {
                    at[id as usize] = ABSENT;
                }
            }
            Index::Dense(_) => self.index = Index::default(),
        }
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

    /// Key `id`'s buffers in the window at `start` ([`WindowState::slot`]).
    pub fn slot(
        &mut self,
        start: Micros,
        id: Id,
        n: usize,
        strings: &mut Interner,
    ) -> (&mut [Acc], &mut u64, bool) {
        let (window, keys) = self.window_mut(start);
        let slot = window.slot(id, n, strings);
        *keys += usize::from(slot.2);
        slot
    }

    /// The window at `start`, opened if need be, and the count of state keys, for a caller
    /// that adds keys to it.
    pub(crate) fn window_mut(&mut self, start: Micros) -> (&mut WindowState, &mut usize) {
        let (windows, spare) = (&mut self.windows, &mut self.spare);
        let window = windows
            .entry(start)
            .or_insert_with(|| spare.pop().unwrap_or_default());
        (window, &mut self.keys)
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

    /// Bytes held by the windows, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.windows
            .values()
            .chain(&self.spare)
            .map(|w| {
                w.index.heap_bytes()
                    + w.keys.capacity() * size_of::<Id>()
                    + w.accs.capacity() * size_of::<Acc>()
                    + w.touched.capacity() * size_of::<u64>()
            })
            .sum::<usize>()
            + self.windows.len() * (size_of::<WindowState>() + 2 * size_of::<Micros>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` fresh ids from `strings`, of keys named `name` and a number.
    fn ids(strings: &mut Interner, name: &str, count: usize) -> Vec<Id> {
        (0..count)
            .map(|i| strings.intern(format!("{name} {i}").as_bytes()).0)
            .collect()
    }

    #[test]
    fn a_window_holding_most_ids_finds_its_keys_by_array_and_no_others() {
        let mut strings = Interner::default();
        let all = ids(&mut strings, "early", 3 * DENSE_MIN_KEYS);
        let (held, not_held) = all.split_at(2 * DENSE_MIN_KEYS);
        let mut window = WindowState::default();
        for (i, &id) in held.iter().enumerate() {
            let (accs, _, fresh) = window.slot(id, 1, &mut strings);
            assert!(fresh);
            accs[0].a = i as u64;
        }
        assert!(matches!(window.index, Index::Dense(_)));
        // Ids given out after the index turned dense are past its end until one is added.
        let late = *ids(&mut strings, "late", DENSE_MIN_KEYS).last().unwrap();
        assert_eq!(window.find(late), None);
        window.slot(late, 1, &mut strings).0[0].a = u64::MAX;
        for (i, &id) in held.iter().enumerate() {
            let at = window.find(id).expect("a held key is found");
            assert_eq!(window.accs(at, 1)[0].a, i as u64);
            assert!(!window.slot(id, 1, &mut strings).2);
        }
        assert!(not_held.iter().all(|&id| window.find(id).is_none()));
        assert_eq!(window.accs(window.find(late).unwrap(), 1)[0].a, u64::MAX);
        assert_eq!(window.len(), held.len() + 1);
        assert!(matches!(window.index, Index::Dense(_)));
        // An id so much later that the window holds under a quarter of the ids up to it: the
        // array would outgrow the map, so the map it is again, every key still found.
        let much_later = *ids(&mut strings, "much later", 8 * DENSE_MIN_KEYS)
            .last()
            .unwrap();
        window.slot(much_later, 1, &mut strings).0[0].a = 7;
        assert!(matches!(window.index, Index::Map(_)));
        for (i, &id) in held.iter().enumerate() {
            assert_eq!(window.accs(window.find(id).unwrap(), 1)[0].a, i as u64);
        }
        assert_eq!(window.accs(window.find(much_later).unwrap(), 1)[0].a, 7);
        assert_eq!(window.accs(window.find(late).unwrap(), 1)[0].a, u64::MAX);
        assert!(not_held.iter().all(|&id| window.find(id).is_none()));
    }

    #[test]
    fn a_window_turns_dense_with_enough_keys_that_are_a_quarter_of_the_ids() {
        let mut strings = Interner::default();
        let few = ids(&mut strings, "few", DENSE_MIN_KEYS - 1);
        let mut window = WindowState::default();
        for &id in &few {
            window.slot(id, 1, &mut strings);
        }
        // Every id, but too few keys to be worth an array.
        assert!(matches!(window.index, Index::Map(_)));
        let many = ids(&mut strings, "many", 4 * DENSE_MIN_KEYS + 1);
        let quarter = (few.len() + many.len()) / DENSE_SHARE;
        for &id in &many[..quarter - few.len() - 1] {
            window.slot(id, 1, &mut strings);
        }
        assert!(matches!(window.index, Index::Map(_)));
        window.slot(many[quarter], 1, &mut strings);
        assert!(matches!(window.index, Index::Dense(_)));
        // Emptied (evicted, to be reused for a later window), it holds no key but keeps its
        // array: the next window of as many keys finds them by array from its first.
        window.clear();
        assert!(matches!(window.index, Index::Dense(_)));
        assert!(few.iter().chain(&many).all(|&id| window.find(id).is_none()));
        let (accs, _, fresh) = window.slot(many[1], 1, &mut strings);
        assert!(fresh);
        accs[0].a = 9;
        assert!(matches!(window.index, Index::Dense(_)));
        assert_eq!(window.find(many[1]), Some(0));
        assert_eq!(window.find(few[0]), None);
        // Emptied again after holding that one key, its array no longer pays: a map.
        window.clear();
        assert!(matches!(window.index, Index::Map(_)));
        assert_eq!(window.find(many[1]), None);
    }

    #[test]
    fn a_batchs_keys_reserved_give_the_index_its_form_before_they_come() {
        let mut strings = Interner::default();
        let early = ids(&mut strings, "early", 2 * DENSE_MIN_KEYS);
        // A fresh window told of a batch that brings it half the ids: an array from the start,
        // not a map grown (and rehashed) until it pays.
        let mut window = WindowState::default();
        window.reserve((early.len(), early.len()), strings.id_bound());
        assert!(matches!(window.index, Index::Dense(_)));
        for &id in &early {
            window.slot(id, 1, &mut strings);
        }
        // Emptied for reuse, it keeps its array; a later batch's keys all have ids past its end.
        window.clear();
        let late = ids(&mut strings, "late", 2 * DENSE_MIN_KEYS);
        let Index::Dense(at) = &window.index else {
            panic!("an emptied window that paid keeps its array");
        };
        assert!(at.len() <= late[0] as usize);
        // Unreserved, the first of them would turn the array into a map (the window then held
        // one key of thousands of ids), and the map back into an array thousands of keys on.
        window.reserve((late.len(), late.len()), strings.id_bound());
        for (i, &id) in late.iter().enumerate() {
            assert!(window.slot(id, 1, &mut strings).2);
            assert!(matches!(window.index, Index::Dense(_)), "key {i}");
        }
        assert!(
            late.iter()
                .enumerate()
                .all(|(i, &id)| window.find(id) == Some(i))
        );
        // A thousand keys in ten panes, in a window of a map: room for the fewest that come.
        let mut small = WindowState::default();
        small.reserve((1000, 10 * 1000), strings.id_bound());
        let Index::Map(map) = &small.index else {
            panic!("a thousand keys of {} ids stay a map", strings.id_bound());
        };
        assert!((1000..4000).contains(&map.capacity()), "{}", map.capacity());
        assert_eq!(small.accs.capacity(), 0);
        // A window's keys already held, brought again: no array for them, and no more room.
        let mut held = WindowState::default();
        for &id in &late[..1000] {
            held.slot(id, 1, &mut strings);
        }
        let heap = |w: &WindowState| w.index.heap_bytes() + w.accs.capacity() * size_of::<Acc>();
        let bytes = heap(&held);
        held.reserve((1000, 1000), strings.id_bound());
        assert!(matches!(held.index, Index::Map(_)));
        for &id in &late[..1000] {
            assert!(!held.slot(id, 1, &mut strings).2);
        }
        assert!(heap(&held) <= 2 * bytes, "{bytes} -> {}", heap(&held));
    }
}

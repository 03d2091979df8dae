//! Where a batch's (unit, key) entries are ([`super::Partial`]): by key id in an array for a
//! key the batch holds in one unit, and in a map for a key it holds in more (its rows in two
//! panes, or in each of its windows), marked so in the array. With many keys most keys are of
//! the first kind, and finding or adding one's entry reads one place known from its id, not a
//! hash table's control bytes and then its bucket.
//!
//! The array is not emptied between batches: each place is stamped with the batch it was set
//! in, and a place of an earlier stamp is empty.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use crate::engine::interner::Id;

/// A place's entry for a key whose entries are all in the map.
const SPREAD: u32 = u32::MAX;

/// See the module documentation.
#[derive(Debug)]
pub(super) struct EntryIndex {
    /// By key id: the stamp of the batch that set it, and the key's entry, or [`SPREAD`].
    by_id: Vec<(u32, u32)>,
    /// The running batch's stamp; never 0, which no place is set with.
    stamp: u32,
    /// Every entry of each key the batch holds in more than one unit; of every key while
    /// `by_window`.
    spread: FxHashMap<(i64, Id), u32>,
    /// The batch's units are windows ([`EntryIndex::by_window`]).
    by_window: bool,
}

impl Default for EntryIndex {
    fn default() -> Self {
        EntryIndex {
            by_id: Vec::new(),
            stamp: 1,
            spread: FxHashMap::default(),
            by_window: false,
        }
    }
}

impl EntryIndex {
    /// The entry of (`unit`, `id`) among `units` (each entry's unit and key, in entry order);
    /// none when there is none, the entry about to be added at `units.len()` then taken to be
    /// it.
    #[inline]
    pub fn find_or_add(&mut self, unit: i64, id: Id, units: &[(i64, Id)]) -> Option<usize> {
        let (new, stamp) = (units.len() as u32, self.stamp);
        if self.by_window {
            return self.find_or_add_spread(unit, id, new);
        }
        let place = self.place(id);
        let (set_in, at) = *place;
        if set_in != stamp {
            *place = (stamp, new);
            return None;
        }
        if at != SPREAD {
            debug_assert!((at as usize) < units.len());
            let held = units[at as usize].0;
            if held == unit {
                return Some(at as usize);
            }
            // The key is in another unit too: its entries are in the map from now on.
            *place = (stamp, SPREAD);
            self.spread.insert((held, id), at);
        }
        self.find_or_add_spread(unit, id, new)
    }

    /// [`EntryIndex::find_or_add`] of a key whose entries are in the map, `new` the entry
    /// about to be added.
    #[allow(clippy::inline_always)] // a by-window batch's every row's
    #[inline(always)]
    fn find_or_add_spread(&mut self, unit: i64, id: Id, new: u32) -> Option<usize> {
        match self.spread.entry((unit, id)) {
            Entry::Occupied(entry) => Some(*entry.get() as usize),
            Entry::Vacant(entry) => {
                entry.insert(new);
                None
            }
        }
    }

    /// The batch's entries are by window from now on (it had none before, or has been
    /// emptied): each key is in as many units as it has windows, so every entry goes to the map
    /// at once, not through the array.
    #[inline]
    pub fn by_window(&mut self) {
        self.by_window = true;
    }

    /// Takes the entry about to be added at `at` to be key `id`'s, a key the batch does not
    /// hold yet.
    #[inline]
    pub fn add_new(&mut self, id: Id, at: usize) {
        let stamp = self.stamp;
        *self.place(id) = (stamp, at as u32);
    }

    /// Starts loading key `id`'s place.
    #[inline]
    pub fn prefetch(&self, id: Id) {
        if (id as usize) < self.by_id.len() {
            prefetch_index::prefetch_index(&self.by_id, id as usize);
        }
    }

    #[inline]
    fn place(&mut self, id: Id) -> &mut (u32, u32) {
        let id = id as usize;
        if id >= self.by_id.len() {
            self.by_id.resize(id + 1, (0, 0));
        }
        &mut self.by_id[id]
    }

    /// Forgets every entry (the batch's entries are gone).
    pub fn clear(&mut self) {
        self.spread.clear();
        self.by_window = false;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.by_id.fill((0, 0));
            self.stamp = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Over batches of (unit, key) lookups, each batch's entries are found as a map
        /// finds them: one entry per pair, the first lookup of a pair adding it.
        #[test]
        fn entries_are_found_as_a_map_finds_them(
            batches in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec((0i64..4, 0 as Id..40), 0..200)),
                1..5),
        ) {
            let mut index = EntryIndex::default();
            for (by_window, batch) in batches {
                if by_window {
                    index.by_window();
                }
                let mut units = Vec::new();
                let mut model = HashMap::new();
                for (unit, id) in batch {
                    let want = model.get(&(unit, id)).copied();
                    let found = index.find_or_add(unit, id, &units);
                    prop_assert_eq!(found, want);
                    if found.is_none() {
                        model.insert((unit, id), units.len());
                        units.push((unit, id));
                    }
                }
                index.clear();
            }
        }
    }

    /// A key new to the batch added without a lookup is found by the next.
    #[test]
    fn a_key_added_new_is_found_then_spread() {
        let mut index = EntryIndex::default();
        let mut units = vec![(0, 3)];
        index.find_or_add(0, 3, &[]);
        index.add_new(9, units.len());
        units.push((5, 9));
        assert_eq!(index.find_or_add(5, 9, &units), Some(1));
        assert_eq!(index.find_or_add(6, 9, &units), None);
        units.push((6, 9));
        assert_eq!(index.find_or_add(5, 9, &units), Some(1));
        assert_eq!(index.find_or_add(6, 9, &units), Some(2));
        assert_eq!(index.find_or_add(0, 3, &units), Some(0));
    }

    /// When the stamp wraps, places set long ago are emptied rather than taken for the
    /// batch's.
    #[test]
    fn a_wrapped_stamp_leaves_no_old_entry() {
        let mut index = EntryIndex::default();
        index.find_or_add(0, 2, &[]);
        index.stamp = u32::MAX;
        index.find_or_add(0, 1, &[]);
        index.clear();
        assert_eq!(index.stamp, 1);
        // Set at stamp 1 before the wrap; empty now.
        assert_eq!(index.find_or_add(0, 2, &[(0, 5)]), None);
        assert_eq!(index.find_or_add(0, 1, &[(0, 5)]), None);
    }
}

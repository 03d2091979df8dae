//! The interner's table: open addressing with linear probing over [`Slot`]s of 16 bytes, at
//! most half full. A key's place is known from its hash alone, so a caller that knows its next
//! keys has their places loaded early ([`SlotTable::prefetch`]), and their cache misses
//! overlap; a lookup then reads that place (rarely the next few, in the same cache line or the
//! next).
//!
//! Hand-written for that prefetch: `hashbrown::HashTable`, used before, cannot say where a
//! key's place is. With a million distinct keys, finding them went from a fifth of the engine
//! thread's samples to under a twentieth once replay and eviction asked ahead (the table alone,
//! without asking ahead, measured no faster). Removal shifts the slots after it back (no
//! tombstones), so a table that churns through keys never slows down.

use super::{Id, Slot};

/// [`Slot::len`] of a vacant place.
const VACANT: u8 = u8::MAX - 2;
const VACANT_SLOT: Slot = Slot {
    bytes: 0,
    len: VACANT,
    id: 0,
};
/// The fewest places a table has.
const MIN_PLACES: usize = 16;

/// Slots by hash; each slot's hash is given by the caller's `hash_of`, which must agree with
/// the hash it was inserted with.
pub(super) struct SlotTable {
    places: Box<[Slot]>,
    len: usize,
}

impl Default for SlotTable {
    fn default() -> Self {
        SlotTable {
            places: vec![VACANT_SLOT; MIN_PLACES].into_boxed_slice(),
            len: 0,
        }
    }
}

impl SlotTable {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn capacity(&self) -> usize {
        self.places.len()
    }

    fn mask(&self) -> usize {
        self.places.len() - 1
    }

    /// Where a slot of hash `hash` is looked for first: its low bits, the high half folded in
    /// (a table of more than 2^26 places would otherwise use bits the hasher mixes little).
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash ^ hash >> 32) as usize & self.mask()
    }

    /// Starts loading the place a lookup of `hash` reads first.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        prefetch_index::prefetch_index(&self.places, self.home(hash));
    }

    /// The slot of hash `hash` that `is` accepts, if any.
    #[inline]
    pub fn find(&self, hash: u64, is: impl Fn(&Slot) -> bool) -> Option<&Slot> {
        self.place_of(hash, is).map(|at| &self.places[at])
    }

    #[inline]
    fn place_of(&self, hash: u64, is: impl Fn(&Slot) -> bool) -> Option<usize> {
        let mask = self.mask();
        let mut at = self.home(hash);
        loop {
            let slot = &self.places[at];
            if slot.len == VACANT {
                return None;
            }
            if is(slot) {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `slot`, of hash `hash`, which the table does not hold.
    pub fn insert(&mut self, hash: u64, slot: Slot, hash_of: impl Fn(&Slot) -> u64) {
        debug_assert_ne!(slot.len, VACANT);
        if (self.len + 1) * 2 > self.places.len() {
            self.grow(&hash_of);
        }
        self.put(hash, slot);
        self.len += 1;
    }

    /// Puts `slot` in the first vacant place from its home on.
    fn put(&mut self, hash: u64, slot: Slot) {
        let mask = self.mask();
        let mut at = self.home(hash);
        while self.places[at].len != VACANT {
            at = (at + 1) & mask;
        }
        self.places[at] = slot;
    }

    fn grow(&mut self, hash_of: &impl Fn(&Slot) -> u64) {
        let bigger = vec![VACANT_SLOT; self.places.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.places, bigger);
        for slot in old.iter().filter(|s| s.len != VACANT) {
            self.put(hash_of(slot), *slot);
        }
    }

    /// Removes the slot of `id` (of hash `hash`); whether there was one.
    pub fn remove(&mut self, hash: u64, id: Id, hash_of: impl Fn(&Slot) -> u64) -> bool {
        match self.place_of(hash, |s| s.id == id) {
            Some(at) => {
                self.vacate(at, &hash_of);
                true
            }
            None => false,
        }
    }

    /// Empties place `at`. Each later slot of its run whose home is not past the hole moves
    /// back into it, leaving the hole where it was: every lookup still meets its slot before a
    /// vacant place.
    fn vacate(&mut self, at: usize, hash_of: &impl Fn(&Slot) -> u64) {
        let mask = self.mask();
        let mut hole = at;
        let mut next = (at + 1) & mask;
        while self.places[next].len != VACANT {
            let origin = self.home(hash_of(&self.places[next]));
            if next.wrapping_sub(origin) & mask >= next.wrapping_sub(hole) & mask {
                self.places[hole] = self.places[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.places[hole] = VACANT_SLOT;
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// Hashes that collide a lot: 23 of them, whose homes are among the last places or the
    /// first of a table of 32 places or more, so runs form, wrap past the end and run into each
    /// other.
    fn hash_of(slot: &Slot) -> u64 {
        match slot.bytes % 23 {
            r if r % 2 == 0 => u64::from(u32::MAX) - r,
            r => r,
        }
    }

    fn slot(key: u64) -> Slot {
        Slot {
            bytes: key,
            len: 1,
            id: key as Id,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64),
        Remove(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..200).prop_map(Op::Insert),
            2 => (0u64..200).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// After any inserts and removals, the table holds exactly what a map does,
        /// each key found by its hash, and none else.
        #[test]
        fn the_table_holds_what_a_map_holds(ops in proptest::collection::vec(op(), 0..400)) {
            let mut table = SlotTable::default();
            let mut model: HashMap<u64, Id> = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(key) => {
                        if model.insert(key, key as Id).is_none() {
                            table.insert(hash_of(&slot(key)), slot(key), hash_of);
                        }
                    }
                    Op::Remove(key) => {
                        let removed = table.remove(hash_of(&slot(key)), key as Id, hash_of);
                        prop_assert_eq!(removed, model.remove(&key).is_some());
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                prop_assert!(table.len() * 2 <= table.capacity());
                for key in 0..200 {
                    let found = table.find(hash_of(&slot(key)), |s| s.bytes == key);
                    prop_assert_eq!(found.map(|s| s.id), model.get(&key).copied());
                }
            }
        }
    }
}

//! The aggregation state: for every open window, a running count per value.
//!
//! Windows are kept in start order so eviction takes them from the front; each window's counts
//! live in a reusable slot so steady-state processing allocates nothing.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::interner::ValueId;
use super::time::Micros;

/// One state key's running count, and the batch that last changed it (for `numRowsUpdated`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyCount {
    pub count: u64,
    pub touched_in: u64,
}

/// The counts of one open window.
#[derive(Debug, Default)]
pub(crate) struct WindowCounts {
    pub start: Micros,
    pub counts: FxHashMap<ValueId, KeyCount>,
}

/// Slot index of an open window.
pub(crate) type Slot = usize;

/// How many emptied slots are kept for reuse; more are dropped with their memory.
const SPARE_SLOTS: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct StateStore {
    by_start: BTreeMap<Micros, Slot>,
    slots: Vec<WindowCounts>,
    spare: Vec<Slot>,
    keys: usize,
}

impl StateStore {
    /// The slot of the window starting at `start`, opening it if needed.
    pub fn slot_for(&mut self, start: Micros) -> Slot {
        if let Some(&slot) = self.by_start.get(&start) {
            return slot;
        }
        let slot = if let Some(slot) = self.spare.pop() { slot } else {
            self.slots.push(WindowCounts::default());
            self.slots.len() - 1
        };
        self.slots[slot].start = start;
        self.by_start.insert(start, slot);
        slot
    }

    /// Adds `rows` to `(slot, id)`. Returns `(new key, first change in this batch)`.
    #[inline]
    pub fn add(&mut self, slot: Slot, id: ValueId, rows: u64, batch: u64) -> (bool, bool) {
        match self.slots[slot].counts.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let key = e.get_mut();
                key.count += rows;
                let first = key.touched_in != batch;
                key.touched_in = batch;
                (false, first)
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(KeyCount {
                    count: rows,
                    touched_in: batch,
                });
                self.keys += 1;
                (true, true)
            }
        }
    }

    /// Sets a key's count (restoring a checkpoint). Returns whether the key is new.
    pub fn set(&mut self, start: Micros, id: ValueId, count: u64) -> bool {
        let slot = self.slot_for(start);
        let new = self.slots[slot]
            .counts
            .insert(
                id,
                KeyCount {
                    count,
                    touched_in: u64::MAX,
                },
            )
            .is_none();
        self.keys += usize::from(new);
        new
    }

    /// The count of a key, if it is in state.
    pub fn count(&self, start: Micros, id: ValueId) -> Option<u64> {
        let slot = *self.by_start.get(&start)?;
        self.slots[slot].counts.get(&id).map(|k| k.count)
    }

    /// The earliest open window's start, if any.
    pub fn first_start(&self) -> Option<Micros> {
        self.by_start.first_key_value().map(|(&start, _)| start)
    }

    /// Closes the earliest window and hands its counts to `take`, which must drain them.
    pub fn evict_first(&mut self, take: impl FnOnce(&mut WindowCounts)) {
        let Some((_, slot)) = self.by_start.pop_first() else {
            return;
        };
        let window = &mut self.slots[slot];
        self.keys -= window.counts.len();
        take(window);
        debug_assert!(window.counts.is_empty());
        if self.spare.len() < SPARE_SLOTS {
            self.spare.push(slot);
        } else {
            window.counts = FxHashMap::default();
        }
    }

    /// Open windows in start order.
    pub fn windows(&self) -> impl Iterator<Item = &WindowCounts> {
        self.by_start.values().map(|&slot| &self.slots[slot])
    }

    /// State keys (value, window) held now.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// Bytes held by the maps, roughly.
    pub fn heap_bytes(&self) -> usize {
        let per_key = std::mem::size_of::<(ValueId, KeyCount)>() + 1;
        self.slots
            .iter()
            .map(|w| w.counts.capacity() * per_key)
            .sum::<usize>()
            + self.slots.capacity() * std::mem::size_of::<WindowCounts>()
            + self.by_start.len() * 2 * std::mem::size_of::<(Micros, Slot)>()
    }
}

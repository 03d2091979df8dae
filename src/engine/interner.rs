//! Interning: each distinct byte string (a group key, a string `min`/`max`) is stored once and
//! named by a small id, so state keys are `(window, id)` and the hot path hashes a key once per
//! event instead of once per window.
//!
//! Ids are reference counted by the state that uses them and freed with the last reference, so
//! the interner holds only what open state holds, never the stream's history.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Names one interned byte string.
pub(crate) type Id = u32;

#[derive(Debug)]
struct Entry {
    bytes: Box<[u8]>,
    /// Uses in state; a free slot has `bytes` empty and is on the free list.
    refs: u32,
    live: bool,
}

/// Byte strings of at most eight bytes (the seed's keys `0`..`10`, most codes and words) are
/// looked up in a small direct-mapped cache first: one multiply and one compare instead of hashing and
/// comparing strings.
const SHORT: usize = 8;
/// Slots of the cache (a power of two): a thousand keys, as a group-by on users has, mostly
/// find their own.
const CACHE_SLOTS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Cached {
    bytes: u64,
    /// The value's length; `u8::MAX` marks an empty slot.
    len: u8,
    id: Id,
}

const EMPTY: Cached = Cached {
    bytes: 0,
    len: u8::MAX,
    id: 0,
};

pub(crate) struct Interner {
    table: HashTable<Id>,
    entries: Vec<Entry>,
    free: Vec<Id>,
    hasher: FxBuildHasher,
    short: Box<[Cached]>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            table: HashTable::default(),
            entries: Vec::new(),
            free: Vec::new(),
            hasher: FxBuildHasher,
            short: vec![EMPTY; CACHE_SLOTS].into_boxed_slice(),
        }
    }
}

/// A short byte string as one number (with its length, it names the string), and its cache
/// slot.
#[inline]
fn short_key(b: &[u8]) -> Option<(u64, u8, usize)> {
    if b.len() > SHORT {
        return None;
    }
    // Byte by byte: the key was just written a byte and a slice at a time, and a wider load
    // over those writes waits for them to reach the cache (a stall measured at a sixth of the
    // engine's time per row).
    let packed = (b.iter().rev()).fold(0u64, |packed, &byte| packed << 8 | u64::from(byte));
    let len = b.len() as u8;
    let slot = (packed ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        >> (64 - CACHE_SLOTS.trailing_zeros());
    Some((packed, len, slot as usize))
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("values", &self.len())
            .finish()
    }
}

impl Interner {
    /// The id of `bytes`, adding it with no references when it is new (`true` in that case).
    /// Allocates only for a string not seen while it was in state.
    #[inline]
    pub fn intern(&mut self, bytes: &[u8]) -> (Id, bool) {
        let short = short_key(bytes);
        if let Some((packed, len, slot)) = short {
            let cached = self.short[slot];
            if cached.bytes == packed && cached.len == len {
                return (cached.id, false);
            }
        }
        let (id, fresh) = self.intern_slow(bytes);
        if let Some((packed, len, slot)) = short {
            self.short[slot] = Cached {
                bytes: packed,
                len,
                id,
            };
        }
        (id, fresh)
    }

    fn intern_slow(&mut self, bytes: &[u8]) -> (Id, bool) {
        let hash = self.hasher.hash_one(bytes);
        let entries = &self.entries;
        if let Some(&id) = self
            .table
            .find(hash, |&id| &*entries[id as usize].bytes == bytes)
        {
            return (id, false);
        }
        let entry = Entry {
            bytes: bytes.into(),
            refs: 0,
            live: true,
        };
        let id = if let Some(id) = self.free.pop() {
            self.entries[id as usize] = entry;
            id
        } else {
            self.entries.push(entry);
            (self.entries.len() - 1) as Id
        };
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.table.insert_unique(hash, id, |&id| {
            hasher.hash_one(&*entries[id as usize].bytes)
        });
        (id, true)
    }

    #[inline]
    pub fn bytes(&self, id: Id) -> &[u8] {
        &self.entries[id as usize].bytes
    }

    /// Something in state now uses `id`.
    #[inline]
    pub fn acquire(&mut self, id: Id) {
        self.entries[id as usize].refs += 1;
    }

    /// Something in state no longer uses `id`; the last use frees it.
    pub fn release(&mut self, id: Id) {
        let entry = &mut self.entries[id as usize];
        entry.refs -= 1;
        if entry.refs == 0 {
            self.remove(id);
        }
    }

    /// [`Interner::release`], returning the bytes: moved out when this was the last
    /// reference, copied otherwise.
    pub fn release_take(&mut self, id: Id) -> Box<[u8]> {
        let entry = &mut self.entries[id as usize];
        entry.refs -= 1;
        if entry.refs == 0 {
            self.remove(id)
        } else {
            entry.bytes.clone()
        }
    }

    /// Frees `id` if nothing in state uses it (a key that was only ever late, say).
    pub fn release_if_unused(&mut self, id: Id) {
        let entry = &self.entries[id as usize];
        if entry.live && entry.refs == 0 {
            self.remove(id);
        }
    }

    fn remove(&mut self, id: Id) -> Box<[u8]> {
        if let Some((_, _, slot)) = short_key(&self.entries[id as usize].bytes)
            && self.short[slot].id == id
        {
            self.short[slot] = EMPTY;
        }
        let hash = self.hasher.hash_one(&*self.entries[id as usize].bytes);
        if let Ok(found) = self.table.find_entry(hash, |&other| other == id) {
            found.remove();
        }
        let entry = &mut self.entries[id as usize];
        entry.live = false;
        self.free.push(id);
        std::mem::take(&mut entry.bytes)
    }

    /// Byte strings held now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes held, roughly: entries, table, cache and every string's bytes.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<[Cached; CACHE_SLOTS]>()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.table.capacity() * (std::mem::size_of::<Id>() + 1)
            + self.free.capacity() * std::mem::size_of::<Id>()
            + self.entries.iter().map(|e| e.bytes.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_and_freed_with_the_last_reference() {
        let mut interner = Interner::default();
        let (a, fresh) = interner.intern(b"a");
        assert!(fresh);
        assert_eq!(interner.intern(b"a"), (a, false));
        let (b, _) = interner.intern(b"b");
        assert_ne!(a, b);
        interner.acquire(a);
        interner.acquire(a);
        assert_eq!(&*interner.release_take(a), b"a");
        assert_eq!(interner.len(), 2);
        assert_eq!(&*interner.release_take(a), b"a");
        assert_eq!(interner.len(), 1);
        // The freed id is reused, and the old text is gone.
        let (c, fresh) = interner.intern(b"c");
        assert!(fresh);
        assert_eq!(c, a);
        assert_eq!(interner.bytes(c), b"c");
        assert_eq!(interner.intern(b"b").0, b);
    }

    #[test]
    fn the_short_value_cache_never_answers_for_a_freed_value() {
        let mut interner = Interner::default();
        let (a, _) = interner.intern(b"7");
        interner.acquire(a);
        assert_eq!(interner.intern(b"7"), (a, false), "from the cache");
        assert_eq!(&*interner.release_take(a), b"7");
        // The id is free; the next value takes it, and "7" is new again.
        let (eight, fresh) = interner.intern(b"8");
        assert!(fresh);
        assert_eq!(eight, a);
        let (seven, fresh) = interner.intern(b"7");
        assert!(fresh, "not the stale cache entry");
        assert_ne!(seven, eight);
        assert_eq!(interner.bytes(eight), b"8");
        assert_eq!(interner.bytes(seven), b"7");
        // Same bytes, other lengths: distinct values.
        let (plain, _) = interner.intern(b"a");
        let (nul, _) = interner.intern(b"a\0");
        assert_ne!(plain, nul);
    }

    #[test]
    fn short_keys_tell_every_short_value_apart() {
        let mut seen = std::collections::HashMap::new();
        let alphabet = [
            "", "a", "b", "ab", "ba", "aa", "abc", "acb", "bac", "abcd", "abdc", "dbca",
        ];
        for text in alphabet
            .iter()
            .copied()
            .chain(["12345", "12354", "1234567", "12345678", "82345671"])
        {
            let (key, len, _) = short_key(text.as_bytes()).unwrap();
            assert_eq!(seen.insert((key, len), text), None, "{text:?} collides");
        }
        assert!(short_key(b"123456789").is_none());
    }

    #[test]
    fn unused_values_are_freed_once() {
        let mut interner = Interner::default();
        let (late, _) = interner.intern(b"late");
        interner.release_if_unused(late);
        interner.release_if_unused(late);
        assert_eq!(interner.len(), 0);
        assert_eq!(interner.free.len(), 1);
        let (kept, _) = interner.intern(b"kept");
        interner.acquire(kept);
        interner.release_if_unused(kept);
        assert_eq!(interner.len(), 1);
    }
}

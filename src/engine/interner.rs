//! Interning: each distinct byte string (a group key, a string `min`/`max`) is stored once and
//! named by a small id, so state keys are `(window, id)` and the hot path hashes a key once per
//! event instead of once per window.
//!
//! Ids are reference counted by the state that uses them and freed with the last reference (a
//! window's eviction frees its keys together, at its end), so the interner holds only what
//! open state holds, never the stream's history.

mod slots;

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use slots::SlotTable;

/// Names one interned byte string.
pub(crate) type Id = u32;

/// An interned byte string and its uses: a short one held in place (most keys: no allocation,
/// and no pointer to follow), a long one on the heap. Sixteen bytes, so that a million keys'
/// entries take 16 MB of cache, not 32.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// A short string's bytes; a long one's index in [`Interner::longs`], as a number.
    word: [u8; SHORT],
    /// The short string's length, [`LONG`], or [`FREE`] for a freed id (on the free list).
    len: u8,
    /// Uses in state.
    refs: u32,
}

/// [`Entry::len`] of a freed id.
const FREE: u8 = u8::MAX - 1;

impl Entry {
    /// Where a long string's bytes are in [`Interner::longs`].
    fn long_at(&self) -> usize {
        u64::from_le_bytes(self.word) as usize
    }

    #[inline]
    fn bytes<'a>(&'a self, longs: &'a [Box<[u8]>]) -> &'a [u8] {
        match self.len {
            LONG => &longs[self.long_at()],
            FREE => &[],
            len => &self.word[..usize::from(len)],
        }
    }
}

/// Byte strings of at most eight bytes (the seed's keys `0`..`10`, most codes, words and
/// numbers) are held as one number, in place: a lookup compares numbers.
const SHORT: usize = 8;
/// A slot of the direct-mapped cache in front of the table: a thousand keys, as a group-by on
/// users has, mostly find their own, with one multiply and one compare.
const CACHE_SLOTS: usize = 4096;
/// [`Slot::len`] of a string longer than [`SHORT`]: compared through its entry.
const LONG: u8 = u8::MAX;
/// How many strings ahead of its removal [`Interner::flush_releases`] asks for a string's
/// place in the table (and for its entry, twice as far ahead).
const RELEASE_AHEAD: usize = 8;

/// A short string's bytes as a number (with its length, it names the string) and its id: what
/// the cache and the table hold, so that finding a short string reads no entry.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// A short string's bytes; in the table, a long string's hash.
    bytes: u64,
    /// The length, or [`LONG`]; in the cache, `LONG` marks an empty slot.
    len: u8,
    id: Id,
}

const EMPTY: Slot = Slot {
    bytes: 0,
    len: LONG,
    id: 0,
};

pub(crate) struct Interner {
    table: SlotTable,
    entries: Vec<Entry>,
    free: Vec<Id>,
    hasher: FxBuildHasher,
    cache: Box<[Slot; CACHE_SLOTS]>,
    /// The long strings' bytes; an empty one is free, its place on `free_longs`.
    longs: Vec<Box<[u8]>>,
    free_longs: Vec<usize>,
    /// Bytes of the long strings held.
    long_bytes: usize,
    /// Ids [`Interner::release_later`] let go of, for [`Interner::flush_releases`].
    released: Vec<Id>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            table: SlotTable::default(),
            entries: Vec::new(),
            free: Vec::new(),
            hasher: FxBuildHasher,
            cache: vec![EMPTY; CACHE_SLOTS]
                .into_boxed_slice()
                .try_into()
                .expect("CACHE_SLOTS slots"),
            longs: Vec::new(),
            free_longs: Vec::new(),
            long_bytes: 0,
            released: Vec::new(),
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
    let packed = pack(b);
    let len = b.len() as u8;
    Some((packed, len, cache_slot(packed, len)))
}

/// Up to eight bytes as one number, the first in the low byte.
#[inline]
fn pack(b: &[u8]) -> u64 {
    // Byte by byte: the key was just written a byte and a slice at a time, and a wider load
    // over those writes waits for them to reach the cache (a stall measured at a sixth of the
    // engine's time per row).
    (b.iter().rev()).fold(0u64, |packed, &byte| packed << 8 | u64::from(byte))
}

/// [`pack`] of bytes written a while ago (a row's, by the thread that read it): a load or two
/// of a few bytes each, overlapping, rather than a byte at a time.
#[inline]
fn pack_loaded(b: &[u8]) -> u64 {
    let len = b.len();
    if let (Some(low), Some(high)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*low))
            | u64::from(u32::from_le_bytes(*high)) << (8 * (len - 4))
    } else if let (Some(&first), Some(&last)) = (b.first(), b.last()) {
        u64::from(first)
            | u64::from(b[len / 2]) << (8 * (len / 2))
            | u64::from(last) << (8 * (len - 1))
    } else {
        0
    }
}

/// The group key of one string column of `bytes` (its tag, then its bytes) as a short
/// string's number and length; none when it is too long to be one.
#[inline]
fn string_key(bytes: &[u8]) -> Option<(u64, u8)> {
    (bytes.len() < SHORT).then(|| short_string_key(pack_loaded(bytes), bytes.len()))
}

/// [`string_key`] of the string of `len` bytes (under [`SHORT`]) packed in `word`.
#[inline]
fn short_string_key(word: u64, len: usize) -> (u64, u8) {
    (word << 8 | u64::from(super::key::VALUE), len as u8 + 1)
}

/// The cache slot of a short string.
#[inline]
fn cache_slot(packed: u64, len: u8) -> usize {
    ((packed ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        >> (64 - CACHE_SLOTS.trailing_zeros())) as usize
}

/// The hash of a short string (as its number and length) in the table.
fn short_hash(hasher: FxBuildHasher, packed: u64, len: u8) -> u64 {
    hasher.hash_one((packed, len))
}

/// The hash a table slot was inserted with: of the number for a short string; a long one's
/// slot holds its hash.
fn slot_hash(hasher: FxBuildHasher, slot: &Slot) -> u64 {
    if slot.len == LONG {
        slot.bytes
    } else {
        short_hash(hasher, slot.bytes, slot.len)
    }
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
    /// Allocates only for a long string not seen while it was in state.
    #[inline]
    pub fn intern(&mut self, bytes: &[u8]) -> (Id, bool) {
        let Some((packed, len, at)) = short_key(bytes) else {
            return self.intern_long(bytes);
        };
        self.intern_packed(packed, len, at)
    }

    /// [`Interner::intern`] of the group key of one string column (`key::encode_string` of
    /// `bytes` as the last column: its tag, then its bytes), without writing the key out; none
    /// when the key is too long to be held in place.
    #[allow(clippy::inline_always)] // every row's, mostly found in the cache
    #[inline(always)]
    pub fn intern_string_key(&mut self, bytes: &[u8]) -> Option<(Id, bool)> {
        let (packed, len) = string_key(bytes)?;
        Some(self.intern_packed(packed, len, cache_slot(packed, len)))
    }

    /// [`Interner::intern_string_key`] of a string of `len` bytes, under eight, given as
    /// `word`: its bytes as loaded (the first lowest), zeros after them.
    #[allow(clippy::inline_always)] // see `intern_string_key`
    #[inline(always)]
    pub fn intern_short_string_key(&mut self, word: u64, len: usize) -> (Id, bool) {
        debug_assert!(len < SHORT && word >> (8 * len) == 0);
        let (packed, len) = short_string_key(word, len);
        self.intern_packed(packed, len, cache_slot(packed, len))
    }

    /// Starts loading the places [`Interner::intern_string_key`] of `bytes` reads.
    #[inline]
    pub fn prefetch_string_key(&self, bytes: &[u8]) {
        if let Some((packed, len)) = string_key(bytes) {
            self.prefetch_short(packed, len);
        }
    }

    /// Starts loading the places finding a short string reads: its cache slot and its home in
    /// the table.
    #[inline]
    fn prefetch_short(&self, packed: u64, len: u8) {
        prefetch_index::prefetch_index(&self.cache[..], cache_slot(packed, len));
        self.table.prefetch(short_hash(self.hasher, packed, len));
    }

    #[allow(clippy::inline_always)] // see `intern_string_key`
    #[inline(always)]
    fn intern_packed(&mut self, packed: u64, len: u8, at: usize) -> (Id, bool) {
        let cached = self.cache[at];
        if cached.bytes == packed && cached.len == len {
            return (cached.id, false);
        }
        self.intern_missed(packed, len, at)
    }

    /// [`Interner::intern_packed`] of a string not in its cache slot.
    #[inline(never)]
    fn intern_missed(&mut self, packed: u64, len: u8, at: usize) -> (Id, bool) {
        let (id, fresh) = self.intern_short(packed, len);
        self.cache[at] = Slot {
            bytes: packed,
            len,
            id,
        };
        (id, fresh)
    }

    fn intern_short(&mut self, packed: u64, len: u8) -> (Id, bool) {
        let hash = short_hash(self.hasher, packed, len);
        if let Some(slot) = self.table.find(hash, |s| s.bytes == packed && s.len == len) {
            return (slot.id, false);
        }
        let id = self.add(packed.to_le_bytes(), len);
        self.insert(hash, packed, len, id);
        (id, true)
    }

    #[inline(never)]
    fn intern_long(&mut self, bytes: &[u8]) -> (Id, bool) {
        let hash = self.hasher.hash_one(bytes);
        let (entries, longs) = (&self.entries, &self.longs);
        if let Some(slot) = self.table.find(hash, |s| {
            s.len == LONG && s.bytes == hash && entries[s.id as usize].bytes(longs) == bytes
        }) {
            return (slot.id, false);
        }
        let at = if let Some(at) = self.free_longs.pop() {
            self.longs[at] = bytes.into();
            at
        } else {
            self.longs.push(bytes.into());
            self.longs.len() - 1
        };
        self.long_bytes += bytes.len();
        let id = self.add((at as u64).to_le_bytes(), LONG);
        self.insert(hash, hash, LONG, id);
        (id, true)
    }

    fn add(&mut self, word: [u8; SHORT], len: u8) -> Id {
        let entry = Entry { word, len, refs: 0 };
        if let Some(id) = self.free.pop() {
            self.entries[id as usize] = entry;
            id
        } else {
            self.entries.push(entry);
            (self.entries.len() - 1) as Id
        }
    }

    fn insert(&mut self, hash: u64, bytes: u64, len: u8, id: Id) {
        let hasher = self.hasher;
        self.table
            .insert(hash, Slot { bytes, len, id }, |s| slot_hash(hasher, s));
    }

    #[inline]
    pub fn bytes(&self, id: Id) -> &[u8] {
        self.entries[id as usize].bytes(&self.longs)
    }

    /// Starts loading `id`'s entry into the cache, for an [`Interner::acquire`] a little later.
    #[inline]
    pub fn prefetch(&self, id: Id) {
        prefetch_index::prefetch_index(&self.entries, id as usize);
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

    /// [`Interner::release`], the removal of an id's last use left to the next
    /// [`Interner::flush_releases`]: for a window's eviction, which lets go of each of its keys
    /// at once. Nothing may be interned before that flush.
    #[inline]
    pub fn release_later(&mut self, id: Id) {
        let entry = &mut self.entries[id as usize];
        entry.refs -= 1;
        if entry.refs == 0 {
            self.released.push(id);
        }
    }

    /// Removes the strings [`Interner::release_later`] let go of (a million distinct keys,
    /// say, each in a window or two): each string's entry, then its place in the table, asked
    /// for some strings ahead of its removal, so that their cache misses overlap.
    pub fn flush_releases(&mut self) {
        let released = std::mem::take(&mut self.released);
        for (k, &id) in released.iter().enumerate() {
            if let Some(&far) = released.get(k + 2 * RELEASE_AHEAD) {
                prefetch_index::prefetch_index(&self.entries, far as usize);
            }
            if let Some(&near) = released.get(k + RELEASE_AHEAD) {
                let entry = &self.entries[near as usize];
                if entry.len < FREE {
                    self.prefetch_short(u64::from_le_bytes(entry.word), entry.len);
                }
            }
            self.release_if_unused(id);
        }
        self.released = released;
        self.released.clear();
    }

    /// Frees `id` if nothing uses it (a refused row's key, say).
    pub fn release_if_unused(&mut self, id: Id) {
        let entry = &self.entries[id as usize];
        if entry.len != FREE && entry.refs == 0 {
            self.remove(id);
        }
    }

    fn remove(&mut self, id: Id) {
        let entry = self.entries[id as usize];
        let hash = match entry.len {
            FREE => return,
            LONG => self.hasher.hash_one(&self.longs[entry.long_at()]),
            len => {
                let packed = u64::from_le_bytes(entry.word);
                let at = cache_slot(packed, len);
                if self.cache[at].id == id && self.cache[at].len == len {
                    self.cache[at] = EMPTY;
                }
                short_hash(self.hasher, packed, len)
            }
        };
        let hasher = self.hasher;
        self.table.remove(hash, id, |s| slot_hash(hasher, s));
        self.free_entry(id);
    }

    /// Marks `id` free, and frees a long string's bytes.
    fn free_entry(&mut self, id: Id) {
        let entry = &mut self.entries[id as usize];
        if entry.len == LONG {
            let at = entry.long_at();
            self.long_bytes -= std::mem::take(&mut self.longs[at]).len();
            self.free_longs.push(at);
        }
        entry.len = FREE;
        self.free.push(id);
    }

    /// One past the largest id given out so far: every id is below it.
    pub fn id_bound(&self) -> usize {
        self.entries.len()
    }

    /// Byte strings held now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes held, roughly: entries, table, cache and every string's bytes.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<[Slot; CACHE_SLOTS]>()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.table.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * std::mem::size_of::<Id>()
            + self.longs.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.free_longs.capacity() * std::mem::size_of::<usize>()
            + self.long_bytes
    }
}

#[cfg(test)]
mod tests;

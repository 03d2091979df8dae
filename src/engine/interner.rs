//! Value interning: each distinct value string is stored once and named by a small id, so state keys
//! are `(window, id)` and the hot path hashes a string once per event instead of once per window.
//!
//! Ids are reference counted by the state keys that use them and freed with the last one, so the
//! interner holds only values that are in open state, never the stream's history.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Names one interned value.
pub(crate) type ValueId = u32;

#[derive(Debug)]
struct Entry {
    text: Box<str>,
    /// State keys using this value; a free slot has `text` empty and is on the free list.
    refs: u32,
    live: bool,
}

#[derive(Default)]
pub(crate) struct Interner {
    table: HashTable<ValueId>,
    entries: Vec<Entry>,
    free: Vec<ValueId>,
    hasher: FxBuildHasher,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("values", &self.len())
            .finish()
    }
}

impl Interner {
    /// The id of `text`, adding it with no references when it is new (`true` in that case).
    /// Allocates only for a value not seen while it was in state.
    #[inline]
    pub fn intern(&mut self, text: &str) -> (ValueId, bool) {
        let hash = self.hasher.hash_one(text);
        let entries = &self.entries;
        if let Some(&id) = self
            .table
            .find(hash, |&id| &*entries[id as usize].text == text)
        {
            return (id, false);
        }
        let entry = Entry {
            text: text.into(),
            refs: 0,
            live: true,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.entries[id as usize] = entry;
                id
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as ValueId
            }
        };
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.table
            .insert_unique(hash, id, |&id| hasher.hash_one(&*entries[id as usize].text));
        (id, true)
    }

    #[inline]
    pub fn text(&self, id: ValueId) -> &str {
        &self.entries[id as usize].text
    }

    /// A state key now uses `id`.
    #[inline]
    pub fn acquire(&mut self, id: ValueId) {
        self.entries[id as usize].refs += 1;
    }

    /// A state key no longer uses `id`. Returns the text, moved out when this was the last
    /// reference, copied otherwise.
    pub fn release(&mut self, id: ValueId) -> Box<str> {
        let entry = &mut self.entries[id as usize];
        entry.refs -= 1;
        if entry.refs == 0 {
            self.remove(id)
        } else {
            entry.text.clone()
        }
    }

    /// Frees `id` if no state key uses it (a value that was only ever late, say).
    pub fn release_if_unused(&mut self, id: ValueId) {
        let entry = &self.entries[id as usize];
        if entry.live && entry.refs == 0 {
            self.remove(id);
        }
    }

    fn remove(&mut self, id: ValueId) -> Box<str> {
        let hash = self.hasher.hash_one(&*self.entries[id as usize].text);
        if let Ok(found) = self.table.find_entry(hash, |&other| other == id) {
            found.remove();
        }
        let entry = &mut self.entries[id as usize];
        entry.live = false;
        self.free.push(id);
        std::mem::take(&mut entry.text)
    }

    /// Values held now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes held, roughly: entries, table and the text of every value.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.table.capacity() * (std::mem::size_of::<ValueId>() + 1)
            + self.free.capacity() * std::mem::size_of::<ValueId>()
            + self.entries.iter().map(|e| e.text.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_and_freed_with_the_last_reference() {
        let mut interner = Interner::default();
        let (a, fresh) = interner.intern("a");
        assert!(fresh);
        assert_eq!(interner.intern("a"), (a, false));
        let (b, _) = interner.intern("b");
        assert_ne!(a, b);
        interner.acquire(a);
        interner.acquire(a);
        assert_eq!(&*interner.release(a), "a");
        assert_eq!(interner.len(), 2);
        assert_eq!(&*interner.release(a), "a");
        assert_eq!(interner.len(), 1);
        // The freed id is reused, and the old text is gone.
        let (c, fresh) = interner.intern("c");
        assert!(fresh);
        assert_eq!(c, a);
        assert_eq!(interner.text(c), "c");
        assert_eq!(interner.intern("b").0, b);
    }

    #[test]
    fn unused_values_are_freed_once() {
        let mut interner = Interner::default();
        let (late, _) = interner.intern("late");
        interner.release_if_unused(late);
        interner.release_if_unused(late);
        assert_eq!(interner.len(), 0);
        assert_eq!(interner.free.len(), 1);
        let (kept, _) = interner.intern("kept");
        interner.acquire(kept);
        interner.release_if_unused(kept);
        assert_eq!(interner.len(), 1);
    }
}

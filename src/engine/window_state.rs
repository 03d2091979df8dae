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
    index: FxHashMap<Id, u32>,
    pub keys: Vec<Id>,
    pub accs: Vec<Acc>,
    /// The batch that last changed each key.
    pub touched: Vec<u64>,
}

impl WindowState {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Key `i`'s buffers.
    pub fn accs(&self, i: usize, n: usize) -> &[Acc] {
        &self.accs[i * n..(i + 1) * n]
    }

    pub fn find(&self, id: Id) -> Option<usize> {
        self.index.get(&id).map(|&i| i as usize)
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
            self.index.insert(id, self.keys.len() as u32);
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

    fn clear(&mut self) {
        self.index.clear();
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

    /// Bytes held by the maps, roughly.
    pub fn heap_bytes(&self, n: usize) -> usize {
        let per_key = size_of::<(Id, u32)>() + 1 + size_of::<Id>() + n * size_of::<Acc>() + 8;
        self.windows
            .values()
            .chain(&self.spare)
            .map(|w| w.index.capacity() * per_key)
            .sum::<usize>()
            + self.windows.len() * (size_of::<WindowState>() + 2 * size_of::<Micros>())
    }
}

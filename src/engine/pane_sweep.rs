//! The two-stacks sweep over one key's panes: its windows in start order, each the merge of the
//! panes it holds, from a front stack of suffix merges and a back stack's running merge, so
//! a sweep from scratch merges every pane at most three times however many windows hold it.
//!
//! A key's stacks ([`Stacks`]) are kept from one close to the next: a batch that closes a few
//! windows of a long window (10 minutes sliding every second closes about one a second) goes on
//! where the last close stopped instead of merging the window's hundreds of panes again. They
//! stay right while no pane they merged changes; a change there forgets them
//! ([`Stacks::covers`]), and the next close sweeps that key from scratch (the work of the last
//! flip is lost then). The cost is memory: the front stack holds up to a window's suffix
//! merges, so a key whose windows close in steady state holds up to twice its panes' buffers.

use super::accumulate::{Acc, Kind, merge_all};
use super::interner::Interner;
use super::pane_state::Geometry;

/// Where a key's sweep stands, as indexes into its live panes: panes `lo..mid` are the front
/// stack (each with the merge of the panes from it to `mid`, in `suffix`), panes `mid..hi` are
/// merged into `back`.
#[derive(Debug, Default)]
pub(crate) struct Stacks {
    lo: usize,
    mid: usize,
    hi: usize,
    /// The live index of `suffix`'s first merge (below zero once its panes are dropped).
    base: isize,
    /// Suffix merges, `n` buffers each.
    suffix: Vec<Acc>,
    /// The merge of panes `mid..hi`, `n` buffers (none before the first sweep).
    back: Vec<Acc>,
}

impl Stacks {
    /// Whether the live pane at `at` is merged into the stacks: changing a pane there, or
    /// inserting one before it, must [`Stacks::forget`] them.
    #[inline]
    pub fn covers(&self, at: usize) -> bool {
        at < self.hi
    }

    /// Forgets every merge, and the memory they took: the next sweep starts from the key's
    /// first live pane.
    pub fn forget(&mut self) {
        *self = Stacks::default();
    }

    /// Forgets every merge but keeps the memory, for a sweep from scratch.
    fn restart(&mut self) {
        (self.lo, self.mid, self.hi, self.base) = (0, 0, 0, 0);
        self.back.clear();
    }

    /// The key's first `dropped` live panes are gone (they are all before `lo`, as
    /// [`Sweep::resume`] leaves it; were one not, the stacks are forgotten rather than wrong).
    pub fn drop_front(&mut self, dropped: usize) {
        if dropped > self.lo {
            debug_assert!(false, "a pane the sweep still needs was dropped");
            self.forget();
            return;
        }
        self.lo -= dropped;
        self.mid -= dropped;
        self.hi -= dropped;
        self.base -= dropped as isize;
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.suffix.capacity() + self.back.capacity()) * size_of::<Acc>()
    }

    /// Moves panes `mid..hi` (the back stack) to the front stack: their suffix merges.
    fn flip(&mut self, accs: &[Acc], kinds: &[Kind], strings: &mut Interner) {
        let n = kinds.len();
        let (lo, hi) = (self.mid, self.hi);
        self.suffix.clear();
        self.suffix.extend_from_slice(&accs[lo * n..hi * n]);
        for i in (0..(hi - lo).saturating_sub(1)).rev() {
            let (head, tail) = self.suffix.split_at_mut((i + 1) * n);
            merge_all(kinds, &mut head[i * n..], &tail[..n], strings);
        }
        self.back.fill(Acc::default());
        (self.base, self.mid) = (lo as isize, hi);
    }

    /// Moves `lo` past the panes before `first` (a window's first pane), flipping the back
    /// stack to the front when the front runs out.
    fn pass(
        &mut self,
        panes: &[i64],
        first: i64,
        accs: &[Acc],
        kinds: &[Kind],
        strings: &mut Interner,
    ) {
        while self.lo < self.hi && panes[self.lo] < first {
            if self.lo == self.mid {
                self.flip(accs, kinds, strings);
            }
            self.lo += 1;
        }
    }
}

/// The windows a sweep found, and their buffers (`n` each).
#[derive(Debug, Default)]
pub(crate) struct Sweep {
    pub starts: Vec<i64>,
    pub accs: Vec<Acc>,
    /// The stacks of a sweep from scratch.
    scratch: Stacks,
}

impl Sweep {
    /// Fills `starts` and `accs` with windows `from..=to` that hold one of `panes` (ascending,
    /// with their buffers), sweeping from scratch.
    pub fn run(
        &mut self,
        geometry: &Geometry,
        panes: (&[i64], &[Acc]),
        kinds: &[Kind],
        (from, to): (i64, i64),
        strings: &mut Interner,
    ) {
        let mut stacks = std::mem::take(&mut self.scratch);
        stacks.restart();
        self.sweep(&mut stacks, geometry, panes, kinds, (from, to), strings);
        self.scratch = stacks;
    }

    /// [`Sweep::run`] going on from `stacks`, kept from the key's last close (whose windows all
    /// come before `from`); afterwards they stand at window `to + 1`, whose panes are all at or
    /// after `lo`, so the panes before it may be dropped ([`Stacks::drop_front`]).
    pub fn resume(
        &mut self,
        stacks: &mut Stacks,
        geometry: &Geometry,
        panes: (&[i64], &[Acc]),
        kinds: &[Kind],
        (from, to): (i64, i64),
        strings: &mut Interner,
    ) {
        self.sweep(stacks, geometry, panes, kinds, (from, to), strings);
        let (first, _) = geometry.panes_of(to + 1);
        stacks.pass(panes.0, first, panes.1, kinds, strings);
    }

    /// Windows `from..=to` from `stacks` on: for each window, the back stack takes the panes
    /// before its end and `lo` passes the panes before its start (flipping the back to the
    /// front when the front runs out); the window is the front's suffix merge at `lo` merged
    /// with the back, or the back alone. A window holding no pane is skipped to the next pane's
    /// first window.
    fn sweep(
        &mut self,
        stacks: &mut Stacks,
        geometry: &Geometry,
        (panes, accs): (&[i64], &[Acc]),
        kinds: &[Kind],
        (from, to): (i64, i64),
        strings: &mut Interner,
    ) {
        let n = kinds.len();
        self.starts.clear();
        self.accs.clear();
        if stacks.back.len() != n {
            stacks.restart();
            stacks.back.resize(n, Acc::default());
        }
        let Some(&first) = panes.get(stacks.lo) else {
            return;
        };
        let mut j = from.max(geometry.windows_of(first).0);
        while j <= to {
            let (a, b) = geometry.panes_of(j);
            while stacks.hi < panes.len() && panes[stacks.hi] < b {
                let at = stacks.hi * n;
                merge_all(kinds, &mut stacks.back, &accs[at..at + n], strings);
                stacks.hi += 1;
            }
            stacks.pass(panes, a, accs, kinds, strings);
            if stacks.lo == stacks.hi {
                let Some(&next) = panes.get(stacks.hi) else {
                    break;
                };
                j = (j + 1).max(geometry.windows_of(next).0);
                continue;
            }
            self.starts.push(j);
            if stacks.lo < stacks.mid {
                let at = self.accs.len();
                let front = (stacks.lo as isize - stacks.base) as usize * n;
                self.accs
                    .extend_from_slice(&stacks.suffix[front..front + n]);
                merge_all(kinds, &mut self.accs[at..], &stacks.back, strings);
            } else {
                self.accs.extend_from_slice(&stacks.back);
            }
            j += 1;
        }
    }
}

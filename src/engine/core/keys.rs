//! A row's group key: interned (a short key of one string column straight from the row's
//! bytes), and, once the keys outgrow the cache, prefetched some rows before the row is pushed
//! ([`Batch::push_rows`]); a count's key is then interned a few rows ahead too, and its entry
//! in the batch asked for.

use std::ops::Range;

use super::super::interner::{Id, Interner};
use super::super::key;
use super::super::row::{Row, Rows};
use super::super::time::NULL_EVENT_TIME;
use super::super::types::DataType;
use super::{Batch, Engine, Windows};

/// Keys interned before rows are prefetched for ([`Engine::lookahead`]): below that the
/// interner's table stays in the cache, and prefetching would only cost.
pub(crate) const PREFETCH_MIN_KEYS: usize = 1 << 16;
/// How many rows ahead of a push its key is prefetched for.
const PUSH_AHEAD: usize = 8;
/// How many rows ahead of a push a count's key is interned, and its entry in the batch asked
/// for ([`Batch::push_rows`]); fewer than [`PUSH_AHEAD`], whose prefetch it reads.
const KEY_AHEAD: usize = 4;

impl Batch<'_> {
    /// [`Batch::push`] of rows `range` of `rows`, read as rows of `types`, in order. Once the
    /// keys outgrow the cache, what a row's key will read first (its place in the interner) is
    /// asked for some rows before the row is pushed, so that the cache misses of many rows
    /// overlap; a count's key is then interned a few rows ahead too, and its entry in the
    /// batch asked for.
    pub fn push_rows(&mut self, rows: &Rows, range: Range<usize>, types: &[DataType]) {
        let ahead = self.engine.lookahead();
        if ahead == 0 {
            for (t, row) in rows.iter_from(range.start, range.end, types) {
                self.push(t, &row);
            }
            return;
        }
        for at in range.clone().take(ahead) {
            self.engine.prefetch(&rows.row(at, types).1);
        }
        if self.followers.is_empty() && self.engine.keys_ahead(range.len()) {
            return self.engine.push_keyed_ahead(rows, range, types);
        }
        for at in range.clone() {
            if at + ahead < range.end {
                self.engine.prefetch(&rows.row(at + ahead, types).1);
            }
            let (t, row) = rows.row(at, types);
            self.push(t, &row);
        }
    }
}

impl Engine {
    /// How many rows ahead of a push its key is asked for ([`Engine::prefetch`]): none while
    /// the state is small enough to stay in the cache, or the key is not one string column.
    pub(in crate::engine) fn lookahead(&self) -> usize {
        let large = self.strings.len() >= PREFETCH_MIN_KEYS;
        if large && self.string_key.is_some() {
            PUSH_AHEAD
        } else {
            0
        }
    }

    /// Whether a row's key may be interned before the rows ahead of it are pushed: the
    /// query only counts (a row's push then interns nothing but its key, and lets go of
    /// nothing) and the batch refuses no new key in the next `rows` rows (a refused row's key
    /// is let go of at once, which a key interned ahead would not survive).
    fn keys_ahead(&self, rows: usize) -> bool {
        self.counts_only
            && self.has_room(rows)
            && matches!(
                self.windows,
                Windows::Sliding { .. } | Windows::Panes { .. }
            )
    }

    /// [`Batch::push_rows`] once its first rows are asked for, with [`KEY_AHEAD`] keys
    /// interned ahead, in row order.
    fn push_keyed_ahead(&mut self, rows: &Rows, range: Range<usize>, types: &[DataType]) {
        let ahead = self.lookahead();
        // A row without an event time takes no key (the id in its place is never read).
        let key_ahead = |engine: &mut Engine, at: usize| {
            let (t, row) = rows.row(at, types);
            if t == NULL_EVENT_TIME {
                return (0, false);
            }
            let key = engine.key_of(&row);
            engine.prefetch_entry(key.0);
            key
        };
        let mut keys = [(0, false); KEY_AHEAD];
        for at in range.clone().take(KEY_AHEAD) {
            keys[at % KEY_AHEAD] = key_ahead(self, at);
        }
        for at in range.clone() {
            if at + ahead < range.end {
                self.prefetch(&rows.row(at + ahead, types).1);
            }
            let key = keys[at % KEY_AHEAD];
            if at + KEY_AHEAD < range.end {
                keys[at % KEY_AHEAD] = key_ahead(self, at + KEY_AHEAD);
            }
            let (t, row) = rows.row(at, types);
            if t == NULL_EVENT_TIME {
                self.push_without_time();
            } else {
                self.push_keyed(t, &row, key);
            }
        }
    }

    /// Starts loading where the running batch's entry of key `id` is looked for.
    #[inline]
    fn prefetch_entry(&self, id: Id) {
        if let Windows::Sliding { partial, .. } | Windows::Panes { partial, .. } = &self.windows {
            partial.prefetch(id);
        }
    }

    /// Starts loading what [`Engine::key_of`] of `row` will read first.
    #[inline]
    pub(super) fn prefetch<R: Row + ?Sized>(&self, row: &R) {
        if let Some(bytes) = self.string_key.and_then(|column| row.string_bytes(column)) {
            self.strings.prefetch_string_key(bytes);
        }
    }

    /// The interned group key of `row`: a short key of one string column straight from the
    /// row's bytes, any other written out first.
    #[inline]
    pub(super) fn key_of<R: Row + ?Sized>(&mut self, row: &R) -> (Id, bool) {
        let key = (
            self.string_key,
            self.query.key_types(),
            self.query.group_by(),
        );
        intern_key(&mut self.strings, key, &mut self.key, row)
    }
}

/// The id in `strings` of `row`'s group key (`true` when it is new there), the key being
/// columns `group_by` of types `key_types`: a key of one STRING column (`string_key`) is found
/// without being written out, any other is written to `scratch` first.
#[inline]
pub(crate) fn intern_key<R: Row + ?Sized>(
    strings: &mut Interner,
    (string_key, key_types, group_by): (Option<usize>, &[DataType], &[usize]),
    scratch: &mut Vec<u8>,
    row: &R,
) -> (Id, bool) {
    if let Some(bytes) = string_key.and_then(|column| row.string_bytes(column)) {
        return intern_string(strings, bytes, scratch);
    }
    scratch.clear();
    row.encode_key(key_types, group_by, scratch);
    strings.intern(scratch)
}

/// The id in `strings` of the group key of one STRING column of text `bytes` (`true` when it
/// is new there): a short one found in place, a longer one written to `scratch` first.
#[allow(clippy::inline_always)] // every row's, and mostly found in the interner's cache
#[inline(always)]
pub(crate) fn intern_string(
    strings: &mut Interner,
    bytes: &[u8],
    scratch: &mut Vec<u8>,
) -> (Id, bool) {
    if let Some(found) = strings.intern_string_key(bytes) {
        return found;
    }
    scratch.clear();
    key::encode_string(bytes, true, scratch);
    strings.intern(scratch)
}

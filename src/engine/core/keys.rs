//! A row's group key: interned (a short key of one string column straight from the row's
//! bytes), and, once the keys outgrow the cache, prefetched some rows before the row is pushed.

use super::super::interner::{Id, Interner};
use super::super::key;
use super::super::row::Row;
use super::super::types::DataType;
use super::Engine;

/// Keys interned before rows are prefetched for ([`Engine::lookahead`]): below that the
/// interner's table stays in the cache, and prefetching would only cost.
pub(crate) const PREFETCH_MIN_KEYS: usize = 1 << 16;
/// How many rows ahead of a push its key is prefetched for.
const PUSH_AHEAD: usize = 8;

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

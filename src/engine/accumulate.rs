//! Aggregate buffers, updated and merged exactly as Spark 3.5's expressions do, so that even
//! floating-point sums round the same way: `sum` starts as NULL and adds `coalesce(sum, 0) + x`;
//! `avg` keeps a double sum (NULLs add `0.0`) and a count; `min`/`max` keep the first of equal
//! values. A streaming batch's buffer is merged into the state as Spark's plan does it:
//! `merge(merge(∅, state), merge(∅, batch))`.
//!
//! A buffer is 16 bytes ([`Acc`]) whatever the aggregate: no allocation per row. A string
//! `min`/`max` keeps its text interned.

use std::cmp::Ordering;

use super::interner::{Id, Interner};
use super::query::{Agg, AggFn};
use super::row::Row;
use super::types::{DataType, Datum, Value, compare};

/// How an aggregate's buffer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Count,
    CountColumn,
    /// Integral sum: `a` the sum (wrapping, as Spark's non-ANSI `Add`), `b` whether any.
    SumLong,
    /// Double sum: `a` its bits, `b` whether any.
    SumDouble,
    /// `a` the double sum's bits, `b` the count.
    Avg,
    /// Integers, timestamps and booleans: `a` the value, `b` whether any.
    Extreme(Extreme, Numeric),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extreme {
    Min,
    Max,
}

/// How a `min`/`max` value is kept in `a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numeric {
    /// An `i64` (integers, timestamps, booleans as 0/1).
    Long,
    /// An `f64`'s bits (floats too).
    Double,
    /// An interned string's id.
    Str,
}

impl Kind {
    pub fn of(agg: &Agg) -> Kind {
        let input = agg.input.unwrap_or(DataType::Long);
        let extreme = |e| {
            Kind::Extreme(
                e,
                match input {
                    DataType::String => Numeric::Str,
                    DataType::Float | DataType::Double => Numeric::Double,
                    _ => Numeric::Long,
                },
            )
        };
        match agg.func {
            AggFn::Count => Kind::Count,
            AggFn::CountColumn => Kind::CountColumn,
            AggFn::Sum if input.is_floating() => Kind::SumDouble,
            AggFn::Sum => Kind::SumLong,
            AggFn::Avg => Kind::Avg,
            AggFn::Min => extreme(Extreme::Min),
            AggFn::Max => extreme(Extreme::Max),
        }
    }
}

/// One aggregate's buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Acc {
    pub a: u64,
    pub b: u64,
}

/// Spark's `coalesce(coalesce(x, 0) + y, x)` for doubles, `x` being NULL when `x_set` is false.
#[inline]
fn add_f64(x: u64, x_set: bool, y: f64) -> u64 {
    let x = if x_set { f64::from_bits(x) } else { 0.0 };
    (x + y).to_bits()
}

/// Adds one row's value of the aggregate's column (`Value::Null` for `count`).
#[inline]
pub(crate) fn update(kind: Kind, acc: &mut Acc, value: Value<'_>, strings: &mut Interner) {
    let at = Slots {
        at: &[0],
        stride: 1,
        k: 0,
    };
    update_at(kind, std::slice::from_mut(acc), at, value, strings);
}

/// Where one aggregate's buffers are in a run of buffers: `accs[i * stride + k]` for each `i`
/// in `at`.
#[derive(Clone, Copy)]
pub(crate) struct Slots<'a> {
    pub at: &'a [usize],
    pub stride: usize,
    pub k: usize,
}

impl Slots<'_> {
    #[allow(clippy::inline_always)] // a loop over a buffer or two, in every row's update
    #[inline(always)]
    fn each(self, accs: &mut [Acc], mut f: impl FnMut(&mut Acc)) {
        for &i in self.at {
            f(&mut accs[i * self.stride + self.k]);
        }
    }
}

/// [`update`] of the buffers `at` of `accs`: the aggregate's kind is looked at once for them
/// all.
#[allow(clippy::inline_always)] // every row's update, a call per aggregate otherwise
#[inline(always)]
pub(crate) fn update_at(
    kind: Kind,
    accs: &mut [Acc],
    at: Slots<'_>,
    value: Value<'_>,
    strings: &mut Interner,
) {
    match kind {
        Kind::Count => at.each(accs, |acc| acc.a += 1),
        Kind::CountColumn => {
            let n = u64::from(!value.is_null());
            at.each(accs, |acc| acc.a += n);
        }
        Kind::SumLong => {
            if let Value::Long(v) = value {
                at.each(accs, |acc| {
                    acc.a = (acc.a as i64).wrapping_add(v) as u64;
                    acc.b = 1;
                });
            }
        }
        Kind::SumDouble => {
            if let Some(v) = value.as_f64() {
                at.each(accs, |acc| {
                    acc.a = add_f64(acc.a, acc.b != 0, v);
                    acc.b = 1;
                });
            }
        }
        Kind::Avg => {
            let v = value.as_f64();
            at.each(accs, |acc| {
                acc.a = (f64::from_bits(acc.a) + v.unwrap_or(0.0)).to_bits();
                acc.b += u64::from(v.is_some());
            });
        }
        // Integers inline, the usual case; the rest in `offer`.
        Kind::Extreme(extreme, Numeric::Long) => match value {
            Value::Long(v) | Value::Timestamp(v) => at.each(accs, |acc| {
                if acc.b == 0 || better(extreme, v.cmp(&(acc.a as i64))) {
                    acc.a = v as u64;
                    acc.b = 1;
                }
            }),
            Value::Null => {}
            _ => at.each(accs, |acc| {
                offer(extreme, Numeric::Long, acc, value, strings);
            }),
        },
        Kind::Extreme(extreme, numeric) => {
            if !value.is_null() {
                at.each(accs, |acc| offer(extreme, numeric, acc, value, strings));
            }
        }
    }
}

/// Whether `order` (new against kept) makes the new value the one to keep: strictly smaller
/// for `min`, strictly greater for `max` (Spark's `Least` and `Greatest` keep the first of
/// equal values).
#[inline]
fn better(extreme: Extreme, order: Ordering) -> bool {
    match extreme {
        Extreme::Min => order == Ordering::Less,
        Extreme::Max => order == Ordering::Greater,
    }
}

/// Offers a row's (non-NULL) value to a `min`/`max` buffer.
#[inline]
fn offer(
    extreme: Extreme,
    numeric: Numeric,
    acc: &mut Acc,
    value: Value<'_>,
    strings: &mut Interner,
) {
    if numeric == Numeric::Str {
        let Value::Str(text) = value else { return };
        if acc.b != 0 && !better(extreme, text.as_bytes().cmp(strings.bytes(acc.a as Id))) {
            return;
        }
        let (id, _) = strings.intern(text.as_bytes());
        strings.acquire(id);
        if acc.b != 0 {
            strings.release(acc.a as Id);
        }
        acc.a = u64::from(id);
        acc.b = 1;
        return;
    }
    // Compared as the buffer holds it (a BOOLEAN as 0 or 1, a FLOAT as the double it widens
    // to exactly): a value of the column's own type would order by type against the buffer's.
    let offered = Acc {
        a: match (numeric, value) {
            (Numeric::Long, Value::Bool(v)) => u64::from(v),
            (Numeric::Long, Value::Long(v) | Value::Timestamp(v)) => v as u64,
            (Numeric::Double, v) => v.as_f64().unwrap_or(f64::NAN).to_bits(),
            _ => return,
        },
        b: 1,
    };
    if acc.b != 0
        && !better(
            extreme,
            compare(held(numeric, &offered), held(numeric, acc)),
        )
    {
        return;
    }
    *acc = offered;
}

/// The number a numeric `min`/`max` buffer holds, as a comparable value.
fn held(numeric: Numeric, acc: &Acc) -> Value<'static> {
    match numeric {
        Numeric::Double => Value::Double(f64::from_bits(acc.a)),
        Numeric::Long | Numeric::Str => Value::Long(acc.a as i64),
    }
}

/// Merges each buffer of `from` into the same one of `into` ([`merge`]).
pub(crate) fn merge_all(kinds: &[Kind], into: &mut [Acc], from: &[Acc], strings: &mut Interner) {
    for ((kind, into), from) in kinds.iter().zip(into).zip(from) {
        merge(*kind, into, from, strings);
    }
}

/// Merges buffer `from` into `into`, as Spark's merge expressions do (`into` first).
pub(crate) fn merge(kind: Kind, into: &mut Acc, from: &Acc, strings: &mut Interner) {
    match kind {
        Kind::Count | Kind::CountColumn => into.a += from.a,
        Kind::SumLong => {
            if from.b != 0 {
                into.a = (into.a as i64).wrapping_add(from.a as i64) as u64;
                into.b = 1;
            }
        }
        Kind::SumDouble => {
            if from.b != 0 {
                into.a = add_f64(into.a, into.b != 0, f64::from_bits(from.a));
                into.b = 1;
            }
        }
        Kind::Avg => {
            into.a = (f64::from_bits(into.a) + f64::from_bits(from.a)).to_bits();
            into.b += from.b;
        }
        Kind::Extreme(extreme, Numeric::Str) => {
            let keep = from.b != 0
                && (into.b == 0
                    || better(
                        extreme,
                        strings.bytes(from.a as Id).cmp(strings.bytes(into.a as Id)),
                    ));
            if keep {
                strings.acquire(from.a as Id);
                if into.b != 0 {
                    strings.release(into.a as Id);
                }
                *into = *from;
            }
        }
        // Integers inline, as in `update_at`: panes' and windows' merges are hot.
        Kind::Extreme(extreme, Numeric::Long) => {
            let keep = from.b != 0
                && (into.b == 0 || better(extreme, (from.a as i64).cmp(&(into.a as i64))));
            if keep {
                *into = Acc { a: from.a, b: 1 };
            }
        }
        Kind::Extreme(extreme, numeric) => {
            if from.b != 0 {
                offer(extreme, numeric, into, held(numeric, from), strings);
            }
        }
    }
}

/// The new state buffer after a batch: `merge(merge(∅, state), merge(∅, batch))`, Spark's
/// `StateStoreRestore` then merge; `state` is `None` for a key new to the state. Worked out
/// in one step for each kind but strings (whose text is referenced), the three merges' result
/// exactly (`spark_merge_into_state` in the tests is the definition).
#[inline]
pub(crate) fn merge_into_state(
    kind: Kind,
    state: Option<&Acc>,
    batch: &Acc,
    strings: &mut Interner,
) -> Acc {
    let none = Acc::default();
    let old = state.unwrap_or(&none);
    // `merge(∅, x)` of a buffer that may be unset (`b == 0`).
    let set = |x: &Acc| (x.b != 0).then_some(Acc { a: x.a, b: 1 });
    match kind {
        Kind::Count | Kind::CountColumn => Acc {
            a: old.a + batch.a,
            b: 0,
        },
        Kind::SumLong => match (set(old), set(batch)) {
            (Some(x), Some(y)) => Acc {
                a: (x.a as i64).wrapping_add(y.a as i64) as u64,
                b: 1,
            },
            (x, y) => y.or(x).unwrap_or_default(),
        },
        Kind::SumDouble => {
            let zero_plus = |x: Acc| Acc {
                a: (0.0 + f64::from_bits(x.a)).to_bits(),
                b: 1,
            };
            match (set(old).map(zero_plus), set(batch).map(zero_plus)) {
                (x, Some(y)) => Acc {
                    a: add_f64(x.unwrap_or_default().a, x.is_some(), f64::from_bits(y.a)),
                    b: 1,
                },
                (x, None) => x.unwrap_or_default(),
            }
        }
        Kind::Avg => {
            let zero_plus = |x: &Acc| 0.0 + f64::from_bits(x.a);
            Acc {
                a: (zero_plus(old) + zero_plus(batch)).to_bits(),
                b: old.b + batch.b,
            }
        }
        Kind::Extreme(extreme, numeric) if numeric != Numeric::Str => {
            match (set(old), set(batch)) {
                (Some(x), Some(y))
                    if !better(extreme, compare(held(numeric, &y), held(numeric, &x))) =>
                {
                    x
                }
                (x, y) => y.or(x).unwrap_or_default(),
            }
        }
        Kind::Extreme(..) => {
            let mut merged = Acc::default();
            if let Some(state) = state {
                merge(kind, &mut merged, state, strings);
            }
            let mut batch_merged = Acc::default();
            merge(kind, &mut batch_merged, batch, strings);
            merge(kind, &mut merged, &batch_merged, strings);
            release(kind, &batch_merged, strings);
            merged
        }
    }
}

/// Whether a buffer of this kind can hold a string's text (a string `min`/`max`).
pub(crate) fn holds_strings(kind: Kind) -> bool {
    matches!(kind, Kind::Extreme(_, Numeric::Str))
}

/// Gives back what a buffer holds (a string `min`/`max`'s text) when it is dropped.
pub(crate) fn release(kind: Kind, acc: &Acc, strings: &mut Interner) {
    if holds_strings(kind) && acc.b != 0 {
        strings.release(acc.a as Id);
    }
}

/// The aggregate's result, typed as `output`, borrowing a string's text from `strings`.
#[inline]
pub(crate) fn value<'a>(
    kind: Kind,
    acc: &Acc,
    output: DataType,
    strings: &'a Interner,
) -> Value<'a> {
    match kind {
        Kind::Count | Kind::CountColumn => Value::Long(acc.a as i64),
        _ if acc.b == 0 => Value::Null,
        Kind::SumLong => Value::Long(acc.a as i64),
        Kind::SumDouble => Value::Double(f64::from_bits(acc.a)),
        Kind::Avg => Value::Double(f64::from_bits(acc.a) / acc.b as f64),
        // Interned from a `&str` (a row's text, or a checkpoint's, which its checksum vouches
        // for), so whole characters.
        Kind::Extreme(_, Numeric::Str) => {
            Value::Str(std::str::from_utf8(strings.bytes(acc.a as Id)).unwrap_or("\u{FFFD}"))
        }
        Kind::Extreme(_, Numeric::Double) => {
            let v = f64::from_bits(acc.a);
            if output == DataType::Float {
                Value::Float(v as f32)
            } else {
                Value::Double(v)
            }
        }
        Kind::Extreme(_, Numeric::Long) => match output {
            DataType::Boolean => Value::Bool(acc.a != 0),
            DataType::Timestamp => Value::Timestamp(acc.a as i64),
            _ => Value::Long(acc.a as i64),
        },
    }
}

/// [`value`], owned.
pub(crate) fn result(kind: Kind, acc: &Acc, output: DataType, strings: &Interner) -> Datum {
    value(kind, acc, output, strings).to_datum()
}

/// Adds one row to a key's buffers, each aggregate reading its column.
#[inline]
pub fn update_all<R: Row + ?Sized>(
    aggs: &[Agg],
    kinds: &[Kind],
    accs: &mut [Acc],
    row: &R,
    strings: &mut Interner,
) {
    let mut read = ColumnReader::default();
    for ((acc, kind), agg) in accs.iter_mut().zip(kinds).zip(aggs) {
        update(*kind, acc, read.value(agg, row), strings);
    }
}

/// A row's value for each aggregate in turn: aggregates of the same column one after another
/// (`sum(x), avg(x), max(x)`) decode it once.
#[derive(Default)]
struct ColumnReader<'r> {
    last: Option<(usize, Value<'r>)>,
}

impl<'r> ColumnReader<'r> {
    #[inline]
    fn value<R: Row + ?Sized>(&mut self, agg: &Agg, row: &'r R) -> Value<'r> {
        let Some(column) = agg.column else {
            return Value::Null;
        };
        match self.last {
            Some((c, value)) if c == column => value,
            _ => {
                let value = row.get(column);
                self.last = Some((column, value));
                value
            }
        }
    }
}

/// [`update_all`] of one row into several keys' buffers (`at`: the keys' indices in `accs`,
/// whose buffers are `aggs.len()` each): each column is read once for them all.
#[inline]
pub fn update_all_at<R: Row + ?Sized>(
    aggs: &[Agg],
    kinds: &[Kind],
    accs: &mut [Acc],
    at: &[usize],
    row: &R,
    strings: &mut Interner,
) {
    let stride = aggs.len();
    let mut read = ColumnReader::default();
    for (k, (agg, kind)) in aggs.iter().zip(kinds).enumerate() {
        let value = read.value(agg, row);
        update_at(*kind, accs, Slots { at, stride, k }, value, strings);
    }
}

#[cfg(test)]
mod tests;

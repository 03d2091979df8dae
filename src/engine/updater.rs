//! A row's update of its key's aggregate buffers, planned once per query.
//!
//! [`accumulate::update_all`] looks at each aggregate's kind and column for every row. The usual
//! query, `count` and aggregates of one integral column (`count, sum(x), avg(x), min(x),
//! max(x)`), is planned instead as where each of its buffers is: a row's value is decoded once
//! and each buffer updated with no dispatch on its kind, exactly as `update_all` would; `count`
//! alone adds one to its buffer. Any other query, and a row whose value there is NULL, goes
//! through `update_all`.

use super::accumulate::{self, Acc, Extreme, Kind, Numeric};
use super::interner::Interner;
use super::query::Agg;
use super::row::Row;
use super::types::DataType;

/// How a row updates a key's buffers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Updater {
    /// `count` and aggregates of one integral column, each at most once.
    Integral(Integral),
    /// `count` alone.
    Count,
    /// Each aggregate in turn ([`accumulate::update_all`]).
    Each,
}

/// Where each aggregate's buffer is, for the aggregates of one integral column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Integral {
    column: usize,
    count: Option<usize>,
    count_column: Option<usize>,
    sum: Option<usize>,
    avg: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
}

impl Updater {
    /// The plan for `aggs`, whose kinds are `kinds`.
    pub fn new(aggs: &[Agg], kinds: &[Kind]) -> Updater {
        if kinds == [Kind::Count] {
            return Updater::Count;
        }
        Integral::of(aggs, kinds).map_or(Updater::Each, Updater::Integral)
    }

    /// Adds `row` to a key's buffers `accs`, as [`accumulate::update_all`] does.
    #[allow(clippy::inline_always)] // every row's (with slot_near's: 37 fewer instructions a row)
    #[inline(always)]
    pub fn update<R: Row + ?Sized>(
        &self,
        (aggs, kinds): (&[Agg], &[Kind]),
        accs: &mut [Acc],
        row: &R,
        strings: &mut Interner,
    ) {
        match self {
            Updater::Count => accs[0].a += 1,
            Updater::Integral(plan) => match row.long(plan.column) {
                Some(v) => plan.add(accs, v),
                None => accumulate::update_all(aggs, kinds, accs, row, strings),
            },
            Updater::Each => accumulate::update_all(aggs, kinds, accs, row, strings),
        }
    }
}

impl Integral {
    /// The plan, when every aggregate is `count` or reads the same integral column.
    fn of(aggs: &[Agg], kinds: &[Kind]) -> Option<Integral> {
        let mut plan = Integral::default();
        let mut column = None;
        for (i, (agg, kind)) in aggs.iter().zip(kinds).enumerate() {
            if let Some(c) = agg.column {
                let integral = matches!(
                    agg.input,
                    Some(DataType::Byte | DataType::Short | DataType::Int | DataType::Long)
                );
                if !integral || column.is_some_and(|other| other != c) {
                    return None;
                }
                column = Some(c);
            }
            let slot = match kind {
                Kind::Count => &mut plan.count,
                Kind::CountColumn => &mut plan.count_column,
                Kind::SumLong => &mut plan.sum,
                Kind::Avg => &mut plan.avg,
                Kind::Extreme(Extreme::Min, Numeric::Long) => &mut plan.min,
                Kind::Extreme(Extreme::Max, Numeric::Long) => &mut plan.max,
                Kind::SumDouble | Kind::Extreme(..) => return None,
            };
            if slot.replace(i).is_some() {
                // The query refuses an aggregate twice; were one there, no buffer is lost.
                return None;
            }
        }
        plan.column = column?;
        Some(plan)
    }

    /// Adds the integer `v`, the row's value of the column, to each buffer.
    #[inline]
    fn add(&self, accs: &mut [Acc], v: i64) {
        for i in [self.count, self.count_column].into_iter().flatten() {
            accs[i].a += 1;
        }
        if let Some(i) = self.sum {
            let acc = &mut accs[i];
            acc.a = (acc.a as i64).wrapping_add(v) as u64;
            acc.b = 1;
        }
        if let Some(i) = self.avg {
            let acc = &mut accs[i];
            acc.a = (f64::from_bits(acc.a) + v as f64).to_bits();
            acc.b += 1;
        }
        if let Some(i) = self.min {
            let acc = &mut accs[i];
            if acc.b == 0 || v < acc.a as i64 {
                *acc = Acc { a: v as u64, b: 1 };
            }
        }
        if let Some(i) = self.max {
            let acc = &mut accs[i];
            if acc.b == 0 || v > acc.a as i64 {
                *acc = Acc { a: v as u64, b: 1 };
            }
        }
    }
}

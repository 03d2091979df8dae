//! Averages of integers, aggregated by pane while that is exact.
//!
//! Spark sums an average's values as doubles, in row order, each window on its own. While every
//! sum along the way is an integer of at most 2^53 in magnitude, every addition is exact, so the
//! sum is the same in any order and grouping: a batch's rows may then be added up by pane (one
//! update a row, however many windows it lands in) and the panes added into their windows
//! before the batch meets the state. That holds while the magnitudes of the batch's values add
//! up to at most 2^53; a row that would take them past it turns the batch's panes into windows
//! first ([`super::sliding::Partial::panes_to_windows`]), and the batch goes on by window, in row
//! order, as Spark adds it up.

use super::query::Query;
use super::row::Row;

/// The most the magnitudes of a batch's values may add up to: every integer up to it is a
/// double.
const EXACT: u64 = 1 << 53;

/// The columns of a query's averages of integers, when nothing else in it depends on row order.
#[derive(Debug, Clone)]
pub(crate) struct ExactAvg {
    columns: Vec<usize>,
}

impl ExactAvg {
    /// The averages of integers of `query`; `None` when it has none, or has another aggregate
    /// whose answer depends on row order (the batch goes by window from its start then).
    pub fn of(query: &Query) -> Option<ExactAvg> {
        let aggs = query.aggs();
        if aggs
            .iter()
            .any(|a| a.order_sensitive() && !a.sums_integers_as_doubles())
        {
            return None;
        }
        let columns: Vec<usize> = aggs
            .iter()
            .filter(|a| a.sums_integers_as_doubles())
            .filter_map(|a| a.column)
            .collect();
        (!columns.is_empty()).then_some(ExactAvg { columns })
    }

    /// Adds the magnitudes of `row`'s values to `spent`, the batch's so far; `false` (and
    /// `spent` as it was) when that would take it past what stays exact.
    #[inline]
    pub fn take<R: Row + ?Sized>(&self, spent: &mut u64, row: &R) -> bool {
        let mut sum = *spent;
        for &column in &self.columns {
            if let Some(v) = row.long(column) {
                sum = sum.saturating_add(v.unsigned_abs());
            }
        }
        if sum > EXACT {
            return false;
        }
        *spent = sum;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        Duration, EventTime, MAX_WINDOWS_PER_EVENT, OutputMode, QueryRequest, Value, WindowRequest,
        parse_aggs,
    };

    fn query(aggs: &str) -> Query {
        Query::new(QueryRequest {
            schema: "t TIMESTAMP, k STRING, x BIGINT, d DOUBLE, y INT"
                .parse()
                .unwrap(),
            event_time: EventTime::Column("t".into()),
            group_by: vec!["k".into()],
            aggs: parse_aggs(aggs).unwrap(),
            window: WindowRequest::Sliding {
                size: Duration::from_secs(30),
                slide: Duration::from_secs(15),
            },
            delay: Duration::from_secs(15),
            mode: OutputMode::Append,
            max_windows_per_event: MAX_WINDOWS_PER_EVENT,
        })
        .unwrap()
    }

    #[test]
    fn only_averages_of_integers_among_order_free_aggregates_are_watched() {
        assert!(ExactAvg::of(&query("count,sum(x),min(x)")).is_none());
        assert!(ExactAvg::of(&query("avg(x),avg(d)")).is_none());
        assert!(ExactAvg::of(&query("avg(x),sum(d)")).is_none());
        let watched = ExactAvg::of(&query("count,avg(x),max(x),mean(y),sum(x)")).unwrap();
        assert_eq!(watched.columns, [2, 4]);
    }

    #[test]
    fn a_row_past_two_to_the_fifty_third_is_refused_and_spends_nothing() {
        let avg = ExactAvg::of(&query("avg(x),avg(y)")).unwrap();
        let row = |x| {
            [
                Value::Timestamp(0),
                Value::Str("k"),
                x,
                Value::Null,
                Value::Null,
            ]
        };
        let mut spent = EXACT - 3;
        assert!(avg.take(&mut spent, &row(Value::Long(-3))[..]));
        assert_eq!(spent, EXACT);
        assert!(avg.take(&mut spent, &row(Value::Null)[..]));
        assert!(!avg.take(&mut spent, &row(Value::Long(1))[..]));
        assert_eq!(spent, EXACT);
        let mut spent = 0;
        assert!(!avg.take(&mut spent, &row(Value::Long(i64::MIN))[..]));
        assert_eq!(spent, 0);
        // Both columns count.
        let both = [
            Value::Timestamp(0),
            Value::Null,
            Value::Long(3),
            Value::Null,
            Value::Long(-4),
        ];
        assert!(avg.take(&mut spent, &both[..]));
        assert_eq!(spent, 7);
    }
}

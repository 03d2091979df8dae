//! The planned update of a key's buffers against each aggregate's own update: the same buffers
//! for any list of aggregates and any rows, NULLs and extreme integers included.

use proptest::prelude::*;

use super::super::accumulate::{self, Acc, Kind};
use super::super::interner::Interner;
use super::super::updater::Updater;
use super::super::*;
use super::keyed_query;

/// Columns: `t TIMESTAMP, k STRING, x BIGINT, y INT, d DOUBLE`.
fn aggs(list: &str) -> (Vec<Agg>, Vec<Kind>) {
    let query = keyed_query(
        "t TIMESTAMP, k STRING, x BIGINT, y INT, d DOUBLE",
        list,
        WindowRequest::Sliding {
            size: Duration::from_secs(30),
            slide: Duration::from_secs(15),
        },
        OutputMode::Append,
    );
    let aggs = query.aggs().to_vec();
    let kinds = aggs.iter().map(Kind::of).collect();
    (aggs, kinds)
}

#[test]
fn one_integral_columns_aggregates_are_planned_and_the_rest_go_one_by_one() {
    let planned = |list| {
        let (aggs, kinds) = aggs(list);
        matches!(Updater::new(&aggs, &kinds), Updater::Integral(_))
    };
    assert!(planned("count,sum(x),avg(x),min(x),max(x)"));
    assert!(planned("max(y),count(y),count"));
    assert!(planned("avg(x)"));
    assert!(!planned("count"), "no column to read");
    let (aggs, kinds) = aggs("count");
    assert!(matches!(Updater::new(&aggs, &kinds), Updater::Count));
    assert!(!planned("sum(x),sum(y)"), "two columns");
    assert!(!planned("sum(d)"), "not integral");
    assert!(!planned("min(k)"), "not integral");
    assert!(!planned("max(t)"), "a timestamp");
}

fn value() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        Just(None),
        prop::sample::select(vec![i64::MAX, i64::MIN, 0, -1, 1]).prop_map(Some),
        (-1_000i64..1_000).prop_map(Some),
        any::<i64>().prop_map(Some),
    ]
}

fn long(v: Option<i64>) -> Value<'static> {
    v.map_or(Value::Null, Value::Long)
}

proptest! {
    #[test]
    fn the_plan_leaves_the_buffers_each_aggregate_would(
        list in prop::collection::vec(
            prop::sample::select(vec![
                "count", "count(x)", "sum(x)", "avg(x)", "min(x)", "max(x)", "sum(y)", "max(d)",
            ]),
            1..7,
        ),
        rows in prop::collection::vec((value(), value(), prop::option::of(-1e3f64..1e3)), 0..40),
    ) {
        let mut list = list;
        list.sort_unstable();
        list.dedup();
        let (aggs, kinds) = aggs(&list.join(","));
        let updater = Updater::new(&aggs, &kinds);
        let (mut planned, mut each) = (vec![Acc::default(); aggs.len()], vec![Acc::default(); aggs.len()]);
        let mut strings = Interner::default();
        for (x, y, d) in rows {
            let row = [
                Value::Timestamp(0),
                Value::Str("k"),
                long(x),
                long(y),
                d.map_or(Value::Null, Value::Double),
            ];
            updater.update((&aggs, &kinds), &mut planned, &row[..], &mut strings);
            accumulate::update_all(&aggs, &kinds, &mut each, &row[..], &mut strings);
        }
        prop_assert_eq!(planned, each);
    }
}

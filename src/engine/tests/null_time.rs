//! A row whose event time is NULL ([`NULL_EVENT_TIME`]) is Spark's input row in no window: it
//! counts in `numInputRows` and, as 0 (1970-01-01), in the event-time statistics, and in
//! nothing else: no window or session, no state, not late, no move of the watermark.

use super::super::*;
use super::keyed_query;

fn time(text: &str) -> Micros {
    parse_rfc3339(text).unwrap()
}

/// The rows `t,k` of `\N,a`, `17:33:01,a` and `17:33:05,b`.
fn rows() -> Vec<(Micros, [Value<'static>; 2])> {
    [
        (None, "a"),
        (Some("2026-11-23T17:33:01Z"), "a"),
        (Some("2026-11-23T17:33:05Z"), "b"),
    ]
    .into_iter()
    .map(|(t, k)| match t {
        Some(t) => (time(t), [Value::Timestamp(time(t)), Value::Str(k)]),
        None => (NULL_EVENT_TIME, [Value::Null, Value::Str(k)]),
    })
    .collect()
}

/// How the batch takes its rows.
#[derive(Clone, Copy, Debug)]
enum Way {
    OneByOne,
    Run,
    Absorbed,
}

fn first_batch(window: WindowRequest, way: Way) -> (BatchOutput, Engine) {
    batch_of(window, way, &rows())
}

fn batch_of(
    window: WindowRequest,
    way: Way,
    rows: &[(Micros, [Value<'static>; 2])],
) -> (BatchOutput, Engine) {
    let query = keyed_query("t TIMESTAMP, k STRING", "count", window, OutputMode::Append);
    let mut engine = Engine::new(query.clone());
    let mut batch = engine.begin(BatchKind::Data);
    match way {
        Way::OneByOne => {
            for (t, v) in rows {
                batch.push(*t, &v[..]);
            }
        }
        Way::Run => {
            let mut run = Rows::default();
            for (t, v) in rows {
                run.push(*t, v);
            }
            let types = batch.types().to_vec();
            batch.push_rows(&run, 0..run.len(), &types);
        }
        Way::Absorbed => {
            let mut tick = TickPartial::new(&query).expect("a count over sliding windows");
            for (t, v) in rows {
                tick.push(*t, &v[..]);
            }
            assert_eq!(tick.rows(), rows.len() as u64);
            batch.absorb(&tick).expect("absorbed");
        }
    }
    let out = batch.finish();
    (out, engine)
}

/// Spark 3.5.3's progress for these rows in one batch (a file source, 10 s windows and then
/// 10 s sessions by `k`): `numInputRows` 3, `eventTime` min `1970-01-01T00:00:00.000Z`, avg
/// `2007-12-06T19:42:02.000Z`, max `2026-11-23T17:33:05.000Z`; 2 state rows, both updated,
/// none dropped.
#[test]
fn a_null_event_time_is_an_input_row_at_zero_in_the_statistics_alone() {
    let tumbling = WindowRequest::Sliding {
        size: Duration::from_secs(10),
        slide: Duration::from_secs(10),
    };
    let session = WindowRequest::Session {
        gap: Duration::from_secs(10),
    };
    for (window, way) in [
        (tumbling, Way::OneByOne),
        (tumbling, Way::Run),
        (tumbling, Way::Absorbed),
        (session, Way::OneByOne),
        (session, Way::Run),
    ] {
        let (out, engine) = first_batch(window, way);
        let stats = out.stats;
        assert_eq!(stats.input_rows, 3, "{way:?}");
        assert_eq!(stats.rows_without_event_time, 1, "{way:?}");
        let want = EventTimeStats {
            min: 0,
            max: time("2026-11-23T17:33:05Z"),
            avg: time("2007-12-06T19:42:02Z"),
        };
        assert_eq!(stats.event_time, Some(want), "{way:?}");
        let held = (
            stats.state_rows_total,
            stats.state_rows_updated,
            stats.state_rows_dropped_by_watermark,
            stats.late_pairs,
        );
        assert_eq!(held, (2, 2, 0, 0), "{way:?}");
        // The watermark follows the latest time alone: 17:33:05 less the 5 s delay.
        assert_eq!(engine.marks().next_watermark, time("2026-11-23T17:33:00Z"));
    }
}

/// A batch of NULL times alone moves nothing: no latest event time, the watermark where it
/// was; its statistics are Spark's, 0 throughout, however the batch takes its rows.
#[test]
fn a_batch_of_null_times_alone_leaves_the_watermark() {
    let tumbling = WindowRequest::Sliding {
        size: Duration::from_secs(10),
        slide: Duration::from_secs(10),
    };
    let rows = [(NULL_EVENT_TIME, [Value::Null, Value::Str("a")]); 2];
    for way in [Way::OneByOne, Way::Run, Way::Absorbed] {
        let (out, engine) = batch_of(tumbling, way, &rows);
        assert_eq!(out.stats.input_rows, 2, "{way:?}");
        let zero = EventTimeStats {
            min: 0,
            max: 0,
            avg: 0,
        };
        assert_eq!(out.stats.event_time, Some(zero), "{way:?}");
        assert_eq!(out.stats.state_rows_total, 0, "{way:?}");
        assert_eq!(engine.marks().next_watermark, 0, "{way:?}");
        assert_eq!(engine.marks().max_event_time, None, "{way:?}");
    }
}

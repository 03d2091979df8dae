//! Every timestamp of `tests/data/spark_timestamps/timestamps.jsonl` (`PySpark` 3.5.3's CSV reader
//! in UTC and in `America/Los_Angeles`, its JSON reader in UTC, written by `probe.py` there) read
//! by the parser, which must give Spark's time or refuse what Spark reads as no time (a NULL
//! with the row's corrupt record set, or a failed query), except where window-tui differs on
//! purpose: RFC 3339's lowercase `t` and `z`.

use super::super::zone::Zone;
use super::{EVENT_TIME_RANGE, TimestampParser};

const TABLE: &str = include_str!("../../../tests/data/spark_timestamps/timestamps.jsonl");

/// What window-tui takes that Spark does not: lowercase `t` between date and time, `z` as the
/// zone (each where the uppercase letter would be).
fn lowercase_extension(text: &str) -> bool {
    let t = text.trim_matches(|c: char| c <= ' ' || c == '\x7f');
    let date_t = t
        .trim_start_matches(['+', '-'])
        .split_once('t')
        .is_some_and(|(date, _)| {
            date.split('-').count() == 3 && date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        });
    let zone_z = t.strip_suffix('z').is_some_and(|before| {
        before
            .trim_end_matches(|c: char| c <= ' ')
            .ends_with(|c: char| c.is_ascii_digit() || c == '.')
    });
    date_t || zone_z
}

#[derive(Debug, PartialEq)]
enum Spark {
    Time(i64),
    /// The reader's NULL text (the empty string): no failure.
    Null,
    /// NULL, as a malformed field (PERMISSIVE), or an error (FAILFAST, or a failed query).
    Bad,
}

fn spark(v: &serde_json::Value) -> Spark {
    match v {
        serde_json::Value::Number(n) => Spark::Time(n.as_i64().unwrap()),
        serde_json::Value::Null => Spark::Null,
        _ => Spark::Bad,
    }
}

#[test]
fn every_probe_reads_as_spark_reads_it() {
    let mut utc = TimestampParser::in_zone(Zone::utc());
    let mut la = TimestampParser::in_zone(Zone::by_id("America/Los_Angeles").unwrap());
    let mut json = TimestampParser::in_zone(Zone::utc());
    let (mut rows, mut lowercase, mut wrong) = (0, 0, Vec::new());
    for line in TABLE.lines() {
        let row: Vec<serde_json::Value> = serde_json::from_str(line).unwrap();
        let text = row[0].as_str().unwrap();
        rows += 1;
        for (parser, answer, what) in [
            (&mut utc, &row[1], "csv UTC"),
            (&mut la, &row[2], "csv Los Angeles"),
            (&mut json, &row[3], "json UTC"),
        ] {
            let ours = parser.parse(text.as_bytes()).ok();
            let want = spark(answer);
            let agrees = match (&want, ours) {
                (Spark::Time(t), Some(ours)) => *t == ours,
                // Years past ±125,000 (EVENT_TIME_RANGE), at the edges of Spark's range, refused.
                (Spark::Time(t), None) => !EVENT_TIME_RANGE.contains(t),
                // The empty string is the CSV reader's NULL, which the callers look for first.
                (Spark::Null | Spark::Bad, None) => true,
                (Spark::Bad, Some(_)) if lowercase_extension(text) => {
                    lowercase += 1;
                    true
                }
                _ => false,
            };
            if !agrees {
                wrong.push(format!(
                    "{what} {text:?}: Spark {want:?}, window-tui {ours:?}"
                ));
            }
        }
    }
    assert!(rows > 1_900, "{rows} rows");
    assert!(
        lowercase < 330,
        "{lowercase} taken by the lowercase extension alone"
    );
    eprintln!("{rows} probes, {lowercase} readings taken by the lowercase extension alone");
    assert!(
        wrong.is_empty(),
        "{} of {rows}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A field of many digits is no time, and reading it overflows nothing (a debug build checks):
/// Spark's fields are six digits at most, a fraction's past the sixth dropped.
#[test]
fn fields_of_many_digits_are_no_time_and_a_long_fraction_is_cut() {
    let mut parser = TimestampParser::in_zone(Zone::utc());
    for text in [
        "99999999999999999999999999-11-23",
        "2026-11-23 1799999999999999999999:00",
        "2026-11-23 17:33:00+99999999999999999999",
    ] {
        assert!(parser.parse(text.as_bytes()).is_err(), "{text}");
    }
    let long = parser
        .parse(b"2026-11-23 17:33:00.1234569999999999999999999")
        .unwrap();
    let short = parser.parse(b"2026-11-23 17:33:00.123456").unwrap();
    assert_eq!(long, short);
}

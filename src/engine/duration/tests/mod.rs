use super::*;

/// What window-tui does with a string for one use: accepted with this many µs, or refused with
/// an error of this kind (see [`kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    V(i64),
    E(&'static str),
}
use Outcome::{E, V};

include!("probes.rs");

fn kind(err: &DurationError) -> &'static str {
    match err {
        DurationError::Empty => "empty",
        DurationError::Syntax(_) => "syntax",
        DurationError::Unit { .. } => "unit",
        DurationError::Fraction { .. } => "fraction",
        DurationError::Calendar(_) => "calendar",
        DurationError::Mixed(_) => "mixed",
        DurationError::Overflow(_) => "overflow",
        DurationError::GapLiteral(_) => "gap-literal",
        DurationError::NotPositive { .. } => "not-positive",
        DurationError::Negative(_) => "negative",
        DurationError::SlideTooLong { .. } => "slide-too-long",
    }
}

fn outcome(text: &str, what: Use) -> Outcome {
    match Duration::parse_for(text, what) {
        Ok(d) => V(d.micros()),
        Err(e) => E(kind(&e)),
    }
}

const USES: [Use; 4] = [Use::Window, Use::Slide, Use::SessionGap, Use::Watermark];

#[test]
fn every_probe_reads_as_recorded_against_spark() {
    let mut drift = Vec::new();
    for &(text, expected, note) in PROBES {
        for (what, want) in USES.into_iter().zip(expected) {
            let got = outcome(text, what);
            if got != want {
                drift.push(format!(
                    "{text:?} as {what}: got {got:?}, want {want:?} ({note})"
                ));
            }
        }
    }
    assert!(
        drift.is_empty(),
        "{} drifted:\n{}",
        drift.len(),
        drift.join("\n")
    );
}

#[test]
fn the_probe_table_covers_the_brief() {
    let probed = |text: &str| PROBES.iter().any(|&(t, ..)| t == text);
    for text in [
        "10 seconds",
        "1 minute -30 seconds",
        "interval '1:30' minute to second",
        "'10 seconds'",
        ".5 seconds",
        "1 msec",
        "1 hr",
        "1 week",
        "1 month 1 day",
        "  10 seconds  ",
        "10s",
        "15",
        "",
        "10 fortnights",
        "1 2 seconds",
        "10 second 10 second",
        "1 nanosecond",
        "P1D",
        "1 day -24 hours",
        "interval -'10' second",
        "+10 seconds",
        "- 10 seconds",
    ] {
        assert!(probed(text), "{text:?} is not in the probe table");
    }
}

#[test]
fn window_tui_short_forms_are_an_extension() {
    let micros = |t: &str| t.parse::<Duration>().map(Duration::micros);
    assert_eq!(micros("15s"), Ok(15_000_000));
    assert_eq!(micros("1m"), Ok(60_000_000));
    assert_eq!(micros("1h"), Ok(3_600_000_000));
    assert_eq!(micros("100ms"), Ok(100_000));
    assert_eq!(micros("1m30s"), Ok(90_000_000));
    assert_eq!(micros("250us"), Ok(250));
    assert_eq!(micros("250µs"), Ok(250));
    assert_eq!(micros("2d"), Ok(172_800_000_000));
    assert_eq!(micros("1w"), Ok(604_800_000_000));
    assert_eq!(micros(".25s"), Ok(250_000));
    assert_eq!(micros("1.5m"), Ok(90_000_000));
    assert_eq!(micros(" -15s "), Ok(-15_000_000));
    // Spark refuses each of these, so the extension reads them...
    for text in ["15s", "1m", "1h", "100ms", "1m30s", "250us", "2d", "1w"] {
        assert!(cast(text).is_err() && sql_literal(&format!("interval {text}")).is_err());
    }
    // ...but not what only looks like them.
    assert!(matches!(micros("10seconds"), Err(DurationError::Syntax(_))));
    assert!(matches!(micros("15S"), Err(DurationError::Unit { .. })));
    assert!(matches!(micros("1min"), Err(DurationError::Unit { .. })));
    assert!(matches!(micros("1 m"), Err(DurationError::Unit { .. })));
    assert!(matches!(
        micros("interval 15s"),
        Err(DurationError::Syntax(_))
    ));
    assert!(matches!(
        micros("99999999999999999w"),
        Err(DurationError::Overflow(_))
    ));
    assert_eq!(
        Duration::parse_for("15s", Use::SessionGap),
        Ok(Duration::from_secs(15))
    );
    assert!(matches!(
        Duration::parse_for("-15s", Use::Window),
        Err(DurationError::NotPositive {
            what: Use::Window,
            ..
        })
    ));
}

#[test]
fn from_str_reads_what_window_reads_without_the_sign_check() {
    let micros = |t: &str| t.parse::<Duration>().map(Duration::micros);
    assert_eq!(micros("1 minute 30 seconds"), Ok(90_000_000));
    assert_eq!(micros("-1 minute 90 seconds"), Ok(30_000_000));
    assert_eq!(micros("-15 seconds"), Ok(-15_000_000));
    assert_eq!(micros("0 seconds"), Ok(0));
    assert_eq!(micros("INTERVAL 1 HOUR 30 MINUTES"), Ok(5_400_000_000));
    assert_eq!(
        micros("interval '1 02:03:04.5' day to second"),
        Ok(93_784_500_000)
    );
    assert_eq!(micros(""), Err(DurationError::Empty));
    assert_eq!(micros("  "), Err(DurationError::Empty));
    assert_eq!(micros("interval"), Err(DurationError::Empty));
    assert!(matches!(micros("1 month"), Err(DurationError::Calendar(_))));
    assert!(matches!(
        micros("interval 1 month 1 day"),
        Err(DurationError::Mixed(_))
    ));
}

#[test]
fn intervals_keep_spark_fields() {
    let parse = |t: &str| Interval::parse(t).unwrap();
    let iv = |months, days, micros| Interval {
        months,
        days,
        micros,
    };
    assert_eq!(parse("1 day 2 hours"), iv(0, 1, 7_200_000_000));
    // An `interval` literal is an ANSI day-time interval: only its length survives.
    assert_eq!(parse("interval 1 day 2 hours"), iv(0, 0, 93_600_000_000));
    assert_eq!(parse("interval '1-2' year to month"), iv(14, 0, 0));
    assert_eq!(parse("1 year -1 month 1 week"), iv(11, 7, 0));
    assert_eq!(
        Interval::cast("interval 1 month 1 day").unwrap(),
        iv(1, 1, 0)
    );
    assert!(Interval::cast("interval '10' second").is_err());
    assert_eq!(
        iv(1, 0, 0).length(31),
        Some(Duration::from_secs(31 * 86_400))
    );
    assert_eq!(iv(1, -31, 0).length(31), Some(Duration::ZERO));
    assert_eq!(iv(i32::MAX, 0, 0).length(31), None);
}

#[test]
fn watermark_months_are_31_days_and_millis_truncate() {
    let delay = |t: &str| Duration::parse_for(t, Use::Watermark);
    assert_eq!(delay("1 month").map(Duration::millis), Ok(2_678_400_000));
    assert_eq!(
        delay("1 month -30 days").map(Duration::millis),
        Ok(86_400_000)
    );
    assert_eq!(delay("1500 microseconds").map(Duration::millis), Ok(1));
    assert_eq!(delay("1 day -24 hours"), Ok(Duration::ZERO));
    assert_eq!(
        delay("1 month -32 days"),
        Err(DurationError::Negative("1 month -32 days".into()))
    );
}

#[test]
fn slides_longer_than_the_window_are_refused() {
    let d = |t: &str| t.parse::<Duration>().unwrap();
    assert_eq!(
        Duration::check_slide(d("10 seconds"), d("3 seconds")),
        Ok(())
    );
    assert_eq!(
        Duration::check_slide(d("10 seconds"), d("10 seconds")),
        Ok(())
    );
    assert_eq!(
        Duration::check_slide(d("10 seconds"), d("20 seconds")),
        Err(DurationError::SlideTooLong {
            slide: d("20 seconds"),
            window: d("10 seconds")
        })
    );
    assert!(Duration::check_slide(d("10 seconds"), d("10000001 microseconds")).is_err());
    assert!(Duration::check_slide(d("1 hour"), d("61 minutes")).is_err());
    assert!(Duration::check_slide(d("1 day"), d("1 week")).is_err());
    assert_eq!(
        Duration::check_slide(d("1 minute"), d("1.5 seconds")),
        Ok(())
    );
}

#[test]
fn messages_name_the_string_and_what_would_work() {
    let msg = |t: &str, what| Duration::parse_for(t, what).unwrap_err().to_string();
    assert_eq!(
        msg("2 secs", Use::Window),
        "\"secs\" is not a time unit in \"2 secs\" (Spark reads microseconds, milliseconds, \
         seconds, minutes, hours, days and weeks, spelled out; window-tui also reads 250us, \
         100ms, 15s, 1m, 1h, 2d, 1w)"
    );
    assert!(msg("1.5 minutes", Use::Window).contains("`1 minute 30 seconds`"));
    assert!(
        msg("1 month", Use::Window).contains("Intervals greater than a month is not supported")
    );
    assert!(
        msg("0 seconds", Use::Window)
            .contains("window duration \"0 seconds\" must be greater than 0")
    );
    assert!(msg("0 seconds", Use::SessionGap).contains("drops every event"));
    assert!(
        msg("-1 second", Use::Watermark)
            .contains("delay threshold (-1 second) should not be negative")
    );
    assert!(msg("interval '10' second", Use::SessionGap).contains("write it like `10 seconds`"));
    assert!(msg("1 hr", Use::Slide).contains("\"1 hr\""));
    assert_eq!(
        msg("", Use::Watermark),
        "empty duration (write it like `30 seconds` or `15s`)"
    );
}

#[test]
fn prints_spark_long_form() {
    assert_eq!(Duration::from_secs(30).to_string(), "30 seconds");
    assert_eq!(Duration::from_secs(1).to_string(), "1 second");
    assert_eq!(Duration::from_secs(90).to_string(), "1 minute 30 seconds");
    assert_eq!(
        Duration::from_micros(500_000).to_string(),
        "500 milliseconds"
    );
    assert_eq!(
        Duration::from_micros(93_784_005_006).to_string(),
        "1 day 2 hours 3 minutes 4 seconds 5 milliseconds 6 microseconds"
    );
    assert_eq!(Duration::ZERO.to_string(), "0 seconds");
    assert_eq!(Duration::from_secs(-15).to_string(), "-15 seconds");
    assert_eq!(
        Duration::from_secs(-90).to_string(),
        "-1 minute -30 seconds"
    );
    for micros in [i64::MIN, i64::MAX, 1, -1] {
        let d = Duration::from_micros(micros);
        assert_eq!(d.to_string().parse::<Duration>(), Ok(d), "{d}");
    }
}

#[test]
fn std_conversion_clamps_negative_lengths() {
    assert_eq!(
        Duration::from_secs(2).to_std(),
        std::time::Duration::from_secs(2)
    );
    assert_eq!(Duration::from_secs(-2).to_std(), std::time::Duration::ZERO);
}

proptest::proptest! {
    #[test]
    fn printing_then_parsing_is_identity(micros in -10_000_000_000_000i64..10_000_000_000_000) {
        let d = Duration::from_micros(micros);
        proptest::prop_assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
        proptest::prop_assert_eq!(Interval::parse(&d.to_string()).map(|i| i.length(31)), Ok(Some(d)));
    }
}

#[test]
fn compact_decimals_are_exact_to_the_microsecond() {
    let micros = |t: &str| t.parse::<Duration>().map(Duration::micros);
    assert_eq!(micros("1.123456789m"), Ok(67_407_407));
    assert_eq!(micros("0.1w"), Ok(60_480_000_000));
    assert_eq!(micros("1.0000001s"), Ok(1_000_000));
    assert_eq!(micros("2.5h"), Ok(9_000_000_000));
    assert_eq!(micros("5.s"), Ok(5_000_000));
}

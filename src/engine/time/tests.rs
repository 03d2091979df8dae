//! The parser and the formatter, by example and against chrono.

use super::*;

fn p(s: &str) -> Result<Micros, TimestampError> {
    parse_rfc3339(s)
}

#[test]
fn a_fresh_parser_matches_no_garbage_prefix() {
    let mut parser = TimestampParser::new();
    let garbage = [&[0u8; 16][..], b":05.000000Z"].concat();
    assert!(parser.parse(&garbage).is_err());
    assert_eq!(parser.parse(b"1970-01-01T00:00:05.000000Z"), Ok(5_000_000));
}

#[test]
fn parses_the_corpus_layout() {
    assert_eq!(p("1970-01-01T00:00:00.000000Z"), Ok(0));
    assert_eq!(p("2026-11-23T17:33:00Z"), Ok(1_795_455_180_000_000));
    assert_eq!(p("2026-11-23T17:33:14.999999Z"), Ok(1_795_455_194_999_999));
    assert_eq!(p("2026-11-23T17:33:14.5Z"), Ok(1_795_455_194_500_000));
}

#[test]
fn truncates_nanoseconds_and_applies_offsets() {
    assert_eq!(p("1970-01-01T00:00:00.123456789Z"), Ok(123_456));
    assert_eq!(p("1970-01-01T01:00:00+01:00"), Ok(0));
    assert_eq!(p("1969-12-31T23:00:00-01:00"), Ok(0));
    assert_eq!(p("1970-01-01 00:00:01z"), Ok(1_000_000));
    // java.time's range, which Spark reads with: +18:00 at most, either way.
    assert_eq!(p("1970-01-01T18:00:00+18:00"), Ok(0));
    assert_eq!(p("1969-12-31T06:00:00-18:00"), Ok(0));
    for past in ["1970-01-01T00:00:00+18:01", "1970-01-01T00:00:00-23:59"] {
        assert!(p(past).is_err(), "{past}");
    }
}

#[test]
fn before_the_epoch_and_leap_days() {
    assert_eq!(p("1969-12-31T23:59:59.999999Z"), Ok(-1));
    assert_eq!(p("2024-02-29T00:00:00Z"), Ok(1_709_164_800_000_000));
    assert_eq!(p("0001-01-01T00:00:00Z"), Ok(-62_135_596_800_000_000));
}

#[test]
fn rejects_what_is_not_rfc_3339() {
    for bad in [
        "",
        // A time without a zone, and no session time zone to read it in.
        "2026-11-23",
        "2026-11-23T17:33:00",
        "2026/11/23T17:33:00Z",
        "2026-11-23T17:33:00ZZ",
        "2O26-11-23T17:33:00Z",
        "1795455180000",
    ] {
        assert!(matches!(p(bad), Err(TimestampError::Layout(_))), "{bad:?}");
    }
    for bad in [
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T23:60:00Z",
        "2026-11-23T23:59:60Z",
        "2026-11-23T23:59:59+24:00",
    ] {
        assert!(matches!(p(bad), Err(TimestampError::Range(..))), "{bad:?}");
    }
}

#[test]
fn reads_what_spark_reads_besides_rfc_3339() {
    let mut utc = TimestampParser::in_zone(Zone::utc());
    let mut read = |text: &str| utc.parse(text.as_bytes());
    let at = |text: &str| p(text).unwrap();
    for (text, want) in [
        ("2026-11-23", "2026-11-23T00:00:00Z"),
        ("2026-11", "2026-11-01T00:00:00Z"),
        ("2026", "2026-01-01T00:00:00Z"),
        ("2026-1-2 3:4:5", "2026-01-02T03:04:05Z"),
        ("2026-11-23T17:33", "2026-11-23T17:33:00Z"),
        ("2026-11-23 17", "2026-11-23T17:00:00Z"),
        ("+2026-11-23T17:33:00Z", "2026-11-23T17:33:00Z"),
        ("2026-11-23T17:33:00 Z", "2026-11-23T17:33:00Z"),
        ("2026-11-23T17:33:00.Z", "2026-11-23T17:33:00Z"),
        ("2026-11-23T17:33:00+0530", "2026-11-23T12:03:00Z"),
        ("2026-11-23T17:33:00+05", "2026-11-23T12:33:00Z"),
        ("2026-11-23T17:33:00+5:30", "2026-11-23T12:03:00Z"),
        ("2026-11-23T17:33:00-05:3", "2026-11-23T22:36:00Z"),
        ("2026-11-23T17:33:00 UTC", "2026-11-23T17:33:00Z"),
        ("2026-11-23T17:33:00GMT+8", "2026-11-23T09:33:00Z"),
        ("2026-11-23T17:33:00UT-05:30:15", "2026-11-23T23:03:15Z"),
        (
            "2026-11-23T17:33:00 America/Los_Angeles",
            "2026-11-24T01:33:00Z",
        ),
        ("2026-11-23T17:33:00PST", "2026-11-24T01:33:00Z"),
        ("2026-11-23T17:33:00EST", "2026-11-23T22:33:00Z"),
        // Spark's second try, with every GMT taken out.
        ("2026-11-23T17:33:00GMTZ", "2026-11-23T17:33:00Z"),
        (
            " \t2026-11-23T17:33:00.1234567Z\x7f",
            "2026-11-23T17:33:00.123456Z",
        ),
        ("10000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
    ] {
        let want = if text.starts_with("10000") {
            at(want) + 1_000_000
        } else {
            at(want)
        };
        assert_eq!(read(text), Ok(want), "{text:?}");
    }
    assert_eq!(read("0000-01-01T00:00:00Z"), Ok(-62_167_219_200_000_000));
    assert_eq!(read("-0001-12-31T23:59:59Z"), Ok(-62_167_219_201_000_000));
    for no in [
        "2026-11-23T17:33:00+0100x",
        "2026-11-23T24:00",
        "2026-11-23T17:33:00 utc",
        "2026-11-23T17:33:00 america/los_angeles",
        "2026-11-23T17:33:00+18:01",
        "17:33:00",
        "T17:33:00",
        "2026-11-23T",
        "202-11-23",
        "1234567-01-01",
        "+294247-01-10T04:00:54.775808Z",
        "2026-11-23T17:33:00+٠٥:٣٠",
    ] {
        assert!(read(no).is_err(), "{no:?}");
    }
}

#[test]
fn the_prefix_cache_does_not_leak_between_minutes_or_zones() {
    let mut parser = TimestampParser::new();
    let a = parser.parse(b"2026-11-23T00:00:00Z").unwrap();
    let b = parser.parse(b"2026-11-24T00:00:00Z").unwrap();
    let c = parser.parse(b"2026-11-23T00:00:00Z").unwrap();
    assert_eq!(b - a, 86_400 * MICROS_PER_SECOND);
    assert_eq!(a, c);
    assert_eq!(
        parser.parse(b"2026-11-23T00:01:00Z").unwrap() - a,
        60 * MICROS_PER_SECOND
    );
    assert_eq!(
        parser.parse(b"2026-11-23T00:00:00+01:00").unwrap(),
        a - 3_600 * MICROS_PER_SECOND
    );
    assert!(
        parser.parse(b"2026-11-23T00:00:61Z").is_err(),
        "seconds are checked every time"
    );
    assert!(parser.parse(b"2026-11-23T00:00:0xZ").is_err());
}

#[test]
fn a_wall_clock_time_takes_the_offset_java_time_gives_it() {
    let mut paris = TimestampParser::in_zone(Zone::by_id("Europe/Paris").unwrap());
    let utc = |text: &str| p(text).unwrap();
    for (local, want) in [
        // Clocks set back at 03:00 CEST (01:00Z): 02:00 to 02:59 happen twice, and
        // java.time's ZonedDateTime.of takes the first (CEST, +02:00).
        ("2026-10-25 01:59:59", "2026-10-24T23:59:59Z"),
        ("2026-10-25 02:00:00", "2026-10-25T00:00:00Z"),
        ("2026-10-25 02:30:00", "2026-10-25T00:30:00Z"),
        ("2026-10-25 02:59:59.999999", "2026-10-25T00:59:59.999999Z"),
        ("2026-10-25 03:00:00", "2026-10-25T02:00:00Z"),
        // Clocks set forward at 02:00 CET (01:00Z): 02:00 to 02:59 never happen, and are
        // read an hour later (CET's offset).
        ("2026-03-29 01:59:59", "2026-03-29T00:59:59Z"),
        ("2026-03-29 02:30:00", "2026-03-29T01:30:00Z"),
        ("2026-03-29 03:00:00", "2026-03-29T01:00:00Z"),
        ("2026-07-01 12:00:00", "2026-07-01T10:00:00Z"),
        ("2026-12-01 12:00:00", "2026-12-01T11:00:00Z"),
    ] {
        assert_eq!(paris.parse(local.as_bytes()), Ok(utc(want)), "{local}");
    }
    // West of UTC the same (PySpark 3.5.3 in the zone gives these too).
    for (zone, local, want) in [
        (
            "America/New_York",
            "2026-03-08 01:59:59",
            "2026-03-08T06:59:59Z",
        ),
        (
            "America/New_York",
            "2026-03-08 02:30:00",
            "2026-03-08T07:30:00Z",
        ),
        (
            "America/New_York",
            "2026-03-08 03:00:00",
            "2026-03-08T07:00:00Z",
        ),
        (
            "America/New_York",
            "2026-11-01 01:30:00",
            "2026-11-01T05:30:00Z",
        ),
        (
            "America/New_York",
            "2026-11-01 02:00:00",
            "2026-11-01T07:00:00Z",
        ),
        (
            "America/Sao_Paulo",
            "2018-11-04 00:30:00",
            "2018-11-04T03:30:00Z",
        ),
        (
            "America/Sao_Paulo",
            "2019-02-16 23:30:00",
            "2019-02-17T01:30:00Z",
        ),
    ] {
        let mut parser = TimestampParser::in_zone(Zone::by_id(zone).unwrap());
        assert_eq!(
            parser.parse(local.as_bytes()),
            Ok(utc(want)),
            "{zone} {local}"
        );
    }
}

#[test]
fn formats_like_spark() {
    let t = p("2026-11-23T17:33:14.999999Z").unwrap();
    assert_eq!(
        Utc(t, Fraction::Millis).to_string(),
        "2026-11-23T17:33:14.999Z"
    );
    assert_eq!(
        Utc(t, Fraction::Micros).to_string(),
        "2026-11-23T17:33:14.999999Z"
    );
    assert_eq!(
        Utc(t, Fraction::Auto).to_string(),
        "2026-11-23T17:33:14.999999Z"
    );
    assert_eq!(Utc(0, Fraction::Auto).to_string(), "1970-01-01T00:00:00Z");
    assert_eq!(
        Utc(1_500, Fraction::Auto).to_string(),
        "1970-01-01T00:00:00.001500Z"
    );
    assert_eq!(
        Utc(2_000, Fraction::Auto).to_string(),
        "1970-01-01T00:00:00.002Z"
    );
    assert_eq!(
        Utc(-1, Fraction::Micros).to_string(),
        "1969-12-31T23:59:59.999999Z"
    );
}

/// Years RFC 3339's four digits cannot hold are written as Java writes them (`-0001`,
/// `+10000`), which Spark's parser (and a replay file recorded with them) reads back; `{:04}`
/// wrote year -1 as `-001`, which no parser reads.
#[test]
fn years_past_four_digits_are_written_as_java_writes_them_and_read_back() {
    for (text, shown) in [
        ("-0001-06-01T00:00:00Z", "-0001-06-01T00:00:00.000000Z"),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000000Z"),
        ("+10000-01-01T00:00:00Z", "+10000-01-01T00:00:00.000000Z"),
        ("-12345-12-31T23:59:59.5Z", "-12345-12-31T23:59:59.500000Z"),
    ] {
        let t = p(text).unwrap();
        let written = Utc(t, Fraction::Micros).to_string();
        assert_eq!(written, shown, "{text}");
        assert_eq!(p(&written), Ok(t), "{written} read back");
    }
}

#[test]
fn eight_digits_at_once() {
    let chunk = |text: &[u8; 8]| u64::from_le_bytes(*text);
    assert_eq!(parse_8_digits(chunk(b"12345678")), Some(12_345_678));
    assert_eq!(parse_8_digits(chunk(b"00000000")), Some(0));
    assert_eq!(parse_8_digits(chunk(b"99999999")), Some(99_999_999));
    assert_eq!(parse_8_digits(chunk(b"1234567:")), None);
    assert_eq!(parse_8_digits(chunk(b"/2345678")), None);
    assert_eq!(parse_8_digits(chunk(b"12 45678")), None);
    // The fast path refuses what it does not cover, and the general path decides.
    assert_eq!(
        p("2026-11-23T17:33:60.000000Z").map_err(|e| matches!(e, TimestampError::Range(..))),
        Err(true)
    );
    assert_eq!(
        p("2026-11-23T17:33:5x.000000Z").map_err(|e| matches!(e, TimestampError::Layout(..))),
        Err(true)
    );
    assert_eq!(
        p("2026-11-23T17:33:59.00000aZ").map_err(|e| matches!(e, TimestampError::Layout(..))),
        Err(true)
    );
}

proptest::proptest! {
    #[test]
    fn format_then_parse_is_identity(t in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
        let text = Utc(t, Fraction::Micros).to_string();
        proptest::prop_assert_eq!(parse_rfc3339(&text), Ok(t));
    }

    #[test]
    fn agrees_with_chrono(t in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
        let ours = Utc(t, Fraction::Micros).to_string();
        let theirs = chrono::DateTime::from_timestamp_micros(t).unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        proptest::prop_assert_eq!(ours, theirs);
    }
}

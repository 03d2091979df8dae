//! Lines of each format decoded into typed rows, and what is rejected.

use super::*;
use crate::app::source::test_lines::object_line;
use crate::engine::Row;

fn decoder(format: Format, schema: &str, event_time: Option<&str>) -> LineDecoder {
    let schema: Schema = schema.parse().unwrap();
    let event_time = event_time.map(|name| schema.index_of(name).unwrap());
    LineDecoder::new(format, schema, event_time, Zone::utc())
}

/// The decoded row as `(event time, values)`, or why it was rejected.
fn decode(d: &mut LineDecoder, line: &str) -> Result<(Micros, Vec<String>), Rejection> {
    let mut rows = Rows::default();
    d.decode(line.as_bytes(), 42, &mut rows)?;
    let types = d.schema.types().to_vec();
    let (t, row) = rows.iter(&types).next().unwrap();
    Ok((
        t,
        (0..types.len())
            .map(|c| format!("{:?}", row.get(c)))
            .collect(),
    ))
}

const T0: Micros = 1_795_455_180_000_000;

#[test]
fn text_lines_are_the_value_column_stamped_on_arrival() {
    let mut d = LineDecoder::new(Format::Text, Schema::value_string(), None, Zone::utc());
    assert_eq!(decode(&mut d, "a,b"), Ok((42, vec!["Str(\"a,b\")".into()])));
    let mut rows = Rows::default();
    assert_eq!(d.decode(b"\xff", 0, &mut rows), Err(Rejection::NotUtf8));
}

#[test]
fn csv_lines_follow_the_schema() {
    let mut d = decoder(
        Format::Csv,
        "ts TIMESTAMP, user STRING, bytes LONG",
        Some("ts"),
    );
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,ana,12"),
        Ok((
            T0,
            vec![
                format!("Timestamp({T0})"),
                "Str(\"ana\")".into(),
                "Long(12)".into()
            ]
        ))
    );
    assert_eq!(
        decode(&mut d, "1795455180000,\"a,\"\"b\"\"\",").unwrap().1[1..],
        ["Str(\"a,\\\"b\\\"\")", "Null"]
    );
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,ana"),
        Err(Rejection::FieldCount)
    );
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,ana,1,2"),
        Err(Rejection::FieldCount)
    );
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,ana,twelve"),
        Err(Rejection::BadValue)
    );
    // After a closing quote, a comma or the line's end: csv-core would read these as `c27x`,
    // `a,bx` and `x `, Spark's from_csv as `"c27"x`, `"a,b"x` and `x`.
    for line in [
        "2026-11-23T17:33:00Z,\"c27\"x,1",
        "2026-11-23T17:33:00Z,\"a,b\"x,1",
        "2026-11-23T17:33:00Z,\"x\" ,1",
        "2026-11-23T17:33:00Z,ana,\"1\"\"\"2",
    ] {
        assert_eq!(decode(&mut d, line), Err(Rejection::BadQuoting), "{line}");
    }
    // A quote inside an unquoted field is text, as both read it; a doubled quote is a quote.
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,a\"b,1").unwrap().1[1],
        "Str(\"a\\\"b\")"
    );
    assert_eq!(
        decode(&mut d, "2026-11-23T17:33:00Z,\"a\"\"\",\"1\"")
            .unwrap()
            .1[1..],
        ["Str(\"a\\\"\")", "Long(1)"]
    );
    assert_eq!(decode(&mut d, "yesterday,ana,1"), Err(Rejection::BadTime));
    // A NULL event time is Spark's input row in no window.
    assert_eq!(
        decode(&mut d, ",ana,1").unwrap().0,
        NULL_EVENT_TIME,
        "a NULL event time"
    );
}

/// Quoted CSV fields as `from_csv` (univocity) reads them, checked in `PySpark` 3.5.3: a last
/// field that is a lone quote is that quote (it was NULL), an unclosed quote the rest of the
/// line, doubled quotes one.
#[test]
fn csv_quotes_are_read_as_spark_reads_them() {
    let mut d = decoder(Format::Csv, "k STRING, v STRING", None);
    let mut v = |line: &str| decode(&mut d, line).map(|(_, values)| values[1].clone());
    assert_eq!(v(r#"a,""#), Ok(r#"Str("\"")"#.to_string()));
    assert_eq!(v(r#"a,"x"#), Ok(r#"Str("x")"#.to_string()));
    assert_eq!(v(r#"a," "#), Ok(r#"Str(" ")"#.to_string()));
    assert_eq!(v(r#"a,"""#), Ok("Null".to_string()));
    assert_eq!(v(r#"a,"x"""#), Ok(r#"Str("x\"")"#.to_string()));
    assert_eq!(v(r#"a,""""#), Ok(r#"Str("\"")"#.to_string()));
    assert_eq!(
        v(r#""a,","""#),
        Ok("Null".to_string()),
        "a closing quote, then a field"
    );
    let mut n = decoder(Format::Csv, "k STRING, n INT", None);
    assert_eq!(decode(&mut n, r#"a,""#), Err(Rejection::BadValue));
}

#[test]
fn json_lines_take_the_schema_by_name() {
    let mut d = decoder(
        Format::Json,
        "ts TIMESTAMP, user STRING, bytes LONG, x DOUBLE, ok BOOLEAN",
        Some("ts"),
    );
    assert_eq!(
        decode(
            &mut d,
            r#"{"bytes": 7, "user": "say \"hi\"", "ts": "2026-11-23T17:33:00Z", "extra": [1, {"a": 2}], "x": "NaN"}"#
        ),
        Ok((
            T0,
            vec![
                format!("Timestamp({T0})"),
                "Str(\"say \\\"hi\\\"\")".into(),
                "Long(7)".into(),
                "Double(NaN)".into(),
                "Null".into()
            ]
        ))
    );
    let (t, values) = decode(
        &mut d,
        r#"{"ts": 1795455180, "user": 5, "x": 2.5e-4, "ok": true, "bytes": null}"#,
    )
    .unwrap();
    assert_eq!(t, T0, "a number is epoch seconds");
    assert_eq!(
        values[1..],
        ["Str(\"5\")", "Null", "Double(0.00025)", "Bool(true)"]
    );
    assert_eq!(
        decode(&mut d, r#"{"ts": "2026-11-23T17:33:00Z", "bytes": 1.5}"#),
        Err(Rejection::BadValue)
    );
    assert_eq!(
        decode(&mut d, r#"{"ts": "2026-11-23T17:33:00Z", "bytes": "3"}"#),
        Err(Rejection::BadValue)
    );
    assert_eq!(
        decode(&mut d, r#"{"user": "no time"}"#).unwrap().0,
        NULL_EVENT_TIME
    );
    assert_eq!(
        decode(&mut d, r#"{"ts": "2026-11-23T17:33:00Z""#),
        Err(Rejection::BadJson)
    );
    assert_eq!(decode(&mut d, "[1, 2]"), Err(Rejection::BadJson));
    assert_eq!(
        decode(&mut d, r#"{"ts": "2026-11-23T17:33:00Z"} trailing"#),
        Err(Rejection::BadJson)
    );
}

#[test]
fn json_strings_are_borrowed_unless_escaped() {
    assert_eq!(unescaped(r#""user7""#), Some("user7"));
    assert_eq!(unescaped("'user7'"), Some("user7"));
    assert_eq!(unescaped(r#""it's""#), Some("it's"));
    assert_eq!(unescaped(r#""a\"b""#), None);
    assert_eq!(unescaped("5"), None);
    // Escaped member names and values still find their columns.
    let mut d = decoder(Format::Json, "user STRING, n LONG", None);
    let (_, values) = decode(&mut d, r#"{"\u0075ser": "x\u0041", "n": 3}"#).unwrap();
    assert_eq!(values, [r#"Str("xA")"#, "Long(3)"]);
    // A name with a lone surrogate is no column's, though it would read as `u?`.
    let mut d = decoder(Format::Json, "`u?` STRING, n LONG", None);
    let (_, values) = decode(&mut d, r#"{"u\ud800": "x", "u?": "y", "n": 1}"#).unwrap();
    assert_eq!(values, [r#"Str("y")"#, "Long(1)"]);
    let (_, values) = decode(&mut d, r#"{"u?": "y", "u\ud800": "x", "n": 1}"#).unwrap();
    assert_eq!(values, [r#"Str("y")"#, "Long(1)"]);
}

proptest::proptest! {
    /// A line the flat reader takes, Spark's reader takes too, with every column at the same
    /// place: objects of members with names and values of every kind, spaced every way, and
    /// broken (cut short, a byte changed).
    #[test]
    fn the_flat_reader_finds_what_spark_finds(
        members in proptest::collection::vec(
            (
                proptest::sample::select(vec!["user", "bytes", "x", "us\\u0065r", "", "é"]),
                proptest::sample::select(vec![
                    "\"u1\"", "\"\"", "\"a b\\\"c\"", "\"日本\"", "\"\\n\"", "0", "-0", "42",
                    "-7.25", "1e3", "1E+3", "2.5e-1", "01", "1.", "-", "true", "false", "null",
                    "nul", "{}", "[1,2]", "{\"a\":1}", "\"\u{1}\"", "\"x", "'s'", "NaN", "-INF",
                ]),
                proptest::sample::select(vec!["", " ", "\t", "\r\n "]),
            ),
            0..5,
        ),
        trailing_comma in proptest::bool::ANY,
        cut in proptest::option::of(0usize..80),
        changed in proptest::option::of((0usize..80, proptest::sample::select(vec![b'{', b'}', b'"', b':', b',', b'\\', b' ', b'a']))),
    ) {
        let Some(line) = object_line(&members, trailing_comma, changed, cut) else {
            return Ok(());
        };
        let line = line.as_str();
        let schema: Schema = "user STRING, bytes STRING, x STRING".parse().unwrap();
        let (mut flat, mut flat_shadowed) = (vec![None; 3], Vec::new());
        let (mut spark, mut spark_shadowed) = (vec![None; 3], Vec::new());
        if flat_spans(line, &schema, (&mut flat, &mut flat_shadowed)).is_some() {
            let spans = (&mut spark, &mut spark_shadowed);
            let read = spark_spans(line, &schema, spans, &mut String::new());
            proptest::prop_assert_eq!(read, Ok(()), "{}", line);
            proptest::prop_assert_eq!(flat, spark, "{}", line);
            proptest::prop_assert_eq!(flat_shadowed, spark_shadowed, "{}", line);
        }
    }
}

#[test]
fn usual_lines_are_read_flat() {
    let schema: Schema = "ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap();
    let (mut spans, mut shadowed) = (vec![None; 3], Vec::new());
    for line in [
        r#"{"user":"user12","bytes":1337}"#,
        r#"{"ts":"2026-11-23T17:33:00Z","user":"a","bytes":-5,"other":[1,2]}"#,
    ] {
        let flat = flat_spans(line, &schema, (&mut spans, &mut shadowed));
        assert_eq!(flat.is_some(), !line.contains('['), "{line}");
    }
    // A duplicate member: the last one, as Spark's reading has it.
    let line = r#"{"user":"a","user":"b"}"#;
    flat_spans(line, &schema, (&mut spans, &mut shadowed)).unwrap();
    assert_eq!(spans[1], Some((19, 22, false)));
    assert_eq!(
        shadowed,
        [(1, 8, 11)],
        "the earlier value, to be converted too"
    );
}

/// Each line's values, or why it was rejected, in the schema `schema`.
fn json_rows(schema: &str, lines: &[&str]) -> Vec<Result<Vec<String>, Rejection>> {
    let mut d = decoder(Format::Json, schema, None);
    lines
        .iter()
        .map(|line| decode(&mut d, line).map(|(_, values)| values))
        .collect()
}

/// A JSON number of seconds is an event time within [`EVENT_TIME_RANGE`] (years ±125,000):
/// past it, window arithmetic overflowed and a batch never ended (9223372036854 seconds, near
/// the end of `Micros`, spun the engine for good).
#[test]
fn json_epoch_seconds_past_the_event_time_range_are_a_bad_time() {
    let mut d = decoder(Format::Json, "ts TIMESTAMP, s STRING", Some("ts"));
    let last = EVENT_TIME_RANGE.end() / MICROS_PER_SECOND;
    let first = EVENT_TIME_RANGE.start() / MICROS_PER_SECOND;
    for seconds in [last, first] {
        let line = format!(r#"{{"ts":{seconds},"s":"a"}}"#);
        assert_eq!(
            decode(&mut d, &line).unwrap().0,
            seconds * MICROS_PER_SECOND
        );
    }
    for seconds in [
        last + 1,
        first - 1,
        9_223_372_036_854,
        -9_223_372_036_854,
        i64::MAX,
    ] {
        let line = format!(r#"{{"ts":{seconds},"s":"a"}}"#);
        assert_eq!(decode(&mut d, &line), Err(Rejection::BadTime), "{line}");
    }
}

/// A member named twice: the last value is the column's, but Spark converts each and flags
/// the line when one does not convert, so such a line is rejected (it was taken, with the
/// last value). On the flat path and on Spark's (a nested value), for the event time too.
#[test]
fn json_a_member_named_again_rejects_the_line_when_an_earlier_value_is_bad() {
    let rows = json_rows(
        "ts TIMESTAMP, f DOUBLE",
        &[
            r#"{"f":2.5,"f":1.5}"#,
            r#"{"f":"x","f":1.5}"#,
            r#"{"f":"x","o":{"a":1},"f":1.5}"#,
            r#"{"f":null,"o":[1],"f":1.5}"#,
            r#"{"ts":"soon","ts":"2026-11-23T17:33:00Z"}"#,
        ],
    );
    assert_eq!(
        rows,
        [
            Ok(vec!["Null".to_string(), "Double(1.5)".into()]),
            Err(Rejection::BadValue),
            Err(Rejection::BadValue),
            Ok(vec!["Null".to_string(), "Double(1.5)".into()]),
            Err(Rejection::BadTime),
        ]
    );
}

/// Jackson reads `-0` as the integer 0, so Spark's DOUBLE or FLOAT from it is 0.0 (which
/// `min` and `max` print so); `-0.0` stays -0.0.
#[test]
fn json_minus_zero_integer_is_a_plus_zero_double() {
    let rows = json_rows(
        "ts TIMESTAMP, d DOUBLE, f FLOAT",
        &[
            r#"{"d":-0,"f":-0}"#,
            r#"{"d":-0.0,"f":-0e0}"#,
            r#"{"d":0,"f":0}"#,
        ],
    );
    let shown: Vec<_> = rows.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        shown,
        [
            ["Null", "Double(0.0)", "Float(0.0)"],
            ["Null", "Double(-0.0)", "Float(-0.0)"],
            ["Null", "Double(0.0)", "Float(0.0)"],
        ]
    );
}

// What follows is what PySpark 3.5.3's from_json gave for the same lines (a rejection where it
// put the line in its corrupt-record column).

#[test]
fn json_bare_non_numbers_are_read_as_spark_reads_them() {
    let got = json_rows(
        "d DOUBLE, f FLOAT, s STRING",
        &[
            r#"{"d":NaN,"f":NaN,"s":NaN}"#,
            r#"{"d":Infinity,"f":+Infinity,"s":+INF}"#,
            r#"{ "d" : -Infinity , "f":-INF ,"s":[NaN,-INF]}"#,
            r#"{"s":INF}"#,
            r#"{"d":-NaN}"#,
        ],
    );
    let want = [
        Ok(vec!["Double(NaN)", "Float(NaN)", r#"Str("\"NaN\"")"#]),
        Ok(vec!["Double(inf)", "Float(inf)", r#"Str("\"Infinity\"")"#]),
        Ok(vec![
            "Double(-inf)",
            "Float(-inf)",
            r#"Str("[\"NaN\",\"-Infinity\"]")"#,
        ]),
        Err(Rejection::BadJson),
        Err(Rejection::BadJson),
    ];
    assert_eq!(
        got,
        want.map(|r| r.map(|v| v.iter().map(ToString::to_string).collect()))
    );
    for (schema, rejection) in [
        ("i INT", Rejection::BadValue),
        ("i TINYINT", Rejection::BadValue),
        ("i BOOLEAN", Rejection::BadValue),
        ("i TIMESTAMP", Rejection::BadTime),
    ] {
        assert_eq!(
            json_rows(schema, &[r#"{"i":NaN}"#]),
            [Err(rejection)],
            "{schema}"
        );
    }
}

#[test]
fn json_strings_in_double_columns_are_those_spark_takes() {
    let lines = [
        "NaN",
        "+INF",
        "+Infinity",
        "Infinity",
        "-INF",
        "-Infinity",
        "\\u004eaN",
        "INF",
        "inf",
        "nan",
        " NaN",
        "1.5",
        "",
    ]
    .map(|text| format!(r#"{{"d":"{text}","f":"{text}"}}"#));
    let got = json_rows("d DOUBLE, f FLOAT", &lines.each_ref().map(String::as_str));
    let value = |v: &str| Ok(vec![format!("Double({v})"), format!("Float({v})")]);
    let mut want = vec![
        value("NaN"),
        value("inf"),
        value("inf"),
        value("inf"),
        value("-inf"),
        value("-inf"),
        value("NaN"),
    ];
    want.resize(lines.len(), Err(Rejection::BadValue));
    assert_eq!(got, want);
}

#[test]
fn json_in_single_quotes_is_read() {
    let got = json_rows(
        "ts TIMESTAMP, u STRING, d DOUBLE",
        &[
            "{'ts':'2026-11-23T17:33:00Z','u':'single','d':8}",
            r#"{"u":'it\'s',"d":'NaN'}"#,
            r#"{'u':"it\'s"}"#,
            r#"{"u":'say "hi"'}"#,
            r#"{"u":{'a':'b'}}"#,
        ],
    );
    let want = [
        vec![
            format!("Timestamp({T0})"),
            r#"Str("single")"#.into(),
            "Double(8.0)".into(),
        ],
        vec!["Null".into(), r#"Str("it's")"#.into(), "Double(NaN)".into()],
        vec!["Null".into(), r#"Str("it's")"#.into(), "Null".into()],
        vec!["Null".into(), r#"Str("say \"hi\"")"#.into(), "Null".into()],
        vec![
            "Null".into(),
            r#"Str("{\"a\":\"b\"}")"#.into(),
            "Null".into(),
        ],
    ];
    assert_eq!(got, want.map(Ok));
}

#[test]
fn json_values_in_string_columns_are_written_anew() {
    let got = json_rows(
        "u STRING",
        &[
            r#"{"u":1e2}"#,
            r#"{"u":1.10}"#,
            r#"{"u":{"name": "a",  "z":[1, 2.50, 1e2]}}"#,
            r#"{"u":-0}"#,
            r#"{"u":12345678901234567890}"#,
            r#"{"u":true}"#,
            r#"{"u":"lone\ud800"}"#,
            r#"{"u":"pair\ud83d\ude00"}"#,
        ],
    );
    let want = [
        r#"Str("100.0")"#,
        r#"Str("1.1")"#,
        r#"Str("{\"name\":\"a\",\"z\":[1,2.5,100.0]}")"#,
        r#"Str("0")"#,
        r#"Str("12345678901234567890")"#,
        r#"Str("true")"#,
        r#"Str("lone?")"#,
        r#"Str("pair😀")"#,
    ];
    assert_eq!(got, want.map(|v| Ok(vec![v.to_string()])));
}

#[test]
fn json_tinyints_wrap_from_128_to_255_as_jacksons_bytes() {
    let got = json_rows(
        "t TINYINT",
        &[
            r#"{"t":127}"#,
            r#"{"t":128}"#,
            r#"{"t":200}"#,
            r#"{"t":255}"#,
            r#"{"t":-128}"#,
            r#"{"t":-0}"#,
            r#"{"t":256}"#,
            r#"{"t":-129}"#,
            r#"{"t":1.0}"#,
            r#"{"t":"1"}"#,
        ],
    );
    let mut want: Vec<_> = ["127", "-128", "-56", "-1", "-128", "0"]
        .iter()
        .map(|v| Ok(vec![format!("Long({v})")]))
        .collect();
    want.resize(10, Err(Rejection::BadValue));
    assert_eq!(got, want);
    // No wrapping for the other integer types.
    for (schema, max) in [
        ("s SMALLINT", "32767"),
        ("s INT", "2147483647"),
        ("s BIGINT", "9223372036854775807"),
    ] {
        let over = (max.parse::<u64>().unwrap() + 1).to_string();
        let got = json_rows(
            schema,
            &[&format!(r#"{{"s":{max}}}"#), &format!(r#"{{"s":{over}}}"#)],
        );
        assert_eq!(
            got,
            [Ok(vec![format!("Long({max})")]), Err(Rejection::BadValue)],
            "{schema}"
        );
    }
}

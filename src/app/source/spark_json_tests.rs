//! Lines Spark's `from_json` reads as an object, or not (each checked with `PySpark` 3.5.3), and
//! the reader held to `serde_json` on RFC 8259 JSON.

use super::*;
use crate::app::source::test_lines::object_line;

/// The members of `line` as (name, value) texts, quotes kept, or `None`.
fn all(line: &str) -> Option<Vec<(&str, &str)>> {
    let mut got = Vec::new();
    members(line, |(ns, ne), (vs, ve)| {
        got.push((&line[ns..ne], &line[vs..ve]));
    })?;
    Some(got)
}

#[test]
fn single_quotes_and_bare_non_numbers_are_read() {
    assert_eq!(
        all("{'ts':'2026-11-23T17:33:00Z', \"u\" : 'say \"hi\"','d':8}"),
        Some(vec![
            ("'ts'", "'2026-11-23T17:33:00Z'"),
            ("\"u\"", "'say \"hi\"'"),
            ("'d'", "8")
        ])
    );
    assert_eq!(
        all(r#"{"a":'it\'s',"b":"it\'s",'c':'\u0041\"'}"#).map(|m| m.len()),
        Some(3)
    );
    for token in ["NaN", "Infinity", "+Infinity", "-Infinity", "+INF", "-INF"] {
        for line in [
            format!(r#"{{"d":{token}}}"#),
            format!(r#"{{ "d" : {token} , "e":[{token},{{"f":{token}}}] }}"#),
        ] {
            assert!(all(&line).is_some(), "{line}");
        }
        assert_eq!(kind(token), Kind::NonNumeric);
    }
    assert!(non_numeric("NaN").is_nan());
    assert_eq!(non_numeric("-INF").to_bits(), f64::NEG_INFINITY.to_bits());
    assert_eq!(non_numeric("+Infinity").to_bits(), f64::INFINITY.to_bits());
}

#[test]
fn what_spark_rejects_is_rejected() {
    for line in [
        "{\"d\":INF}",
        "{\"d\":nan}",
        "{\"d\":-NaN}",
        "{\"d\":+NaN}",
        "{\"d\":NaNx}",
        "{\"d\":-Inf}",
        "{\"d\":-INFINITY}",
        "{\"d\":-Infinity1}",
        "{\"d\":+1}",
        "{\"d\":.5}",
        "{\"d\":1.e5}",
        "{\"d\":01}",
        "{\"d\":-01}",
        "{\"d\":1e}",
        "{\"d\":True}",
        "{\"d\":NULL}",
        "{u:1}",
        "{\"u\":'a\"}",
        "{\"u\":\"a\tb\"}",
        "{\"u\":'a\tb'}",
        "{\"u\":\"a\\xb\"}",
        "{\"u\":\"\\U0041\"}",
        "{\"u\":[1,]}",
        "{\"u\":[,1]}",
        "{\"a\":1,}",
        "{\"u\":/*c*/1}",
        "{\"u\":#c\n1}",
        "\u{feff}{\"u\":1}",
        "\u{b}{\"u\":1}",
        "{\"u\":\"x\"",
        "[1]",
        "'x'",
        "NaN",
    ] {
        assert_eq!(all(line), None, "{line:?}");
    }
}

#[test]
fn nesting_and_numbers_have_jacksons_limits() {
    let nested = |depth: usize| format!("{{\"x\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    assert!(
        all(&nested(999)).is_some(),
        "1,000 deep, the line's object counted"
    );
    assert!(all(&nested(1000)).is_none());
    let objects = format!("{{\"x\":{}1{}}}", "{\"a\":".repeat(999), "}".repeat(999));
    assert!(all(&objects).is_some());
    let number = |text: String| all(&format!("{{\"x\":{text}}}")).is_some();
    assert!(number(format!("-{}", "1".repeat(1000))));
    assert!(!number("1".repeat(1001)));
    assert!(number(format!("{}.5", "1".repeat(999))));
    assert!(!number(format!("{}.5", "1".repeat(1000))));
    assert!(number(format!("1.5e{}", "0".repeat(998))));
    assert!(!number(format!("1.5e-{}", "0".repeat(999))));
}

#[test]
fn kinds_are_told_by_their_first_bytes() {
    for (raw, want) in [
        ("\"a\"", Kind::String),
        ("'a'", Kind::String),
        ("-0", Kind::Integer),
        ("12", Kind::Integer),
        ("1.5", Kind::Float),
        ("-1e5", Kind::Float),
        ("1E5", Kind::Float),
        ("true", Kind::True),
        ("false", Kind::False),
        ("null", Kind::Null),
        ("{}", Kind::Object),
        ("[]", Kind::Array),
        ("-INF", Kind::NonNumeric),
    ] {
        assert_eq!(kind(raw), want, "{raw}");
    }
}

proptest::proptest! {
    /// On RFC 8259 JSON (no single quotes, bare `NaN`, `\'` or lone surrogates), the reader takes
    /// a line as an object exactly when `serde_json` does: objects of values of every kind,
    /// nested, spaced every way, and broken (cut short, a byte changed).
    #[test]
    fn rfc_json_is_read_as_serde_reads_it(
        members in proptest::collection::vec(
            (
                proptest::sample::select(vec!["a", "", "\\u0062", "é", "a\\\"b"]),
                proptest::sample::select(vec![
                    "\"u1\"", "\"\"", "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\ud83d\\ude00\"",
                    "\"日本\"", "0", "-0", "42", "-7.25", "1e3", "1E+3", "2.5e-1", "01", "1.",
                    "-", ".5", "true", "false", "null", "nul", "{}", "[]", "[1, \"x\" ,{}]",
                    "{\"a\":[null,{\"b\":-1.5E3}]}", "[[[]]]", "\"\u{1}\"", "\"x", "\"\\x\"",
                ]),
                proptest::sample::select(vec!["", " ", "\t", "\r\n "]),
            ),
            0..5,
        ),
        trailing_comma in proptest::bool::ANY,
        cut in proptest::option::of(0usize..80),
        changed in proptest::option::of((0usize..80, proptest::sample::select(vec![
            b'{', b'}', b'[', b']', b'"', b':', b',', b'\\', b' ', b'a', b'0', b'-',
        ]))),
    ) {
        let Some(line) = object_line(&members, trailing_comma, changed, cut) else {
            return Ok(());
        };
        let line = line.as_str();
        // A lone surrogate (a byte of `\ud83d\ude00` changed) serde rejects, and Jackson takes.
        proptest::prop_assume!(!line.replace("\\ud83d\\ude00", "").contains("\\ud"));
        let serde = serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object());
        proptest::prop_assert_eq!(all(line).is_some(), serde, "{}", line);
    }
}

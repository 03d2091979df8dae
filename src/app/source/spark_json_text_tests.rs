//! Values' texts as Spark 3.5.3's `from_json` gives them in a STRING column: each expected text
//! below is what `PySpark` 3.5.3 printed for the value.

use super::*;

fn string(raw: &str) -> (String, bool) {
    let mut out = String::new();
    let whole = push_string(raw, &mut out);
    (out, whole)
}

fn generated(raw: &str) -> String {
    let mut out = String::new();
    push_generated(raw, &mut out);
    out
}

#[test]
fn strings_are_their_text_with_lone_surrogates_as_question_marks() {
    for (raw, want, whole) in [
        (r#""plain""#, "plain", true),
        (r"'single'", "single", true),
        (r#"'say "hi"'"#, "say \"hi\"", true),
        (r"'it\'s'", "it's", true),
        (r#""it\'s""#, "it's", true),
        (r#"'\"'"#, "\"", true),
        (r"'a\u0041\n'", "aA\n", true),
        (r#""\/\b\f\r\t\\""#, "/\u{8}\u{c}\r\t\\", true),
        (r#""x\u0000y""#, "x\0y", true),
        (r#""\u00E9é""#, "éé", true),
        (r#""pair\ud83d\ude00""#, "pair😀", true),
        (r#""lone\ud800""#, "lone?", false),
        (r#""lone\udc00x""#, "lone?x", false),
        (r#""\ud83d""#, "?", false),
        (r#""\ud800\u0041""#, "?A", false),
        (r#""\ud800\ud800""#, "??", false),
        (r#""\udc00\ud800""#, "??", false),
    ] {
        assert_eq!(string(raw), (want.to_string(), whole), "{raw}");
    }
}

#[test]
fn numbers_are_written_anew_as_jackson_writes_them() {
    for (raw, want) in [
        ("1e2", "100.0"),
        ("1.10", "1.1"),
        ("1E+2", "100.0"),
        ("-0", "0"),
        ("0", "0"),
        ("-0.0", "-0.0"),
        ("0.0", "0.0"),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
        ),
        ("-9223372036854775809", "-9223372036854775809"),
        ("1e-5", "1.0E-5"),
        ("0.001", "0.001"),
        ("1234567.0", "1234567.0"),
        ("12345678.0", "1.2345678E7"),
        ("1e21", "1.0E21"),
        ("1.7976931348623157e308", "1.7976931348623157E308"),
        ("2.5e-324", "4.9E-324"),
        ("1e-400", "0.0"),
        ("3.141592653589793238462643383279", "3.141592653589793"),
        ("9007199254740993.0", "9.007199254740992E15"),
        ("9007199254740993", "9007199254740993"),
        ("1e400", "\"Infinity\""),
        ("-1e400", "\"-Infinity\""),
        ("NaN", "\"NaN\""),
        ("+INF", "\"Infinity\""),
        ("-INF", "\"-Infinity\""),
        ("+Infinity", "\"Infinity\""),
        ("true", "true"),
        ("null", "null"),
    ] {
        assert_eq!(generated(raw), want, "{raw}");
    }
}

#[test]
fn objects_and_arrays_are_written_compact() {
    for (raw, want) in [
        (
            r#"{"name": "a",  "z":[1, 2.50, 1e2]}"#,
            r#"{"name":"a","z":[1,2.5,100.0]}"#,
        ),
        ("[true,false,null]", "[true,false,null]"),
        ("{ }", "{}"),
        ("[ ]", "[]"),
        (r#"[[[]],{"a":{}}]"#, r#"[[[]],{"a":{}}]"#),
        (r#"{"a":1,"a":2}"#, r#"{"a":1,"a":2}"#),
        ("{'a':'b'}", r#"{"a":"b"}"#),
        ("{'u':[1,'a']}", r#"{"u":[1,"a"]}"#),
        (r#"{'a\'b':'c"d'}"#, r#"{"a'b":"c\"d"}"#),
        (r#"{"a":[1,"é",-0,1.0]}"#, r#"{"a":[1,"é",0,1.0]}"#),
        (r#"{"a":-0.0e0}"#, r#"{"a":-0.0}"#),
        (
            "[1.0E-10, 123456789.25, 1e7, 9999999.999]",
            "[1.0E-10,1.2345678925E8,1.0E7,9999999.999]",
        ),
        (
            "[NaN,-INF,+INF,Infinity]",
            r#"["NaN","-Infinity","Infinity","Infinity"]"#,
        ),
        (r#"{"a":NaN}"#, r#"{"a":"NaN"}"#),
        (
            r#"{"a":"x\"y\\z\n\t\r\b\f\u0001\u001f\u007f/\/é\u00e9\ud83d\ude00"}"#,
            "{\"a\":\"x\\\"y\\\\z\\n\\t\\r\\b\\f\\u0001\\u001F\u{7f}//éé\\uD83D\\uDE00\"}",
        ),
        (r#"{"k\"ey":1,"k\u0000":2}"#, r#"{"k\"ey":1,"k\u0000":2}"#),
        (r#"["lone\ud800"]"#, r#"["lone\uD800"]"#),
        (r#"{"a":"\ud800\u0041"}"#, r#"{"a":"\uD800A"}"#),
        (r#"{"a":"😀"}"#, r#"{"a":"\uD83D\uDE00"}"#),
        (r#"{"\ud800":1}"#, r#"{"\uD800":1}"#),
        (r#"["x\u0000y"]"#, r#"["x\u0000y"]"#),
    ] {
        assert_eq!(generated(raw), want, "{raw}");
    }
}

#[test]
fn any_text_is_read_without_a_panic_or_an_endless_loop() {
    for raw in [
        "",
        "{",
        "[",
        "}",
        "]",
        "{\"a\"",
        "{\"a\":",
        "[1,",
        "[}",
        "{]",
        "\"",
        "'",
        "\"\\",
        "\"\\u12",
        "\"\\ud800\\u",
        "[:::]",
        "{,,}",
        "é",
        "[\"é\\é\"]",
    ] {
        generated(raw);
        string(raw);
    }
}

//! The usual JSON stream line, a flat object (`{"user":"u1","bytes":42}`: members whose values
//! are strings without escapes, numbers, `true`, `false` or `null`), split in one pass over its
//! bytes. Anything else (an escape, a nested object or array, single quotes, `NaN`, a syntax
//! error) is left to [`super::spark_json`], which reads every line alike, as Spark does; a
//! property test holds the two to the same members.
//!
//! Hand-written because `serde_json` took most of the decoding thread, which sets the pace of
//! JSON socket ingest (callgrind, decoding 1,000 users' lines, everything counted: 1,700
//! instructions a line with `serde_json` alone, 1,385 with this; see bench/HISTORY.md, "Earlier
//! work").

use super::swar::{bytes_below, bytes_equal, word_at};

/// Gives each member of the object `line` is, in order, to `member` as its name and its value's
/// span in `line` (a string's quotes included). `None` when `line` is not such a flat object
/// (some members may have been given by then): [`super::spark_json`] reads it then.
pub fn members(line: &str, mut member: impl FnMut(&str, (usize, usize))) -> Option<()> {
    let bytes = line.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return (skip_space(bytes, at + 1) == bytes.len()).then_some(());
    }
    loop {
        let name_end = string_end(bytes, at)?;
        let name = &line[at + 1..name_end - 1];
        at = skip_space(bytes, name_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let value_end = value_end(bytes, at)?;
        member(name, (at, value_end));
        at = skip_space(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => return (skip_space(bytes, at + 1) == bytes.len()).then_some(()),
            _ => return None,
        }
    }
}

/// Past the JSON whitespace at `at`.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// Past the string at `at`, when it is one without escapes or control characters: eight bytes
/// at a time, to the first quote, backslash or control character (a zero past the line's end
/// is one).
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        let word = word_at(bytes, i)?;
        let special = bytes_below(word, 0x20) | bytes_equal(word, b'"') | bytes_equal(word, b'\\');
        if special != 0 {
            let first = special.trailing_zeros() / 8;
            let end = i + first as usize;
            return ((word >> (8 * first)) as u8 == b'"').then_some(end + 1);
        }
        i += 8;
    }
}

/// Past the value at `at`: a string without escapes, a number, `true`, `false` or `null`.
fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    let literal = |word: &[u8]| {
        let end = at + word.len();
        (bytes.get(at..end) == Some(word)).then_some(end)
    };
    match *bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b't' => literal(b"true"),
        b'f' => literal(b"false"),
        b'n' => literal(b"null"),
        b'-' | b'0'..=b'9' => number_end(bytes, at),
        _ => None,
    }
}

/// Jackson's `StreamReadConstraints.DEFAULT_MAX_NUM_LEN`: a number's digits, those of its
/// integer part, fraction and exponent added up.
const MAX_NUMBER_DIGITS: usize = 1000;

/// Past the JSON number at `at`: `-`, then `0` or digits not starting with `0`, then maybe a
/// fraction and an exponent; at most [`MAX_NUMBER_DIGITS`] digits in all, as Jackson reads it.
pub fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let start = at;
    let digits = |from: usize| {
        bytes[from.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    // Only digits count: a sign, the point, the `e` and the exponent's sign do not.
    if at - start > MAX_NUMBER_DIGITS
        && bytes[start..at]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .count()
            > MAX_NUMBER_DIGITS
    {
        return None;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str) -> Option<Vec<(String, String)>> {
        let mut got = Vec::new();
        members(line, |name, (start, end)| {
            got.push((name.to_string(), line[start..end].to_string()));
        })?;
        Some(got)
    }

    #[test]
    fn flat_objects_are_split_into_members() {
        let got = all(r#" { "user" : "u1" ,"bytes":-42.5e+3, "ok":true,"n":null,"f":false } "#);
        let want = [
            ("user", "\"u1\""),
            ("bytes", "-42.5e+3"),
            ("ok", "true"),
            ("n", "null"),
            ("f", "false"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, Some(want));
        assert_eq!(all("{}"), Some(vec![]));
        assert_eq!(
            all(r#"{"é":"日本"}"#),
            Some(vec![("é".into(), "\"日本\"".into())])
        );
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        for line in [
            "",
            "[1]",
            "\"x\"",
            "{",
            "{}x",
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":tru}"#,
            r#"{"a":truex}"#,
            r#"{"a":"\n"}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a" 1}"#,
            "{a:1}",
        ] {
            assert_eq!(all(line), None, "{line:?}");
        }
    }
}

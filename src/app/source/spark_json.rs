//! JSON as Spark 3.5's `from_json` reads it: Jackson 2.15 with Spark's default `JSONOptions`,
//! which take more than RFC 8259:
//!
//! - strings (member names too) in single quotes as well as double (`allowSingleQuotes`), and
//!   `\'` an escape in either;
//! - the bare numbers `NaN`, `Infinity`, `+Infinity`, `-Infinity`, `+INF` and `-INF`
//!   (`allowNonNumericNumbers`; not `INF`, `nan` or `-NaN`);
//!
//! and nothing else: no comments, unquoted names, leading zeros, `+1`, `.5`, `1.`, trailing
//! commas, other escapes, or control characters in strings. Jackson's limits hold too: nesting at
//! most 1,000 deep (the line's object counted) and at most 1,000 digits in a number.
//!
//! [`members`] finds the line's members, leaving their values where they are: this is the path of
//! the lines [`super::flat_json`] does not take. [`kind`] tells what a value found by either is,
//! and [`super::spark_json_text`] reads its text.

use super::flat_json;

/// Jackson's `StreamReadConstraints.DEFAULT_MAX_DEPTH`: objects and arrays in one another.
const MAX_DEPTH: usize = 1000;

/// What a JSON value is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// In double or single quotes.
    String,
    /// A number without a fraction or an exponent.
    Integer,
    /// A number with a fraction or an exponent.
    Float,
    /// `NaN`, `Infinity`, `+Infinity`, `-Infinity`, `+INF` or `-INF`.
    NonNumeric,
    True,
    False,
    Null,
    Object,
    Array,
}

/// What `raw`, a value [`members`] (or [`flat_json::members`]) found, is.
pub fn kind(raw: &str) -> Kind {
    let bytes = raw.as_bytes();
    match bytes.first() {
        Some(b'"' | b'\'') => Kind::String,
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b't') => Kind::True,
        Some(b'f') => Kind::False,
        Some(b'N' | b'I' | b'+') => Kind::NonNumeric,
        Some(b'-') if bytes.get(1) == Some(&b'I') => Kind::NonNumeric,
        Some(b'-' | b'0'..=b'9') if bytes.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) => {
            Kind::Float
        }
        Some(b'-' | b'0'..=b'9') => Kind::Integer,
        _ => Kind::Null,
    }
}

/// The value of a [`Kind::NonNumeric`] token: NaN, or an infinity of its sign.
pub fn non_numeric(raw: &str) -> f64 {
    match raw.as_bytes().first() {
        Some(b'N') => f64::NAN,
        Some(b'-') => f64::NEG_INFINITY,
        _ => f64::INFINITY,
    }
}

/// Gives each member of the object `line` is, in order, to `member` as the span of its name and
/// of its value in `line` (quotes included). `None` when `line` is not one JSON object, with
/// nothing but whitespace around it (some members may have been given by then).
pub fn members(line: &str, mut member: impl FnMut((usize, usize), (usize, usize))) -> Option<()> {
    let bytes = line.as_bytes();
    let at = space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let end = object_end(bytes, at, 1, &mut member)?;
    (space(bytes, end) == bytes.len()).then_some(())
}

/// Past Jackson's whitespace at `at`: space, tab, line feed and carriage return.
pub fn space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// Past the object whose `{` is at `at`, `depth` deep, giving each member to `member`.
fn object_end(
    bytes: &[u8],
    at: usize,
    depth: usize,
    member: &mut impl FnMut((usize, usize), (usize, usize)),
) -> Option<usize> {
    let mut at = space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Some(at + 1);
    }
    loop {
        let name = (at, string_end(bytes, at)?);
        at = space(bytes, name.1);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = space(bytes, at + 1);
        let end = value_end(bytes, at, depth)?;
        member(name, (at, end));
        at = space(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = space(bytes, at + 1),
            Some(b'}') => return Some(at + 1),
            _ => return None,
        }
    }
}

/// Past the array whose `[` is at `at`, `depth` deep.
fn array_end(bytes: &[u8], at: usize, depth: usize) -> Option<usize> {
    let mut at = space(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Some(at + 1);
    }
    loop {
        at = space(bytes, value_end(bytes, at, depth)?);
        match bytes.get(at) {
            Some(b',') => at = space(bytes, at + 1),
            Some(b']') => return Some(at + 1),
            _ => return None,
        }
    }
}

/// Past the value at `at`, in a container `depth` deep.
fn value_end(bytes: &[u8], at: usize, depth: usize) -> Option<usize> {
    let token = |from: usize, word: &[u8]| {
        let end = from + word.len();
        (bytes.get(from..end) == Some(word)).then_some(end)
    };
    match *bytes.get(at)? {
        b'{' | b'[' if depth >= MAX_DEPTH => None,
        b'{' => object_end(bytes, at, depth + 1, &mut |_, _| ()),
        b'[' => array_end(bytes, at, depth + 1),
        b'"' | b'\'' => string_end(bytes, at),
        b't' => token(at, b"true"),
        b'f' => token(at, b"false"),
        b'n' => token(at, b"null"),
        b'N' => token(at, b"NaN"),
        b'I' => token(at, b"Infinity"),
        // Jackson reads `+INF` or `+Infinity` by the letter after the `I`.
        b'+' | b'-' if bytes.get(at + 1) == Some(&b'I') => match bytes.get(at + 2) {
            Some(b'N') => token(at + 1, b"INF"),
            _ => token(at + 1, b"Infinity"),
        },
        b'-' | b'0'..=b'9' => flat_json::number_end(bytes, at),
        _ => None,
    }
}

/// Past the string whose opening quote, `"` or `'`, is at `at`: to the same quote, over escapes
/// (`\"`, `\'`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\u` with four hex digits), with no
/// control character in it.
pub fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let quote = *bytes.get(at).filter(|b| matches!(b, b'"' | b'\''))?;
    let mut i = at + 1;
    loop {
        match *bytes.get(i)? {
            b if b == quote => return Some(i + 1),
            b'\\' => match *bytes.get(i + 1)? {
                b'"' | b'\'' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if bytes.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

#[cfg(test)]
#[path = "spark_json_tests.rs"]
mod tests;

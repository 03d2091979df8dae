//! The text Spark 3.5's `from_json` gives a JSON value in a STRING column (and a member's name):
//!
//! - a string is its characters, escapes read; a UTF-16 surrogate that is not half of a pair
//!   (`"\ud800"`) is a `?`, as Java's UTF-8 encoder writes it (`UTF8String.fromString`);
//! - anything else is written anew by Jackson (`copyCurrentStructure`): compact, a whole number
//!   as it is (`-0` as `0`), any other number as Java's `Double.toString` of it (`1e2` is
//!   `100.0`, `1.10` is `1.1`), `NaN` and the infinities (`1e400` too) as strings
//!   (`"Infinity"`), strings in double quotes with Jackson's escapes: `\"`, `\\`, `\b`, `\t`,
//!   `\n`, `\f`, `\r`, `\u00XX` for the other control characters, and `\uXXXX` for each half of a
//!   character past U+FFFF and for a lone surrogate, in upper-case hex.
//!
//! Values are those [`super::spark_json`] (or [`super::flat_json`]) found: read here without
//! checking them again, and never with a panic whatever they hold.

use super::spark_json::{Kind, kind, non_numeric, space, string_end};
use crate::engine::text::push_java_double;

/// A piece of a JSON string: text as it is, an escaped character, or a lone surrogate.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
    Lone(u16),
}

/// Gives the pieces of the string `raw` (its quotes included) to `piece`, in order.
fn pieces<'a>(raw: &'a str, mut piece: impl FnMut(Piece<'a>)) {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    let mut rest = inner;
    while let Some(slash) = rest.find('\\') {
        if slash > 0 {
            piece(Piece::Text(&rest[..slash]));
        }
        let escape = &rest[slash..];
        let (read, len) = match escape.as_bytes().get(1) {
            Some(b'b') => (Piece::Char('\u{8}'), 2),
            Some(b'f') => (Piece::Char('\u{c}'), 2),
            Some(b'n') => (Piece::Char('\n'), 2),
            Some(b'r') => (Piece::Char('\r'), 2),
            Some(b't') => (Piece::Char('\t'), 2),
            Some(b'u') => unicode(escape),
            Some(&c) => (Piece::Char(char::from(c)), 2),
            None => (Piece::Text(""), 1),
        };
        piece(read);
        rest = escape.get(len..).unwrap_or("");
    }
    if !rest.is_empty() {
        piece(Piece::Text(rest));
    }
}

/// The character of the `\uXXXX` escape `escape` starts with (two, a surrogate pair), and how
/// many bytes it takes.
fn unicode(escape: &str) -> (Piece<'static>, usize) {
    let unit = |at: usize| {
        let hex = escape.get(at..at + 6)?.strip_prefix("\\u")?;
        u16::from_str_radix(hex, 16).ok()
    };
    let Some(first) = unit(0) else {
        return (Piece::Text(""), escape.len());
    };
    if let Some(c) = char::from_u32(u32::from(first)) {
        return (Piece::Char(c), 6);
    }
    match unit(6) {
        Some(second) if (0xd800..0xdc00).contains(&first) && (0xdc00..0xe000).contains(&second) => {
            let c = 0x10000 + ((u32::from(first) - 0xd800) << 10) + (u32::from(second) - 0xdc00);
            (Piece::Char(char::from_u32(c).unwrap_or('?')), 12)
        }
        _ => (Piece::Lone(first), 6),
    }
}

/// Appends the text of the string `raw` (its quotes included, either kind) to `out`, as Spark
/// reads it. False when it held a lone surrogate (written `?`): as a member's name, such a string
/// is no column's.
pub fn push_string(raw: &str, out: &mut String) -> bool {
    let mut whole = true;
    pieces(raw, |piece| match piece {
        Piece::Text(text) => out.push_str(text),
        Piece::Char(c) => out.push(c),
        Piece::Lone(_) => {
            whole = false;
            out.push('?');
        }
    });
    whole
}

/// Appends `raw`, a JSON value, as Jackson writes it anew (see the module's doc); a string is
/// quoted and escaped (Spark gives a STRING column a string's own text: [`push_string`]).
pub fn push_generated(raw: &str, out: &mut String) {
    generate(raw.as_bytes(), raw, 0, out);
}

/// Writes the value at `at` of `line` (`bytes`) to `out`, and returns where it ends.
fn generate(bytes: &[u8], line: &str, at: usize, out: &mut String) -> usize {
    let (open, close) = match bytes.get(at) {
        Some(b'{') => ('{', b'}'),
        Some(b'[') => ('[', b']'),
        _ => return generate_scalar(bytes, line, at, out),
    };
    out.push(open);
    let mut at = space(bytes, at + 1);
    let mut first = true;
    while at < bytes.len() && bytes[at] != close {
        if !first {
            out.push(',');
        }
        first = false;
        if close == b'}' {
            at = space(bytes, generate_scalar(bytes, line, at, out));
            out.push(':');
            at = space(bytes, at + 1);
        }
        at = space(bytes, generate(bytes, line, at, out));
        if bytes.get(at) == Some(&b',') {
            at = space(bytes, at + 1);
        }
    }
    out.push(char::from(close));
    at + 1
}

/// Writes the string, number or literal at `at` of `line` to `out`, and returns where it ends.
fn generate_scalar(bytes: &[u8], line: &str, at: usize, out: &mut String) -> usize {
    let end = match bytes.get(at) {
        Some(b'"' | b'\'') => string_end(bytes, at),
        _ => bytes[at.min(bytes.len())..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            .map(|n| at + n),
    }
    .unwrap_or(bytes.len())
    .max(at + 1); // always on, whatever `line` holds
    let raw = line.get(at..end).unwrap_or("");
    match kind(raw) {
        Kind::String => push_quoted(raw, out),
        Kind::Integer if raw == "-0" => out.push('0'),
        Kind::Float => push_double(raw.parse().unwrap_or(f64::NAN), out),
        Kind::NonNumeric => push_double(non_numeric(raw), out),
        _ => out.push_str(raw),
    }
    end
}

/// Jackson's `writeNumber(double)`: `Double.toString`, or in quotes when not finite.
fn push_double(v: f64, out: &mut String) {
    if v.is_finite() {
        push_java_double(out, v);
    } else {
        out.push('"');
        push_java_double(out, v);
        out.push('"');
    }
}

/// Jackson's `writeString`: the string `raw` in double quotes, escaped as the module's doc says.
fn push_quoted(raw: &str, out: &mut String) {
    out.push('"');
    pieces(raw, |piece| match piece {
        Piece::Text(text) => {
            if text
                .bytes()
                .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0xf0)
            {
                out.push_str(text);
            } else {
                text.chars().for_each(|c| push_escaped(c, out));
            }
        }
        Piece::Char(c) => push_escaped(c, out),
        Piece::Lone(unit) => push_unit(unit, out),
    });
    out.push('"');
}

/// One character of a string Jackson writes.
fn push_escaped(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        '\0'..='\u{1f}' | '\u{10000}'.. => {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                push_unit(*unit, out);
            }
        }
        _ => out.push(c),
    }
}

/// `\uXXXX`, in upper-case hex.
fn push_unit(unit: u16, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

#[cfg(test)]
#[path = "spark_json_text_tests.rs"]
mod tests;

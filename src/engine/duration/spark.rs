//! Spark 3.5's own readers of interval strings, ported: `IntervalUtils.stringToInterval` (what
//! `CAST(s AS INTERVAL)` does) and the SQL parser's interval literals (`interval 1 hour`,
//! `interval '1:30' minute to second`), as `fromIntervalString` uses them.

use std::fmt::Write as _;

use super::{
    Bad, Interval, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MILLI, MICROS_PER_MINUTE,
    MICROS_PER_SECOND,
};

/// `stringToInterval` ignores these at both ends (`UTF8String.trimAll`)...
fn trim_all(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ' || c == '\x7f')
}

/// ...and splits on these (`Character.isWhitespace` on a byte).
fn is_ws(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | 0x1c..=b' ')
}

#[derive(Clone, Copy)]
enum Field {
    Months,
    Days,
    Micros,
}

/// `stringToInterval`'s units, matched as prefixes, with the field and scale each adds to.
const UNITS: [(&str, Field, i64); 9] = [
    ("year", Field::Months, 12),
    ("month", Field::Months, 1),
    ("week", Field::Days, 7),
    ("day", Field::Days, 1),
    ("hour", Field::Micros, MICROS_PER_HOUR),
    ("minute", Field::Micros, MICROS_PER_MINUTE),
    ("second", Field::Micros, MICROS_PER_SECOND),
    ("millisecond", Field::Micros, MICROS_PER_MILLI),
    ("microsecond", Field::Micros, 1),
];

/// The whitespace-delimited word at `i`, for error messages.
fn word_at(s: &str, i: usize) -> String {
    let rest = &s.as_bytes()[i..];
    let end = rest.iter().position(|&b| is_ws(b)).unwrap_or(rest.len());
    String::from_utf8_lossy(&rest[..end]).into_owned()
}

/// A port of Spark 3.5's `IntervalUtils.stringToInterval` state machine.
pub(super) fn cast(text: &str) -> Result<Interval, Bad> {
    let lower = trim_all(text).to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut at = 0;
    if bytes.is_empty() {
        return Err(Bad::Empty);
    }
    if bytes.starts_with(b"interval") {
        match bytes.get(8) {
            None => return Err(Bad::Empty),
            Some(&c) if is_ws(c) => at = 9,
            Some(_) => return Err(Bad::Syntax),
        }
    }
    let mut interval = Interval::default();
    loop {
        skip_ws(bytes, &mut at);
        if at == bytes.len() {
            return Ok(interval);
        }
        let (value, fraction, has_point) = number(bytes, &mut at)?;
        skip_ws(bytes, &mut at);
        if at == bytes.len() {
            return Err(Bad::Syntax);
        }
        let word = word_at(&lower, at);
        if has_point && bytes[at] != b's' {
            return Err(Bad::Fraction(word));
        }
        let &(unit, field, scale) = UNITS
            .iter()
            .find(|(unit, ..)| bytes[at..].starts_with(unit.as_bytes()))
            .ok_or_else(|| Bad::Unit(word.clone()))?;
        add_term(&mut interval, field, scale, value, fraction).ok_or(Bad::Overflow)?;
        at += unit.len();
        if bytes.get(at) == Some(&b's') {
            at += 1;
        }
        match bytes.get(at) {
            None => return Ok(interval),
            Some(&c) if is_ws(c) => at += 1,
            Some(_) => return Err(Bad::Unit(word)),
        }
    }
}

fn skip_ws(bytes: &[u8], at: &mut usize) {
    while bytes.get(*at).is_some_and(|&c| is_ws(c)) {
        *at += 1;
    }
}

/// One signed number of `stringToInterval`, up to the whitespace after it: the whole part,
/// the fraction in µs (truncated from at most 9 digits), and whether it had a point.
fn number(bytes: &[u8], at: &mut usize) -> Result<(i64, i64, bool), Bad> {
    const FIRST_WEIGHT: i64 = 100_000_000; // of the first fractional digit, in nanoseconds
    let (mut value, mut fraction, mut weight) = (0i64, 0i64, None);
    let negative = bytes[*at] == b'-';
    let point_first = bytes[*at] == b'.';
    match bytes[*at] {
        b'-' | b'+' => *at += 1,
        b'0'..=b'9' => {}
        b'.' => (weight, *at) = (Some(FIRST_WEIGHT), *at + 1),
        _ => return Err(Bad::Syntax),
    }
    if weight.is_none() {
        skip_ws(bytes, at);
        loop {
            let c = *bytes.get(*at).ok_or(Bad::Syntax)?;
            *at += 1;
            match c {
                b'0'..=b'9' => {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(i64::from(c - b'0')))
                        .ok_or(Bad::Overflow)?;
                }
                b'.' => {
                    weight = Some(FIRST_WEIGHT);
                    break;
                }
                c if is_ws(c) => break,
                _ => return Err(Bad::Syntax),
            }
        }
    }
    let has_point = weight.is_some();
    if let Some(mut weight) = weight {
        loop {
            let c = *bytes.get(*at).ok_or(Bad::Syntax)?;
            *at += 1;
            if c.is_ascii_digit() && weight > 0 {
                fraction += i64::from(c - b'0') * weight;
                weight /= 10;
            } else if is_ws(c) && (!point_first || weight < FIRST_WEIGHT) {
                fraction /= 1_000;
                break;
            } else {
                return Err(Bad::Syntax);
            }
        }
    }
    Ok(if negative {
        (-value, -fraction, has_point)
    } else {
        (value, fraction, has_point)
    })
}

/// Adds `value` units (and, for seconds, `fraction` µs) with Spark's overflow checks.
fn add_term(
    into: &mut Interval,
    field: Field,
    scale: i64,
    value: i64,
    fraction: i64,
) -> Option<()> {
    let int_field = |slot: i32| {
        if scale == 1 {
            slot.checked_add(i32::try_from(value).ok()?)
        } else {
            i32::try_from(i64::from(slot).checked_add(value.checked_mul(scale)?)?).ok()
        }
    };
    match field {
        Field::Months => into.months = int_field(into.months)?,
        Field::Days => into.days = int_field(into.days)?,
        Field::Micros => {
            let micros = into.micros.checked_add(value.checked_mul(scale)?)?;
            into.micros = micros.checked_add(fraction)?;
        }
    }
    Some(())
}

/// A token of Spark's SQL lexer, as far as interval literals need.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Number(String),
    Quoted(String),
    Sign(u8),
}

/// Spark's SQL lexer, for the tokens an interval literal can hold; refuses any other token.
fn lex(text: &str) -> Result<Vec<Token>, Bad> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let start = i;
        if matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else if rest.starts_with(b"--") {
            i += rest
                .iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .unwrap_or(rest.len());
        } else if rest.starts_with(b"/*") && !rest.starts_with(b"/*+") {
            let mut depth = 0;
            loop {
                match &b[i..] {
                    [] => return Err(Bad::Syntax),
                    [b'/', b'*', ..] => (depth, i) = (depth + 1, i + 2),
                    [b'*', b'/', ..] => (depth, i) = (depth - 1, i + 2),
                    _ => i += 1,
                }
                if depth == 0 {
                    break;
                }
            }
        } else if let quote @ (b'\'' | b'"') = b[i] {
            let mut end = i + 1;
            while b.get(end) != Some(&quote) {
                end += if *b.get(end).ok_or(Bad::Syntax)? == b'\\' {
                    2
                } else {
                    1
                };
            }
            tokens.push(Token::Quoted(unescape(&text[i + 1..end])?));
            i = end + 1;
        } else if let sign @ (b'+' | b'-') = b[i] {
            tokens.push(Token::Sign(sign));
            i += 1;
        } else if b[i].is_ascii_digit()
            || (b[i] == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit))
        {
            i += rest
                .iter()
                .position(|c| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if b.get(i) == Some(&b'.') {
                i += 1;
                i += b[i..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .unwrap_or(b.len() - i);
            }
            if b.get(i).is_some_and(|&c| word(c)) {
                return Err(Bad::Syntax);
            }
            tokens.push(Token::Number(text[start..i].to_string()));
        } else if word(b[i]) {
            i += rest.iter().position(|&c| !word(c)).unwrap_or(rest.len());
            tokens.push(Token::Word(text[start..i].to_ascii_lowercase()));
        } else {
            return Err(Bad::Syntax);
        }
    }
    Ok(tokens)
}

/// Spark's `unescapeSQLString` for the inside of a quoted literal: `\\n`, `\\t`, `\\u0041`,
/// `\\101`, and `\\x` for any other `x`.
fn unescape(quoted: &str) -> Result<String, Bad> {
    let chars: Vec<char> = quoted.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        at += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let tail: String = chars[at..].iter().take(5).collect();
        if let Some(hex) = tail
            .strip_prefix('u')
            .filter(|hex| hex.chars().count() == 4)
        {
            let code = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
            out.push(code.ok_or(Bad::Syntax)?);
            at += 5;
            continue;
        }
        let octal = tail
            .get(..3)
            .filter(|o| o.starts_with(['0', '1']) && o.bytes().all(|d| (b'0'..=b'7').contains(&d)));
        if let Some(octal) = octal.and_then(|o| u8::from_str_radix(o, 8).ok()) {
            out.push(char::from(octal));
            at += 3;
            continue;
        }
        match chars[at] {
            '0' => out.push('\0'),
            'b' => out.push('\u{8}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'Z' => out.push('\u{1a}'),
            e @ ('%' | '_') => out.extend(['\\', e]),
            e => out.push(e),
        }
        at += 1;
    }
    Ok(out)
}

/// The units Spark's SQL grammar allows in `interval 1 hour 30 minutes`.
pub(super) fn sql_unit(word: &str) -> Option<&str> {
    let unit = word.strip_suffix('s').unwrap_or(word);
    UNITS.iter().any(|(name, ..)| *name == unit).then_some(unit)
}

/// The value Spark's parser gives `-'…'`: drops a leading `-` or adds one.
fn negated(value: &str) -> String {
    value
        .strip_prefix('-')
        .map_or_else(|| format!("-{value}"), str::to_string)
}

/// `CatalystSqlParser.parseExpression` for an expression that must be an interval literal.
pub(super) fn sql_literal(text: &str) -> Result<Interval, Bad> {
    let tokens = lex(text)?;
    let body = match tokens.split_first() {
        Some((Token::Word(first), body)) if first == "interval" => body,
        _ => return Err(Bad::Syntax),
    };
    let (minus, unsigned) = match body {
        [Token::Sign(sign), rest @ ..] => (*sign == b'-', rest),
        _ => (false, body),
    };
    match (body, unsigned) {
        ([], _) => Err(Bad::Empty),
        // A typed literal: `interval '1 day 2 hours'`.
        ([Token::Quoted(value)], _) => ansi(
            cast(value)?,
            value.split(is_java_space).map(str::to_ascii_lowercase),
        ),
        (
            _,
            [
                value,
                Token::Word(from),
                Token::Word(to_word),
                Token::Word(to),
            ],
        ) if to_word == "to" => {
            let Token::Quoted(value) = value else {
                return Err(Bad::Syntax);
            };
            let value = if minus { negated(value) } else { value.clone() };
            unit_to_unit(trim_all(&value), from, to).ok_or(Bad::Syntax)
        }
        _ => multi_units(body),
    }
}

fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `interval 1 hour 30 minutes`, `interval '10' second`: Spark joins the pairs and reads them
/// with `stringToInterval`.
fn multi_units(mut tokens: &[Token]) -> Result<Interval, Bad> {
    let (mut joined, mut units) = (String::new(), Vec::new());
    while !tokens.is_empty() {
        let sign = match tokens {
            [Token::Sign(sign), rest @ ..] => {
                tokens = rest;
                Some(*sign)
            }
            _ => None,
        };
        let value = match tokens.first() {
            Some(Token::Number(number)) => sign
                .map(char::from)
                .into_iter()
                .chain(number.chars())
                .collect(),
            Some(Token::Quoted(value)) if value.chars().any(char::is_alphabetic) => {
                return Err(Bad::Syntax);
            }
            Some(Token::Quoted(value)) if sign == Some(b'-') => negated(value),
            Some(Token::Quoted(value)) => value.clone(),
            _ => return Err(Bad::Syntax),
        };
        let unit = match tokens.get(1) {
            Some(Token::Word(word)) => sql_unit(word).ok_or_else(|| Bad::Unit(word.clone()))?,
            _ => return Err(Bad::Syntax),
        };
        write!(joined, "{value} {unit} ").expect("writing to a String");
        units.push(unit.to_string());
        tokens = &tokens[2..];
    }
    ansi(cast(&joined)?, units.into_iter())
}

/// Spark 3.5 turns interval literals into ANSI year-month or day-time intervals: mixing the
/// two kinds of unit is refused, and a day-time one keeps only its length.
fn ansi(interval: Interval, words: impl Iterator<Item = String>) -> Result<Interval, Bad> {
    let (mut year_month, mut day_time) = (false, false);
    for word in words {
        let unit = word.strip_suffix('s').unwrap_or(&word);
        if unit == "interval" || unit.is_empty() || !unit.bytes().all(|c| c.is_ascii_lowercase()) {
            continue;
        }
        *(if unit == "year" || unit == "month" {
            &mut year_month
        } else {
            &mut day_time
        }) = true;
    }
    match (year_month, day_time) {
        (true, true) => Err(Bad::Mixed),
        (true, false) => Ok(Interval {
            months: interval.months,
            ..Interval::default()
        }),
        (false, true) => {
            let micros = interval.length(31).ok_or(Bad::Overflow)?.0;
            Ok(Interval {
                micros,
                ..Interval::default()
            })
        }
        (false, false) => Err(Bad::Syntax),
    }
}

/// `interval '1 02:03:04.5' day to second` and the like; `None` where Spark refuses.
fn unit_to_unit(value: &str, from: &str, to: &str) -> Option<Interval> {
    let (negative, body) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+' | b'|') => (false, &value[1..]),
        _ => (false, value),
    };
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|c| c.is_ascii_digit()))
            .then_some(())?;
        s.parse::<i64>().ok()
    };
    if (from, to) == ("year", "month") {
        let (years, months) = body.split_once('-')?;
        let (years, months) = (digits(years, 19)?, digits(months, 19)?);
        (years <= i64::from(i32::MAX / 12) && months <= 11).then_some(())?;
        let total = i32::try_from(years * 12 + months).ok()?;
        return Some(Interval {
            months: if negative { -total } else { total },
            ..Interval::default()
        });
    }
    let (first_max, fields) = match (from, to) {
        ("day", "hour") => (9, 2),
        ("day", "minute") => (9, 3),
        ("day", "second") => (9, 4),
        ("hour", "minute") => (10, 2),
        ("hour", "second") => (10, 3),
        ("minute", "second") => (12, 2),
        _ => return None,
    };
    let (clock, nanos) = match body.split_once('.') {
        Some((clock, nanos)) if to == "second" => (clock, Some(nanos)),
        Some(_) => return None,
        None => (body, None),
    };
    let parts: Vec<&str> = if from == "day" {
        let (days, time) = clock.split_once(' ')?;
        std::iter::once(days).chain(time.split(':')).collect()
    } else {
        clock.split(':').collect()
    };
    (parts.len() == fields).then_some(())?;
    // The unit of each part and the largest value Spark allows in it.
    let units: &[(i64, i64)] = match from {
        "day" => &[
            (MICROS_PER_DAY, i64::MAX / MICROS_PER_DAY),
            (MICROS_PER_HOUR, 23),
            (MICROS_PER_MINUTE, 59),
            (MICROS_PER_SECOND, 59),
        ],
        "hour" => &[
            (MICROS_PER_HOUR, i64::MAX / MICROS_PER_HOUR),
            (MICROS_PER_MINUTE, 59),
            (MICROS_PER_SECOND, 59),
        ],
        _ => &[
            (MICROS_PER_MINUTE, i64::MAX / MICROS_PER_MINUTE),
            (MICROS_PER_SECOND, 59),
        ],
    };
    let mut micros: i64 = 0;
    for (k, (part, &(unit, max))) in parts.iter().zip(units).enumerate() {
        let n = digits(part, if k == 0 { first_max } else { 2 })?;
        (n <= max).then_some(())?;
        micros = micros.checked_add(n * unit * if negative { -1 } else { 1 })?;
    }
    if let Some(nanos) = nanos {
        digits(nanos, 9)?;
        let padded = format!("{nanos:0<9}");
        let fraction = digits(&padded, 9)? / 1_000;
        micros = micros.checked_add(if negative { -fraction } else { fraction })?;
    }
    Some(Interval {
        micros,
        ..Interval::default()
    })
}

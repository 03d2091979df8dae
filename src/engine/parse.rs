//! Text cells read as values of their column's type, as Spark's CSV reader casts them:
//! integers in their type's range (Java's `parseLong`: digits of any script, `٣` is 3), doubles
//! and floats as Java reads them (`NaN`, `Infinity`, `1e5`), booleans `true`/`false` in any
//! case, timestamps as Spark reads them (RFC 3339 and Spark's other forms, see
//! [`super::time::TimestampParser::parse`]; a time without an offset is read in the session
//! time zone). A cell that does not fit is an error saying why, which the sources count as a
//! rejected row.

use super::time::{MICROS_PER_MILLI, Micros, TimestampError, TimestampParser};
use super::types::{DataType, Value};
use super::zone::Zone;

mod java_int;

/// Why a cell is not a value of its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellError {
    #[error("{text:?} is not a valid {ty}")]
    NotA { ty: DataType, text: String },
    #[error("{text:?} is out of range for {ty}")]
    OutOfRange { ty: DataType, text: String },
    #[error(transparent)]
    Time(#[from] TimestampError),
}

/// Epoch milliseconds taken for a timestamp: years 0001 to 9999, as RFC 3339 allows.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// Reads text cells; keeps the timestamp parser's cache between cells.
#[derive(Debug, Clone)]
pub struct CellParser {
    times: TimestampParser,
    /// A whole number is a timestamp in epoch milliseconds (window-tui's `TIMESTAMP,VALUE`
    /// lines), not an error.
    epoch_millis: bool,
}

impl CellParser {
    /// A parser reading times without an offset in `zone`.
    pub fn new(zone: Zone) -> Self {
        CellParser {
            times: TimestampParser::in_zone(zone),
            epoch_millis: false,
        }
    }

    /// Also reads a whole number in a TIMESTAMP column as epoch milliseconds.
    #[must_use]
    pub fn with_epoch_millis(mut self) -> Self {
        self.epoch_millis = true;
        self
    }

    /// The timestamp in `text`.
    #[inline]
    pub fn timestamp(&mut self, text: &str) -> Result<Micros, CellError> {
        let bytes = text.as_bytes();
        if self.epoch_millis
            && !bytes.is_empty()
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-' && bytes.len() > 1))
        {
            let millis: i64 = text.parse().map_err(|_| CellError::OutOfRange {
                ty: DataType::Timestamp,
                text: text.into(),
            })?;
            if !(MIN_MILLIS..=MAX_MILLIS).contains(&millis) {
                return Err(CellError::OutOfRange {
                    ty: DataType::Timestamp,
                    text: text.into(),
                });
            }
            return Ok(millis * MICROS_PER_MILLI);
        }
        Ok(self.times.parse(bytes)?)
    }

    /// [`CellParser::parse`] of raw bytes, for the readers' fast paths: `None` whenever the
    /// cell is not plainly a value (not UTF-8, not of the type, out of range), so that the
    /// general path, which says why, looks at it. Integers and timestamps are read from the
    /// bytes themselves; the other types go through [`CellParser::parse`].
    #[allow(clippy::inline_always)] // per cell of replay's hot loop, where it folds into the match
    #[inline(always)]
    pub fn parse_bytes<'a>(&mut self, ty: DataType, bytes: &'a [u8]) -> Option<Value<'a>> {
        match ty {
            DataType::Timestamp if !self.epoch_millis => {
                self.times.parse(bytes).ok().map(Value::Timestamp)
            }
            DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
                in_range(ty, parse_i64(bytes)?)
            }
            DataType::String => std::str::from_utf8(bytes).ok().map(Value::Str),
            _ => self.parse(ty, std::str::from_utf8(bytes).ok()?).ok(),
        }
    }

    /// [`CellParser::parse_bytes`] of the integer cell `data[start..end]`, of integral type
    /// `ty`: one to eight digits followed by at least eight bytes in `data` (the rest of the
    /// row, the next one) are read as one word.
    #[allow(clippy::inline_always)] // per integer cell of replay's hot loop
    #[inline(always)]
    pub fn integer_in<'a>(
        &mut self,
        ty: DataType,
        data: &'a [u8],
        (start, end): (usize, usize),
    ) -> Option<Value<'a>> {
        match short_digits(data, (start, end)) {
            Some(v) => in_range(ty, v),
            None => self.parse_bytes(ty, &data[start..end]),
        }
    }

    /// `text` as a value of type `ty` (never NULL: the caller decides what text is NULL).
    #[inline]
    pub fn parse<'a>(&mut self, ty: DataType, text: &'a str) -> Result<Value<'a>, CellError> {
        let not_a = || CellError::NotA {
            ty,
            text: text.into(),
        };
        Ok(match ty {
            DataType::String => Value::Str(text),
            DataType::Timestamp => Value::Timestamp(self.timestamp(text)?),
            DataType::Boolean => {
                if text.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if text.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    return Err(not_a());
                }
            }
            DataType::Double => Value::Double(java_float(text).ok_or_else(not_a)?),
            DataType::Float => Value::Float(java_float::<f32>(text).ok_or_else(not_a)?),
            DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
                // Java's parseLong (digits of any script), where Rust's (ASCII) refuses.
                let v = text
                    .parse::<i64>()
                    .or_else(|_| java_int::parse_long(text))
                    .map_err(|e| match e {
                        java_int::NotWhole::Overflow => CellError::OutOfRange {
                            ty,
                            text: text.into(),
                        },
                        java_int::NotWhole::Syntax => not_a(),
                    })?;
                let (min, max) = ty.integer_range().unwrap_or((i64::MIN, i64::MAX));
                if !(min..=max).contains(&v) {
                    return Err(CellError::OutOfRange {
                        ty,
                        text: text.into(),
                    });
                }
                Value::Long(v)
            }
        })
    }
}

/// A whole number as `i64::from_str` reads it (an optional sign, then digits); `None` for
/// anything else, on overflow, and past 19 digits (which only leading zeros keep in range: the
/// general path reads those).
#[inline]
fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    if digits.len() <= 18 {
        // Eighteen digits cannot overflow: no checked arithmetic.
        let mut n: i64 = 0;
        for &d in digits {
            let d = d.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + i64::from(d);
        }
        return Some(if negative { -n } else { n });
    }
    let mut n: i64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // Accumulate negatively, so that i64::MIN fits.
        n = n.checked_mul(10)?.checked_sub(i64::from(d))?;
    }
    if negative { Some(n) } else { n.checked_neg() }
}

/// `v` as a value of the integral type `ty`, when in its range.
#[inline]
fn in_range(ty: DataType, v: i64) -> Option<Value<'static>> {
    let (min, max) = ty.integer_range().unwrap_or((i64::MIN, i64::MAX));
    (min..=max).contains(&v).then_some(Value::Long(v))
}

/// The digits `data[start..end]` as a number, when there are one to eight of them (no sign)
/// and `data` holds eight bytes from `start`: they are read as one word, shifted so that the
/// last digit is its top byte, and the bytes below the first filled with `'0'`.
#[inline]
fn short_digits(data: &[u8], (start, end): (usize, usize)) -> Option<i64> {
    let len = end.checked_sub(start).filter(|len| (1..=8).contains(len))?;
    let word = u64::from_le_bytes(*data.get(start..)?.first_chunk::<8>()?);
    let pad = 8 * (8 - len);
    let zeros = 0x3030_3030_3030_3030 & !(u64::MAX << pad);
    let digits = super::time::parse_8_digits(word << pad | zeros)?;
    i64::try_from(digits).ok()
}

/// A floating-point number as Spark's CSV reader reads one: its `positiveInf` and
/// `negativeInf` (`Inf`, `-Inf`), else as Java's `parseDouble` does (spaces around it dropped;
/// decimal or scientific, with an `f`/`d` suffix or not; `NaN` and `Infinity` with a sign or
/// not, spelled so; no hex, which Java would read). Rust's parser would also take `inf`,
/// `infinity` and `nan` in any case, which Spark reads as no number.
fn java_float<T: std::str::FromStr>(text: &str) -> Option<T> {
    match text {
        "Inf" => return "inf".parse().ok(),
        "-Inf" => return "-inf".parse().ok(),
        _ => {}
    }
    let text = text.trim_matches(|c: char| c <= ' ');
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return (unsigned == "NaN" || unsigned == "Infinity")
            .then(|| text.parse().ok())
            .flatten();
    }
    text.strip_suffix(['d', 'D', 'f', 'F'])
        .unwrap_or(text)
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_their_type() {
        let mut p = CellParser::new(Zone::utc());
        assert_eq!(p.parse(DataType::Long, "-42"), Ok(Value::Long(-42)));
        assert_eq!(p.parse(DataType::Int, "+7"), Ok(Value::Long(7)));
        assert!(matches!(
            p.parse(DataType::Int, "3000000000"),
            Err(CellError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.parse(DataType::Long, "99999999999999999999"),
            Err(CellError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.parse(DataType::Long, "3.0"),
            Err(CellError::NotA { .. })
        ));
        assert!(matches!(
            p.parse(DataType::Byte, "128"),
            Err(CellError::OutOfRange { .. })
        ));
        assert_eq!(
            p.parse(DataType::Double, "0.00025"),
            Ok(Value::Double(0.000_25))
        );
        assert_eq!(p.parse(DataType::Double, "1e3"), Ok(Value::Double(1000.0)));
        assert_eq!(
            p.parse(DataType::Double, "-Infinity"),
            Ok(Value::Double(f64::NEG_INFINITY))
        );
        assert!(matches!(p.parse(DataType::Double, "NaN"), Ok(Value::Double(v)) if v.is_nan()));
        // Spark's CSV reader: its positiveInf and negativeInf, then Java's parseDouble.
        for (text, want) in [
            ("Inf", f64::INFINITY),
            ("-Inf", f64::NEG_INFINITY),
            ("+Infinity", f64::INFINITY),
            (" 2.5 ", 2.5),
            ("1d", 1.0),
            ("-3F", -3.0),
        ] {
            assert_eq!(
                p.parse(DataType::Double, text),
                Ok(Value::Double(want)),
                "{text}"
            );
        }
        assert!(matches!(p.parse(DataType::Double, "-NaN"), Ok(Value::Double(v)) if v.is_nan()));
        assert_eq!(
            p.parse(DataType::Float, "-Inf"),
            Ok(Value::Float(f32::NEG_INFINITY))
        );
        for text in [
            "inf",
            "nan",
            "infinity",
            "Nan",
            "+inf",
            "NaNd",
            "Infinityf",
            "1e",
            "",
        ] {
            assert!(p.parse(DataType::Double, text).is_err(), "{text:?}");
            assert!(p.parse(DataType::Float, text).is_err(), "{text:?}");
        }
        assert!(matches!(
            p.parse(DataType::Double, "abc"),
            Err(CellError::NotA { .. })
        ));
        assert_eq!(p.parse(DataType::Float, "2.5"), Ok(Value::Float(2.5)));
        assert_eq!(p.parse(DataType::Boolean, "TRUE"), Ok(Value::Bool(true)));
        assert!(p.parse(DataType::Boolean, "yes").is_err());
        assert_eq!(p.parse(DataType::String, ""), Ok(Value::Str("")));
        assert_eq!(
            p.parse(DataType::Timestamp, "2026-11-23T17:33:00.5Z"),
            Ok(Value::Timestamp(1_795_455_180_500_000))
        );
        assert!(
            p.parse(DataType::Timestamp, "1795455180000").is_err(),
            "millis are opt-in"
        );
        let mut millis = CellParser::new(Zone::utc()).with_epoch_millis();
        assert_eq!(
            millis.parse(DataType::Timestamp, "1795455180000"),
            Ok(Value::Timestamp(1_795_455_180_000_000))
        );
    }

    proptest::proptest! {
        #[test]
        fn integer_cells_read_in_a_row_as_from_str_reads_them(
            cell in "[+-]?[0-9]{0,10}|[0-9]{0,4}[a-z. /:+-][0-9]{0,3}",
            after in "[,\n0-9a-z]{0,9}",
            ty in proptest::sample::select(&[DataType::Int, DataType::Long, DataType::Short][..]),
        ) {
            let data = format!("x,{cell}{after}");
            let (start, end) = (2, 2 + cell.len());
            let (min, max) = ty.integer_range().unwrap();
            let expected = cell.parse::<i64>().ok().filter(|v| (min..=max).contains(v));
            let got = CellParser::new(Zone::utc()).integer_in(ty, data.as_bytes(), (start, end));
            proptest::prop_assert_eq!(got, expected.map(Value::Long));
        }

        #[test]
        fn whole_numbers_up_to_19_digits_read_as_from_str_reads_them(
            text in "[+-]?[0-9]{0,19}|[+-]?[0-9]{0,15}[a-z. +-][0-9]{0,3}",
        ) {
            proptest::prop_assert_eq!(parse_i64(text.as_bytes()), text.parse::<i64>().ok());
        }
    }

    #[test]
    fn the_fast_path_reads_what_parse_reads_and_leaves_the_rest() {
        let mut p = CellParser::new(Zone::utc());
        let cells = [
            "0",
            "-42",
            "+7",
            "-0",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
            "",
            "-",
            "+",
            "1.5",
            "1e3",
            "NaN",
            " 1",
            "3000000000",
            "128",
            "-129",
            "2026-11-23T17:33:00.5Z",
            "2026-11-23 17:33:00",
            "2026-13-23T17:33:00Z",
            "TRUE",
            "no",
            "日本",
            "\\N",
        ];
        let types = [
            DataType::Byte,
            DataType::Int,
            DataType::Long,
            DataType::Double,
            DataType::Float,
            DataType::Boolean,
            DataType::String,
            DataType::Timestamp,
        ];
        for ty in types {
            for cell in cells {
                // Compared as text: a NaN is not equal to itself.
                assert_eq!(
                    format!("{:?}", p.parse_bytes(ty, cell.as_bytes())),
                    format!("{:?}", p.parse(ty, cell).ok()),
                    "{ty} {cell:?}"
                );
            }
        }
        assert_eq!(p.parse_bytes(DataType::String, b"\xff"), None, "not UTF-8");
        let mut millis = CellParser::new(Zone::utc()).with_epoch_millis();
        assert_eq!(
            millis.parse_bytes(DataType::Timestamp, b"1795455180000"),
            Some(Value::Timestamp(1_795_455_180_000_000))
        );
    }

    #[test]
    fn a_time_without_offset_is_read_in_the_session_zone() {
        let mut paris = CellParser::new(Zone::by_id("Europe/Paris").unwrap());
        assert_eq!(
            paris.parse(DataType::Timestamp, "2026-11-23 18:33:00"),
            Ok(Value::Timestamp(1_795_455_180_000_000))
        );
        assert_eq!(
            paris.parse(DataType::Timestamp, "2026-07-01T12:00:00"),
            paris.parse(DataType::Timestamp, "2026-07-01T10:00:00Z"),
            "summer time"
        );
    }
}

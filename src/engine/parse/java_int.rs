//! Whole numbers as Spark's CSV reader reads an integer cell: Scala's `toInt`, `toLong`, ...,
//! that is Java's `Integer.parseInt` and `Long.parseLong`, which take any decimal digit
//! `Character.digit` knows in a UTF-16 unit (`٣` is 3, `１２` is 12; a digit past the BMP, such
//! as `𝟏`, is two units, neither a digit).

/// The zero of each run of ten decimal digits past ASCII in the BMP, as Java 17 (Unicode 13)
/// has them: `Character.digit(c, 10)` is `c - zero` for `c` in `zero..zero + 10`.
const ZEROS: [u32; 36] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

/// `Character.digit(c, 10)`.
fn digit(c: char) -> Option<i64> {
    if let Some(d) = c.to_digit(10) {
        return Some(i64::from(d));
    }
    let c = u32::from(c);
    let at = ZEROS.partition_point(|&zero| zero <= c).checked_sub(1)?;
    (c - ZEROS[at] < 10).then(|| i64::from(c - ZEROS[at]))
}

/// Why text is no whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotWhole {
    Syntax,
    Overflow,
}

/// `Long.parseLong(text)`: an optional sign, then one or more decimal digits of any script.
pub(super) fn parse_long(text: &str) -> Result<i64, NotWhole> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() {
        return Err(NotWhole::Syntax);
    }
    // Accumulated negatively, so that i64::MIN fits.
    let mut n: i64 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let d = digit(c).ok_or(NotWhole::Syntax)?;
        match n.checked_mul(10).and_then(|n| n.checked_sub(d)) {
            Some(next) => n = next,
            None => overflow = true,
        }
    }
    if overflow {
        return Err(NotWhole::Overflow);
    }
    if negative {
        Ok(n)
    } else {
        n.checked_neg().ok_or(NotWhole::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::super::CellParser;
    use super::*;
    use crate::engine::types::{DataType, Value};
    use crate::engine::zone::Zone;

    /// `PySpark` 3.5.3's CSV reader on each text as TINYINT, SMALLINT, INT, BIGINT, DOUBLE and
    /// FLOAT (`tests/data/spark_timestamps/probe.py`).
    const TABLE: &str = include_str!("../../../tests/data/spark_timestamps/integers.jsonl");

    #[test]
    fn every_probe_reads_as_spark_reads_it() {
        let types = [
            DataType::Byte,
            DataType::Short,
            DataType::Int,
            DataType::Long,
            DataType::Double,
            DataType::Float,
        ];
        let mut cells = CellParser::new(Zone::utc());
        let mut wrong = Vec::new();
        let mut rows = 0;
        for line in TABLE.lines() {
            let row: Vec<serde_json::Value> = serde_json::from_str(line).unwrap();
            let text = row[0].as_str().unwrap();
            rows += 1;
            if text.is_empty() {
                continue; // the reader's NULL, looked for before a cell is parsed
            }
            for (ty, spark) in types.iter().zip(&row[1..]) {
                let ours = cells.parse(*ty, text).ok();
                let agrees = match (spark, ours) {
                    (serde_json::Value::Number(n), Some(Value::Long(v))) => n.as_i64() == Some(v),
                    (serde_json::Value::String(s), Some(Value::Double(v))) if s != "bad" => s
                        .parse::<f64>()
                        .is_ok_and(|w| w.to_bits() == v.to_bits() || w.is_nan() && v.is_nan()),
                    (serde_json::Value::String(s), Some(Value::Float(v))) if s != "bad" => {
                        s.parse::<f64>().is_ok_and(|w| {
                            w.to_bits() == f64::from(v).to_bits() || w.is_nan() && v.is_nan()
                        })
                    }
                    (serde_json::Value::String(s), None) => s == "bad",
                    _ => false,
                };
                if !agrees {
                    wrong.push(format!("{ty} {text:?}: Spark {spark}, window-tui {ours:?}"));
                }
            }
        }
        assert!(rows > 150, "{rows}");
        assert!(wrong.is_empty(), "{}:\n{}", wrong.len(), wrong.join("\n"));
    }

    #[test]
    fn digits_of_any_script_in_the_bmp() {
        assert_eq!(parse_long("٣"), Ok(3));
        assert_eq!(parse_long("-１２"), Ok(-12));
        assert_eq!(parse_long("1٢7"), Ok(127));
        assert_eq!(parse_long("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), Err(NotWhole::Overflow));
        for no in ["", "-", "+", "𝟏", "¹", "Ⅳ", " 3", "3 ", "+-3", "٣.٥"] {
            assert_eq!(parse_long(no), Err(NotWhole::Syntax), "{no:?}");
        }
        // Every zero starts ten digits, none of which is in another run.
        for pair in ZEROS.windows(2) {
            assert!(pair[0] + 10 <= pair[1]);
        }
        assert_eq!(digit('\u{0669}'), Some(9));
        assert_eq!(digit('\u{066A}'), None);
        assert_eq!(digit('\u{FF19}'), Some(9));
        assert_eq!(digit('\u{065F}'), None);
    }
}

//! Durations written the way Spark writes intervals: `30 seconds`, `1 minute 30 seconds`,
//! `500 milliseconds`, `interval 1 hour`, and the short forms `15s`, `1m30s`, `100ms`, `1h`.

use std::fmt;
use std::str::FromStr;

use super::time::{MICROS_PER_MILLI, MICROS_PER_SECOND, Micros};

/// A fixed length of time, in microseconds. It may be negative only as parsed; the query
/// validation refuses negative windows, slides and delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(Micros);

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration (write it like `30 seconds` or `15s`)")]
    Empty,
    #[error("{0:?} is not a duration (write it like `30 seconds` or `15s`)")]
    Syntax(String),
    #[error(
        "{unit:?} is not a time unit in {text:?} (use microseconds, milliseconds, seconds, minutes, hours, days or weeks)"
    )]
    Unit { unit: String, text: String },
    #[error("{0:?} uses months or years, which have no fixed length; use days or weeks")]
    Calendar(String),
    #[error("{0:?} is too long")]
    Overflow(String),
}

const UNITS: &[(&[&str], Micros)] = &[
    (&["us", "µs", "microsecond", "microseconds"], 1),
    (&["ms", "millisecond", "milliseconds"], MICROS_PER_MILLI),
    (
        &["s", "sec", "secs", "second", "seconds"],
        MICROS_PER_SECOND,
    ),
    (
        &["m", "min", "mins", "minute", "minutes"],
        60 * MICROS_PER_SECOND,
    ),
    (
        &["h", "hr", "hrs", "hour", "hours"],
        3_600 * MICROS_PER_SECOND,
    ),
    (&["d", "day", "days"], 86_400 * MICROS_PER_SECOND),
    (&["w", "week", "weeks"], 7 * 86_400 * MICROS_PER_SECOND),
];

const CALENDAR_UNITS: &[&str] = &["mo", "month", "months", "y", "year", "years"];

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_micros(micros: Micros) -> Self {
        Duration(micros)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs * MICROS_PER_SECOND)
    }

    pub const fn micros(self) -> Micros {
        self.0
    }

    /// Whole milliseconds, truncated as Spark's `delayMs` is.
    pub const fn millis(self) -> i64 {
        self.0 / MICROS_PER_MILLI
    }

    /// A standard duration, saturating at the largest this type holds.
    pub fn from_std(d: std::time::Duration) -> Self {
        Duration(Micros::try_from(d.as_micros()).unwrap_or(Micros::MAX))
    }

    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0.max(0).unsigned_abs())
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let lower = trimmed.to_lowercase();
        let body = lower
            .strip_prefix("interval")
            .map_or(lower.as_str(), str::trim_start);
        if body.is_empty() {
            return Err(DurationError::Empty);
        }
        let (negative, body) = match body.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, body.strip_prefix('+').unwrap_or(body).trim_start()),
        };
        let syntax = || DurationError::Syntax(trimmed.to_string());
        let overflow = || DurationError::Overflow(trimmed.to_string());
        let mut total: Micros = 0;
        let mut rest = body;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (number, after) = rest.split_at(number_len);
            if number.is_empty() {
                return Err(syntax());
            }
            let after = after.trim_start();
            let unit_len = after
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(after.len());
            let (unit, after) = after.split_at(unit_len);
            if unit.is_empty() {
                return Err(syntax());
            }
            if CALENDAR_UNITS.contains(&unit) {
                return Err(DurationError::Calendar(trimmed.to_string()));
            }
            let scale = UNITS
                .iter()
                .find(|(names, _)| names.contains(&unit))
                .map(|(_, scale)| *scale)
                .ok_or_else(|| DurationError::Unit {
                    unit: unit.to_string(),
                    text: trimmed.to_string(),
                })?;
            total = total
                .checked_add(scaled(number, scale).ok_or_else(syntax)?)
                .ok_or_else(overflow)?;
            rest = after.trim_start();
        }
        Ok(Duration(if negative { -total } else { total }))
    }
}

/// `number × scale` for a decimal like `1.5`, exact to the microsecond (finer digits are dropped).
fn scaled(number: &str, scale: Micros) -> Option<Micros> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole: Micros = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros = whole.checked_mul(scale)?;
    let mut place = scale;
    for digit in fraction.bytes() {
        place /= 10;
        micros = micros.checked_add(i64::from(digit - b'0') * place)?;
    }
    Some(micros)
}

impl fmt::Display for Duration {
    /// Spark's long form, largest units first: `1 minute 30 seconds`, `500 milliseconds`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0 seconds");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let mut rest = self.0.unsigned_abs();
        let parts = [
            ("day", 86_400_000_000u64),
            ("hour", 3_600_000_000),
            ("minute", 60_000_000),
            ("second", 1_000_000),
            ("millisecond", 1_000),
            ("microsecond", 1),
        ];
        let mut first = true;
        for (name, size) in parts {
            let n = rest / size;
            rest %= size;
            if n > 0 {
                if !first {
                    f.write_str(" ")?;
                }
                first = false;
                write!(f, "{n} {name}{}", if n == 1 { "" } else { "s" })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> f64 {
        text.parse::<Duration>().unwrap().micros() as f64 / 1e6
    }

    #[test]
    fn reads_spark_interval_strings() {
        assert_eq!(secs("30 seconds"), 30.0);
        assert_eq!(secs("1 second"), 1.0);
        assert_eq!(secs("1 minute"), 60.0);
        assert_eq!(secs("10 minutes"), 600.0);
        assert_eq!(secs("1 hour"), 3600.0);
        assert_eq!(secs("500 milliseconds"), 0.5);
        assert_eq!(secs("interval 1 minute 30 seconds"), 90.0);
        assert_eq!(secs("  2 Days "), 172_800.0);
        assert_eq!(secs("1 week"), 604_800.0);
    }

    #[test]
    fn reads_short_forms_and_fractions() {
        assert_eq!(secs("15s"), 15.0);
        assert_eq!(secs("1m"), 60.0);
        assert_eq!(secs("1h"), 3600.0);
        assert_eq!(secs("1m30s"), 90.0);
        assert_eq!(secs("100ms"), 0.1);
        assert_eq!(secs("250us"), 0.000_25);
        assert_eq!(secs("1.5 seconds"), 1.5);
        assert_eq!(secs(".25s"), 0.25);
        assert_eq!(secs("0 seconds"), 0.0);
        assert_eq!(secs("-15 seconds"), -15.0);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        let err = |t: &str| t.parse::<Duration>().unwrap_err();
        assert_eq!(err(""), DurationError::Empty);
        assert_eq!(err("interval"), DurationError::Empty);
        assert!(matches!(err("15"), DurationError::Syntax(_)));
        assert!(matches!(err("seconds"), DurationError::Syntax(_)));
        assert!(matches!(err("1.2.3s"), DurationError::Syntax(_)));
        assert!(matches!(err("15 fortnights"), DurationError::Unit { .. }));
        assert!(matches!(err("1 month"), DurationError::Calendar(_)));
        assert!(matches!(err("1 year"), DurationError::Calendar(_)));
        assert!(matches!(
            err("99999999999999999 weeks"),
            DurationError::Overflow(_) | DurationError::Syntax(_)
        ));
    }

    #[test]
    fn prints_spark_long_form() {
        assert_eq!(Duration::from_secs(30).to_string(), "30 seconds");
        assert_eq!(Duration::from_secs(1).to_string(), "1 second");
        assert_eq!(Duration::from_secs(90).to_string(), "1 minute 30 seconds");
        assert_eq!(
            Duration::from_micros(500_000).to_string(),
            "500 milliseconds"
        );
        assert_eq!(Duration::ZERO.to_string(), "0 seconds");
        assert_eq!(Duration::from_secs(-15).to_string(), "-15 seconds");
    }

    proptest::proptest! {
        #[test]
        fn printing_then_parsing_is_identity(micros in -10_000_000_000_000i64..10_000_000_000_000) {
            let d = Duration::from_micros(micros);
            proptest::prop_assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
        }
    }
}

//! Durations written the way Spark 3.5 writes intervals, read exactly as Spark reads them.
//!
//! Spark reads the string of each use with one of two parsers (checked against `PySpark` 3.5.3):
//!
//! * `window(ts, WINDOW, SLIDE)` and `withWatermark(ts, DELAY)` call `fromIntervalString`. A
//!   string that starts with `interval` is a SQL interval literal: `interval 1 hour 30 minutes`,
//!   `interval '10' second`, `interval '10 seconds'`, `interval '1:30' minute to second`,
//!   `interval '1-2' year to month` (SQL comments allowed; year/month units may not be mixed with
//!   smaller ones). Anything else goes to `stringToInterval`, below.
//! * `session_window(ts, GAP)` casts the gap to an interval, which is `stringToInterval` alone:
//!   `interval 10 seconds` works there, the quoted literal forms do not.
//!
//! `stringToInterval` reads terms `NUMBER UNIT`, any case, separated by whitespace, optionally
//! after `interval `. Units: `microsecond`, `millisecond`, `second`, `minute`, `hour`, `day`,
//! `week`, `month`, `year`, each optionally followed by one `s`; no abbreviations (`sec`, `min`,
//! `ms`, `hr` are refused). Each term has its own sign (`1 minute -30 seconds` is 30 s,
//! `- 10 seconds` is -10 s). Only seconds take a fraction (`1.5 seconds`, `.5 seconds`, at most
//! 9 digits, truncated to the microsecond); `1.5 minutes` is refused. A number must be followed by
//! whitespace: `10seconds` is refused.
//!
//! Per use ([`Duration::parse_for`]): a window or slide must have no months/years and be > 0
//! (a day is 24 hours), and the slide at most the window ([`Duration::check_slide`]); a
//! watermark delay counts a month as 31 days, must be >= 0, and is used in whole milliseconds
//! ([`Duration::millis`]). A session gap Spark cannot cast, or that is <= 0, Spark takes and then
//! drops every event; one with months it adds as calendar months per event. window-tui refuses
//! all three. A gap so long that `event time + gap` overflows fails in Spark at run time
//! ("long overflow"): that is for the engine's checked addition, not for this parser.
//!
//! **window-tui's extension** (not Spark): compact forms with no space, `15s`, `1m`, `1h`,
//! `100ms`, `1m30s`, `250us` (or `250µs`), `2d`, `1w`, lowercase, optional sign and decimals.
//! They are read only when Spark's parser refuses the string, and Spark refuses every one of them
//! (it needs whitespace between number and unit), so no string Spark accepts changes meaning.

use std::fmt;
use std::str::FromStr;

use super::time::{MICROS_PER_MILLI, MICROS_PER_SECOND, Micros};
use spark::{cast, sql_literal, sql_unit};

mod spark;

const MICROS_PER_MINUTE: Micros = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: Micros = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: Micros = 24 * MICROS_PER_HOUR;

/// A fixed length of time, in microseconds. It may be negative only as parsed by `FromStr`;
/// [`Duration::parse_for`] refuses negative windows, slides, gaps and delays as Spark does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Duration(Micros);

/// Which argument of a Spark query a duration string is for: Spark reads and checks them
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// `windowDuration` of `window()`.
    Window,
    /// `slideDuration` of `window()`.
    Slide,
    /// `gapDuration` of `session_window()`.
    SessionGap,
    /// `delayThreshold` of `withWatermark()`.
    Watermark,
}

impl Use {
    fn spark_rule(self) -> &'static str {
        match self {
            Use::Window => "Spark: the `window_duration` must be between (0, 9223372036854775807]",
            Use::Slide => "Spark: the `slide_duration` must be between (0, 9223372036854775807]",
            Use::SessionGap => {
                "Spark takes it but drops every event, so no session is ever emitted"
            }
            Use::Watermark => "Spark: delay threshold should not be negative",
        }
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Use::Window => "window duration",
            Use::Slide => "slide duration",
            Use::SessionGap => "session gap",
            Use::Watermark => "watermark delay",
        })
    }
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration (write it like `30 seconds` or `15s`)")]
    Empty,
    #[error(
        "{0:?} is not a duration (write it like `30 seconds`, `1 minute 30 seconds`, `interval 1 hour` or `15s`)"
    )]
    Syntax(String),
    #[error(
        "{unit:?} is not a time unit in {text:?} (Spark reads microseconds, milliseconds, seconds, minutes, hours, days and weeks, spelled out; window-tui also reads 250us, 100ms, 15s, 1m, 1h, 2d, 1w)"
    )]
    Unit { unit: String, text: String },
    #[error(
        "{text:?} gives {unit:?} a fraction, which Spark allows only on seconds (write it like `1 minute 30 seconds` or `90.5 seconds`)"
    )]
    Fraction { unit: String, text: String },
    #[error(
        "{0:?} uses months or years, which have no fixed length; use days or weeks (Spark's window() says \"Intervals greater than a month is not supported\"; only a watermark delay takes them, a month counting as 31 days)"
    )]
    Calendar(String),
    #[error(
        "{0:?} mixes months or years with smaller units in one `interval` literal, which Spark refuses; use days or weeks"
    )]
    Mixed(String),
    #[error("{0:?} is too long (Spark fails with \"long overflow\")")]
    Overflow(String),
    #[error(
        "{0:?} is SQL interval-literal syntax, which session_window() does not read (Spark would drop every event); write it like `10 seconds`"
    )]
    GapLiteral(String),
    #[error("{what} {text:?} must be greater than 0 ({}); write it like `10 seconds`", .what.spark_rule())]
    NotPositive { what: Use, text: String },
    #[error(
        "watermark delay {0:?} is negative (Spark: \"delay threshold ({0}) should not be negative.\"); use `0 seconds` or more"
    )]
    Negative(String),
    #[error(
        "slide {slide} is longer than window {window} (Spark: the `slide_duration` must be <= the `window_duration`); use a slide of at most {window}"
    )]
    SlideTooLong { slide: Duration, window: Duration },
}

/// Spark's `CalendarInterval`: what Spark makes of an interval string before using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// Spark's `IntervalUtils.fromIntervalString`: what `window()` and `withWatermark()` read.
    ///
    /// # Errors
    /// Where Spark fails with `CANNOT_PARSE_INTERVAL` (or `long overflow`).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let java_trimmed = text.trim_matches(|c: char| c <= ' ');
        let literal = java_trimmed
            .as_bytes()
            .get(..8)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"interval"));
        if literal {
            sql_literal(text)
        } else {
            cast(text)
        }
        .map_err(|bad| bad.error(text))
    }

    /// Spark's `CAST(text AS INTERVAL)` (`stringToInterval`): what `session_window()` reads.
    ///
    /// # Errors
    /// Where Spark's cast gives `NULL`.
    pub fn cast(text: &str) -> Result<Self, DurationError> {
        cast(text).map_err(|bad| bad.error(text))
    }

    /// Spark's `IntervalUtils.getDuration`: the length with `days_per_month`-day months and
    /// 24-hour days, `None` on overflow. Spark's watermark counts a month as 31 days.
    #[must_use]
    pub fn length(self, days_per_month: i64) -> Option<Duration> {
        let months = days_per_month
            .checked_mul(MICROS_PER_DAY)?
            .checked_mul(i64::from(self.months))?;
        let days = MICROS_PER_DAY.checked_mul(i64::from(self.days))?;
        self.micros
            .checked_add(days.checked_add(months)?)
            .map(Duration)
    }
}

/// How a string failed, before the text is attached.
#[derive(Debug)]
enum Bad {
    Empty,
    Syntax,
    Unit(String),
    Fraction(String),
    Overflow,
    Mixed,
}

impl Bad {
    fn error(self, text: &str) -> DurationError {
        let text = text.trim().to_string();
        match self {
            Bad::Empty => DurationError::Empty,
            Bad::Syntax => DurationError::Syntax(text),
            Bad::Unit(unit) => DurationError::Unit { unit, text },
            Bad::Fraction(unit) => DurationError::Fraction { unit, text },
            Bad::Overflow => DurationError::Overflow(text),
            Bad::Mixed => DurationError::Mixed(text),
        }
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    #[must_use]
    pub const fn from_micros(micros: Micros) -> Self {
        Duration(micros)
    }

    #[must_use]
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs * MICROS_PER_SECOND)
    }

    #[must_use]
    pub const fn micros(self) -> Micros {
        self.0
    }

    /// Whole milliseconds, truncated as Spark's `delayMs` is.
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0 / MICROS_PER_MILLI
    }

    #[must_use]
    /// A standard duration, saturating at the largest this type holds.
    pub fn from_std(d: std::time::Duration) -> Self {
        Duration(Micros::try_from(d.as_micros()).unwrap_or(Micros::MAX))
    }

    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0.max(0).unsigned_abs())
    }

    /// Reads `text` as Spark reads the argument `what`, with Spark's value, and refuses what
    /// Spark refuses. Where Spark does not refuse but the query could never work, this refuses
    /// too: a session gap that Spark cannot read, that is not > 0, or that has months (Spark
    /// adds calendar months per event; window-tui needs a fixed gap). Also reads window-tui's
    /// compact extension (`15s`, `1m30s`).
    ///
    /// # Errors
    /// A [`DurationError`] naming the string and saying what would work.
    pub fn parse_for(text: &str, what: Use) -> Result<Self, DurationError> {
        let spark = if what == Use::SessionGap {
            Interval::cast(text)
        } else {
            Interval::parse(text)
        };
        let length = match spark {
            Ok(interval) if what == Use::Watermark => interval
                .length(31)
                .ok_or_else(|| Bad::Overflow.error(text))?,
            Ok(interval) => fixed(interval, text)?,
            Err(err) => match compact(text) {
                Some(read) => read?,
                None if what == Use::SessionGap && Interval::parse(text).is_ok() => {
                    return Err(DurationError::GapLiteral(text.trim().to_string()));
                }
                None => return Err(err),
            },
        };
        match what {
            Use::Watermark if length.0 < 0 => Err(DurationError::Negative(text.trim().to_string())),
            Use::Window | Use::Slide | Use::SessionGap if length.0 <= 0 => {
                Err(DurationError::NotPositive {
                    what,
                    text: text.trim().to_string(),
                })
            }
            _ => Ok(length),
        }
    }

    /// Spark's check between the two lengths of `window(ts, window, slide)`.
    ///
    /// # Errors
    /// [`DurationError::SlideTooLong`] when `slide` is longer than `window`.
    pub fn check_slide(window: Duration, slide: Duration) -> Result<(), DurationError> {
        if slide > window {
            return Err(DurationError::SlideTooLong { slide, window });
        }
        Ok(())
    }
}

/// A window's length: no months, `days × 24 h + micros` (Spark's `TimeWindow`).
fn fixed(interval: Interval, text: &str) -> Result<Duration, DurationError> {
    if interval.months != 0 {
        return Err(DurationError::Calendar(text.trim().to_string()));
    }
    interval.length(0).ok_or_else(|| Bad::Overflow.error(text))
}

impl FromStr for Duration {
    type Err = DurationError;

    /// What `window()` reads, without its sign check: Spark's strings (months refused) and
    /// window-tui's compact extension. Negative values are allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match Interval::parse(text) {
            Ok(interval) => fixed(interval, text),
            Err(err) => compact(text).unwrap_or(Err(err)),
        }
    }
}

/// **window-tui's extension**, not Spark: `15s`, `1m30s`, `100ms`, `250us`, `2d`, `1w`, `1.5s`,
/// lowercase, no spaces. `None` when `text` does not have that shape (Spark's verdict stands).
fn compact(text: &str) -> Option<Result<Duration, DurationError>> {
    let trimmed = text.trim();
    let (negative, mut rest) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: Micros = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 || unit.is_empty()
        {
            return None;
        }
        let scale = match unit {
            "us" | "µs" => 1,
            "ms" => MICROS_PER_MILLI,
            "s" => MICROS_PER_SECOND,
            "m" => MICROS_PER_MINUTE,
            "h" => MICROS_PER_HOUR,
            "d" => MICROS_PER_DAY,
            "w" => 7 * MICROS_PER_DAY,
            _ if sql_unit(&unit.to_ascii_lowercase()).is_some() => return None,
            _ => return Some(Err(Bad::Unit(unit.to_string()).error(text))),
        };
        let Some(sum) = scaled(number, scale).and_then(|part| total.checked_add(part)) else {
            return Some(Err(Bad::Overflow.error(text)));
        };
        total = sum;
        rest = after;
    }
    Some(Ok(Duration(if negative { -total } else { total })))
}

/// `number × scale` for a decimal like `1.5`, truncated to the microsecond.
fn scaled(number: &str, scale: Micros) -> Option<Micros> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole: Micros = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // 18 digits are more than a week needs to be exact to the microsecond.
    let digits = &fraction[..fraction.len().min(18)];
    let part = if digits.is_empty() {
        0
    } else {
        let ten_pow = 10i128.pow(u32::try_from(digits.len()).ok()?);
        i128::from(digits.parse::<u64>().ok()?) * i128::from(scale) / ten_pow
    };
    whole
        .checked_mul(scale)?
        .checked_add(i64::try_from(part).ok()?)
}

impl fmt::Display for Duration {
    /// Spark's long form, largest units first: `1 minute 30 seconds`, `500 milliseconds`. A
    /// negative length gives every term the sign (`-1 minute -30 seconds`), as Spark reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0 seconds");
        }
        let sign = if self.0 < 0 { "-" } else { "" };
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
                write!(f, "{sign}{n} {name}{}", if n == 1 { "" } else { "s" })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

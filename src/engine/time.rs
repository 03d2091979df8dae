//! Event time: microseconds since the Unix epoch, parsed from RFC 3339 without a general parser and
//! formatted the way Spark prints timestamps.
//!
//! The parser is on the replay hot path, so it reads the fixed RFC 3339 layout byte by byte, keeps
//! the last calendar date it converted, and never allocates.

use std::fmt;

pub(crate) use super::calendar::days_from_civil;
use super::calendar::{JavaYear, civil_from_days};
use super::zone::Zone;

mod spark;

/// Microseconds since 1970-01-01T00:00:00Z. Spark's `TimestampType` has the same resolution.
pub type Micros = i64;

pub const MICROS_PER_MILLI: i64 = 1_000;
/// The event time of a row whose event-time column is NULL (no time of years 0000 to 9999 is
/// this). Spark keeps such a row: it is an input row, its `EventTimeWatermarkExec` adds it to
/// the event-time statistics as 0 (1970-01-01, a NULL's bits read as a number), and the
/// window's `IsNotNull` filter then drops it: no window or session, no state, not late, no move
/// of the watermark. The engine does the same ([`super::Batch::push`]).
pub const NULL_EVENT_TIME: Micros = Micros::MIN;
pub const MICROS_PER_SECOND: i64 = 1_000_000;
/// The event times taken: years -125,000 to 125,000, so that the difference of any two, plus a
/// window or a gap of thousands of years, fits in `Micros` (a row near each end in one batch
/// overflowed the engine's pane arithmetic). Spark states `[+-]200 thousand years`, and reads on
/// to about ±290 thousand, where its own window arithmetic overflows. A source refuses a time
/// outside it (text with [`spark`]'s grammar, a JSON number of seconds).
pub const EVENT_TIME_RANGE: std::ops::RangeInclusive<Micros> =
    -4_006_786_176_000_000_000..=3_882_483_359_999_999_999;
const SECONDS_PER_DAY: i64 = 86_400;

/// Why a timestamp was rejected. The text names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error(
        "expected a time as Spark reads it, like 2026-11-23T17:33:14.999999Z or 2026-11-23 17:33:14, got {0:?}"
    )]
    Layout(String),
    #[error("{0} is out of range in {1:?}")]
    Range(&'static str, String),
}

impl TimestampError {
    fn layout(input: &[u8]) -> Self {
        TimestampError::Layout(String::from_utf8_lossy(input).into_owned())
    }
    fn range(what: &'static str, input: &[u8]) -> Self {
        TimestampError::Range(what, String::from_utf8_lossy(input).into_owned())
    }
}

/// Parses RFC 3339 timestamps, remembering the last `YYYY-MM-DDTHH:MM` prefix it converted, so a
/// stream of times within one minute costs only the seconds and the fraction.
#[derive(Debug, Clone)]
pub struct TimestampParser {
    /// The first 16 bytes of the last timestamp, as one number. It starts as a real prefix (the
    /// epoch's), so no input can match it without being that time.
    prefix: u128,
    prefix_micros: Micros,
    /// The zone a time without an offset is read in (Spark's session time zone); without one,
    /// such a time is an error.
    zone: Option<Zone>,
    /// The last zone named in a time the general grammar read.
    zones: spark::Zones,
}

impl Default for TimestampParser {
    fn default() -> Self {
        TimestampParser {
            prefix: u128::from_le_bytes(*b"1970-01-01T00:00"),
            prefix_micros: 0,
            zone: None,
            zones: spark::Zones::default(),
        }
    }
}

impl TimestampParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser that reads a time without an offset (`2026-11-23 17:33:00`) as a wall-clock
    /// time in `zone`, as Spark reads it in its session time zone.
    pub fn in_zone(zone: Zone) -> Self {
        TimestampParser {
            zone: Some(zone),
            ..Self::default()
        }
    }

    /// `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`, read byte by byte; anything else as
    /// Spark's CSV and JSON readers read a TIMESTAMP (`2026-11-23`, `2026-11-23 17:33`,
    /// `+2026-11-23T17:33:00 UTC`, `...+0530`, `... America/Los_Angeles`: [`spark`]'s grammar).
    /// Digits past microseconds are truncated, as Spark does.
    #[inline]
    pub fn parse(&mut self, s: &[u8]) -> Result<Micros, TimestampError> {
        // The hot case, inlined: same minute as the last time, `SS.ffffffZ`.
        if let Some(head) = s.first_chunk::<16>()
            && u128::from_le_bytes(*head) == self.prefix
            && let Some(micros) = seconds_micros_z(s)
        {
            return Ok(self.prefix_micros + micros);
        }
        self.parse_any(s)
    }

    #[inline(never)]
    fn parse_any(&mut self, s: &[u8]) -> Result<Micros, TimestampError> {
        match self.parse_layout(s) {
            Ok(t) => Ok(t),
            Err(e) => self.parse_general(s, e),
        }
    }

    /// Text the RFC 3339 layout refuses (`e` says why), read with Spark's general grammar.
    #[cold]
    #[inline(never)]
    fn parse_general(&mut self, s: &[u8], e: TimestampError) -> Result<Micros, TimestampError> {
        spark::read(s, self.zone.as_ref(), &mut self.zones).ok_or(e)
    }

    /// The RFC 3339 layout, `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`.
    #[inline]
    fn parse_layout(&mut self, s: &[u8]) -> Result<Micros, TimestampError> {
        let Some(head) = s.first_chunk::<16>() else {
            return Err(TimestampError::layout(s));
        };
        let prefix = u128::from_le_bytes(*head);
        let base = if prefix == self.prefix {
            self.prefix_micros
        } else {
            let micros = parse_prefix(s)?;
            self.prefix = prefix;
            self.prefix_micros = micros;
            micros
        };
        if s.len() < 19 || s[16] != b':' {
            return Err(TimestampError::layout(s));
        }
        // The usual layout, `…:SS.ffffffZ`, in one go.
        if let Some(micros) = seconds_micros_z(s) {
            return Ok(base + micros);
        }
        let second = digits2(s, 17).ok_or_else(|| TimestampError::layout(s))?;
        if second > 59 {
            return Err(TimestampError::range("second", s));
        }
        let mut pos = 19;
        let mut fraction: i64 = 0;
        if s.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            let mut scale = 100_000;
            while pos < s.len() && s[pos].is_ascii_digit() {
                fraction += i64::from(s[pos] - b'0') * scale;
                scale /= 10;
                pos += 1;
            }
            if pos == start {
                return Err(TimestampError::layout(s));
            }
        }
        let offset_seconds = match &s[pos..] {
            [] => match &self.zone {
                Some(zone) => {
                    let local = base + i64::from(second) * MICROS_PER_SECOND + fraction;
                    wall_clock_offset(zone, local)
                }
                None => return Err(TimestampError::layout(s)),
            },
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (Some(h), Some(m)) = (digits2(&[*h1, *h2], 0), digits2(&[*m1, *m2], 0)) else {
                    return Err(TimestampError::layout(s));
                };
                // java.time's offsets, as Spark reads them: at most 18 hours either way.
                if m > 59 || h * 60 + m > 18 * 60 {
                    return Err(TimestampError::range("offset", s));
                }
                let secs = i64::from(h) * 3600 + i64::from(m) * 60;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return Err(TimestampError::layout(s)),
        };
        Ok(base + (i64::from(second) - offset_seconds) * MICROS_PER_SECOND + fraction)
    }
}

/// The offset, in seconds, of the wall-clock time `local` (its fields read as if UTC) in
/// `zone`, as `java.time` (and so Spark) picks it: in an overlap (clocks set back) the earlier
/// instant's, the offset before the change; in a gap (clocks set forward) the offset before
/// it, which moves the time forward by the gap.
fn wall_clock_offset(zone: &Zone, local: Micros) -> i64 {
    let offset = |utc: Micros| i64::from(zone.offset_at(utc));
    // No zone's offset is past 18 hours: the offsets 18 hours either side are the ones before
    // and after a change near `local`. An offset is valid when `local` read with it has it.
    let hours_18 = 18 * 3_600 * MICROS_PER_SECOND;
    let (before, after) = (offset(local - hours_18), offset(local + hours_18));
    let valid = |o: i64| offset(local - o * MICROS_PER_SECOND) == o;
    match (valid(before), valid(after)) {
        (true, true) => before.max(after),
        (false, true) => after,
        // Valid before the change, or in a gap (neither): the offset before it.
        _ => before,
    }
}

/// `SS.ffffffZ` at byte 17 of a 27-byte timestamp, as microseconds into the minute: the eight
/// digits `SSffffff` are that number. Parsed eight digits at a time (SWAR); `None` for any
/// other layout, which the general path then reads.
#[inline]
fn seconds_micros_z(s: &[u8]) -> Option<Micros> {
    let tail: &[u8; 10] = s.get(17..)?.try_into().ok()?;
    if tail[2] != b'.' || tail[9] != b'Z' {
        return None;
    }
    let fraction = u64::from_le_bytes(tail[2..10].try_into().ok()?) >> 8;
    let digits = u64::from(tail[0]) | u64::from(tail[1]) << 8 | fraction << 16;
    let value = parse_8_digits(digits)?;
    (value < 60_000_000).then_some(value as Micros)
}

/// Eight ASCII digits, the first in the lowest byte, as a number; `None` if any is not a digit.
#[inline]
pub(super) fn parse_8_digits(chunk: u64) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let all_digits = (chunk & 0xF0F0_F0F0_F0F0_F0F0) == ZEROS
        && ((chunk.wrapping_add(0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0) == ZEROS;
    if !all_digits {
        return None;
    }
    let mut v = chunk - ZEROS;
    v = (v * 10) + (v >> 8);
    v = ((v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
        + ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    Some(v)
}

/// `YYYY-MM-DDTHH:MM` as microseconds (before any offset), checked.
fn parse_prefix(s: &[u8]) -> Result<Micros, TimestampError> {
    if s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') || s[13] != b':' {
        return Err(TimestampError::layout(s));
    }
    let field = |at| digits2(s, at).ok_or_else(|| TimestampError::layout(s));
    let year = digits4(s, 0).ok_or_else(|| TimestampError::layout(s))?;
    let (month, day, hour, minute) = (field(5)?, field(8)?, field(11)?, field(14)?);
    if !(1..=12).contains(&month) {
        return Err(TimestampError::range("month", s));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(TimestampError::range("day", s));
    }
    if hour > 23 {
        return Err(TimestampError::range("hour", s));
    }
    if minute > 59 {
        return Err(TimestampError::range("minute", s));
    }
    let days = days_from_civil(i64::from(year), month, day);
    Ok(
        (days * SECONDS_PER_DAY + i64::from(hour) * 3600 + i64::from(minute) * 60)
            * MICROS_PER_SECOND,
    )
}

/// Parses one RFC 3339 timestamp (see [`TimestampParser::parse`]).
pub fn parse_rfc3339(s: &str) -> Result<Micros, TimestampError> {
    TimestampParser::new().parse(s.as_bytes())
}

#[inline]
fn digits2(s: &[u8], at: usize) -> Option<u32> {
    let (a, b) = (s[at].wrapping_sub(b'0'), s[at + 1].wrapping_sub(b'0'));
    (a < 10 && b < 10).then(|| u32::from(a) * 10 + u32::from(b))
}

#[inline]
fn digits4(s: &[u8], at: usize) -> Option<u32> {
    Some(digits2(s, at)? * 100 + digits2(s, at + 2)?)
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How many fractional digits [`Utc`] prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fraction {
    /// Always `.SSS`, as Spark's progress reports print times.
    Millis,
    /// Always `.SSSSSS`, as the replay file stores times.
    Micros,
    /// None when zero, else `.SSS` or `.SSSSSS`, whichever is exact.
    Auto,
}

/// Displays a timestamp as RFC 3339 in UTC, e.g. `2026-11-23T17:33:00.000Z`; a year past
/// RFC 3339's four digits as Java's `Instant` writes it (`-0001`, `+10000`).
#[derive(Debug, Clone, Copy)]
pub struct Utc(pub Micros, pub Fraction);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Utc(t, fraction) = *self;
        let seconds = t.div_euclid(MICROS_PER_SECOND);
        let micros = t.rem_euclid(MICROS_PER_SECOND);
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let tod = seconds.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            JavaYear(year),
            tod / 3600,
            tod / 60 % 60,
            tod % 60
        )?;
        let digits = match fraction {
            Fraction::Millis => 3,
            Fraction::Micros => 6,
            Fraction::Auto => match micros {
                0 => 0,
                _ if micros % MICROS_PER_MILLI == 0 => 3,
                _ => 6,
            },
        };
        match digits {
            3 => write!(f, ".{:03}", micros / MICROS_PER_MILLI)?,
            6 => write!(f, ".{micros:06}")?,
            _ => {}
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
#[path = "time/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "time/spark_tests.rs"]
mod spark_tests;

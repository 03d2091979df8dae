//! Spark 3.5's general timestamp grammar, for text the RFC 3339 fast path refuses: what its CSV
//! and JSON readers take for a TIMESTAMP with no `timestampFormat` (their default formatter,
//! `stringToTimestamp`, then the same once more with every `GMT` taken out,
//! `cleanLegacyTimestampStr`):
//!
//! ```text
//! [ws][+|-]Y{4,6}[-M{1,2}[-D{1,2}[(T|' ')[h{1,2}[:m{1,2}[:s{1,2}[.f*][zone]]]]]]][ws]
//! ```
//!
//! `ws` is bytes up to `' '` and DEL. Missing fields are the first month, day, 00:00:00;
//! digits past the sixth of the fraction are dropped (`17:33:14.` is a fraction of none). The zone is whatever follows the seconds (or the fraction), blanks around it
//! dropped, read by `ZoneId.of(id, SHORT_IDS)` after Spark's `getZoneId` fix-ups (`+5:30` is
//! `+05:30`, `+05:3` is `+05:03`): `Z`; `±h`, `±hh`, `±hhmm`, `±hh:mm`, `±hhmmss`, `±hh:mm:ss`
//! (at most 18 hours); `UTC`, `GMT`, `UT`, alone or with such an offset after them; a short id
//! (`PST`, `EST`, ...); a region id (`America/Los_Angeles`, case-sensitive). No zone: the
//! session time zone, as `java.time` places a wall-clock time (see `wall_clock_offset`).
//! Fields out of range (`24:00`, `:60`, February 30th) are no time; years past ±125,000 are
//! none here (see [`MAX_YEAR`]).
//!
//! Not taken, though Spark takes them: a time alone (`17:33:00`, `T17:33`), which Spark reads
//! as that time today. Taken, though Spark does not: RFC 3339's lowercase `t` between date and
//! time and `z` as the zone (in the text as written, not after `GMT` is taken out).
//!
//! Text Spark reads as no time is a bad cell here, as any other bad cell: Spark's PERMISSIVE
//! reader makes it NULL (FAILFAST stops), and where its legacy parser reads a prefix the new one
//! refuses (`2026-11-23 24:00:00`, `2026-11-23  17:33`, `2026-11-23 17:33:14+05:60`) Spark stops
//! the query in every mode (`SparkUpgradeException`).

use super::{
    EVENT_TIME_RANGE, MICROS_PER_SECOND, Micros, SECONDS_PER_DAY, days_from_civil,
    wall_clock_offset,
};
use crate::engine::zone::Zone;

/// The latest year read, either side of year 0: [`super::EVENT_TIME_RANGE`]'s years (the time
/// itself, after its offset, is checked against the range too).
pub(super) const MAX_YEAR: i64 = 125_000;

/// The zone a time's text names, as `ZoneId.of` resolves it.
enum Named {
    Fixed(i64),
    Region(Zone),
}

/// The last region id read, and its zone: a file of times in one named zone reads its rules
/// once.
#[derive(Debug, Clone, Default)]
pub(super) struct Zones {
    last: Option<(String, Zone)>,
}

/// `s` as Spark's CSV and JSON readers read a TIMESTAMP (see the module's doc), a time without
/// a zone in `session`; `None` when Spark reads no time (or one window-tui leaves out).
pub(super) fn read(s: &[u8], session: Option<&Zone>, zones: &mut Zones) -> Option<Micros> {
    if let Some(t) = parse(s, session, zones, true) {
        return Some(t);
    }
    let gmt = b"GMT";
    if !s.windows(3).any(|w| w == gmt) {
        return None;
    }
    let mut cleaned = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.windows(3).position(|w| w == gmt) {
        cleaned.extend_from_slice(&rest[..at]);
        rest = &rest[at + 3..];
    }
    cleaned.extend_from_slice(rest);
    parse(&cleaned, session, zones, false)
}

/// `UTF8String.isWhitespaceOrISOControl` of a byte (a byte past ASCII is negative in Java).
fn blank(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

/// Java's `String.trim`: characters up to `' '` off both ends.
fn java_trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b > b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b > b' ').map_or(start, |e| e + 1);
    &s[start..end]
}

/// `parseTimestampString` then `stringToTimestamp`; `lowercase` also takes `t` and `z`.
#[allow(clippy::too_many_lines)] // one state machine, as Spark's
fn parse(s: &[u8], session: Option<&Zone>, zones: &mut Zones, lowercase: bool) -> Option<Micros> {
    let start = s.iter().position(|&b| !blank(b))?;
    let end = s.iter().rposition(|&b| !blank(b))? + 1;
    let s = &s[start..end];
    // Year, month, day, hour, minute, second, microseconds.
    let mut segments: [i64; 7] = [1, 1, 1, 0, 0, 0, 0];
    let (mut i, mut value, mut digits, mut fraction_digits) = (0usize, 0i64, 0u32, 0u32);
    let mut negative = false;
    let mut j = 0;
    if matches!(s[0], b'+' | b'-') {
        negative = s[0] == b'-';
        j = 1;
    }
    let mut zone: Option<&[u8]> = None;
    let valid = |segment: usize, digits: u32| match segment {
        0 => (4..=6).contains(&digits),
        6 => true,
        7 => digits <= 2,
        _ => (1..=2).contains(&digits),
    };
    while j < s.len() {
        let b = s[j];
        if b.is_ascii_digit() {
            if i == 6 {
                fraction_digits += 1;
            }
            // Six digits at most: a field of more is no time (a fraction's are dropped), and
            // its value must not overflow on the way.
            if digits < 6 {
                value = value * 10 + i64::from(b - b'0');
            }
            digits += 1;
            j += 1;
            continue;
        }
        match i {
            0 | 1 if b == b'-' => {}
            2 if b == b' ' || b == b'T' || (lowercase && b == b't') => {}
            3 | 4 if b == b':' => {}
            5 if b == b'.' => {}
            5 | 6 => {
                // The zone: the rest of the text.
                if !valid(i, digits) {
                    return None;
                }
                segments[i] = value;
                (digits, value) = (0, 0);
                zone = Some(&s[j..]);
                i = 7;
                break;
            }
            // Anything else, and a time alone (`T17:33`, `17:33`: Spark's today), is no time.
            _ => return None,
        }
        if !valid(i, digits) {
            return None;
        }
        segments[i] = value;
        (value, digits) = (0, 0);
        i += 1;
        j += 1;
    }
    if !valid(i, digits) {
        return None;
    }
    if i < 7 {
        segments[i] = value;
    }
    while fraction_digits < 6 {
        segments[6] *= 10;
        fraction_digits += 1;
    }
    let named = match zone {
        Some(text) => Some(zone_of(java_trim(text), zones, lowercase)?),
        None => None,
    };
    let year = if negative { -segments[0] } else { segments[0] };
    // Spark reads years to about ±290 thousand, as far as its microseconds go (its comment
    // says ±200 thousand); past EVENT_TIME_RANGE's, no time here.
    if year.abs() > MAX_YEAR {
        return None;
    }
    let (month, day) = (segments[1], segments[2]);
    let (hour, minute, second) = (segments[3], segments[4], segments[5]);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // month, day checked
    let days = days_from_civil(year, month as u32, day as u32);
    let local_seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    let local = i128::from(local_seconds) * i128::from(MICROS_PER_SECOND);
    let offset = match &named {
        Some(Named::Fixed(offset)) => *offset,
        Some(Named::Region(zone)) => region_offset(zone, local)?,
        None => region_offset(session?, local)?,
    };
    let micros = (i128::from(local_seconds - offset)) * i128::from(MICROS_PER_SECOND)
        + i128::from(segments[6]);
    // Past the years checked above by an offset's hours: still no time (EVENT_TIME_RANGE).
    Micros::try_from(micros)
        .ok()
        .filter(|t| EVENT_TIME_RANGE.contains(t))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The offset `zone` gives the wall-clock time `local`, when `local` is in `i64`.
fn region_offset(zone: &Zone, local: i128) -> Option<i64> {
    let local = Micros::try_from(local).ok()?;
    // wall_clock_offset looks 18 hours either side.
    let margin = 18 * 3600 * MICROS_PER_SECOND;
    (local.checked_sub(margin)?.checked_add(2 * margin)).map(|_| wall_clock_offset(zone, local))
}

/// Spark's `getZoneId` of the zone text `id` (blanks around it dropped): its fix-ups of
/// `±h:` and a final `±hh:m`, then `ZoneId.of(id, SHORT_IDS)`.
fn zone_of(id: &[u8], zones: &mut Zones, lowercase: bool) -> Option<Named> {
    let id = std::str::from_utf8(id).ok()?;
    if lowercase && id == "z" {
        return Some(Named::Fixed(0));
    }
    let mut id = id.to_owned();
    // `(\+|\-)(\d):` -> `$10$2:`, the first.
    if let Some(at) = id
        .as_bytes()
        .windows(3)
        .position(|w| matches!(w[0], b'+' | b'-') && w[1].is_ascii_digit() && w[2] == b':')
    {
        id.insert(at + 1, '0');
    }
    // `(\+|\-)(\d\d):(\d)$` -> `$1$2:0$3`.
    let b = id.as_bytes();
    if b.len() >= 5 {
        let t = &b[b.len() - 5..];
        if matches!(t[0], b'+' | b'-')
            && t[1].is_ascii_digit()
            && t[2].is_ascii_digit()
            && t[3] == b':'
            && t[4].is_ascii_digit()
        {
            id.insert(id.len() - 1, '0');
        }
    }
    zone_id_of(&id, zones)
}

/// `ZoneId.of(id, SHORT_IDS)`.
fn zone_id_of(id: &str, zones: &mut Zones) -> Option<Named> {
    match id {
        "EST" => return Some(Named::Fixed(-5 * 3600)),
        "MST" => return Some(Named::Fixed(-7 * 3600)),
        "HST" => return Some(Named::Fixed(-10 * 3600)),
        _ => {}
    }
    if id.len() <= 1 || id.starts_with(['+', '-']) {
        return offset_of(id).map(Named::Fixed);
    }
    let prefix = ["UTC", "GMT", "UT"]
        .into_iter()
        .find(|p| id.starts_with(p))
        .map_or(0, str::len);
    if prefix > 0 {
        match id.as_bytes().get(prefix) {
            None => return Some(Named::Fixed(0)),
            Some(b'+' | b'-') => return offset_of(&id[prefix..]).map(Named::Fixed),
            Some(_) => {}
        }
    }
    region(id, zones).map(Named::Region)
}

/// `ZoneOffset.of(id)`: `Z`, `±h`, `±hh`, `±hh:mm`, `±hhmm`, `±hh:mm:ss`, `±hhmmss`, at most
/// 18 hours; in seconds.
fn offset_of(id: &str) -> Option<i64> {
    if id == "Z" {
        return Some(0);
    }
    let b = id.as_bytes();
    let two = |at: usize| -> Option<i64> {
        let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| i64::from(x - b'0') * 10 + i64::from(y - b'0'))
    };
    let colon = |at: usize| b.get(at) == Some(&b':');
    let (h, m, s) = match b.len() {
        2 => (i64::from(b[1].checked_sub(b'0').filter(|d| *d <= 9)?), 0, 0),
        3 => (two(1)?, 0, 0),
        5 => (two(1)?, two(3)?, 0),
        6 if colon(3) => (two(1)?, two(4)?, 0),
        7 => (two(1)?, two(3)?, two(5)?),
        9 if colon(3) && colon(6) => (two(1)?, two(4)?, two(7)?),
        _ => return None,
    };
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if h > 18 || m > 59 || s > 59 || (h == 18 && (m > 0 || s > 0)) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// A region id `ZoneId.of` finds (`[A-Za-z][A-Za-z0-9~/._+-]+`, in Java 17's tz database or a
/// short id), remembered.
fn region(id: &str, zones: &mut Zones) -> Option<Zone> {
    if let Some((name, zone)) = &zones.last
        && name == id
    {
        return Some(zone.clone());
    }
    let b = id.as_bytes();
    let well_formed = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"~/._+-".contains(c));
    // TimeZone's own custom `GMT+h` ids, which Zone::by_id also takes, are not region ids.
    if !well_formed || id.starts_with("GMT") && id.len() > 3 && matches!(b[3], b'+' | b'-') {
        return None;
    }
    let zone = Zone::by_id(id)?;
    zones.last = Some((id.to_owned(), zone.clone()));
    Some(zone)
}

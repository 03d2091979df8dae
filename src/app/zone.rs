//! Which time zone a run writes times in: `TZ` (and `/etc/timezone`, `/etc/localtime` when it
//! is unset), resolved to the zone a Java 17 JVM on Linux makes its default, which Spark uses
//! as its session time zone.
//!
//! Spark 3.5's `spark.sql.session.timeZone` defaults to `TimeZone.getDefault().getID()`.
//! [`Zone::from_jvm_tz`] picks that id as `OpenJDK` 17.0.15 does (checked with `PySpark`):
//!
//! 1. `TZ` unset or empty: the first line of `/etc/timezone`, else the `/etc/localtime`
//!    symlink's text after `zoneinfo/`, else the file of `/usr/share/zoneinfo` with the
//!    same bytes (`UTC`, `GMT`, then `readdir` order), else `GMT`.
//! 2. One leading `:` and a `posix/` prefix are dropped.
//! 3. Java's ids are matched case-sensitively (tzdb zones and links, old ids like `PST`,
//!    `SystemV/*`), then custom ids: `GMT+5` is +05:00 (POSIX says -05:00): `GMT+05:00`.
//! 4. Anything else (`UTC+5`, `<+03>-3`, `Nowhere/Land`) goes to the C library, whose
//!    offset *now* becomes a fixed `GMT±hh:mm` (`GMT` if zero): `UTC+5` is `GMT-05:00`.
//!
//!
//! A value the JVM would not take is a warning for the user, never an error: Spark runs on.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::engine::Zone;

const DAY: i64 = 86_400;

/// Where the JVM and the C library look on a Linux host (replaced in tests).
#[rustfmt::skip]
struct Host<'a> { etc: &'a str, zoneinfo: &'a str }
const SYSTEM_HOST: Host = Host {
    etc: "/etc",
    zoneinfo: "/usr/share/zoneinfo",
};

/// Resolves a `TZ` value (`None` when unset) to the zone a Java 17 JVM on Linux makes its
/// default, which Spark uses as its session time zone.
///
/// The second value is a warning when the JVM would not have used the value as a zone of its
/// own: it then falls back to a fixed `GMT±hh:mm` (the C library's offset at this moment) or to
/// `GMT`. When `TZ` is unset or empty this reads `/etc/timezone`, `/etc/localtime` and
/// `/usr/share/zoneinfo` as the JVM does.
pub fn from_jvm_tz(tz: Option<&str>) -> (Zone, Option<String>) {
    let now = std::time::UNIX_EPOCH
        .elapsed()
        .map_or(0, |d| d.as_secs().try_into().unwrap_or(0));
    resolve(tz, &SYSTEM_HOST, now)
}

/// [`from_jvm_tz`] with this process's `TZ` environment variable.
pub fn system() -> (Zone, Option<String>) {
    let tz = std::env::var_os("TZ").map(|v| v.to_string_lossy().into_owned());
    from_jvm_tz(tz.as_deref())
}

/// The JVM's resolution (`TimeZone.setDefaultZone` and `TimeZone_md.c`).
fn resolve(tz: Option<&str>, host: &Host, now: i64) -> (Zone, Option<String>) {
    let (explicit, gmt) = (tz.filter(|s| !s.is_empty()), || Zone::named_fixed("GMT", 0));
    let Some(name) = explicit.map(str::to_owned).or_else(|| platform_id(host)) else {
        let msg = "TZ is unset and neither /etc/timezone nor /etc/localtime names a time zone; \
                   using UTC (GMT) as the JVM and Spark would";
        return (gmt(), Some(msg.to_owned()));
    };
    let id = name.strip_prefix(':').unwrap_or(&name);
    let id = id.strip_prefix("posix/").unwrap_or(id);
    if let Some(zone) = Zone::by_id(id) {
        return (zone, None);
    }
    let zone = Zone::by_id(&gmt_offset_id(glibc_offset(tz, host, now), now)).unwrap_or_else(gmt);
    let what = explicit.map_or_else(
        || format!("the system time zone {id}"),
        |s| format!("TZ={s}"),
    );
    let how = match zone.id() {
        "GMT" => "using UTC (GMT)".to_owned(),
        id => format!("like the JVM, using its current C-library offset as the fixed zone {id},"),
    };
    let msg = format!("{what} is not a time zone the JVM knows; {how} as Spark would");
    (zone, Some(msg))
}

/// `getPlatformTimeZoneID` when `TZ` is unset or empty.
fn platform_id(host: &Host) -> Option<String> {
    let etc_timezone = fs::read(Path::new(host.etc).join("timezone")).unwrap_or_default();
    let line = etc_timezone
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    if !line.is_empty() {
        return Some(String::from_utf8_lossy(&line[..line.len().min(255)]).into_owned());
    }
    let localtime = localtime(host);
    if fs::symlink_metadata(&localtime)
        .ok()?
        .file_type()
        .is_symlink()
    {
        let target = fs::read_link(&localtime).ok()?;
        if let Some(name) = zone_name(&target.to_string_lossy()) {
            return Some(name.to_owned());
        }
    }
    let bytes = fs::read(localtime).ok()?;
    find_zoneinfo_file(&bytes, Path::new(host.zoneinfo), true)
}

fn localtime(host: &Host) -> PathBuf {
    Path::new(host.etc).join("localtime")
}

/// The part of a path after `zoneinfo/`.
fn zone_name(path: &str) -> Option<&str> {
    path.find("zoneinfo/")
        .map(|i| &path[i + "zoneinfo/".len()..])
}

/// `findZoneinfoFile`: the first file under `dir` with the same bytes (`UTC`, `GMT` first).
fn find_zoneinfo_file(bytes: &[u8], dir: &Path, top: bool) -> Option<String> {
    let popular = ["UTC", "GMT"].iter().filter(|_| top).map(|p| dir.join(p));
    let entries = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map_while(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !name.starts_with('.') && !matches!(&*name, "ROC" | "posixrules" | "localtime")
        });
    popular
        .chain(entries.map(|e| e.path()))
        .find_map(|path| identical_file(bytes, &path))
}

fn identical_file(bytes: &[u8], path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_dir() {
        return find_zoneinfo_file(bytes, path, false);
    }
    let same = meta.is_file() && meta.len() == bytes.len() as u64 && fs::read(path).ok()? == bytes;
    same.then(|| zone_name(&path.to_string_lossy()).map(str::to_owned))
        .flatten()
}

/// The offset glibc's `localtime` gives now for this `TZ` (unset: `/etc/localtime`).
fn glibc_offset(tz: Option<&str>, host: &Host, now: i64) -> i32 {
    let spec = match tz {
        Some("") => return 0,
        Some(s) => s.strip_prefix(':').unwrap_or(s),
        None => "",
    };
    let path = match spec {
        "" => localtime(host),
        s if s.starts_with('/') => PathBuf::from(s),
        s => Path::new(host.zoneinfo).join(s),
    };
    let zone = fs::read(path)
        .ok()
        .and_then(|bytes| TimeZone::tzif("localtime", &bytes).ok())
        .or_else(|| TimeZone::posix(spec).ok())
        // glibc takes the rules of `posixrules` (US rules) when a DST name has none.
        .or_else(|| TimeZone::posix(&format!("{spec},M3.2.0,M11.1.0")).ok());
    let now = Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH);
    zone.map_or(0, |z| z.to_offset(now).seconds())
}

/// `getGMTOffsetID`: `GMT` when local and UTC clocks show the same hour and minute.
fn gmt_offset_id(offset: i32, now: i64) -> String {
    let local = now + i64::from(offset);
    let a = offset.unsigned_abs();
    if local.rem_euclid(DAY) / 60 == now.rem_euclid(DAY) / 60 || a / 3600 > 99 {
        return "GMT".to_owned();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    format!("GMT{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINTER: i64 = 1_768_478_400; // 2026-01-15T12:00:00Z
    const SUMMER: i64 = 1_784_116_800; // 2026-07-15T12:00:00Z
    const NO_HOST: Host = Host {
        etc: "/nonexistent/etc",
        zoneinfo: "/nonexistent/zoneinfo",
    };

    fn at(z: &Zone, secs: i64) -> i32 {
        z.offset_at(secs * 1_000_000)
    }

    /// `TZ|JVM id|winter|summer` (2026 offsets in minutes), `|!` where the JVM fell back,
    /// `~` for an empty `TZ`: `OpenJDK` 17.0.15 run in winter, with no zoneinfo for glibc.
    /// `chrono::Local` (POSIX) differs on `GMT+5`, `GMT-05:30` (opposite sign), `PST`,
    /// `IST`, `SystemV/*` (UTC), `FOO5BAR,...`, `CET-1CEST,...` (DST), `ROC` (+08:00).
    const JVM_TABLE: &str = "
        UTC|UTC|0|0 Etc/UTC|Etc/UTC|0|0 GMT|GMT|0|0 Europe/Paris|Europe/Paris|60|120
        :Europe/Paris|Europe/Paris|60|120 posix/Europe/Paris|Europe/Paris|60|120
        europe/paris|GMT|0|0|! America/New_York|America/New_York|-300|-240
        US/Eastern|US/Eastern|-300|-240 Asia/Kolkata|Asia/Kolkata|330|330
        Asia/Calcutta|Asia/Calcutta|330|330 CET|CET|60|120 EST5EDT|EST5EDT|-300|-240
        America/Argentina/Buenos_Aires|America/Argentina/Buenos_Aires|-180|-180
        GMT+5|GMT+05:00|300|300 GMT-05:30|GMT-05:30|-330|-330 GMT+0530|GMT+05:30|330|330
        GMT+530|GMT+05:30|330|330 GMT-0|GMT-00:00|0|0 GMT0|GMT0|0|0 GMT+24|GMT|0|0|!
        Etc/GMT+5|Etc/GMT+5|-300|-300 UTC+5|GMT-05:00|-300|-300|! UTC-3|GMT+03:00|180|180|!
        <+03>-3|GMT+03:00|180|180|! EST5|GMT-05:00|-300|-300|! UTC0|GMT|0|0|! Z|GMT|0|0|!
        FOO5BAR,M3.2.0,M11.1.0|GMT-05:00|-300|-300|! CET-1CEST,M3.5.0,M10.5.0/3|GMT+01:00|60|60|!
        +05:00|GMT|0|0|! Nowhere/Land|GMT|0|0|! garbage|GMT|0|0|! EST|EST|-300|-300
        MST|MST|-420|-420 HST|HST|-600|-600 PST|PST|-480|-420 IST|IST|330|330
        PST8PDT|PST8PDT|-480|-420 SystemV/EST5EDT|SystemV/EST5EDT|-300|-240
        SystemV/HST10|SystemV/HST10|-600|-600 ROC|GMT|0|0|! America/Coyhaique|GMT|0|0|!
        ~|GMT|0|0|! :|GMT|0|0|!";

    #[test]
    fn resolves_like_the_jvm() {
        for row in JVM_TABLE.split_whitespace() {
            let f: Vec<&str> = row.split('|').collect();
            let tz = if f[0] == "~" { "" } else { f[0] };
            let (z, warning) = resolve(Some(tz), &NO_HOST, WINTER);
            let minutes = |i: usize| f[i].parse::<i32>().unwrap() * 60;
            assert_eq!(
                (z.id(), at(&z, WINTER), at(&z, SUMMER)),
                (f[1], minutes(2), minutes(3))
            );
            assert_eq!(warning.is_some(), f.len() == 5, "TZ={tz}: {warning:?}");
        }
        let want =
            "TZ=Nowhere/Land is not a time zone the JVM knows; using UTC (GMT) as Spark would";
        assert_eq!(
            resolve(Some("Nowhere/Land"), &NO_HOST, WINTER).1.as_deref(),
            Some(want)
        );
        // The C library's offset is taken now: in summer these get their DST offset.
        for (tz, id) in [
            ("FOO5BAR,M3.2.0,M11.1.0", "GMT-04:00"),
            ("FOO5BAR", "GMT-04:00"),
        ] {
            assert_eq!(resolve(Some(tz), &NO_HOST, SUMMER).0.id(), id);
        }
    }

    /// A version 1 `TZif` file with one fixed offset.
    fn tzif_fixed(offset: i32) -> Vec<u8> {
        let counts = [0_u32, 0, 0, 0, 1, 4].map(u32::to_be_bytes).concat();
        [
            &b"TZif"[..],
            &[0; 16],
            &counts,
            &offset.to_be_bytes(),
            b"\0\0ABC\0",
        ]
        .concat()
    }

    #[cfg(unix)]
    #[test]
    fn unset_tz_reads_etc_like_the_jvm() {
        #[rustfmt::skip]
        enum Lt<'a> { Missing, Link(&'a str), Copy(i32) }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            ("Asia/Tokyo", 32_400),
            ("Asia/Kolkata", 19_800),
            ("UTC", 0),
            ("Etc/UTC", 0),
        ];
        for (file, offset) in files {
            let path = root.join("zoneinfo").join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, tzif_fixed(offset)).unwrap();
        }
        let p = |rel: &str| root.join(rel).to_str().unwrap().to_owned();
        let (etc, etc_tz, lt, zi) = (p(""), p("timezone"), p("localtime"), p("zoneinfo"));
        let host = Host {
            etc: &etc,
            zoneinfo: &zi,
        };
        let (tokyo, tokyo2) = (format!("{zi}/Asia/Tokyo"), format!("{zi}//Asia/Tokyo"));
        // /etc/timezone, /etc/localtime, TZ, then the JVM's id and the start of the warning.
        #[rustfmt::skip]
        let steps = [
            (None, Lt::Missing, None, "GMT", "TZ is unset and neither"), // the JVM's default
            (Some("America/New_York"), Lt::Missing, None, "America/New_York", ""),
            (Some("America/New_York"), Lt::Missing, Some(""), "America/New_York", ""),
            (Some("\n"), Lt::Link("/usr/share/zoneinfo/posix/Asia/Tokyo"), None, "Asia/Tokyo", ""),
            (None, Lt::Link(&tokyo2), None, "GMT+09:00", "the system time zone /Asia/Tokyo is"),
            (None, Lt::Copy(19_800), None, "Asia/Kolkata", ""), // same bytes, found by a walk
            (None, Lt::Copy(0), None, "UTC", ""), // UTC and GMT are tried first
            (None, Lt::Copy(10_800), None, "GMT", "TZ is unset"), // a copy of no file: GMT
            (Some("Nowhere/Land"), Lt::Copy(10_800), None, "GMT+03:00", "the system time zone N"),
            (Some("Nowhere/Land"), Lt::Copy(10_800), Some(""), "GMT", "the system"), // TZ="": UTC
            (None, Lt::Missing, Some(tokyo.as_str()), "GMT+09:00", "TZ=/"), // a path is glibc's
        ];
        for (etc_timezone, localtime, tz, id, warning) in steps {
            let _ = (fs::remove_file(&etc_tz), fs::remove_file(&lt));
            if let Some(text) = etc_timezone {
                fs::write(&etc_tz, text).unwrap();
            }
            match localtime {
                Lt::Missing => {}
                Lt::Link(target) => std::os::unix::fs::symlink(target, &lt).unwrap(),
                Lt::Copy(offset) => fs::write(&lt, tzif_fixed(offset)).unwrap(),
            }
            let (z, w) = resolve(tz, &host, WINTER);
            assert_eq!(z.id(), id, "{etc_timezone:?} {tz:?}");
            assert_eq!(
                w.is_some(),
                !warning.is_empty(),
                "{etc_timezone:?} {tz:?}: {w:?}"
            );
            assert!(
                w.unwrap_or_default().starts_with(warning),
                "{etc_timezone:?} {tz:?}"
            );
        }
    }
}

//! The proleptic Gregorian calendar, as `java.time` counts it (year 0 is 1 BC): day numbers
//! from dates and back (Howard Hinnant's algorithms), and years written as Java writes them.

use std::fmt;

/// Days since 1970-01-01 of a date (`days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1..=12, day 1..=31) of a day count since 1970-01-01
/// (`civil_from_days`).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // month and day are small
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A year as Java writes it (`uuuu`, and `Instant.toString`): four digits at least, `+` past
/// 9999, `-` before year 0: `0999`, `0000`, `-0001`, `+10000`. Spark prints timestamps so,
/// and reads them back so.
#[derive(Debug, Clone, Copy)]
pub struct JavaYear(pub i64);

impl fmt::Display for JavaYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            year if year > 9999 => write!(f, "+{year}"),
            year if year < 0 => write!(f, "-{:04}", year.unsigned_abs()),
            year => write!(f, "{year:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip_across_eras() {
        for days in (-800_000..800_000)
            .step_by(997)
            .chain([-719_468, -1, 0, 1, 59, 60])
        {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        assert_eq!(
            days_from_civil(2000, 2, 29) + 1,
            days_from_civil(2000, 3, 1)
        );
    }

    #[test]
    fn the_event_time_range_is_years_minus_to_plus_125_thousand() {
        use super::super::time::{EVENT_TIME_RANGE, MICROS_PER_SECOND};
        let day = 86_400 * MICROS_PER_SECOND;
        assert_eq!(
            *EVENT_TIME_RANGE.start(),
            days_from_civil(-125_000, 1, 1) * day
        );
        assert_eq!(
            *EVENT_TIME_RANGE.end(),
            days_from_civil(125_001, 1, 1) * day - 1
        );
        // Any two times' difference, with room for a window of 40,000 years.
        let widest = EVENT_TIME_RANGE.end() - EVENT_TIME_RANGE.start();
        assert!(widest.checked_add(40_000 * 366 * day).is_some());
    }

    #[test]
    fn years_are_written_as_java_writes_them() {
        let shown: Vec<String> = [999, 0, -1, -12_345, 9999, 10_000]
            .map(|y| JavaYear(y).to_string())
            .into();
        assert_eq!(shown, ["0999", "0000", "-0001", "-12345", "9999", "+10000"]);
    }
}

//! Text that Apache Spark 3.5 (on Java 17) writes for values, reproduced byte for byte.
//!
//! Everything here was checked against real `PySpark` 3.5.3 on `OpenJDK` 17.0.15:
//! - [`push_java_double`] / [`push_java_float`]: `Double.toString` / `Float.toString` (used by
//!   `show()`, the CSV writer, `CAST(x AS STRING)` and `to_json`) for every value, Java 17's
//!   sometimes non-shortest digits included: a port of `OpenJDK` 17's `FloatingDecimal`
//!   ([`java_dtoa`]), and `zmij`'s shortest digits where those are Java's.
//! - [`push_show_timestamp`]: a TIMESTAMP cell of `Dataset.show()`; [`push_csv_timestamp`]: the CSV
//!   writer's default `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` (also `to_json`'s default).
//! - [`push_csv_cell`]: a CSV cell that Python's `csv` module and Spark's `read.csv` (default options)
//!   both read back as the same value whenever that is possible at all.
//! - [`push_json_f64`] / [`push_json_f32`]: JSON numbers with Java's digits; NaN and infinities as
//!   JSON strings, as Spark's `to_json` writes them.

use std::fmt::Write;

use super::calendar::{JavaYear, civil_from_days};

mod java_dtoa;
#[cfg(test)]
mod java_dtoa_tests;

/// Splits a finite, non-zero shortest text (`zmij`'s: `1.5e-7`, `1e+16`, `0.00123`, `1200.0`)
/// into its significant digits (no leading or trailing zeros) and the decimal exponent `e` of
/// the first one, so that `value = d.ddd × 10^e`. Returns the digit count.
pub(crate) fn shortest_digits(text: &str, digits: &mut [u8; 24]) -> (usize, i32) {
    let (mantissa, exp) = text
        .split_once('e')
        .map_or((text, 0), |(m, e)| (m, e.parse().unwrap_or(0)));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let (int, frac) = (int.as_bytes(), frac.as_bytes());
    // The digits without the point, then without leading zeros (`0.00123`).
    let int_len = int.len().min(digits.len());
    let frac_len = frac.len().min(digits.len() - int_len);
    digits[..int_len].copy_from_slice(&int[..int_len]);
    digits[int_len..int_len + frac_len].copy_from_slice(&frac[..frac_len]);
    let all = int_len + frac_len;
    let zeros = digits[..all].iter().take_while(|&&d| d == b'0').count();
    digits.copy_within(zeros..all, 0);
    let mut n = all - zeros;
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let e = exp + int.len() as i32 - 1 - zeros as i32;
    debug_assert!(n > 0, "a non-zero value has a significant digit");
    (n, e)
}

/// Lays out `digits × 10^e` as Java's `FloatingDecimal` does: plain with at least one fractional
/// digit for `-3 <= e < 7`, else `d.dddE±n` with at least one digit after the point.
fn push_java_layout(out: &mut String, digits: &[u8], e: i32) {
    // ASCII digits: every range of them is a `str`, pushed at once.
    let push =
        |out: &mut String, d: &[u8]| out.push_str(std::str::from_utf8(d).expect("ASCII digits"));
    match usize::try_from(e) {
        Ok(int_len @ 0..=6) => {
            let int_len = int_len + 1;
            push(out, &digits[..int_len.min(digits.len())]);
            (digits.len()..int_len).for_each(|_| out.push('0'));
            out.push('.');
            push(
                out,
                if digits.len() > int_len {
                    &digits[int_len..]
                } else {
                    b"0"
                },
            );
        }
        _ if (-3..0).contains(&e) => {
            out.push_str("0.");
            (1..-e).for_each(|_| out.push('0'));
            push(out, digits);
        }
        _ => {
            push(out, &digits[..1]);
            out.push('.');
            push(out, if digits.len() > 1 { &digits[1..] } else { b"0" });
            out.push('E');
            out.push_str(itoa::Buffer::new().format(e));
        }
    }
}

/// Pushes the sign, then Java's text for what has no digits: NaN, infinities, zeros. Returns
/// false for the rest (sign pushed).
fn push_java_special(out: &mut String, v: f64) -> bool {
    if v.is_sign_negative() && !v.is_nan() {
        out.push('-');
    }
    let text = match v.abs() {
        m if m.is_nan() => "NaN",
        m if m.is_infinite() => "Infinity",
        0.0 => "0.0",
        _ => return false,
    };
    out.push_str(text);
    true
}

/// Pushes the layout of `zmij`'s shortest text for a finite, positive value.
fn push_java_finite(out: &mut String, shortest: &str) {
    let mut digits = [0u8; 24];
    let (n, e) = shortest_digits(shortest, &mut digits);
    push_java_layout(out, &digits[..n], e);
}

/// Pushes Java's digits (see [`java_dtoa`]) in Java's layout.
fn push_java_digits(out: &mut String, digits: &java_dtoa::JavaDigits) {
    push_java_layout(out, digits.digits(), digits.exponent());
}

/// Where Java 17's digits are the shortest ones, for doubles: `1e-7 <= |v| < 2^53` (checked
/// against the port on 10^8 samples, decimal-looking values and neighbours of powers of two and
/// ten included; see `java_dtoa_tests`). Outside it, powers of two, subnormals and big integers
/// get other digits.
const SHORTEST_DOUBLES: std::ops::Range<f64> = 1e-7..9_007_199_254_740_992.0;

/// Where Java 17's digits are the shortest ones, for floats: `1e-7 <= |v| < 2^24` (checked
/// against the port on every float in it).
const SHORTEST_FLOATS: std::ops::Range<f32> = 1e-7..16_777_216.0;

/// Appends Java 17's `Double.toString(v)`: `NaN`, `Infinity`, `-Infinity`, `0.0`, `-0.0`, plain
/// decimals with at least one fractional digit for `1e-3 <= |v| < 1e7` (`0.00123`, `1234567.0`),
/// else computerized scientific notation (`1.23456785E7`, `2.5E-4`, `1.0E-5`).
///
/// The digits are Java 17's for every double: not always the shortest (JDK-4511638, fixed in
/// JDK 19): `1e23` is `9.999999999999999E22`, `2^-24` is `5.9604644775390625E-8`, `2^60` is
/// `1.15292150460684698E18`, `5.9E-323` stays `5.9E-323`. They come from a port of `OpenJDK` 17's
/// `FloatingDecimal` ([`java_dtoa`], checked against 30 000 doubles printed by Java 17), except
/// in [`SHORTEST_DOUBLES`], where they are the shortest ones and `zmij` gives them faster.
pub fn push_java_double(out: &mut String, v: f64) {
    if push_java_special(out, v) {
        return;
    }
    let magnitude = v.abs();
    if SHORTEST_DOUBLES.contains(&magnitude) {
        let mut buffer = zmij::Buffer::new();
        push_java_shortest(out, buffer.format_finite(magnitude), magnitude);
    } else {
        push_java_digits(out, &java_dtoa::double_digits(magnitude.to_bits()));
    }
}

/// Pushes `zmij`'s shortest text of `magnitude` (finite, positive) in Java's layout. In Java's
/// plain range, `1e-3 <= magnitude < 1e7`, `zmij` writes the same text (`0.00123`, `712.5`,
/// `1234567.0`), and it is pushed as it is.
fn push_java_shortest(out: &mut String, shortest: &str, magnitude: f64) {
    if (1e-3..1e7).contains(&magnitude) {
        out.push_str(shortest);
    } else {
        push_java_finite(out, shortest);
    }
}

/// Appends Java 17's `Float.toString(v)`; same layout as [`push_java_double`], Java 17's `f32`
/// digits (`1.1f` is `1.1`, not the widened `1.100000023841858`; `Float.MIN_NORMAL` is
/// `1.17549435E-38`, not the shortest `1.1754944E-38`): the port's ([`java_dtoa`], checked
/// against 30 000 floats printed by Java 17), `zmij`'s shortest in [`SHORTEST_FLOATS`].
pub fn push_java_float(out: &mut String, v: f32) {
    if push_java_special(out, f64::from(v)) {
        return;
    }
    let magnitude = v.abs();
    if SHORTEST_FLOATS.contains(&magnitude) {
        let mut buffer = zmij::Buffer::new();
        push_java_shortest(out, buffer.format_finite(magnitude), f64::from(magnitude));
    } else {
        push_java_digits(out, &java_dtoa::float_digits(magnitude.to_bits()));
    }
}

/// Appends a JSON value for a DOUBLE as Spark's `to_json` writes it: the number with Java's text
/// (`1.23456785E7`, `2.5E-4`, `-0.0` — valid JSON that Python's `json.loads` reads back to the
/// same float), and NaN / ±Infinity as the JSON strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn push_json_f64(out: &mut String, v: f64) {
    let quote = if v.is_finite() { "" } else { "\"" };
    out.push_str(quote);
    push_java_double(out, v);
    out.push_str(quote);
}

/// Appends a JSON value for a FLOAT as Spark's `to_json` writes it (see [`push_json_f64`]).
pub fn push_json_f32(out: &mut String, v: f32) {
    let quote = if v.is_finite() { "" } else { "\"" };
    out.push_str(quote);
    push_java_float(out, v);
    out.push_str(quote);
}

/// What `Dataset.show()` prints for NULL of any type (Spark 3.5; earlier versions print `null`).
/// BOOLEAN prints `true`/`false`, integers as decimal (`itoa`), FLOAT/DOUBLE as
/// [`push_java_float`]/[`push_java_double`].
pub const SHOW_NULL: &str = "NULL";

/// Appends a STRING cell as `Dataset.show()` prints it: newline, CR, tab, form feed, backspace,
/// vertical tab and bell become `\n \r \t \f \b \v \a`; everything else (NUL, ESC, DEL, U+0085,
/// U+2028, a literal backslash) passes through unchanged.
pub fn push_show_string(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\u{8}' => out.push_str("\\b"),
            '\u{b}' => out.push_str("\\v"),
            '\u{7}' => out.push_str("\\a"),
            _ => out.push(c),
        }
    }
}

/// Pushes `v` zero-padded to `width` digits (`v >= 0`).
fn push_padded(out: &mut String, v: i64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let text = buf.format(v);
    (text.len()..width).for_each(|_| out.push('0'));
    out.push_str(text);
}

/// Pushes `yyyy-MM-dd?HH:mm:ss` (proleptic Gregorian, Java's `uuuu` year: `0999`, `0000`,
/// `-0001`, `+10000`) for local wall time `micros + offset`, returning the microsecond fraction.
fn push_date_time(out: &mut String, micros: i64, offset_secs: i32, sep: char) -> i64 {
    let local = i128::from(micros) + i128::from(offset_secs) * 1_000_000;
    #[allow(clippy::cast_possible_truncation)]
    let (days, rem) = (
        local.div_euclid(86_400_000_000) as i64,
        local.rem_euclid(86_400_000_000) as i64,
    );
    let (year, month, day) = civil_from_days(days);
    let _ = write!(out, "{}", JavaYear(year));
    for (sep, v) in [
        ('-', i64::from(month)),
        ('-', i64::from(day)),
        (sep, rem / 3_600_000_000),
        (':', rem / 60_000_000 % 60),
        (':', rem / 1_000_000 % 60),
    ] {
        out.push(sep);
        push_padded(out, v, 2);
    }
    rem % 1_000_000
}

/// Appends a TIMESTAMP cell as `Dataset.show()` (and `CAST(ts AS STRING)`) prints it:
/// `2026-11-23 17:33:00`, with a fraction only when non-zero and trailing zeros trimmed
/// (`.5`, `.12`, `.000001`). `micros` counts from the epoch (UTC), `offset_secs` is the session
/// zone's offset at that instant, already resolved by the caller. Pre-epoch instants floor
/// (`-1` µs is `1969-12-31 23:59:59.999999`); years print as `0999`, `0000`, `-0001`, `+10000`.
pub fn push_show_timestamp(out: &mut String, micros: i64, offset_secs: i32) {
    let mut frac = push_date_time(out, micros, offset_secs, ' ');
    if frac != 0 {
        let mut width = 6;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        push_padded(out, frac, width);
    }
}

/// Appends a TIMESTAMP as Spark's CSV writer (default `timestampFormat`
/// `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`) and `to_json` write it: `2026-11-23T17:33:00.500Z`,
/// `…+01:00`, `…-03:30`. Microseconds are floored to milliseconds; the offset suffix is `Z` when
/// it is under a minute and otherwise drops its seconds (`+00:09` for Paris LMT `+00:09:21`, whose
/// local time still includes the 21 s).
pub fn push_csv_timestamp(out: &mut String, micros: i64, offset_secs: i32) {
    let frac = push_date_time(out, micros, offset_secs, 'T');
    out.push('.');
    push_padded(out, frac / 1000, 3);
    let abs = i64::from(offset_secs).abs();
    if abs < 60 {
        out.push('Z');
    } else {
        out.push(if offset_secs < 0 { '-' } else { '+' });
        push_padded(out, abs / 3600 % 100, 2);
        out.push(':');
        push_padded(out, abs / 60 % 60, 2);
    }
}

/// Appends one CSV cell (no delimiter) that Python's `csv` module (default dialect) and Spark's
/// `spark.read.csv` (default options) both read back as `cell` whenever any encoding allows it.
///
/// `None` (NULL) is an empty cell and `""` is `""` (both read as NULL by Spark, as `''` by
/// Python). A value is quoted, RFC 4180 style with `"` doubled, only when it contains `,`, CR or
/// LF or starts with `"` or U+FEFF; otherwise it is written as is — inner quotes and backslashes
/// included, which both readers keep literally (`q"t`, `a\"b`, `\N`, ` x `; a leading U+FEFF is
/// quoted because Spark drops an unquoted one at the start of a file). Spark cannot read back a
/// value with CR/LF, an empty string, or a quoted value containing `"`, a `\\` pair or ending in
/// `\`; Python reads every output of this function back exactly.
pub fn push_csv_cell(out: &mut Vec<u8>, cell: Option<&str>) {
    let Some(s) = cell else { return };
    let quote = s.is_empty()
        || s.starts_with(['"', '\u{feff}'])
        || s.bytes().any(|b| matches!(b, b',' | b'\r' | b'\n'));
    if !quote {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
#[allow(clippy::unreadable_literal)]
mod tests {
    use super::*;

    /// `hexbits text` pairs: `Double.toString` on `OpenJDK` 17.0.15 for these bit patterns (edge cases, powers of ten,
    /// integers in [2^53, 2^63), decimal sums, averages, random bits).
    #[rustfmt::skip]
    const JAVA_DOUBLES: &str = "\
        0 0.0 8000000000000000 -0.0 7ff8000000000000 NaN fff8000000000000 NaN 7ff0000000000000 Infinity \
        fff0000000000000 -Infinity 7fefffffffffffff 1.7976931348623157E308 ffefffffffffffff -1.7976931348623157E308 \
        8010000000000000 -2.2250738585072014E-308 fffffffffffff 2.225073858507201E-308 3f50624dd2f1a9fc 0.001 \
        3f50624dd2f1a9fd 0.0010000000000000002 c16312d000000000 -1.0E7 416312d000000001 1.0000000000000002E7 \
        416312cfffffffff 9999999.999999998 3ff0000000000000 1.0 3fefffffffffffff 0.9999999999999999 \
        bfefffffffffffff -0.9999999999999999 bff0000000000001 -1.0000000000000002 \
        3fb999999999999b 0.10000000000000002 3fc999999999999a 0.2 3fc9999999999999 0.19999999999999998 \
        3fd3333333333334 0.30000000000000004 bfd3333333333334 -0.30000000000000004 \
        3fd3333333333335 0.3000000000000001 3fd5555555555554 0.33333333333333326 3fe5555555555554 0.6666666666666665 \
        4059000000000001 100.00000000000001 c1678c29d0020c4a -1.234567850025E7 41678c29d0020c4b 1.2345678500250002E7 \
        3f30624dd2f1a9fc 2.5E-4 bf30624dd2f1a9fc -2.5E-4 3f30624dd2f1a9fd 2.5000000000000006E-4 \
        3f30624dd2f1a9fb 2.4999999999999995E-4 3ee4f8b588e368f2 1.0000000000000003E-5 \
        3ee4f8b588e368f0 9.999999999999999E-6 41678c29c0000000 1.2345678E7 41678c29c0000001 1.2345678000000002E7 \
        41678c29bfffffff 1.2345677999999998E7 c16312cfffffffff -9999999.999999998 416312d000000000 1.0E7 \
        bf50624dd2f1a9fc -0.001 3f50624dd2f1a9fb 9.999999999999998E-4 bf50624dd2f1a9fb -9.999999999999998E-4 \
        3f50624dd2f1a9fa 9.999999999999996E-4 400921fb54442d18 3.141592653589793 c00921fb54442d18 -3.141592653589793 \
        4005bf0a8b14576a 2.7182818284590455 c011666666666666 -4.35 3f60624dd2f1a9fd 0.0020000000000000005 \
        3f60624dd2f1a9fb 0.0019999999999999996 44b52d02c7e14af7 1.0000000000000001E23 \
        44c52d02c7e14af7 2.0000000000000002E23 2 1.0E-323 437b69b4ba630f35 1.2345678901234568E17 \
        437b69b4ba630f34 1.23456789012345664E17 430c6bf526340000 1.0E15 c30c6bf526340000 -1.0E15 \
        430c6bf526340001 1.0000000000000001E15 4341c37937e08001 1.0000000000000002E16 \
        4341c37937e07fff 9.999999999999998E15 4376345785d8a000 1.0E17 c376345785d8a000 -1.0E17 \
        4376345785d8a001 1.00000000000000016E17 4376345785d89fff 9.9999999999999984E16 1 4.9E-324 \
        3fb999999999999a 0.1 4059000000000000 100.0 27a28edc580e50e 1.0E-296 a2899c2f6732210 1.0E-259 \
        11d72262f3133ed1 1.0E-222 1985c162b168e70e 1.0E-185 28e33d4032c2c7f5 1.0E-111 309217aefe690777 1.0E-74 \
        3841039d428a8b8f 1.0E-37 3f847ae147ae147b 0.01 4024000000000000 10.0 412e848000000000 1000000.0 \
        4f4c4c8b1349b9b5 1.0E74 56fa9cbc59b83a3d 1.0E111 5ea906aa78b912cc 1.0E148 665788ccb6b2ce0c 1.0E185 \
        6e0621b1c28ac20c 1.0E222 75b4cffe4e7708c0 1.0E259 c3985f19f2fcd67b -4.3903772777811936E17 \
        c39d7d81f6ae3c6b -5.312493739184688E17 4378c498903ff17a 1.11544943603816352E17 \
        c35a4296f2965745 -2.956626190777474E16 43510dcb4a39cc3b 1.9200965515620588E16 \
        436c696311107a05 6.3977388454957096E16 c39847a61cae447d -4.3738740559243654E17 \
        c356b531fc2a06ed -2.5566703105088436E16 c3813519fb1bb584 -1.54990729837850752E17 401541ca26295f75 5.3142477 \
        40bcdf7ba9d1f602 7391.4830600000005 4161a9ab71916873 9260379.549 41607f09c14fdf3b 8648782.041 \
        408429652bd3c361 645.1744 401a9dfb2edfe75c 6.6542785 417f48afeebc6a7f 3.2803582921E7 \
        40b43039b3d07c85 5168.2254 40559159cb4d70cc 86.2711056 40c1ed05bac3b5cd 9178.0447621 \
        40797575b72169dd 407.3412391 40a09d1295e9e1b0 2126.5362999999998 40803a4fbdc44d90 519.2889361702128 \
        407f9eee36f8fe62 505.93315789473684 407c36756b2dbd1a 451.4036666666667 407ce674db41a80e 462.4035294117647 \
        407beba5e353f7cc 446.72799999999984 408004508dfea27a 512.5393333333334 407d26b1b6ab1b6a 466.41838709677415 \
        407b638e063ba8bc 438.22217391304343 407fceecbfb15b58 508.93280000000004 4080c8b8c3e54976 537.0902173913043 \
        40809341726bbe1a 530.406956521739 407bcca0ce512958 444.7892592592593 42bd7e76822625f8 3.242899132573397E13 \
        4014c683d8ee7df4 5.1938623328746765 40187ceb6d057690 6.121991828401988 4156f38ace0c4d0c 6016555.219500791 \
        3bf9fd798084400a 8.805800335214824E-20 3c38b476ea0b626e 1.3392574531598012E-18 \
        3fcc6a9cafb0aa0c 0.2220035417424956 3d5aadfd82f2f30b 3.791406233063227E-13 \
        4213beb1b8dae4b0 2.1200924214723328E10 4095f8248d9edd92 1406.035696489595 \
        97568d9db1d83e07 -3.0171073711643854E-196 801fa9182a4a3453 -4.402937905199612E-308 \
        8245d2a4198e1a83 -1.042761761776235E-297 90d9af590121a 1.258994870235604E-308 \
        28f99c4ffc954409 2.6623263455906846E-111 5c4de20e2decf7f 7.185027192778132E-281 \
        19d2c3efe97a6677 2.760196586555958E-184 39a1a7d824f87fe9 4.352451754273886E-31 \
        59c40d45ffab1b95 2.6510789390210054E124 c03e907e3ebdfba0 -30.564426347143694 413d1d7900000000 1908089.0 \
        405e10f12c000000 120.26471996307373 3eddc7669e300000 7.099845308111696E-6 4028110000000000 12.033203125 \
        bf0dda46acc00000 -5.693939382922508E-5 bda2260000000000 -8.252953875853564E-12 745 9.195E-321 64e 7.974E-321 \
        ad2 1.3686E-320";

    /// `hexbits text` pairs: `Float.toString` on `OpenJDK` 17.0.15.
    #[rustfmt::skip]
    const JAVA_FLOATS: &str = "\
        7fc00000 NaN 7f800000 Infinity ff800000 -Infinity 7fffff 1.1754942E-38 7f7ffffe 3.4028233E38 3a83126f 0.001 \
        ba83126f -0.001 4b189680 1.0E7 3f800000 1.0 3f800001 1.0000001 3f7fffff 0.99999994 3e4ccccc 0.19999999 \
        3e99999a 0.3 be99999a -0.3 3e99999b 0.30000004 4b3c614e 1.2345678E7 4b3c614f 1.2345679E7 3983126f 2.5E-4 \
        ff7fffff -3.4028235E38 bb03126f -0.002 cb800000 -1.6777216E7 4b7fffff 1.6777215E7 4c000000 3.3554432E7 \
        5c7b3f54 2.82879397E17 80000000 -0.0 ffc00000 NaN 7f7fffff 3.4028235E38 4b800000 1.6777216E7 3f8ccccd 1.1 \
        d3ba3b22 -1.599712E12 d696980c -8.278989E13 cf549686 -3.5666345E9 595868ea 3.80712183E15 \
        d62f5635 -4.8196198E13 d988465f -4.7947463E15 db2b25b6 -4.8173685E16 52756076 2.63471333E11 \
        3f1685a4 0.5879767 48e7d4cd 474790.4 4730a300 45219.0 441f31d2 636.77844 48b5f8ff 372679.97 40ada548 5.426426 \
        4b448122 1.2878114E7 45e55ba3 7339.4546 429f0446 79.50835 4a555b98 3495654.0 bd1ea5a9 -0.038732205 \
        dc691e81 -2.62468836E17 cee17dc8 -1.8915584E9 ecdb30df -2.1198843E27 3fcb3914 1.5876794 c88d2eab -289141.34 \
        1adfd91d 9.2581404E-23 8454d652 -2.5018891E-36";

    fn s(f: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        f(&mut out);
        out
    }

    /// The first `shortest_digits`, byte by byte: the reference the faster one is held to.
    fn shortest_digits_byte_by_byte(text: &str, digits: &mut [u8; 24]) -> (usize, i32) {
        let (mantissa, exp) = text
            .split_once('e')
            .map_or((text, 0), |(m, e)| (m, e.parse().unwrap_or(0)));
        let (mut n, mut e, mut before_point) = (0, exp - 1, true);
        for b in mantissa.bytes() {
            match b {
                b'.' => before_point = false,
                b'0' if n == 0 => e -= i32::from(!before_point),
                b'0'..=b'9' if n < digits.len() => {
                    e += i32::from(before_point);
                    digits[n] = b;
                    n += 1;
                }
                _ => {}
            }
        }
        while n > 1 && digits[n - 1] == b'0' {
            n -= 1;
        }
        (n, e)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn shortest_digits_are_the_byte_by_byte_ones(v in proptest::prop_oneof![
            proptest::num::f64::POSITIVE | proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL,
            proptest::strategy::Strategy::prop_map(
                (1u64..10_000_000, -12i32..24),
                |(m, k)| m as f64 * 10f64.powi(k),
            ),
            proptest::strategy::Strategy::prop_map(1u64..1 << 60, |x| x as f64),
            proptest::strategy::Strategy::prop_map(1i64..100_000_000, |x| x as f64 / 1000.0),
        ]) {
            proptest::prop_assume!(v.is_finite() && v > 0.0);
            let text = zmij::Buffer::new().format_finite(v).to_string();
            let (mut fast, mut slow) = ([0u8; 24], [0u8; 24]);
            let (n, e) = shortest_digits(&text, &mut fast);
            proptest::prop_assert_eq!((n, e), shortest_digits_byte_by_byte(&text, &mut slow), "{}", text);
            proptest::prop_assert_eq!(&fast[..n], &slow[..n], "{}", text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// In Java's plain range `zmij`'s text is pushed as it is: it is the text Java's layout
        /// makes of its digits, for doubles and floats, up to the range's edges.
        #[test]
        fn in_the_plain_range_the_shortest_text_is_javas_layout(v in proptest::prop_oneof![
            1e-3f64..1e7,
            proptest::strategy::Strategy::prop_map(1i64..10_000_000_000, |x| x as f64 / 1000.0),
            proptest::sample::select(vec![1e-3, 0.0010000000000000002, 9_999_999.999_999_998,
                1_234_567.0, 0.1, 100.0]),
        ]) {
            let layout = |shortest: &str| s(|o| push_java_finite(o, shortest));
            let double = zmij::Buffer::new().format_finite(v).to_string();
            proptest::prop_assert_eq!(s(|o| push_java_double(o, v)), layout(&double));
            #[allow(clippy::cast_possible_truncation)]
            let float = v as f32;
            let text = zmij::Buffer::new().format_finite(float).to_string();
            proptest::prop_assert_eq!(s(|o| push_java_float(o, float)), layout(&text));
        }
    }

    #[test]
    fn java_double_and_float_text() {
        let pairs = |table: &'static str| {
            table
                .split_whitespace()
                .collect::<Vec<_>>()
                .chunks(2)
                .map(|p| (u64::from_str_radix(p[0], 16).unwrap(), p[1]))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(JAVA_DOUBLES).len() + pairs(JAVA_FLOATS).len(), 201);
        for (bits, want) in pairs(JAVA_DOUBLES) {
            assert_eq!(
                s(|o| push_java_double(o, f64::from_bits(bits))),
                want,
                "{bits:#x}"
            );
        }
        for (bits, want) in pairs(JAVA_FLOATS) {
            assert_eq!(
                s(|o| push_java_float(o, f32::from_bits(u32::try_from(bits).unwrap()))),
                want,
                "{bits:#x}"
            );
        }
        // Java 17's non-shortest digits (JDK-4511638), as Java prints them.
        assert_eq!(s(|o| push_java_double(o, 1e23)), "9.999999999999999E22");
        assert_eq!(
            s(|o| push_java_double(o, 2f64.powi(-24))),
            "5.9604644775390625E-8"
        );
    }

    #[test]
    #[rustfmt::skip]
    fn json_numbers() {
        let j = |v: f64| s(|o| push_json_f64(o, v));
        assert_eq!([j(f64::NAN), j(f64::INFINITY), j(f64::NEG_INFINITY)], ["\"NaN\"", "\"Infinity\"", "\"-Infinity\""]);
        let got = [j(12_345_678.5), j(0.000_25), j(1e-5), j(-0.0), j(1e300)];
        assert_eq!(got, ["1.23456785E7", "2.5E-4", "1.0E-5", "-0.0", "1.0E300"]);
        assert_eq!([s(|o| push_json_f32(o, 1.1)), s(|o| push_json_f32(o, f32::NAN))], ["1.1", "\"NaN\""]);
    }

    #[test]
    #[rustfmt::skip]
    fn show_strings() {
        let got = s(|o| push_show_string(o, "a\nb\r\t\u{c}\u{8}\u{b}\u{7}\0\u{1b}\u{7f}\u{85}\u{2028}\\n日本"));
        assert_eq!(got, "a\\nb\\r\\t\\f\\b\\v\\a\0\u{1b}\u{7f}\u{85}\u{2028}\\n日本");
    }

    #[test]
    #[rustfmt::skip]
    fn show_timestamps() {
        for (micros, offset, want) in [
            (0, 0, "1970-01-01 00:00:00"), (500_000, 0, "1970-01-01 00:00:00.5"), (1, 0, "1970-01-01 00:00:00.000001"),
            (10, 0, "1970-01-01 00:00:00.00001"), (123_456, 0, "1970-01-01 00:00:00.123456"),
            (120_000, 0, "1970-01-01 00:00:00.12"), (-1, 0, "1969-12-31 23:59:59.999999"),
            (-500_000, 0, "1969-12-31 23:59:59.5"), (-1_000_000, 0, "1969-12-31 23:59:59"),
            (-1_500_000, 0, "1969-12-31 23:59:58.5"), (1_795_454_380_500_000, 0, "2026-11-23 17:19:40.5"),
            (-62_135_596_800_000_000, 0, "0001-01-01 00:00:00"),
            (-62_135_596_800_000_001, 0, "0000-12-31 23:59:59.999999"),
            (-30_610_224_000_000_001, 0, "0999-12-31 23:59:59.999999"),
            (253_402_300_800_000_000, 0, "+10000-01-01 00:00:00"), (-62_198_755_200_000_000, 0, "-0001-01-01 00:00:00"),
            (-99_999_999_999_999_999, 0, "-1199-02-15 14:13:20.000001"), (0, 3600, "1970-01-01 01:00:00"),
            (-3_786_825_600_000_000, 561, "1850-01-01 00:09:21"), (-5_000_000_000_000_000, 561, "1811-07-23 15:16:01"),
            (1_795_454_380_500_000, -12_600, "2026-11-23 13:49:40.5"),
        ] {
            assert_eq!(s(|o| push_show_timestamp(o, micros, offset)), want);
        }
    }

    #[test]
    #[rustfmt::skip]
    fn csv_timestamps() {
        for (micros, offset, want) in [
            (1, 0, "1970-01-01T00:00:00.000Z"), (-1, 0, "1969-12-31T23:59:59.999Z"),
            (123_456, 0, "1970-01-01T00:00:00.123Z"), (253_402_300_800_000_000, 0, "+10000-01-01T00:00:00.000Z"),
            (-62_198_755_200_000_000, 0, "-0001-01-01T00:00:00.000Z"), (-1, 3600, "1970-01-01T00:59:59.999+01:00"),
            (-3_786_825_600_000_000, 561, "1850-01-01T00:09:21.000+00:09"),
            (1_795_454_380_500_000, -12_600, "2026-11-23T13:49:40.500-03:30"),
            (0, 19_800, "1970-01-01T05:30:00.000+05:30"),
            (-2_208_988_800_000_000, -18_000, "1899-12-31T19:00:00.000-05:00"), (0, 30, "1970-01-01T00:00:30.000Z"),
            (0, -59, "1969-12-31T23:59:01.000Z"), (0, 60, "1970-01-01T00:01:00.000+00:01"),
            (0, -561, "1969-12-31T23:50:39.000-00:09"),
        ] {
            assert_eq!(s(|o| push_csv_timestamp(o, micros, offset)), want);
        }
    }

    #[test]
    #[rustfmt::skip]
    fn csv_cells() {
        for (cell, want) in [
            (None, ""), (Some(""), "\"\""), (Some("plain"), "plain"), (Some("q\"t"), "q\"t"), (Some("a,b"), "\"a,b\""),
            (Some("\\"), "\\"), (Some("a\\\"b"), "a\\\"b"), (Some("\" x \""), "\"\"\" x \"\"\""),
            (Some("\""), "\"\"\"\""), (Some("\"\""), "\"\"\"\"\"\""), (Some("line\nbreak"), "\"line\nbreak\""),
            (Some("\r"), "\"\r\""), (Some("  lead"), "  lead"), (Some("trail  "), "trail  "), (Some(" "), " "),
            (Some("\t"), "\t"), (Some("\\N"), "\\N"), (Some("#hash"), "#hash"), (Some("end\""), "end\""),
            (Some("a,\"b"), "\"a,\"\"b\""), (Some("a\\,b"), "\"a\\,b\""), (Some("\u{feff}bom"), "\"\u{feff}bom\""),
            (Some("日本"), "日本"), (Some("NaN"), "NaN"),
        ] {
            let mut out = Vec::new();
            push_csv_cell(&mut out, cell);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{cell:?}");
        }
    }
}

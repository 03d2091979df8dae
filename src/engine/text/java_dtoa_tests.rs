//! The port of Java 17's `FloatingDecimal` ([`super::java_dtoa`]) and the texts built on it,
//! against `Double.toString` / `Float.toString` as `OpenJDK` 17.0.15 printed them
//! (`tests/data/java_doubles/`, written by `Gen.java` there), and, without Java, properties
//! over random bits: the text reads back as the same value, and where `zmij`'s shortest digits
//! are used they are the port's.

use super::java_dtoa::{double_digits, float_digits};
use super::{
    SHORTEST_DOUBLES, SHORTEST_FLOATS, push_java_digits, push_java_double, push_java_float,
    push_java_special,
};

const DOUBLES: &str = include_str!("../../../tests/data/java_doubles/doubles.txt");
const FLOATS: &str = include_str!("../../../tests/data/java_doubles/floats.txt");

fn text(f: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    f(&mut out);
    out
}

/// `Double.toString` from the port alone, whatever the range.
fn port_double(v: f64) -> String {
    text(|o| {
        if !push_java_special(o, v) {
            push_java_digits(o, &double_digits(v.abs().to_bits()));
        }
    })
}

/// `Float.toString` from the port alone, whatever the range.
fn port_float(v: f32) -> String {
    text(|o| {
        if !push_java_special(o, f64::from(v)) {
            push_java_digits(o, &float_digits(v.abs().to_bits()));
        }
    })
}

/// The `hexbits text` lines of a fixture.
fn lines(fixture: &'static str) -> impl Iterator<Item = (u64, &'static str)> {
    fixture.lines().map(|line| {
        let (bits, want) = line.split_once(' ').expect("hexbits text");
        (u64::from_str_radix(bits, 16).expect("hex bits"), want)
    })
}

/// A 64-bit `SplitMix64` stream: random bits without a dependency.
struct SplitMix(u64);

impl Iterator for SplitMix {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Some(z ^ (z >> 31))
    }
}

#[test]
fn every_fixture_double_is_javas_text() {
    let mut count = 0;
    for (bits, want) in lines(DOUBLES) {
        let v = f64::from_bits(bits);
        assert_eq!(port_double(v), want, "port, {bits:#x}");
        assert_eq!(text(|o| push_java_double(o, v)), want, "{bits:#x}");
        count += 1;
    }
    assert_eq!(count, 30_000);
}

#[test]
fn every_fixture_float_is_javas_text() {
    let mut count = 0;
    for (bits, want) in lines(FLOATS) {
        let v = f32::from_bits(u32::try_from(bits).expect("32 bits"));
        assert_eq!(port_float(v), want, "port, {bits:#x}");
        assert_eq!(text(|o| push_java_float(o, v)), want, "{bits:#x}");
        count += 1;
    }
    assert_eq!(count, 30_000);
}

#[test]
fn the_reported_misses_are_javas_text() {
    let d = |v: f64| text(|o| push_java_double(o, v));
    let f = |v: f32| text(|o| push_java_float(o, v));
    assert_eq!(d(8.41e21), "8.409999999999999E21");
    assert_eq!(d(1e23), "9.999999999999999E22");
    assert_eq!(
        d(f64::from_bits(0x4534_d79f_b575_7264)),
        "2.5196771293900143E25"
    );
    assert_eq!(d(5.9e-323), "5.9E-323");
    assert_eq!(d(-f64::from_bits(1)), "-4.9E-324");
    assert_eq!(f(1.175_494_4e-38), "1.17549435E-38");
    assert_eq!(f(5.065_218_5e25), "5.0652185E25");
    assert_eq!(f(-f32::from_bits(1)), "-1.4E-45");
}

/// Digits of a Java text, and its decimal exponent, parsed back: `1.25E-5` is (`125`, -5).
fn split(text: &str) -> (String, i32) {
    let (mantissa, exp) = text.split_once('E').unwrap_or((text, "0"));
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let int_len = mantissa.split('.').next().unwrap_or("").len();
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    let digits = digits.trim_end_matches('0').to_string();
    #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
    let e = exp.parse::<i32>().expect("exponent") + int_len as i32 - 1 - lead as i32;
    (digits, e)
}

/// The digit counts of Java's text and of the shortest one (`zmij`) for a finite, non-zero `v`.
fn digit_counts(got: &str, shortest: &str) -> (usize, usize) {
    (
        split(got).0.len(),
        split(&shortest.replace('e', "E")).0.len(),
    )
}

/// Random bits, every class: the port's text reads back as the same value and has at most 18
/// digits; at most two more than the shortest (Java's extra digit, and an E-form second one)
/// except for integers below 2^63, which keep their exact digits less the insignificant ones.
#[test]
fn the_port_round_trips_random_bits() {
    let exact = |v: f64, from: f64| (from..9_223_372_036_854_775_808.0).contains(&v.abs());
    for bits in SplitMix(1).take(400_000) {
        let v = f64::from_bits(bits);
        let got = port_double(v);
        let back: f64 = got.parse().expect("a number");
        assert!(
            back.to_bits() == bits || v.is_nan() && back.is_nan(),
            "{bits:#x} {got}"
        );
        if v.is_finite() && v != 0.0 {
            let (n, shortest) = digit_counts(&got, zmij::Buffer::new().format_finite(v.abs()));
            assert!(n <= 18, "{bits:#x} {got}");
            assert!(
                n <= shortest + 2 || exact(v, 9_007_199_254_740_992.0),
                "{bits:#x} {got}"
            );
        }
        #[allow(clippy::cast_possible_truncation)]
        let fbits = (bits >> 32) as u32;
        let v = f32::from_bits(fbits);
        let got = port_float(v);
        let back: f32 = got.parse().expect("a number");
        assert!(
            back.to_bits() == fbits || v.is_nan() && back.is_nan(),
            "{fbits:#x} {got}"
        );
        if v.is_finite() && v != 0.0 {
            let (n, shortest) = digit_counts(&got, zmij::Buffer::new().format_finite(v.abs()));
            let wide = f64::from(v);
            assert!(
                n <= shortest + 2 || exact(wide, 16_777_216.0),
                "{fbits:#x} {got}"
            );
        }
    }
}

/// `n` doubles of `SHORTEST_DOUBLES` from `seed`: random bits in it, short decimals and the
/// neighbours of powers of two and ten.
fn shortest_range_doubles(seed: u64, n: usize) -> impl Iterator<Item = f64> {
    let (lo, hi) = (
        SHORTEST_DOUBLES.start.to_bits(),
        SHORTEST_DOUBLES.end.to_bits(),
    );
    SplitMix(seed).take(n).map(move |r| match r % 4 {
        0 => f64::from_bits(lo + (r >> 2) % (hi - lo)),
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        1 => ((r >> 8) % 1_000_000) as f64 * 10f64.powi((r >> 40) as i32 % 22 - 12),
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        2 => f64::from_bits(2f64.powi((r >> 8) as i32 % 77 - 23).to_bits() + (r >> 40) % 5 - 2),
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        _ => f64::from_bits(10f64.powi((r >> 8) as i32 % 23 - 7).to_bits() + (r >> 40) % 5 - 2),
    })
}

/// Where `push_java_double` takes `zmij`'s shortest digits, the port has the same ones.
fn check_shortest_doubles(seed: u64, n: usize) {
    for v in shortest_range_doubles(seed, n).filter(|v| SHORTEST_DOUBLES.contains(v)) {
        let bits = v.to_bits();
        assert_eq!(
            text(|o| push_java_double(o, v)),
            port_double(v),
            "{bits:#x}"
        );
    }
}

#[test]
fn in_the_shortest_range_zmij_has_the_ports_digits() {
    check_shortest_doubles(2, 300_000);
    let (lo, hi) = (
        SHORTEST_FLOATS.start.to_bits(),
        SHORTEST_FLOATS.end.to_bits(),
    );
    for bits in (lo..hi).step_by(997) {
        let v = f32::from_bits(bits);
        assert_eq!(text(|o| push_java_float(o, v)), port_float(v), "{bits:#x}");
    }
}

/// As above on 10^8 doubles (`--ignored`: about a minute in release).
#[test]
#[ignore = "slow: 10^8 doubles"]
fn in_the_shortest_range_zmij_has_the_ports_digits_on_many_doubles() {
    std::thread::scope(|scope| {
        for seed in 0..4 {
            scope.spawn(move || check_shortest_doubles(100 + seed, 25_000_000));
        }
    });
}

/// As above on every float of `SHORTEST_FLOATS` (`--ignored`: about a minute in release).
#[test]
#[ignore = "slow: every float in the range"]
fn in_the_shortest_range_zmij_has_the_ports_digits_on_every_float() {
    let (lo, hi) = (
        SHORTEST_FLOATS.start.to_bits(),
        SHORTEST_FLOATS.end.to_bits(),
    );
    std::thread::scope(|scope| {
        for part in 0..4u32 {
            scope.spawn(move || {
                for bits in (lo + part..hi).step_by(4) {
                    let v = f32::from_bits(bits);
                    assert_eq!(text(|o| push_java_float(o, v)), port_float(v), "{bits:#x}");
                }
            });
        }
    });
}

/// Checks a larger dump from Java, if one is named by `JAVA_DTOA_DUMP` (lines `d hexbits text`
/// or `f hexbits text`), e.g. millions of random values; without it, passes.
#[test]
#[ignore = "needs a Java dump named by JAVA_DTOA_DUMP"]
fn a_java_dump() {
    let Ok(path) = std::env::var("JAVA_DTOA_DUMP") else {
        return;
    };
    let dump = std::fs::read_to_string(path).expect("the dump");
    let mut count = 0;
    for line in dump.lines() {
        let mut fields = line.split(' ');
        let (kind, bits, want) = (fields.next(), fields.next(), fields.next());
        let bits = u64::from_str_radix(bits.expect("hexbits"), 16).expect("hex bits");
        let got = if kind == Some("f") {
            let v = f32::from_bits(u32::try_from(bits).expect("32 bits"));
            text(|o| push_java_float(o, v))
        } else {
            text(|o| push_java_double(o, f64::from_bits(bits)))
        };
        assert_eq!(Some(got.as_str()), want, "{line}");
        count += 1;
    }
    println!("{count} values agree");
}

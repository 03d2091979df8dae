//! `zmij`, which gives Java's double text its digits, against `ryu`, which gave them before and
//! whose digits were held to Java 17's on 4.3 M values: the same shortest digits for any double
//! or float, and the same text in Java's plain range, where the text is pushed as it is.

/// The significant digits of a shortest text and the exponent of the first (`d.ddd × 10^e`).
fn digits(text: &str) -> (String, i32) {
    let (mantissa, exp) = text
        .split_once('e')
        .map_or((text, 0), |(m, e)| (m, e.parse().expect("an exponent")));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0');
    let zeros = i32::try_from(all.len() - significant.len()).expect("a few zeros");
    let int_len = i32::try_from(int.len()).expect("a few digits");
    (
        significant.trim_end_matches('0').to_string(),
        exp + int_len - 1 - zeros,
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
    #[test]
    fn zmij_gives_ryus_digits(bits: u64, thousandths in 1i64..10_000_000_000) {
        let v = f64::from_bits(bits).abs();
        proptest::prop_assume!(v.is_finite() && v > 0.0);
        #[allow(clippy::cast_precision_loss)]
        let plain = thousandths as f64 / 1000.0;
        for v in [v, plain] {
            let (z, r) = (zmij::Buffer::new().format_finite(v).to_string(), ryu::Buffer::new().format_finite(v).to_string());
            proptest::prop_assert_eq!(digits(&z), digits(&r), "{} {}", z, r);
            if (1e-3..1e7).contains(&v) {
                proptest::prop_assert_eq!(&z, &r);
            }
            #[allow(clippy::cast_possible_truncation)]
            let f = v as f32;
            if f.is_finite() && f > 0.0 {
                let (z, r) = (zmij::Buffer::new().format_finite(f).to_string(), ryu::Buffer::new().format_finite(f).to_string());
                proptest::prop_assert_eq!(digits(&z), digits(&r), "{} {}", z, r);
                if (1e-3..1e7).contains(&f64::from(f)) {
                    proptest::prop_assert_eq!(&z, &r);
                }
            }
        }
    }
}

//! `zmij`, which gives Java's double text its digits, against `ryu`, which gave them before and
//! whose digits were held to Java 17's on 4.3 M values: the same shortest digits for any double
//! or float, and the same text in Java's plain range, where the text is pushed as it is.

use proptest::prelude::*;

use super::super::text::shortest_digits;

/// `zmij`'s and `ryu`'s texts of one value agree: the same digits (split by the digit splitter
/// Java's layout uses), and the same text when `plain`.
fn agree(zmij: &str, ryu: &str, plain: bool) -> Result<(), TestCaseError> {
    let split = |text: &str| {
        let mut digits = [0u8; 24];
        let (n, e) = shortest_digits(text, &mut digits);
        (digits[..n].to_vec(), e)
    };
    prop_assert_eq!(split(zmij), split(ryu), "{} {}", zmij, ryu);
    if plain {
        prop_assert_eq!(zmij, ryu);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]
    #[test]
    fn zmij_gives_ryus_digits(bits: u64, thousandths in 1i64..10_000_000_000) {
        let v = f64::from_bits(bits).abs();
        prop_assume!(v.is_finite() && v > 0.0);
        #[allow(clippy::cast_precision_loss)]
        let plain = thousandths as f64 / 1000.0;
        for v in [v, plain] {
            let (mut z, mut r) = (zmij::Buffer::new(), ryu::Buffer::new());
            let in_plain_range = |v: f64| (1e-3..1e7).contains(&v);
            agree(z.format_finite(v), r.format_finite(v), in_plain_range(v))?;
            #[allow(clippy::cast_possible_truncation)]
            let f = v as f32;
            if f.is_finite() && f > 0.0 {
                agree(z.format_finite(f), r.format_finite(f), in_plain_range(f64::from(f)))?;
            }
        }
    }
}

//! The digits of Java 17's `Double.toString` / `Float.toString`: a port of `OpenJDK` 17's
//! `jdk.internal.math.FloatingDecimal.BinaryToASCIIBuffer.dtoa` (the pre-JDK-19 algorithm,
//! JDK-4511638), fed as `FloatingDecimal.getBinaryToASCIIConverter(double)` and `(float)` feed it.
//!
//! Its digits are not always the shortest: it forces a second digit in E-form, its stopping
//! test is symmetric (and, in the `int`/`long` paths, strict where the big-integer path is not),
//! and integers below 2^63 are printed from their exact value less `insignificantDigitsForPow2`
//! low digits. Each step is reproduced as Java does it, `int`/`long` wrap-around included;
//! `FDBigInteger`'s arithmetic is exact, so an exact big integer ([`Big`]) stands in for it
//! (its normalization shift scales every operand alike and changes no comparison).

use std::cmp::Ordering;

const EXP_SHIFT: i32 = 52;
const FRACT_HOB: u64 = 1 << EXP_SHIFT;
const SIGNIF_MASK: u64 = FRACT_HOB - 1;
const EXP_ONE: u64 = 1023 << EXP_SHIFT;
const MAX_SMALL_BIN_EXP: i32 = 62;
const MIN_SMALL_BIN_EXP: i32 = -(63 / 3);

/// `FDBigInteger.LONG_5_POW`: 5^i for every i whose power fits a `long`.
const LONG_5_POW: [i64; 27] = {
    let mut t = [1i64; 27];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

/// `FDBigInteger.SMALL_5_POW`: 5^i for every i whose power fits an `int`.
const SMALL_5_POW: [i32; 14] = {
    let mut t = [1i32; 14];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

/// `N_5_BITS`: approximately `ceil(log2(5^i))`.
const N_5_BITS: [i32; 27] = [
    0, 3, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56,
    59, 61,
];

/// `insignificantDigitsNumber`: the decimal digits of `2^i` less one (last entry as in Java).
const INSIGNIFICANT_DIGITS_NUMBER: [i32; 64] = [
    0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9,
    9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16, 16,
    16, 17, 17, 17, 18, 18, 18, 19,
];

/// Java's digits of a finite, non-zero magnitude: `0.d₁d₂…dₙ × 10^dec_exponent`. The digits
/// are as `dtoa` left them (a trailing `0` can remain: Java prints it too).
pub(crate) struct JavaDigits {
    buf: [u8; 24],
    first: usize,
    len: usize,
    dec_exponent: i32,
}

impl JavaDigits {
    /// The significant digits, ASCII.
    pub(crate) fn digits(&self) -> &[u8] {
        &self.buf[self.first..self.first + self.len]
    }

    /// The decimal exponent `e` of the first digit: the value is `d₁.d₂…dₙ × 10^e`.
    pub(crate) fn exponent(&self) -> i32 {
        self.dec_exponent - 1
    }

    /// `roundup`: adds one to the last digit; a carry out of the first turns `99…9` into
    /// `10…0` of the same length, one decimal exponent higher.
    fn roundup(&mut self) {
        let mut i = self.first + self.len - 1;
        let mut q = self.buf[i];
        if q == b'9' {
            while q == b'9' && i > self.first {
                self.buf[i] = b'0';
                i -= 1;
                q = self.buf[i];
            }
            if q == b'9' {
                self.dec_exponent += 1;
                self.buf[self.first] = b'1';
                return;
            }
        }
        self.buf[i] = q + 1;
    }
}

/// Java's digits of `f64::from_bits(bits)`, which must be finite and non-zero (sign ignored).
pub(crate) fn double_digits(bits: u64) -> JavaDigits {
    let mut fract_bits = bits & SIGNIF_MASK;
    #[allow(clippy::cast_possible_truncation)] // 11 bits
    let mut bin_exp = ((bits >> EXP_SHIFT) & 0x7ff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        debug_assert!(fract_bits != 0, "zero has no digits");
        #[allow(clippy::cast_possible_wrap)] // at most 64
        let leading_zeros = fract_bits.leading_zeros() as i32;
        let shift = leading_zeros - (63 - EXP_SHIFT);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 64 - leading_zeros;
    } else {
        fract_bits |= FRACT_HOB;
        n_significant_bits = EXP_SHIFT + 1;
    }
    dtoa(bin_exp - 1023, fract_bits, n_significant_bits)
}

/// Java's digits of `f32::from_bits(bits)`, which must be finite and non-zero (sign ignored):
/// the float's bits widened into a double's fraction, with 24 significant bits (fewer for a
/// subnormal) and the float's exponent.
pub(crate) fn float_digits(bits: u32) -> JavaDigits {
    const SINGLE_EXP_SHIFT: i32 = 23;
    let mut fract_bits = bits & ((1 << SINGLE_EXP_SHIFT) - 1);
    #[allow(clippy::cast_possible_wrap)] // 8 bits
    let mut bin_exp = ((bits >> SINGLE_EXP_SHIFT) & 0xff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        debug_assert!(fract_bits != 0, "zero has no digits");
        #[allow(clippy::cast_possible_wrap)] // at most 32
        let leading_zeros = fract_bits.leading_zeros() as i32;
        let shift = leading_zeros - (31 - SINGLE_EXP_SHIFT);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 32 - leading_zeros;
    } else {
        fract_bits |= 1 << SINGLE_EXP_SHIFT;
        n_significant_bits = SINGLE_EXP_SHIFT + 1;
    }
    let widened = u64::from(fract_bits) << (EXP_SHIFT - SINGLE_EXP_SHIFT);
    dtoa(bin_exp - 127, widened, n_significant_bits)
}

/// `estimateDecExp`: `floor(log10(v))` estimated from a linear fit of `log10` over the
/// mantissa; off by one at times, which `dtoa` fixes (too high) or tolerates.
fn estimate_dec_exp(fract_bits: u64, bin_exp: i32) -> i32 {
    let d2 = f64::from_bits(EXP_ONE | (fract_bits & SIGNIF_MASK));
    // Java's constants as written (the last one is not quite `LOG10_2`, nor meant to be).
    #[allow(clippy::approx_constant)]
    let d = (d2 - 1.5) * 0.289_529_654 + 0.176_091_259 + f64::from(bin_exp) * 0.301_029_995_663_981;
    // Java's bit twiddling is `floor` here: |d| < 400.
    #[allow(clippy::cast_possible_truncation)]
    {
        d.floor() as i32
    }
}

/// `insignificantDigitsForPow2`.
fn insignificant_digits_for_pow2(p2: i32) -> i32 {
    usize::try_from(p2)
        .ok()
        .filter(|&p| p > 1)
        .and_then(|p| INSIGNIFICANT_DIGITS_NUMBER.get(p).copied())
        .unwrap_or(0)
}

/// `developLongDigits(0, lvalue, insignificant)`: drops `insignificant` low digits, rounding
/// half up, then the trailing zeros.
fn long_digits(mut lvalue: i64, insignificant: i32) -> JavaDigits {
    let mut dec_exponent = 0;
    if insignificant != 0 {
        let i = usize::try_from(insignificant).expect("positive");
        let pow10 = LONG_5_POW[i] << i;
        let residue = lvalue % pow10;
        lvalue /= pow10;
        dec_exponent += insignificant;
        if residue >= pow10 >> 1 {
            lvalue += 1;
        }
    }
    debug_assert!(lvalue > 0);
    let mut out = JavaDigits {
        buf: [b'0'; 24],
        first: 0,
        len: 0,
        dec_exponent: 0,
    };
    let mut digitno = out.buf.len() - 1;
    let digit = |v: i64| b'0' + u8::try_from(v % 10).expect("a digit");
    let mut c = digit(lvalue);
    lvalue /= 10;
    while c == b'0' {
        dec_exponent += 1;
        c = digit(lvalue);
        lvalue /= 10;
    }
    while lvalue != 0 {
        out.buf[digitno] = c;
        digitno -= 1;
        dec_exponent += 1;
        c = digit(lvalue);
        lvalue /= 10;
    }
    out.buf[digitno] = c;
    out.dec_exponent = dec_exponent + 1;
    out.first = digitno;
    out.len = out.buf.len() - digitno;
    out
}

/// The digit loop's state when it stops: whether the remainder is within half an ulp below
/// (`low`) or above (`high`), and the sign of `2 × remainder − 10 × S` for a tie.
struct Stop {
    low: bool,
    high: bool,
    low_digit_difference: i64,
}

/// `dtoa(binExp, fractBits, nSignificantBits, true)` for a positive, normalized `fract_bits`
/// (high-order bit at 2^52) times `2^(bin_exp − 52)`.
#[allow(clippy::similar_names)] // Java's B2, B5, S2, S5, M2, M5
fn dtoa(bin_exp: i32, fract_bits: u64, n_significant_bits: i32) -> JavaDigits {
    #[allow(clippy::cast_possible_wrap)] // at most 64
    let tail_zeros = fract_bits.trailing_zeros() as i32;
    let n_fract_bits = EXP_SHIFT + 1 - tail_zeros;
    let n_tiny_bits = (n_fract_bits - bin_exp - 1).max(0);
    // An integer below 2^63 (`nTinyBits == 0` makes the fit test true): its exact digits,
    // less the insignificant ones.
    if (MIN_SMALL_BIN_EXP..=MAX_SMALL_BIN_EXP).contains(&bin_exp) && n_tiny_bits == 0 {
        let insignificant = if bin_exp > n_significant_bits {
            insignificant_digits_for_pow2(bin_exp - n_significant_bits - 1)
        } else {
            0
        };
        let lvalue = if bin_exp >= EXP_SHIFT {
            fract_bits << (bin_exp - EXP_SHIFT)
        } else {
            fract_bits >> (EXP_SHIFT - bin_exp)
        };
        return long_digits(i64::try_from(lvalue).expect("below 2^63"), insignificant);
    }
    let mut dec_exp = estimate_dec_exp(fract_bits, bin_exp);
    let b5 = (-dec_exp).max(0);
    let mut b2 = b5 + n_tiny_bits + bin_exp;
    let s5 = dec_exp.max(0);
    let mut s2 = s5 + n_tiny_bits;
    let m5 = b5;
    let mut m2 = b2 - n_significant_bits;
    let fract = fract_bits >> tail_zeros;
    b2 -= n_fract_bits - 1;
    let common2factor = b2.min(s2);
    b2 -= common2factor;
    s2 -= common2factor;
    m2 -= common2factor;
    // An exact power of two: the next smaller value is half as far away.
    if n_fract_bits == 1 {
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }
    let n5_bits = |p5: i32| {
        usize::try_from(p5)
            .ok()
            .and_then(|p| N_5_BITS.get(p).copied())
    };
    let b_bits = n_fract_bits + b2 + n5_bits(b5).unwrap_or(b5 * 3);
    let ten_s_bits = s2 + 1 + n5_bits(s5 + 1).unwrap_or((s5 + 1) * 3);
    let mut out = JavaDigits {
        buf: [b'0'; 24],
        first: 0,
        len: 0,
        dec_exponent: 0,
    };
    let p = [b5, b2, s5, s2, m5, m2];
    let stop = if b_bits < 64 && ten_s_bits < 64 {
        if b_bits < 32 && ten_s_bits < 32 {
            int_loop(&mut out, &mut dec_exp, fract, p)
        } else {
            long_loop(&mut out, &mut dec_exp, fract, p)
        }
    } else {
        big_loop(&mut out, &mut dec_exp, fract, p)
    };
    out.dec_exponent = dec_exp + 1;
    // The last digit is rounded by the stopping condition.
    let tie_to_odd = |out: &JavaDigits| {
        stop.low_digit_difference == 0 && out.buf[out.first + out.len - 1] & 1 != 0
    };
    if stop.high && (!stop.low || stop.low_digit_difference > 0 || tie_to_odd(&out)) {
        out.roundup();
    }
    out
}

/// Java's `int` and `long` digit loops, one body: `b / s` digit by digit, stopping once the
/// remainder `b` is within `m` of either end (`b < m`, `b + m > 10 s`), with Java's
/// wrap-around (`m` may overflow: then both tests hold).
macro_rules! small_loop {
    ($name:ident, $t:ty, $pow5:ident) => {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_possible_wrap,
            clippy::cast_sign_loss
        )]
        fn $name(out: &mut JavaDigits, dec_exp: &mut i32, fract: u64, p: [i32; 6]) -> Stop {
            let [b5, b2, s5, s2, m5, m2] = p.map(|x| x as u32);
            let mut b = (fract as $t)
                .wrapping_mul($pow5[b5 as usize] as $t)
                .wrapping_shl(b2);
            let s = ($pow5[s5 as usize] as $t).wrapping_shl(s2);
            let mut m = ($pow5[m5 as usize] as $t).wrapping_shl(m2);
            let tens = s.wrapping_mul(10);
            // The first digit, unrolled: a zero one means the estimate was one too high.
            let q = b.wrapping_div(s);
            b = b.wrapping_rem(s).wrapping_mul(10);
            m = m.wrapping_mul(10);
            let mut low = b < m;
            let mut high = b.wrapping_add(m) > tens;
            debug_assert!(q < 10, "excessively large digit");
            if q == 0 && !high {
                *dec_exp -= 1;
            } else {
                out.buf[out.len] = b'0'.wrapping_add(q as u8);
                out.len += 1;
            }
            // Java prints at least one digit after the point in E-form.
            if *dec_exp < -3 || *dec_exp >= 8 {
                high = false;
                low = false;
            }
            while !low && !high {
                let q = b.wrapping_div(s);
                b = b.wrapping_rem(s).wrapping_mul(10);
                m = m.wrapping_mul(10);
                debug_assert!(q < 10, "excessively large digit");
                if m > 0 {
                    low = b < m;
                    high = b.wrapping_add(m) > tens;
                } else {
                    low = true;
                    high = true;
                }
                out.buf[out.len] = b'0'.wrapping_add(q as u8);
                out.len += 1;
            }
            Stop {
                low,
                high,
                low_digit_difference: i64::from(b.wrapping_shl(1).wrapping_sub(tens)),
            }
        }
    };
}

small_loop!(int_loop, i32, SMALL_5_POW);
small_loop!(long_loop, i64, LONG_5_POW);

/// Java's `FDBigInteger` digit loop: as the small ones, but exact, and `high` is
/// `b + m >= 10 s` (not `>`).
#[allow(clippy::cast_sign_loss, clippy::many_single_char_names)] // non-negative powers; Java's names
fn big_loop(out: &mut JavaDigits, dec_exp: &mut i32, fract: u64, p: [i32; 6]) -> Stop {
    let [b5, b2, s5, s2, m5, m2] = p.map(|x| x as u32);
    let s = Big::mul_pow52(1, s5, s2);
    let mut b = Big::mul_pow52(fract, b5, b2);
    let mut m = Big::mul_pow52(10, m5, m2);
    let mut ten_s = s.clone();
    ten_s.mul_small(10);
    let q = b.quo_rem_times_10(&s);
    let mut low = b.cmp(&m) == Ordering::Less;
    let mut high = b.plus(&m).cmp(&ten_s) != Ordering::Less;
    debug_assert!(q < 10, "excessively large digit");
    if q == 0 && !high {
        *dec_exp -= 1;
    } else {
        out.buf[out.len] = b'0' + q;
        out.len += 1;
    }
    if *dec_exp < -3 || *dec_exp >= 8 {
        high = false;
        low = false;
    }
    while !low && !high {
        let q = b.quo_rem_times_10(&s);
        debug_assert!(q < 10, "excessively large digit");
        m.mul_small(10);
        low = b.cmp(&m) == Ordering::Less;
        high = b.plus(&m).cmp(&ten_s) != Ordering::Less;
        out.buf[out.len] = b'0' + q;
        out.len += 1;
    }
    let low_digit_difference = if high && low {
        b.mul_small(2);
        match b.cmp(&ten_s) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    } else {
        0
    };
    Stop {
        low,
        high,
        low_digit_difference,
    }
}

/// An exact non-negative integer of up to 1280 bits (`dtoa` needs under 900), little-endian
/// 64-bit limbs, `len` without leading zero limbs.
#[derive(Clone)]
struct Big {
    limbs: [u64; 20],
    len: usize,
}

impl Big {
    /// `v × 5^p5 × 2^p2`.
    fn mul_pow52(v: u64, mut p5: u32, p2: u32) -> Big {
        const POW5_27: u64 = 7_450_580_596_923_828_125;
        let mut big = Big {
            limbs: [0; 20],
            len: usize::from(v != 0),
        };
        big.limbs[0] = v;
        while p5 >= 27 {
            big.mul_small(POW5_27);
            p5 -= 27;
        }
        big.mul_small(5u64.pow(p5));
        big.shl(p2);
        big
    }

    fn mul_small(&mut self, k: u64) {
        let mut carry = 0u128;
        for limb in &mut self.limbs[..self.len] {
            let v = u128::from(*limb) * u128::from(k) + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        if carry != 0 {
            self.limbs[self.len] = carry as u64;
            self.len += 1;
        }
    }

    fn shl(&mut self, bits: u32) {
        let (words, bits) = ((bits / 64) as usize, bits % 64);
        if self.len == 0 {
            return;
        }
        let mut top = 0;
        if bits != 0 {
            top = self.limbs[self.len - 1] >> (64 - bits);
            for i in (1..self.len).rev() {
                self.limbs[i] = (self.limbs[i] << bits) | (self.limbs[i - 1] >> (64 - bits));
            }
            self.limbs[0] <<= bits;
        }
        self.limbs.copy_within(..self.len, words);
        self.limbs[..words].fill(0);
        self.len += words;
        if top != 0 {
            self.limbs[self.len] = top;
            self.len += 1;
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.len.cmp(&other.len).then_with(|| {
            self.limbs[..self.len]
                .iter()
                .rev()
                .cmp(other.limbs[..other.len].iter().rev())
        })
    }

    fn plus(&self, other: &Big) -> Big {
        let mut sum = self.clone();
        let len = self.len.max(other.len);
        let mut carry = false;
        for i in 0..len {
            let (v, c1) = sum.limbs[i].overflowing_add(other.limbs[i]);
            let (v, c2) = v.overflowing_add(u64::from(carry));
            sum.limbs[i] = v;
            carry = c1 || c2;
        }
        sum.len = len;
        if carry {
            sum.limbs[len] = 1;
            sum.len += 1;
        }
        sum
    }

    /// `self −= other`, `self >= other`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = false;
        for i in 0..self.len {
            let (v, b1) = self.limbs[i].overflowing_sub(other.limbs[i]);
            let (v, b2) = v.overflowing_sub(u64::from(borrow));
            self.limbs[i] = v;
            borrow = b1 || b2;
        }
        debug_assert!(!borrow);
        while self.len > 0 && self.limbs[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    /// `quoRemIteration`: returns `self / s` (a digit) and leaves `10 × (self mod s)`.
    fn quo_rem_times_10(&mut self, s: &Big) -> u8 {
        let mut q = 0;
        while self.cmp(s) != Ordering::Less {
            self.sub(s);
            q += 1;
        }
        self.mul_small(10);
        q
    }
}

//! Group keys as bytes: the group-by columns of a row, encoded so that equal keys (as Spark
//! groups them) have equal bytes. The bytes are interned, so a key costs one lookup however
//! many columns it has.
//!
//! Each column is a tag (`0` NULL, `1` a value) then the value: integers and timestamps as 8
//! big-endian bytes with the sign bit flipped; floating point normalised as Spark's
//! `NormalizeFloatingNumbers` does (`-0.0` is `0.0`, every `NaN` one `NaN`), then ordered by its
//! bits; booleans as one byte; a string as its bytes, after its length (a varint) unless it is
//! the last column. Byte order is Spark's order of the values, NULL first, except that a string
//! before the last column sorts by length first ([`compare`] orders such keys by their text).

use super::types::{DataType, Value};

/// The tag before a column's value (`0` is before a NULL).
pub(crate) const VALUE: u8 = 1;

/// Appends the key of `values` (one per group-by column, of `types`) to `out`.
pub fn encode<'a>(
    types: &[DataType],
    values: impl IntoIterator<Item = Value<'a>>,
    out: &mut Vec<u8>,
) {
    let last = types.len().saturating_sub(1);
    for (i, (value, &ty)) in values.into_iter().zip(types).enumerate() {
        encode_one(ty, value, i == last, out);
    }
}

#[inline]
fn encode_one(ty: DataType, value: Value<'_>, last: bool, out: &mut Vec<u8>) {
    if value.is_null() {
        out.push(0);
        return;
    }
    out.push(VALUE);
    match (ty, value) {
        (DataType::String, Value::Str(s)) => encode_text(s.as_bytes(), last, out),
        (DataType::Boolean, Value::Bool(b)) => out.push(u8::from(b)),
        (DataType::Float, Value::Float(f)) => {
            let f = if f == 0.0 {
                0.0
            } else if f.is_nan() {
                f32::NAN
            } else {
                f
            };
            let bits = f.to_bits();
            let ordered = if bits >> 31 == 1 {
                !bits
            } else {
                bits | 1 << 31
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        (DataType::Double, Value::Double(f)) => {
            let f = if f == 0.0 {
                0.0
            } else if f.is_nan() {
                f64::NAN
            } else {
                f
            };
            let bits = f.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        (_, Value::Long(v) | Value::Timestamp(v)) => {
            out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
        }
        // A value of another kind than its column's type: the sources never make one.
        _ => {
            out.pop();
            out.push(0);
        }
    }
}

/// Appends the key column of a non-NULL string (`bytes`, UTF-8), as [`encode`] does.
#[inline]
pub(crate) fn encode_string(bytes: &[u8], last: bool, out: &mut Vec<u8>) {
    out.push(VALUE);
    encode_text(bytes, last, out);
}

#[inline]
fn encode_text(bytes: &[u8], last: bool, out: &mut Vec<u8>) {
    if !last {
        let mut n = bytes.len();
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    out.extend_from_slice(bytes);
}

/// Appends the key of one column, as [`encode`] does for column `i` of `types`.
#[inline]
pub(crate) fn encode_column(types: &[DataType], i: usize, value: Value<'_>, out: &mut Vec<u8>) {
    if let Some(&ty) = types.get(i) {
        encode_one(ty, value, i + 1 == types.len(), out);
    }
}

/// How the encoded keys `a` and `b` of `types` compare, column by column in Spark's order of
/// the values (NULL first): as their bytes do, but a string before the last column by its
/// text rather than its length first.
pub fn compare(types: &[DataType], mut a: &[u8], mut b: &[u8]) -> std::cmp::Ordering {
    let last = types.len().saturating_sub(1);
    for (i, &ty) in types.iter().enumerate() {
        let (Some((x, a_rest)), Some((y, b_rest))) =
            (decode_one(ty, a, i == last), decode_one(ty, b, i == last))
        else {
            return a.cmp(b);
        };
        let order = match (x, y) {
            (Value::Str(x), Value::Str(y)) => x.cmp(y),
            // A tag, then a value of fixed width, ordered as its bytes.
            _ => a[..a.len() - a_rest.len()].cmp(&b[..b.len() - b_rest.len()]),
        };
        if order.is_ne() {
            return order;
        }
        (a, b) = (a_rest, b_rest);
    }
    std::cmp::Ordering::Equal
}

/// The values of an encoded key, one per column of `types`; stops early on damaged bytes.
pub fn decode<'a>(
    types: &'a [DataType],
    mut bytes: &'a [u8],
) -> impl Iterator<Item = Value<'a>> + 'a {
    let last = types.len().saturating_sub(1);
    types.iter().enumerate().map_while(move |(i, &ty)| {
        let (value, rest) = decode_one(ty, bytes, i == last)?;
        bytes = rest;
        Some(value)
    })
}

fn decode_one(ty: DataType, bytes: &[u8], last: bool) -> Option<(Value<'_>, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    if tag == 0 {
        return Some((Value::Null, rest));
    }
    let fixed = |n: usize| rest.get(..n).map(|b| (b, &rest[n..]));
    Some(match ty {
        DataType::String if last => (
            Value::Str(std::str::from_utf8(rest).ok()?),
            &rest[rest.len()..],
        ),
        DataType::String => {
            let (mut len, mut shift, mut at) = (0usize, 0, 0);
            loop {
                let byte = *rest.get(at)?;
                len |= usize::from(byte & 0x7F).checked_shl(shift)?;
                at += 1;
                shift += 7;
                if byte < 0x80 {
                    break;
                }
            }
            let text = rest.get(at..at.checked_add(len)?)?;
            (
                Value::Str(std::str::from_utf8(text).ok()?),
                &rest[at + len..],
            )
        }
        DataType::Boolean => {
            let (b, rest) = fixed(1)?;
            (Value::Bool(b[0] != 0), rest)
        }
        DataType::Float => {
            let (b, rest) = fixed(4)?;
            let ordered = u32::from_be_bytes(b.try_into().ok()?);
            let bits = if ordered >> 31 == 1 {
                ordered & !(1 << 31)
            } else {
                !ordered
            };
            (Value::Float(f32::from_bits(bits)), rest)
        }
        DataType::Double => {
            let (b, rest) = fixed(8)?;
            let ordered = u64::from_be_bytes(b.try_into().ok()?);
            let bits = if ordered >> 63 == 1 {
                ordered & !(1 << 63)
            } else {
                !ordered
            };
            (Value::Double(f64::from_bits(bits)), rest)
        }
        DataType::Timestamp => {
            let (b, rest) = fixed(8)?;
            (
                Value::Timestamp((u64::from_be_bytes(b.try_into().ok()?) ^ 1 << 63) as i64),
                rest,
            )
        }
        DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
            let (b, rest) = fixed(8)?;
            (
                Value::Long((u64::from_be_bytes(b.try_into().ok()?) ^ 1 << 63) as i64),
                rest,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(types: &[DataType], values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(types, values.iter().copied(), &mut out);
        out
    }

    #[test]
    fn keys_round_trip_and_sort_as_spark_orders_values() {
        let types = [
            DataType::String,
            DataType::Double,
            DataType::Long,
            DataType::String,
        ];
        let long = "x".repeat(300);
        let rows = [
            [
                Value::Null,
                Value::Double(1.0),
                Value::Long(-1),
                Value::Str("x"),
            ],
            [
                Value::Str(""),
                Value::Double(f64::NEG_INFINITY),
                Value::Long(0),
                Value::Null,
            ],
            [
                Value::Str("a"),
                Value::Double(-2.5),
                Value::Long(i64::MIN),
                Value::Str(""),
            ],
            [
                Value::Str("a"),
                Value::Double(0.0),
                Value::Long(5),
                Value::Str("b"),
            ],
            [
                Value::Str("a"),
                Value::Double(f64::NAN),
                Value::Long(5),
                Value::Str("b"),
            ],
            [
                Value::Str("ab"),
                Value::Double(3.0),
                Value::Long(1),
                Value::Str("\0"),
            ],
            [
                Value::Str("a\0b"),
                Value::Double(3.0),
                Value::Long(i64::MAX),
                Value::Str("日本"),
            ],
            [
                Value::Str(&long),
                Value::Double(3.0),
                Value::Long(i64::MAX),
                Value::Str("z"),
            ],
        ];
        let keys: Vec<Vec<u8>> = rows.iter().map(|r| key(&types, r)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(
            sorted, keys,
            "byte order: NULL first, then by length and bytes"
        );
        for (row, bytes) in rows.iter().zip(&keys) {
            let back: Vec<Value> = decode(&types, bytes).collect();
            assert_eq!(back.len(), 4);
            for (a, b) in row.iter().zip(&back) {
                match (a, b) {
                    (Value::Double(x), Value::Double(y)) if x.is_nan() => assert!(y.is_nan()),
                    _ => assert_eq!(a, b),
                }
            }
        }
    }

    #[test]
    fn compare_orders_keys_by_their_values_column_by_column() {
        let types = [DataType::String, DataType::Int, DataType::String];
        let keys: Vec<Vec<u8>> = [
            [Value::Null, Value::Long(2), Value::Str("z")],
            [Value::Str(""), Value::Long(-5), Value::Null],
            [Value::Str("aaaa"), Value::Long(-1), Value::Str("b")],
            [Value::Str("aaaa"), Value::Long(7), Value::Str("a")],
            [Value::Str("b"), Value::Null, Value::Str("a")],
            [Value::Str("b"), Value::Long(0), Value::Str("")],
            [Value::Str("b"), Value::Long(0), Value::Str("aa")],
        ]
        .iter()
        .map(|values| key(&types, values))
        .collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(compare(&types, a, b), i.cmp(&j), "{i} against {j}");
            }
        }
        // Their bytes put "b" before "aaaa" (a string before the last column, length first).
        assert!(keys[4] < keys[2]);
    }

    #[test]
    fn one_column_keys_sort_by_value() {
        let types = [DataType::Long];
        let mut keys: Vec<Vec<u8>> = [5, -3, i64::MIN, 0, 10]
            .iter()
            .map(|v| key(&types, &[Value::Long(*v)]))
            .collect();
        keys.sort();
        let back: Vec<Value> = keys.iter().flat_map(|k| decode(&types, k)).collect();
        assert_eq!(
            back,
            [-3, 0, 5, 10]
                .iter()
                .fold(vec![Value::Long(i64::MIN)], |mut v, x| {
                    v.push(Value::Long(*x));
                    v
                })
        );
        let types = [DataType::String];
        assert!(key(&types, &[Value::Str("10")]) < key(&types, &[Value::Str("2")]));
    }

    #[test]
    fn spark_groups_minus_zero_with_zero_and_every_nan_together() {
        let types = [DataType::Double];
        assert_eq!(
            key(&types, &[Value::Double(-0.0)]),
            key(&types, &[Value::Double(0.0)])
        );
        let other_nan = f64::from_bits(f64::NAN.to_bits() | 1);
        assert_eq!(
            key(&types, &[Value::Double(other_nan)]),
            key(&types, &[Value::Double(f64::NAN)])
        );
        let types = [DataType::Float];
        assert_eq!(
            key(&types, &[Value::Float(-0.0)]),
            key(&types, &[Value::Float(0.0)])
        );
        assert!(key(&types, &[Value::Float(-1.0)]) < key(&types, &[Value::Float(0.5)]));
    }
}

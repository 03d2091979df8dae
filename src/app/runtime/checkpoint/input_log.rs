//! A live batch's rows as the checkpoint logs them before the batch runs (`input/N`).
//!
//! The log is written for every live batch, so it must be cheap to write and small: a row is its
//! event time as the difference from the row before (a zigzag varint, one byte when lines arrive
//! together), its encoded length as a varint, then its encoded bytes ([`Rows::raw`]). Nothing is
//! allocated per row. Reading it back checks every row against the query's column types.

use crate::app::source::inbox::Rows;
use crate::engine::{DataType, Micros};

/// Appends `rows` to `out`.
pub fn encode(rows: &Rows, out: &mut Vec<u8>) {
    out.reserve(rows.bytes() + 3 * rows.len() + 10);
    put_varint(out, rows.len() as u64);
    let mut previous: Micros = 0;
    for (event_time, bytes) in rows.raw() {
        put_varint(out, zigzag(event_time.wrapping_sub(previous)));
        put_varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
        previous = event_time;
    }
}

/// The rows `encode` wrote, or `None` when `body` is not such a log of rows of `types`.
pub fn decode(body: &[u8], types: &[DataType]) -> Option<Rows> {
    let mut at = body;
    let count = take_varint(&mut at)?;
    let mut rows = Rows::default();
    let mut previous: Micros = 0;
    for _ in 0..count {
        let event_time = previous.wrapping_add(unzigzag(take_varint(&mut at)?));
        let len = usize::try_from(take_varint(&mut at)?).ok()?;
        let bytes = at.get(..len)?;
        rows.push_raw(event_time, bytes, types).ok()?;
        at = &at[len..];
        previous = event_time;
    }
    at.is_empty().then_some(rows)
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(at: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = at.split_first()?;
        *at = rest;
        n |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte < 0x80 {
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Value;

    const TYPES: [DataType; 1] = [DataType::String];

    fn rows(items: &[(Micros, &str)]) -> Rows {
        let mut rows = Rows::default();
        for (t, v) in items {
            rows.push(*t, &[Value::Str(v)]);
        }
        rows
    }

    #[test]
    fn round_trips_any_times_and_values() {
        let original = rows(&[
            (1_763_919_180_000_000, "3"),
            (1_763_919_180_000_000, "10"),
            (1_763_919_179_999_999, ""),
            (i64::MIN, "a,\"b\"\nc"),
            (i64::MAX, "日本語"),
            (0, &"x".repeat(300)),
        ]);
        let mut body = Vec::new();
        encode(&original, &mut body);
        assert_eq!(decode(&body, &TYPES), Some(original));
        let mut empty = Vec::new();
        encode(&Rows::default(), &mut empty);
        assert_eq!(decode(&empty, &TYPES), Some(Rows::default()));
    }

    #[test]
    fn lines_that_arrive_together_cost_a_few_bytes_each() {
        let many = rows(&vec![(1_763_919_180_000_000, "7"); 1000]);
        let mut body = Vec::new();
        encode(&many, &mut body);
        // The first row carries the full time; each other costs 1 + 1 + 5 bytes.
        assert!(body.len() < 7 * 1000 + 16, "{} bytes", body.len());
    }

    #[test]
    fn refuses_anything_cut_short_padded_or_of_other_types() {
        let mut body = Vec::new();
        encode(&rows(&[(5, "ab"), (6, "cd")]), &mut body);
        for cut in 0..body.len() {
            assert_eq!(decode(&body[..cut], &TYPES), None, "cut at {cut}");
        }
        let mut padded = body.clone();
        padded.push(0);
        assert_eq!(decode(&padded, &TYPES), None);
        let mut bad = body.clone();
        let at = bad.len() - 1;
        bad[at] = 0xff;
        assert_eq!(decode(&bad, &TYPES), None, "not UTF-8");
        assert_eq!(decode(&body, &[DataType::Long]), None, "not a LONG");
        assert_eq!(
            decode(&[0xff; 11], &TYPES),
            None,
            "a varint longer than 64 bits"
        );
    }
}

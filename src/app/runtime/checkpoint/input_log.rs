//! A live batch's rows as the checkpoint logs them before the batch runs (in its begin record;
//! format 3 wrote them to `input/N`).
//!
//! The log is written for every live batch, so it must be cheap to write and small: a row is its
//! event time as the difference from the row before (a zigzag varint, one byte when lines arrive
//! together), then each column: `0` for a NULL, else its encoded length plus one as a varint and
//! its encoded bytes ([`EncodedRow::cells`]). The seed's lines `0`..`10` cost three or four bytes
//! each. Nothing is allocated per row. Reading it back checks every cell against the query's
//! column types.
//!
//! Checkpoint format 2 logged each row's whole image instead ([`Rows::raw`]: a header of column
//! ends, then the cells), twice the bytes for short lines; such logs are still read.

use crate::app::source::inbox::Rows;
use crate::engine::{DataType, EncodedRow, Micros};

/// The checkpoint format whose input logs hold row images.
const ROW_IMAGES: u32 = 2;

/// Appends `rows`, rows of `types`, to `out`.
pub fn encode(rows: &Rows, types: &[DataType], out: &mut Vec<u8>) {
    out.reserve(rows.bytes() + 2 * rows.len() + 10);
    put_varint(out, rows.len() as u64);
    let mut previous: Micros = 0;
    for (event_time, row) in rows.iter(types) {
        put_varint(out, zigzag(event_time.wrapping_sub(previous)));
        put_cells(&row, out);
        previous = event_time;
    }
}

fn put_cells(row: &EncodedRow<'_>, out: &mut Vec<u8>) {
    for cell in row.cells() {
        match cell {
            None => out.push(0),
            Some(bytes) => {
                put_varint(out, bytes.len() as u64 + 1);
                // A few bytes (most cells) are pushed: `extend_from_slice` calls `memcpy`.
                if bytes.len() <= 8 {
                    for &b in bytes {
                        out.push(b);
                    }
                } else {
                    out.extend_from_slice(bytes);
                }
            }
        }
    }
}

/// The rows `encode` wrote (or, for checkpoint format 2, its encoder), or `None` when `body` is
/// not such a log of rows of `types`.
pub fn decode(body: &[u8], types: &[DataType], version: u32) -> Option<Rows> {
    let mut at = body;
    let count = take_varint(&mut at)?;
    let mut rows = Rows::default();
    let mut previous: Micros = 0;
    for _ in 0..count {
        let event_time = previous.wrapping_add(unzigzag(take_varint(&mut at)?));
        if version == ROW_IMAGES {
            let len = usize::try_from(take_varint(&mut at)?).ok()?;
            rows.push_raw(event_time, at.get(..len)?, types).ok()?;
            at = &at[len..];
        } else {
            let mut row = rows.writer(types.len());
            for &ty in types {
                match take_varint(&mut at)? {
                    0 => row.null(),
                    n => {
                        let len = usize::try_from(n - 1).ok()?;
                        row.cell(ty, at.get(..len)?).ok()?;
                        at = &at[len..];
                    }
                }
            }
            row.finish(event_time);
        }
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
    use crate::app::runtime::checkpoint::framed::VERSION;
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
        encode(&original, &TYPES, &mut body);
        assert_eq!(decode(&body, &TYPES, VERSION), Some(original));
        let mut empty = Vec::new();
        encode(&Rows::default(), &TYPES, &mut empty);
        assert_eq!(decode(&empty, &TYPES, VERSION), Some(Rows::default()));
    }

    #[test]
    fn round_trips_every_type_and_nulls() {
        let types = [
            DataType::Timestamp,
            DataType::String,
            DataType::Long,
            DataType::Double,
            DataType::Float,
            DataType::Boolean,
        ];
        let mut original = Rows::default();
        original.push(
            7,
            &[
                Value::Timestamp(-3),
                Value::Str("x"),
                Value::Long(i64::MIN),
                Value::Double(-0.5),
                Value::Float(1.5),
                Value::Bool(true),
            ],
        );
        original.push(8, &[Value::Null; 6]);
        original.push(
            9,
            &[
                Value::Timestamp(0),
                Value::Str(""),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Bool(false),
            ],
        );
        let mut body = Vec::new();
        encode(&original, &types, &mut body);
        assert_eq!(decode(&body, &types, VERSION), Some(original));
    }

    #[test]
    fn reads_the_row_images_of_checkpoint_format_2() {
        let original = rows(&[(5, "ab"), (5, ""), (3, "日本")]);
        // Format 2: the count, then each row's time difference, image length and image.
        let mut body = vec![3];
        let mut previous = 0;
        for (t, image) in original.raw() {
            put_varint(&mut body, zigzag(t - previous));
            put_varint(&mut body, image.len() as u64);
            body.extend_from_slice(image);
            previous = t;
        }
        assert_eq!(decode(&body, &TYPES, ROW_IMAGES), Some(original.clone()));
        assert_eq!(decode(&body, &TYPES, VERSION), None, "not cells");
    }

    #[test]
    fn lines_that_arrive_together_cost_a_few_bytes_each() {
        let many = rows(&vec![(1_763_919_180_000_000, "7"); 1000]);
        let mut body = Vec::new();
        encode(&many, &TYPES, &mut body);
        // The first row carries the full time; each other costs 1 + 1 + 1 bytes.
        assert!(body.len() < 3 * 1000 + 16, "{} bytes", body.len());
    }

    #[test]
    fn refuses_anything_cut_short_padded_or_of_other_types() {
        let mut body = Vec::new();
        encode(&rows(&[(5, "ab"), (6, "cd")]), &TYPES, &mut body);
        let decode = |body: &[u8], types: &[DataType]| decode(body, types, VERSION);
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
            decode(&body, &[DataType::String, DataType::String]),
            None,
            "a column too many"
        );
        assert_eq!(
            decode(&[0xff; 11], &TYPES),
            None,
            "a varint longer than 64 bits"
        );
    }
}

//! Eight bytes at a time: tests of a word of input for bytes of interest, for the readers'
//! scans (the replay reader's fields, a JSON line's strings).

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

/// `0x80` in each byte of `word` that equals `byte`, `0` in the others (exact: no carry runs
/// from one byte into the next).
#[inline]
pub fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The eight bytes of `data` at `at`, zeros past its end (a zero is none of the bytes looked
/// for); `None` at or past the end.
#[inline]
pub fn word_at(data: &[u8], at: usize) -> Option<u64> {
    if let Some(chunk) = data.get(at..at + 8).and_then(|s| s.first_chunk::<8>()) {
        return Some(u64::from_le_bytes(*chunk));
    }
    let tail = data.get(at..).filter(|t| !t.is_empty())?;
    let mut chunk = [0u8; 8];
    chunk[..tail.len()].copy_from_slice(tail);
    Some(u64::from_le_bytes(chunk))
}

/// `0x80` in the first byte of `word` below `byte` (the lowest such byte is exact; bytes above
/// it may be flagged too, but none below `byte` is missed), for `byte` at most `0x80`.
#[inline]
pub fn bytes_below(word: u64, byte: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(byte)) & !word & (ONES * 0x80)
}

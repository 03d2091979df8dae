//! A floor for `bench/run.sh`'s 9c shape (a replay file of `batch,event_time,value` with many
//! distinct values): the least work its query takes, for comparison with window-tui's.
//!
//! It counts the rows of each value in 30 s windows sliding every 15 s and, at the end of each
//! tick, writes the windows a 15 s watermark has passed as the json sink's lines, to stdout.
//! That is the query's arithmetic and output alone: no late rows, no progress, no state
//! accounting, no checkpoint. Values (of at most 8 bytes) are kept packed in a `u64`, in one hash
//! map per window: a key compared without reading the file again. With
//! `THREADS` above 1 the values are split between threads by hash, each thread reading the
//! whole file (the parse is cheap beside the counting). Run on a file of another shape it
//! answers nonsense; it checks nothing.
//!
//! `cargo run --release --example values_floor -- FILE [THREADS]`

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::io::Write;

use rustc_hash::{FxBuildHasher, FxHashMap};
use window_tui::engine::{Fraction, MICROS_PER_SECOND, Micros, TimestampParser, Utc};

const WINDOW: Micros = 30 * MICROS_PER_SECOND;
const SLIDE: Micros = 15 * MICROS_PER_SECOND;
const DELAY: Micros = 15 * MICROS_PER_SECOND;
/// Output is written to stdout in pieces of about this size.
const PIECE: usize = 1 << 20;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: values_floor FILE [THREADS]";
    let data = std::fs::read(args.get(1).expect(usage))?;
    let threads: u64 = args.get(2).map_or(1, |n| n.parse().expect(usage)).max(1);
    let body = data
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&data[..0], |header| &data[header + 1..]);
    std::thread::scope(|scope| {
        let shards: Vec<_> = (0..threads)
            .map(|shard| scope.spawn(move || count(body, shard, threads)))
            .collect();
        shards
            .into_iter()
            .try_for_each(|s| s.join().expect("a shard panicked"))
    })
}

/// Counts and writes the values whose hash falls to `shard` of `shards`.
fn count(body: &[u8], shard: u64, shards: u64) -> std::io::Result<()> {
    let mut windows: BTreeMap<Micros, FxHashMap<u64, u64>> = BTreeMap::new();
    let (mut parser, mut out) = (TimestampParser::new(), Vec::with_capacity(2 * PIECE));
    let (mut tick, mut max_time) = (None, Micros::MIN);
    for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut cells = line.splitn(3, |&b| b == b',');
        let (Some(batch), Some(time), Some(value)) = (cells.next(), cells.next(), cells.next())
        else {
            continue;
        };
        if tick.is_some_and(|t| t != batch) {
            emit(&mut windows, max_time.saturating_sub(DELAY), &mut out)?;
        }
        tick = Some(batch);
        let Ok(t) = parser.parse(time) else { continue };
        max_time = max_time.max(t);
        let value = pack(value);
        if FxBuildHasher.hash_one(value) % shards != shard {
            continue;
        }
        let mut start = t - t.rem_euclid(SLIDE);
        while start > t - WINDOW {
            *windows.entry(start).or_default().entry(value).or_default() += 1;
            start -= SLIDE;
        }
    }
    emit(&mut windows, max_time.saturating_sub(DELAY), &mut out)?;
    std::io::stdout().lock().write_all(&out)
}

/// Writes the windows ending at or before `watermark` as json lines, and drops them.
fn emit(
    windows: &mut BTreeMap<Micros, FxHashMap<u64, u64>>,
    watermark: Micros,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    while let Some(entry) = windows.first_entry() {
        let start = *entry.key();
        if start + WINDOW > watermark {
            break;
        }
        let prefix = format!(
            r#"{{"batch_id":0,"window":{{"start":"{}","end":"{}"}},"value":""#,
            Utc(start, Fraction::Auto),
            Utc(start + WINDOW, Fraction::Auto)
        );
        for (value, count) in entry.remove() {
            out.extend_from_slice(prefix.as_bytes());
            let bytes = value.to_le_bytes();
            out.extend_from_slice(&bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(8)]);
            out.extend_from_slice(br#"","count":"#);
            out.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
            out.extend_from_slice(b"}\n");
            if out.len() >= PIECE {
                std::io::stdout().lock().write_all(out)?;
                out.clear();
            }
        }
    }
    Ok(())
}

/// `value`'s bytes in a `u64`, first byte lowest (a value has no NUL byte).
fn pack(value: &[u8]) -> u64 {
    assert!(
        value.len() <= 8,
        "values_floor takes values of at most 8 bytes"
    );
    let mut bytes = [0; 8];
    bytes[..value.len()].copy_from_slice(value);
    u64::from_le_bytes(bytes)
}

//! A floor for `bench/run.sh`'s 9a shape (the seed's replay file, `batch,event_time,value`
//! with one-byte values): the least work its counting takes, for comparison with window-tui's.
//!
//! Two threads each read half the file with `read` into a buffer of their own, as window-tui
//! reads it (no memory mapping), and count the rows per (15 s pane, value byte) with
//! window-tui's timestamp parser: the tick's field is skipped, not read; the event time is
//! taken at its fixed place and width; the value is one byte, counted in an array. No
//! watermark, windows, late rows, statistics or output: it prints the row count and the number
//! of (pane, value) counts. Run on a file of another shape it answers nonsense; it checks
//! nothing.
//!
//! `cargo run --release --example seed_floor -- FILE`

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use window_tui::engine::{MICROS_PER_SECOND, Micros, TimestampParser};

const PANE: Micros = 15 * MICROS_PER_SECOND;
/// Bytes read at a time, as window-tui's reading threads read.
const BUFFER: usize = 1 << 18;

fn main() -> std::io::Result<()> {
    let path = &std::env::args().nth(1).expect("usage: seed_floor FILE");
    let size = std::fs::metadata(path)?.len();
    let halves = [(0, size / 2), (size / 2, size)];
    let counted = std::thread::scope(|scope| {
        let threads: Vec<_> = halves
            .iter()
            .map(|&(from, to)| scope.spawn(move || count(path, from, to)))
            .collect();
        let mut counted = Vec::new();
        for thread in threads {
            counted.push(thread.join().expect("a thread panicked")?);
        }
        Ok::<_, std::io::Error>(counted)
    })?;
    let rows: u64 = counted.iter().map(|c| c.rows).sum();
    let ticks: u64 = counted.iter().map(|c| c.ticks).sum();
    let counts: usize = counted.iter().map(|c| c.runs.len()).sum();
    println!(
        "{rows} rows, {ticks} ticks (counted apart on each thread), {counts} (pane, value) counts"
    );
    Ok(())
}

/// What one thread counted.
#[derive(Default)]
struct Counted {
    rows: u64,
    /// Rows whose tick differs from the row before's.
    ticks: u64,
    /// The counts of each run of rows in one pane: (pane, value byte, rows).
    runs: Vec<(i64, u8, u64)>,
}

/// Counts the rows starting in `[from, to)` of the file (the first one at or after `from`
/// that starts a line, past the header).
fn count(path: &str, from: u64, to: u64) -> std::io::Result<Counted> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut buffer = vec![0; BUFFER];
    let (mut held, mut at, mut offset) = (0, 0, from);
    let mut skip_line = true; // the header, or the line `from` cuts
    let mut parser = TimestampParser::new();
    let mut counted = Counted::default();
    // The pane of the rows counted in `in_pane` (none yet: a pane no time is in).
    let (mut pane, mut in_pane) = (i64::MIN / PANE, [0_u64; 256]);
    let mut tick = 0;
    loop {
        buffer.copy_within(at..held, 0);
        held -= at;
        at = 0;
        let read = file.read(&mut buffer[held..])?;
        held += read;
        loop {
            let rest = &buffer[at..held];
            let comma = rest.iter().take(24).position(|&b| b == b',').unwrap_or(0);
            let end = match rest.get(comma + 30) {
                Some(b'\n') => comma + 30,
                _ => match memchr::memchr(b'\n', rest) {
                    Some(end) => end,
                    None => break,
                },
            };
            let line = &rest[..end];
            let starts = offset;
            offset += end as u64 + 1;
            at += end + 1;
            if std::mem::take(&mut skip_line) {
                continue;
            }
            if starts >= to {
                flush(pane, &mut in_pane, &mut counted.runs);
                return Ok(counted);
            }
            // The tick's text and its comma, as one word (a tick of under 8 digits).
            let word = u64::from_le_bytes(line[..8].try_into().expect("8 bytes"));
            let text = word & (u64::MAX >> (8 * 7_usize.saturating_sub(comma)));
            if text != tick {
                // A new tick: window-tui ends a micro-batch here.
                tick = text;
                counted.ticks += 1;
            }
            let Ok(t) = parser.parse(&line[comma + 1..comma + 28]) else {
                continue;
            };
            if t < pane * PANE || t >= (pane + 1) * PANE {
                flush(pane, &mut in_pane, &mut counted.runs);
                pane = t.div_euclid(PANE);
            }
            in_pane[usize::from(line[comma + 29])] += 1;
            counted.rows += 1;
        }
        if read == 0 {
            flush(pane, &mut in_pane, &mut counted.runs);
            return Ok(counted);
        }
    }
}

/// Moves a run's counts to `runs`.
fn flush(pane: i64, in_pane: &mut [u64; 256], runs: &mut Vec<(i64, u8, u64)>) {
    for (value, count) in (0..=u8::MAX).zip(in_pane.iter_mut()) {
        if *count > 0 {
            runs.push((pane, value, std::mem::take(count)));
        }
    }
}

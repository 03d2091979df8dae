//! Writes a replay file for benchmarks: the seed's stream (values 0..10 by default), one row every
//! 100 µs of event time with a little disorder, one trigger tick per 15 s of event time.
//!
//! With `--users N` the rows are the query family's `batch,ts,user,bytes` instead: N users
//! (`user0`..), `bytes` 0..1500.
//!
//! `cargo run --release --example gen_events -- ROWS OUT.csv [--values N | --users N]
//! [--step-us N]`

use std::fs::File;
use std::io::{BufWriter, Write};

use window_tui::engine::{Fraction, MICROS_PER_SECOND, Utc};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gen_events ROWS OUT.csv [--values N | --users N] [--step-us N]";
    let rows: u64 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let out = args.get(2).expect(usage);
    let option = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect(usage))
    };
    let values = option("--values", 11);
    let users = option("--users", 0);
    let step = option("--step-us", 100) as i64;
    let start = 1_795_455_180 * MICROS_PER_SECOND;
    let tick = 15 * MICROS_PER_SECOND;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut f = BufWriter::with_capacity(1 << 20, File::create(out)?);
    if users == 0 {
        writeln!(f, "batch,event_time,value")?;
    } else {
        writeln!(f, "batch,ts,user,bytes")?;
    }
    for i in 0..rows as i64 {
        // One row in 97 arrives up to 2 s out of order.
        let jitter = if i % 97 == 0 {
            (next() % 2_000_000) as i64
        } else {
            0
        };
        let t = (i * step - jitter).max(0);
        let (batch, time) = (i * step / tick, Utc(start + t, Fraction::Micros));
        if users == 0 {
            writeln!(f, "{batch},{time},{}", next() % values)?;
        } else {
            let r = next();
            writeln!(f, "{batch},{time},user{},{}", r % users, (r >> 20) % 1500)?;
        }
    }
    f.flush()
}

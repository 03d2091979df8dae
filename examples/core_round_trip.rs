//! How long a cache line takes to go from one core to the other and back, for `bench/run.sh`:
//! two threads pass a counter to and fro; the median of a few rounds, in nanoseconds (`-` on
//! one core).
//!
//! On the benchmark's two-core VM the host places the two virtual cores now on one shared
//! cache (about 60 ns) and now apart (300 to 450 ns). Every figure measured with two threads
//! (a replay's reader and engine, say) is then up to three times slower, so the benchmark
//! prints this beside its rows.
//!
//! `cargo run --release --example core_round_trip`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Passes per round.
const PASSES: u64 = 20_000;
/// Rounds, whose median is printed.
const ROUNDS: usize = 7;

fn main() {
    // Two spinning threads on one core would pass the counter once a time slice.
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        println!("-");
        return;
    }
    let counter = Arc::new(AtomicU64::new(0));
    let other = Arc::clone(&counter);
    // The other thread answers each odd count with the next even one.
    let echo = std::thread::spawn(move || {
        let last = 2 * PASSES * ROUNDS as u64;
        let mut want = 1;
        while want < last {
            while other.load(Ordering::Acquire) != want {
                std::hint::spin_loop();
            }
            other.store(want + 1, Ordering::Release);
            want += 2;
        }
    });
    let mut rounds = Vec::with_capacity(ROUNDS);
    let mut count = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..PASSES {
            counter.store(count + 1, Ordering::Release);
            while counter.load(Ordering::Acquire) != count + 2 {
                std::hint::spin_loop();
            }
            count += 2;
        }
        rounds.push(started.elapsed().as_nanos() / u128::from(PASSES));
    }
    echo.join().expect("the echo thread");
    rounds.sort_unstable();
    println!("{}", rounds[ROUNDS / 2]);
}

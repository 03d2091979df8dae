//! Engine and parser benchmarks: events per second for the hot paths replay and live runs share.
//!
//! `cargo bench --bench engine` (add `-- <filter>` for one group).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use window_tui::app::source::replay_file::ReplayReader;
use window_tui::engine::{
    BatchKind, Duration, Engine, Fraction, MICROS_PER_SECOND, Micros, Query, TimestampParser, Utc,
};

const T0: Micros = 1_795_455_180 * MICROS_PER_SECOND;
const EVENTS: u64 = 100_000;

/// `EVENTS` events 100 µs apart over `keys` distinct values, as prepared strings.
fn events(keys: usize) -> (Vec<Micros>, Vec<String>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut times = Vec::new();
    let mut values = Vec::new();
    for i in 0..EVENTS as i64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        times.push(T0 + i * 100);
        values.push((state % keys as u64).to_string());
    }
    (times, values)
}

fn query(window: i64, slide: i64) -> Query {
    Query::new(
        Duration::from_secs(window),
        Duration::from_secs(slide),
        Duration::from_secs(15),
    )
    .unwrap()
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(EVENTS));
    for (window, slide) in [(30, 15), (60, 1)] {
        for keys in [11usize, 1_000, 1_000_000] {
            let (times, values) = events(keys);
            let id = BenchmarkId::new(format!("{window}s/{slide}s"), format!("{keys} keys"));
            group.bench_with_input(id, &(times, values), |b, (times, values)| {
                b.iter(|| {
                    let mut engine = Engine::new(query(window, slide));
                    engine.begin(BatchKind::Data);
                    for (t, v) in times.iter().zip(values) {
                        engine.push(*t, v);
                    }
                    black_box(engine.finish());
                })
            });
        }
    }
    group.finish();
}

fn timestamps(c: &mut Criterion) {
    let texts: Vec<String> = (0..EVENTS as i64)
        .map(|i| Utc(T0 + i * 100, Fraction::Micros).to_string())
        .collect();
    let mut group = c.benchmark_group("rfc3339");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("parse", |b| {
        b.iter(|| {
            let mut parser = TimestampParser::new();
            let mut sum = 0i64;
            for text in &texts {
                sum = sum.wrapping_add(parser.parse(text.as_bytes()).unwrap());
            }
            black_box(sum)
        })
    });
    group.finish();
}

fn replay_reader(c: &mut Criterion) {
    let mut file = String::from("batch,event_time,value\n");
    for i in 0..EVENTS as i64 {
        let t = Utc(T0 + i * 100, Fraction::Micros);
        file.push_str(&format!("{},{t},{}\n", i / 150_000, i % 11));
    }
    let mut group = c.benchmark_group("replay_reader");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("rows", |b| {
        b.iter(|| {
            let mut reader = ReplayReader::new(file.as_bytes(), "bench".into(), 1 << 20).unwrap();
            let mut n = 0u64;
            while let Some(row) = reader.next_row().unwrap() {
                n += row.value.len() as u64;
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, engine, timestamps, replay_reader);
criterion_main!(benches);

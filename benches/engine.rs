//! Engine, reader and decoder benchmarks: rows per second on the hot paths replay and live runs
//! share. The seed's query (`count` per string `value`), the query family's typed rows
//! (`ts, user, bytes` with five aggregates) and session windows.
//!
//! `cargo bench --bench engine` (add `-- <filter>` for one group).

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use window_tui::app::command::replay::query_of;
use window_tui::app::config::{Format, QueryConfig};
use window_tui::app::source::decode::LineDecoder;
use window_tui::app::source::replay::ReplayReader;
use window_tui::engine::{
    BatchKind, Duration, Engine, EventTime, Fraction, MICROS_PER_SECOND, Micros, Query, Rows,
    TimestampParser, Utc, Value, WindowRequest, Zone, parse_aggs,
};

const T0: Micros = 1_795_455_180 * MICROS_PER_SECOND;
const EVENTS: u64 = 100_000;

/// `EVENTS` pseudo-random numbers below `keys`.
fn keys(keys: usize) -> Vec<u64> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..EVENTS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % keys as u64
        })
        .collect()
}

/// `EVENTS` events 100 µs apart over `keys` distinct values, as prepared strings.
fn events(keys_: usize) -> (Vec<Micros>, Vec<String>) {
    let times = (0..EVENTS as i64).map(|i| T0 + i * 100).collect();
    (times, keys(keys_).iter().map(u64::to_string).collect())
}

/// The typed rows `ts TIMESTAMP, user STRING, bytes LONG` over `users` users.
fn typed_rows(users: usize) -> Rows {
    let mut rows = Rows::default();
    for (i, k) in keys(users).into_iter().enumerate() {
        let t = T0 + i as i64 * 100;
        let user = format!("user{k}");
        rows.push(
            t,
            &[
                Value::Timestamp(t),
                Value::Str(&user),
                Value::Long((k * 37 % 1500) as i64),
            ],
        );
    }
    rows
}

fn config(window: WindowRequest, group_by: &str, aggs: &str) -> QueryConfig {
    let mut config = QueryConfig::seed();
    config.window = window;
    config.group_by = group_by.split(',').map(str::to_string).collect();
    config.aggs = parse_aggs(aggs).unwrap();
    config
}

fn sliding(window: i64, slide: i64) -> WindowRequest {
    WindowRequest::Sliding {
        size: Duration::from_secs(window),
        slide: Duration::from_secs(slide),
    }
}

/// The `ts, user, bytes` query with five aggregates.
fn typed_query(window: WindowRequest) -> Query {
    let mut config = config(
        window,
        "user",
        "count,sum(bytes),avg(bytes),min(bytes),max(bytes)",
    );
    config.event_time = EventTime::Column("ts".into());
    config
        .resolve("ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap())
        .unwrap()
}

fn seed(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(EVENTS));
    for (window, slide) in [(30, 15), (60, 1)] {
        for keys in [11usize, 1_000, 1_000_000] {
            let (times, values) = events(keys);
            let query = config(sliding(window, slide), "value", "count")
                .resolve("value STRING".parse().unwrap())
                .unwrap();
            let id = BenchmarkId::new(format!("{window}s/{slide}s"), format!("{keys} keys"));
            group.bench_with_input(id, &(times, values), |b, (times, values)| {
                b.iter(|| {
                    let mut engine = Engine::new(query.clone());
                    let mut batch = engine.begin(BatchKind::Data);
                    for (t, v) in times.iter().zip(values) {
                        batch.push(*t, v.as_str());
                    }
                    black_box(batch.finish());
                });
            });
        }
    }
    group.finish();
}

fn typed(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_aggs");
    group.throughput(Throughput::Elements(EVENTS));
    let session = WindowRequest::Session {
        gap: Duration::from_secs(5),
    };
    for (name, window) in [("30s/15s", sliding(30, 15)), ("session 5s", session)] {
        for users in [100usize, 10_000] {
            let rows = typed_rows(users);
            let query = typed_query(window);
            let types = query.schema().types().to_vec();
            let id = BenchmarkId::new(name, format!("{users} users"));
            group.bench_with_input(id, &rows, |b, rows| {
                b.iter(|| {
                    let mut engine = Engine::new(query.clone());
                    let mut batch = engine.begin(BatchKind::Data);
                    for (t, row) in rows.iter(&types) {
                        batch.push(t, &row);
                    }
                    black_box(batch.finish());
                });
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
        });
    });
    group.finish();
}

/// Reads every row of a replay file held in memory with the query `config`.
fn read_all(file: &str, config: &QueryConfig) -> usize {
    let mut reader =
        ReplayReader::new(file.as_bytes(), "bench".into(), 1 << 20, Zone::utc()).unwrap();
    let (_, binding) = query_of(config, reader.columns()).unwrap();
    reader.bind(binding);
    let mut rows = Rows::default();
    let mut read = 0;
    // As replay's read-ahead thread reads: a tick's first row, then the rest of it.
    while let Some((head, _)) = reader.read_row(&mut rows).unwrap() {
        read += 1 + reader.plain_rows(head.tick, &mut rows, 4096, usize::MAX);
        if rows.len() >= 4096 {
            rows.clear();
        }
    }
    read
}

fn replay_reader(c: &mut Criterion) {
    let mut seed = String::from("batch,event_time,value\n");
    let mut typed = String::from("batch,ts,user,bytes\n");
    for (i, k) in keys(10_000).into_iter().enumerate() {
        let t = Utc(T0 + i as i64 * 100, Fraction::Micros);
        writeln!(seed, "{},{t},{}", i / 150_000, k % 11).unwrap();
        writeln!(typed, "{},{t},user{k},{}", i / 150_000, k * 37 % 1500).unwrap();
    }
    let mut typed_config = config(sliding(30, 15), "user", "count,sum(bytes),avg(bytes)");
    typed_config.event_time = EventTime::Column("ts".into());
    typed_config.schema = Some("ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap());
    let mut group = c.benchmark_group("replay_reader");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("seed rows", |b| {
        b.iter(|| black_box(read_all(&seed, &QueryConfig::seed())));
    });
    group.bench_function("typed rows", |b| {
        b.iter(|| black_box(read_all(&typed, &typed_config)));
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let schema = "ts TIMESTAMP, user STRING, bytes LONG";
    let mut json = Vec::new();
    let mut csv = Vec::new();
    for (i, k) in keys(10_000).into_iter().enumerate() {
        let t = Utc(T0 + i as i64 * 100, Fraction::Millis);
        let bytes = k * 37 % 1500;
        json.push(format!(
            r#"{{"ts":"{t}","user":"user{k}","bytes":{bytes}}}"#
        ));
        csv.push(format!("{t},user{k},{bytes}"));
    }
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(EVENTS));
    for (name, format, lines) in [("json", Format::Json, &json), ("csv", Format::Csv, &csv)] {
        let mut decoder = LineDecoder::new(format, schema.parse().unwrap(), Some(0), Zone::utc());
        let mut rows = Rows::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                rows.clear();
                for line in lines {
                    decoder.decode(line.as_bytes(), T0, &mut rows).unwrap();
                }
                black_box(rows.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, seed, typed, timestamps, replay_reader, decode);
criterion_main!(benches);

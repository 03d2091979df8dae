//! The sinks' writers: rows per second for the console, file and json sinks, for the seed's
//! rows (`window, value, count`) and the query family's (`window, user`, five aggregates).
//!
//! `cargo bench --bench sinks`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use window_tui::app::config::QueryConfig;
use window_tui::app::sink::Sink;
use window_tui::app::sink::cells::Cells;
use window_tui::app::sink::console::ConsoleSink;
use window_tui::app::sink::file::FileSink;
use window_tui::app::sink::json::JsonSink;
use window_tui::app::sink::window_text::DEFAULT_PATTERN;
use window_tui::engine::{
    BatchKind, BatchOutput, Engine, EventTime, MICROS_PER_SECOND, OutputMode, Query, Value, Window,
    Zone, parse_aggs,
};

const T0: i64 = 1_795_455_180 * MICROS_PER_SECOND;

/// A batch of the seed's query emitting `rows` keys over 4 windows, in the engine's order.
fn seed_batch(rows: usize) -> (Query, BatchOutput) {
    let values: Vec<String> = (0..rows).map(|i| format!("value-{i}")).collect();
    let mut emitted: Vec<(Window, &str, i64)> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let start = T0 + (i % 4) as i64 * 15 * MICROS_PER_SECOND;
            let window = Window {
                start,
                end: start + 30 * MICROS_PER_SECOND,
            };
            (window, value.as_str(), i as i64)
        })
        .collect();
    emitted.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    (Query::seed(), BatchOutput::of_counts(0, &emitted))
}

/// A complete-mode batch of `ts, user, bytes` grouped by `user` with five aggregates: `rows`
/// users in one window.
fn typed_batch(rows: usize) -> (Query, BatchOutput) {
    let mut config = QueryConfig::seed();
    config.event_time = EventTime::Column("ts".into());
    config.group_by = vec!["user".into()];
    config.aggs = parse_aggs("count,sum(bytes),avg(bytes),min(bytes),max(bytes)").unwrap();
    config.mode = OutputMode::Complete;
    let query = config
        .resolve("ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap())
        .unwrap();
    let mut engine = Engine::new(query.clone());
    let users: Vec<String> = (0..rows).map(|i| format!("user-{i}")).collect();
    let batch = engine.run_batch(
        BatchKind::Data,
        users.iter().enumerate().map(|(i, user)| {
            let t = T0 + 20 * MICROS_PER_SECOND;
            (
                t,
                [Value::Timestamp(t), Value::Str(user), Value::Long(i as i64)],
            )
        }),
    );
    (query, batch)
}

fn sinks(c: &mut Criterion) {
    let mut group = c.benchmark_group("sinks");
    for (shape, make) in [
        ("seed", seed_batch as fn(usize) -> (Query, BatchOutput)),
        ("aggs", typed_batch),
    ] {
        for rows in [11usize, 1_000] {
            let (query, out) = make(rows);
            let cells = Cells::new(&query, Zone::utc(), DEFAULT_PATTERN).unwrap();
            group.throughput(Throughput::Elements(out.rows.len() as u64));
            let id = |sink: &str| BenchmarkId::new(format!("{shape}/{sink}"), rows);
            group.bench_with_input(id("console"), &out, |b, out| {
                let mut sink = ConsoleSink::new(std::io::sink(), cells.clone());
                b.iter(|| sink.write_batch(out).unwrap());
            });
            group.bench_with_input(id("json"), &out, |b, out| {
                let mut sink = JsonSink::new(std::io::sink(), cells.clone());
                b.iter(|| sink.write_batch(out).unwrap());
            });
            group.bench_with_input(id("file"), &out, |b, out| {
                let dir = tempfile::tempdir().unwrap();
                let mut sink = FileSink::open(dir.path(), cells.clone(), None).unwrap();
                let mut id = 0;
                b.iter(|| {
                    let mut next = out.clone();
                    next.id = id;
                    id += 1;
                    sink.write_batch(&next).unwrap();
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, sinks);
criterion_main!(benches);

//! The sinks' writers: rows per second for the console, file and json sinks.
//!
//! `cargo bench --bench sinks`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use window_tui::app::sink::Sink;
use window_tui::app::sink::console::ConsoleSink;
use window_tui::app::sink::file::FileSink;
use window_tui::app::sink::json::JsonSink;
use window_tui::app::sink::window_text::WindowText;
use window_tui::engine::{
    BatchKind, BatchOutput, BatchStats, EmittedRow, MICROS_PER_SECOND, Window,
};

/// A batch emitting `rows` keys over 4 windows.
fn batch(id: u64, rows: usize) -> BatchOutput {
    let start = 1_795_455_180 * MICROS_PER_SECOND;
    BatchOutput {
        id,
        kind: BatchKind::Data,
        watermark: 0,
        late_threshold: 0,
        next_watermark: 0,
        rows: (0..rows)
            .map(|i| EmittedRow {
                window: Window {
                    start: start + (i % 4) as i64 * 15 * MICROS_PER_SECOND,
                    end: start + ((i % 4) as i64 * 15 + 30) * MICROS_PER_SECOND,
                },
                value: format!("value-{i}").into(),
                count: i as u64,
            })
            .collect(),
        stats: BatchStats::default(),
        late: vec![],
    }
}

fn sinks(c: &mut Criterion) {
    let mut group = c.benchmark_group("sinks");
    for rows in [11usize, 1_000] {
        let mut out = batch(0, rows);
        out.rows.sort();
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(BenchmarkId::new("console", rows), &out, |b, out| {
            let mut sink = ConsoleSink::new(std::io::sink(), WindowText::default());
            b.iter(|| sink.write_batch(out).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("json", rows), &out, |b, out| {
            let mut sink = JsonSink::new(std::io::sink());
            b.iter(|| sink.write_batch(out).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("file", rows), &out, |b, out| {
            let dir = tempfile::tempdir().unwrap();
            let mut sink = FileSink::open(dir.path(), WindowText::default(), None).unwrap();
            let mut id = 0;
            b.iter(|| {
                let mut next = out.clone();
                next.id = id;
                id += 1;
                sink.write_batch(&next).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sinks);
criterion_main!(benches);

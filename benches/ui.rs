//! One dashboard frame on ratatui's `TestBackend` at 120×40 with 1,000 open keys.
//!
//! `cargo bench --bench ui -- frame`

use std::hint::black_box;
use std::time::Duration;

use chrono::FixedOffset;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use window_tui::app::command::dashboard::SharedBuffer;
use window_tui::app::command::dashboard::snapshot::SnapshotBuilder;
use window_tui::app::command::replay::ReplayStepper;
use window_tui::app::config::{OnBadRow, SinkKind};
use window_tui::app::runtime::pipeline::Pipeline;
use window_tui::app::runtime::progress::QueryIdentity;
use window_tui::app::sink::console::ConsoleSink;
use window_tui::app::sink::window_text::{DEFAULT_PATTERN, WindowText};
use window_tui::app::sink::{SinkOpener, SinkSet};
use window_tui::app::source::replay_file::ReplayReader;
use window_tui::engine::Zone;
use window_tui::engine::{Engine, Query};
use window_tui::ui::model::{Link, Mode, Status};
use window_tui::ui::theme::Theme;
use window_tui::ui::view::ViewState;
use window_tui::ui::{self, Screen};

fn frame(c: &mut Criterion) {
    // 500 values in two windows each: 1,000 open keys, and a few batches of history.
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..3 {
        for i in 0..500 {
            text.push_str(&format!(
                "{tick},2026-11-23T17:33:{:02}.000000Z,v{i:03}\n",
                20 + tick
            ));
        }
    }
    let zone = Zone::Fixed(FixedOffset::east_opt(0).unwrap());
    let console = SharedBuffer::default();
    let opener: SinkOpener = {
        let console = console.clone();
        Box::new(move |_| {
            Ok(Box::new(ConsoleSink::new(
                console.clone(),
                WindowText::new(DEFAULT_PATTERN, zone).unwrap(),
            )))
        })
    };
    let pipeline = Pipeline::new(
        Engine::new(Query::seed()),
        SinkSet::new(opener, &[SinkKind::Console]).unwrap(),
        None,
        QueryIdentity::new("bench".into()),
    );
    let reader = ReplayReader::new(text.as_bytes(), "bench".into(), 1 << 20).unwrap();
    let mut stepper = ReplayStepper::new(reader, pipeline, OnBadRow::Error);
    let mut builder = SnapshotBuilder::new(
        Mode::Live {
            source: "127.0.0.1:9999".into(),
        },
        Some(Duration::from_secs(15)),
        WindowText::new(DEFAULT_PATTERN, zone).unwrap(),
        console.clone(),
    );
    while let Some(batch) = stepper.step().unwrap() {
        builder.record_batch(stepper.pipeline(), &batch, 0);
    }
    let snapshot = builder.snapshot(stepper.pipeline(), 3, None, 1_795_455_200_000_000);
    assert_eq!(snapshot.open.keys, 1_000);
    let status = Status {
        link: Link::Connected,
        file_output: "output".into(),
        ..Status::default()
    };
    let view = ViewState::default();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("frame 120x40, 1000 open keys", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| {
                    ui::draw(
                        frame,
                        &Screen {
                            snapshot: &snapshot,
                            status: &status,
                            view: &view,
                            now: snapshot.taken_at,
                            zone,
                            theme: Theme::colored(),
                        },
                    )
                })
                .unwrap();
            black_box(terminal.backend());
        })
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);

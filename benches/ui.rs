//! One dashboard frame on ratatui's `TestBackend` at 120×40 with 1,000 open keys.
//!
//! `cargo bench --bench ui -- frame`

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use window_tui::app::cli;
use window_tui::app::command::dashboard::{self, SharedBuffer};
use window_tui::app::config::Command;
use window_tui::engine::Zone;
use window_tui::ui::model::{Link, Mode, Status};
use window_tui::ui::theme::Theme;
use window_tui::ui::view::ViewState;
use window_tui::ui::{self, Screen};

fn frame(c: &mut Criterion) {
    // 500 values in two windows each: 1,000 open keys, and a few batches of history.
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..3 {
        for i in 0..500 {
            writeln!(
                text,
                "{tick},2026-11-23T17:33:{:02}.000000Z,v{i:03}",
                20 + tick
            )
            .unwrap();
        }
    }
    std::fs::write(&events, text).unwrap();
    let zone = Zone::utc();
    let words = ["window-tui", "replay", events.to_str().unwrap()];
    let Command::Replay(config) = cli::parse(words)
        .unwrap()
        .into_command(zone.clone())
        .unwrap()
    else {
        unreachable!("a replay command line")
    };
    let console = SharedBuffer::default();
    let mode = Mode::Live {
        source: "127.0.0.1:9999".into(),
    };
    let (mut stepper, mut builder) = dashboard::open_replay(
        &config,
        mode,
        Some(Duration::from_secs(15)),
        console.clone(),
        dashboard::replay_sinks(&config, console),
    )
    .unwrap();
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
                            zone: zone.clone(),
                            theme: Theme::colored(),
                        },
                    );
                })
                .unwrap();
            black_box(terminal.backend());
        });
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);

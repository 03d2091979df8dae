//! Draws the dashboard, coloured, as an SVG picture for the README: the `seed_random` corpus case
//! replayed through the real pipeline for seven batches, rendered with `ui::draw` on ratatui's
//! `TestBackend`.
//!
//! `cargo run --release --example screenshot -- assets/dashboard.svg`

use std::fmt::Write as _;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use window_tui::app::cli;
use window_tui::app::command::dashboard::{self, SharedBuffer};
use window_tui::app::config::Command;
use window_tui::engine::{MICROS_PER_SECOND, Zone};
use window_tui::ui::model::{Link, Mode, Status};
use window_tui::ui::theme::Theme;
use window_tui::ui::view::ViewState;
use window_tui::ui::{self, Screen};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "assets/dashboard.svg".into());
    let zone = Zone::utc();
    let events = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/seed_random/events.csv"
    );
    let Command::Replay(config) =
        cli::parse(["window-tui", "replay", events])?.into_command(zone.clone())?
    else {
        anyhow::bail!("not a replay command line")
    };
    let console = SharedBuffer::default();
    let mode = Mode::Replay {
        file: "tests/conformance/seed_random/events.csv".into(),
        finished: false,
    };
    let (mut stepper, mut builder) = dashboard::open_replay(
        &config,
        mode,
        None,
        console.clone(),
        dashboard::replay_sinks(&config, console),
    )?;
    let base = 1_795_455_180 * MICROS_PER_SECOND;
    for step in 0..7 {
        let Some(batch) = stepper.step()? else { break };
        let at = base + (step + 1) * 15 * MICROS_PER_SECOND;
        builder.record_batch(stepper.pipeline(), &batch, at);
    }
    let now = base + 106 * MICROS_PER_SECOND;
    let snapshot = builder.snapshot(stepper.pipeline(), 7, None, now);
    let status = Status {
        link: Link::File,
        accepted: stepper.summary().rows,
        file_output: "output".into(),
        ..Status::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    terminal.draw(|frame| {
        ui::draw(
            frame,
            &Screen {
                snapshot: &snapshot,
                status: &status,
                view: &ViewState::default(),
                now,
                zone: zone.clone(),
                theme: Theme::colored(),
            },
        );
    })?;
    std::fs::write(&out, svg(terminal.backend().buffer()))?;
    eprintln!("wrote {out}");
    Ok(())
}

/// A terminal palette (xterm-like, on a dark background).
fn rgb(color: Color, default: &str) -> String {
    let named = match color {
        Color::Reset => return default.to_string(),
        Color::Black => "#1e1e1e",
        Color::Red => "#e06c75",
        Color::Green => "#98c379",
        Color::Yellow => "#e5c07b",
        Color::Blue => "#61afef",
        Color::Magenta => "#c678dd",
        Color::Cyan => "#56b6c2",
        Color::DarkGray => "#5c6370",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        _ => "#abb2bf", // Gray and the rest
    };
    named.to_string()
}

fn svg(buffer: &Buffer) -> String {
    let (cw, ch) = (8.4, 17.0);
    let (w, h) = (f64::from(WIDTH) * cw, f64::from(HEIGHT) * ch);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#282c34"/>"##
    );
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let cell = &buffer[(x, y)];
            let symbol = cell.symbol();
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (rgb(cell.fg, "#abb2bf"), rgb(cell.bg, "none"));
            if reversed {
                (fg, bg) = (if bg == "none" { "#282c34".into() } else { bg }, fg);
            }
            let (px, py) = (f64::from(x) * cw, f64::from(y) * ch);
            if bg != "none" {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{cw}" height="{ch}" fill="{bg}"/>"#
                );
            }
            if symbol.trim().is_empty() {
                continue;
            }
            let text = symbol
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let _ = writeln!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{weight}>{text}</text>"#,
                py + ch * 0.8
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

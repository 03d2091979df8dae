//! The Metrics panel: input and processed rows/s as sparklines, batch duration, state size,
//! rejected lines and late pairs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::view::Panel;
use super::{Screen, format};

const TICKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as bar glyphs, scaled to their maximum.
fn sparkline(values: &[f64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().fold(0.0, f64::max);
    tail.iter()
        .map(|v| {
            if max <= 0.0 {
                TICKS[0]
            } else {
                TICKS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// `label ▁▂▃▅ 12.3k/s`: a rate's history and its latest value.
fn rate_line(label: &'static str, rates: &[f64], width: usize, style: Style) -> Line<'static> {
    let latest = rates.last().copied().unwrap_or(0.0);
    Line::from(vec![
        Span::raw(label),
        Span::styled(format!("{:width$}", sparkline(rates, width)), style),
        Span::raw(format!(" {}", format::rate(latest))),
    ])
}

pub fn draw(frame: &mut Frame, screen: &Screen, area: Rect) {
    let (metrics, theme) = (&screen.snapshot.metrics, &screen.theme);
    let block = screen.block(Panel::Metrics, "", area);
    let inner_width = area.width.saturating_sub(2) as usize;
    // As long as the panel allows, but no longer than the history: the figures stay by it.
    let history = metrics.input_rate.len().max(metrics.processed_rate.len());
    // The borders, the label and the widest figure (`12.3k/s`) with its space.
    let spark_width = (area.width as usize)
        .saturating_sub(2 + 11 + 8)
        .max(1)
        .min(history);
    let lines = vec![
        rate_line(
            " input     ",
            &metrics.input_rate,
            spark_width,
            theme.accent,
        ),
        rate_line(
            " processed ",
            &metrics.processed_rate,
            spark_width,
            theme.good,
        ),
        Line::raw(format::fitting(
            [
                format!(
                    " batch {}",
                    metrics
                        .last_duration
                        .map_or("-".to_string(), format::duration)
                ),
                format!(" · {} batches", format::count(metrics.batches)),
            ],
            inner_width,
        )),
        state_line(screen, inner_width),
        input_line(screen),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Rows the source rejected and late pairs dropped; and, once some came, rows without an
/// event time (input rows in no window, as in Spark).
fn input_line(screen: &Screen) -> Line<'static> {
    let (metrics, theme) = (&screen.snapshot.metrics, &screen.theme);
    let mut spans = vec![
        Span::raw(" rejected "),
        Span::styled(
            format::count(screen.status.rejected),
            if screen.status.rejected > 0 {
                theme.warn
            } else {
                theme.dim
            },
        ),
        Span::raw(" · late "),
        Span::styled(
            format::count(metrics.late_pairs),
            if metrics.late_pairs > 0 {
                theme.warn
            } else {
                theme.dim
            },
        ),
    ];
    if metrics.rows_without_time > 0 {
        spans.push(Span::raw(" · no time "));
        spans.push(Span::styled(
            format::count(metrics.rows_without_time),
            theme.warn,
        ));
    }
    Line::from(spans)
}

/// State rows from which the state's size is shown as a warning: a stream of ever-new keys
/// grows it without bound (`--max-state-rows` bounds it).
pub const LARGE_STATE_ROWS: u64 = 1_000_000;

/// The state's size (a warning once it is large); and, once `--max-state-rows` refused rows,
/// how many, as a warning.
fn state_line(screen: &Screen, width: usize) -> Line<'static> {
    let metrics = &screen.snapshot.metrics;
    let full = metrics.refused_rows > 0;
    let style = if full || metrics.state_rows >= LARGE_STATE_ROWS {
        screen.theme.warn
    } else {
        Style::default()
    };
    let rows = format!(" state {} rows", format::count(metrics.state_rows));
    let bytes = format!(" · {}", format::bytes(metrics.state_bytes));
    let text = if full {
        let refused = format!(" · full, {} refused", format::count(metrics.refused_rows));
        format::fitting([rows, refused, bytes], width)
    } else {
        format::fitting([rows, bytes], width)
    };
    Line::styled(text, style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_their_maximum() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 4.0], 4), "▁▃▅█");
        assert_eq!(sparkline(&[5.0, 0.0, 0.0], 2), "▁▁");
        assert_eq!(sparkline(&[], 3), "");
    }
}

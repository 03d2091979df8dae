//! Short human figures for the panels: clock times, rates, durations, byte sizes, countdowns,
//! ages.

use std::time::Duration;

use chrono::format::StrftimeItems;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::engine::Zone;
use crate::engine::{MICROS_PER_SECOND, Micros};

/// `HH:MM:SS` of an instant in the dashboard's zone.
pub fn clock(t: Micros, zone: &Zone) -> String {
    zone.datetime(t).map_or_else(
        || t.to_string(),
        |at| {
            at.format_with_items(StrftimeItems::new("%H:%M:%S"))
                .to_string()
        },
    )
}

/// A watermark's `HH:MM:SS`, or `—` for the initial one (epoch 0, as in Spark: no event has
/// moved it yet), which is no time of day.
pub fn watermark(t: Micros, zone: &Zone) -> String {
    if t == 0 {
        "—".to_string()
    } else {
        clock(t, zone)
    }
}

/// `0.5/s`, `12/s`, `12.3k/s`, `1.20M/s`.
pub fn rate(per_second: f64) -> String {
    match per_second {
        r if r >= 1e6 => format!("{:.2}M/s", r / 1e6),
        r if r >= 1e4 => format!("{:.1}k/s", r / 1e3),
        r if r >= 10.0 => format!("{r:.0}/s"),
        r => format!("{r:.1}/s"),
    }
}

/// `850 µs`, `1.2 ms`, `340 ms`, `2.5 s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    match micros {
        m if m < 1_000 => format!("{m} µs"),
        m if m < 10_000 => format!("{:.1} ms", m as f64 / 1e3),
        m if m < 1_000_000 => format!("{} ms", m / 1_000),
        m => format!("{:.1} s", m as f64 / 1e6),
    }
}

/// `512 B`, `3.1 KB`, `4.0 MB`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KB", n as f64 / 1024.0),
        n if n < 1 << 30 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n => format!("{:.1} GB", n as f64 / f64::from(1 << 30)),
    }
}

/// `9s`, `1m05s`, `2h03m`: how long until `then`, from `now`.
pub fn countdown(now: Micros, then: Micros) -> String {
    let secs = (then - now).max(0).div_euclid(MICROS_PER_SECOND)
        + i64::from((then - now).rem_euclid(MICROS_PER_SECOND) > 0 && then > now);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// `40 s`, `12 min`, `5 h`, `3 days`: how old something is.
pub fn age(d: Duration) -> String {
    match d.as_secs() {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 48 * 3600 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first of `parts` joined, as many as fit in `width` columns: a line that leaves out what
/// does not fit rather than cutting a word.
pub fn fitting<S: AsRef<str>>(parts: impl IntoIterator<Item = S>, width: usize) -> String {
    let mut out = String::new();
    for part in parts {
        let part = part.as_ref();
        if out.width() + part.width() > width {
            break;
        }
        out.push_str(part);
    }
    out
}

/// `text` in `width` columns: whole when it fits, else its first third and its end with `…`
/// between them (a message's subject and its tail: the file written, the error).
pub fn cut_middle(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let room = width.saturating_sub(1);
    let mut head = String::new();
    for c in text.chars() {
        if head.width() + c.width().unwrap_or(0) > room / 3 {
            break;
        }
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = head.width();
    for c in text.chars().rev() {
        used += c.width().unwrap_or(0);
        if used > room {
            break;
        }
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// `text` cut to `width` characters, with `…` where it was cut: after a whole word when one
/// ends in the last third of the room.
pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    let mid_word = text
        .chars()
        .nth(width.saturating_sub(1))
        .is_some_and(|c| c != ' ');
    if let Some(space) = out
        .rfind(' ')
        .filter(|at| mid_word && *at > out.len() * 2 / 3)
    {
        out.truncate(space);
    }
    out.push('…');
    out
}

/// `text` with its control characters shown as their pictures (`␀`, `␛`, `␉`; `�` for the C1
/// ones): one column each, as a console table counts them, where a terminal would draw nothing
/// or act on them.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| match u32::from(c) {
            n @ 0..0x20 => char::from_u32(0x2400 + n).unwrap_or('�'),
            0x7f => '␡',
            _ if c.is_control() => '�',
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// `text` in exactly `width` columns of a terminal: its control characters shown
/// ([`printable`]), cut with `…` when it is wider (a wide character is not split), padded with
/// spaces when narrower, on the left when `right` (numbers).
pub fn fit(text: &str, width: usize, right: bool) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len());
    let mut used = 0;
    if text.width() <= width {
        out.push_str(&text);
        used = text.width();
    } else if width > 0 {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width - 1 {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    let pad = " ".repeat(width.saturating_sub(used));
    if right { pad + &out } else { out + &pad }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(clock(1_795_455_194_999_999, &Zone::utc()), "17:33:14");
        assert_eq!(rate(0.5), "0.5/s");
        assert_eq!(rate(12_345.0), "12.3k/s");
        assert_eq!(rate(2_500_000.0), "2.50M/s");
        assert_eq!(duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(duration(Duration::from_micros(1_200)), "1.2 ms");
        assert_eq!(bytes(3_200), "3.1 KB");
        assert_eq!(countdown(0, 9_000_001), "10s");
        assert_eq!(countdown(0, 9_000_000), "9s");
        assert_eq!(countdown(5, 0), "0s");
        assert_eq!(countdown(0, 65 * MICROS_PER_SECOND), "1m05s");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(age(Duration::from_secs(59)), "59 s");
        assert_eq!(age(Duration::from_secs(12 * 60 + 59)), "12 min");
        assert_eq!(age(Duration::from_secs(47 * 3600)), "47 h");
        assert_eq!(age(Duration::from_secs(3 * 86_400)), "3 days");
        assert_eq!(count(12), "12");
        assert_eq!(cut("groupBy(\"30 seconds\")", 16), "groupBy(\"30…");
        assert_eq!(
            cut("a verylongword", 10),
            "a verylon…",
            "no word ends late enough"
        );
        assert_eq!(cut("short", 10), "short");
        assert_eq!(fit("emoji😀日本語", 16, false), "emoji😀日本語   ");
        assert_eq!(
            fit("日本日本日本日本日本", 16, false),
            "日本日本日本日… ",
            "no half a character"
        );
        assert_eq!(fit("日本日本日本日本日本", 15, true), "日本日本日本日…");
        assert_eq!(fit("a\0b\x1b[2J", 8, false), "a␀b␛[2J ");
        assert_eq!(fit("1", 3, true), "  1");
        assert_eq!(fit("abc", 0, false), "");
        assert_eq!(fitting(["batch 61 µs", " · 6 batches"], 20), "batch 61 µs");
        assert_eq!(
            fitting(["batch 61 µs", " · 6 batches"], 23),
            "batch 61 µs · 6 batches"
        );
        assert_eq!(
            fitting(["a", "toolong", "b"], 3),
            "a",
            "in order: none after one left out"
        );
    }
}

//! The window column's text: `HHmmss-HHmmss` (start-end) in Spark's session time zone, as the
//! seed's `stringify_window` prints it, or any chrono pattern given with `--window-format`.

use chrono::format::{Item, StrftimeItems};

use crate::engine::{Micros, Window, WindowSpec, Zone};

/// The default pattern for each end of a window. It drops the date, as the seed does.
pub const DEFAULT_PATTERN: &str = "%H%M%S";

/// Formats windows as `<start>-<end>` with one chrono pattern, caching the last window.
#[derive(Debug, Clone)]
pub struct WindowText {
    items: Vec<Item<'static>>,
    zone: Zone,
    last: Option<(Window, String)>,
}

/// The pattern is not a chrono strftime pattern.
#[derive(Debug, thiserror::Error)]
#[error(
    "--window-format {0:?} is not a valid chrono pattern (see https://docs.rs/chrono/latest/chrono/format/strftime/)"
)]
pub struct BadPattern(String);

impl WindowText {
    pub fn new(pattern: &str, zone: Zone) -> Result<Self, BadPattern> {
        let items = StrftimeItems::new(pattern)
            .parse_to_owned()
            .map_err(|_| BadPattern(pattern.to_string()))?;
        if items.is_empty() {
            return Err(BadPattern(pattern.to_string()));
        }
        Ok(WindowText {
            items,
            zone,
            last: None,
        })
    }

    /// The window's text, e.g. `173300-173330`.
    pub fn format(&mut self, window: Window) -> &str {
        if !matches!(&self.last, Some((w, _)) if *w == window) {
            let text = format!("{}-{}", self.end(window.start), self.end(window.end));
            self.last = Some((window, text));
        }
        self.last.as_ref().map_or("", |(_, text)| text.as_str())
    }

    /// The text the pattern gives two windows open together alike (starts up to
    /// [`WindowSpec::candidates_per_event`] slides apart), if it does for one of the first few
    /// windows from `near`: their rows would be told apart by nothing (and share a file sink
    /// folder). `%H%M%S` names 250 ms windows so; `%H:%M` 30 s ones; `%H%M%S` 25-hour windows
    /// sliding by the hour (a day apart).
    pub fn shared_by_windows(&self, spec: &WindowSpec, near: Micros) -> Option<String> {
        let text = |start: Micros| {
            let w = spec.window_at(start);
            format!("{}-{}", self.end(w.start), self.end(w.end))
        };
        let first = spec.last_start(near);
        let apart = 1..=spec.candidates_per_event() as i64;
        (0..4).map(|i| first + i * spec.slide()).find_map(|start| {
            let name = text(start);
            apart
                .clone()
                .any(|k| text(start + k * spec.slide()) == name)
                .then_some(name)
        })
    }

    fn end(&self, t: Micros) -> String {
        self.zone.datetime(t).map_or_else(
            || t.to_string(),
            |at| at.format_with_items(self.items.iter()).to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_rfc3339;

    fn window(start: &str, end: &str) -> Window {
        Window {
            start: parse_rfc3339(start).unwrap(),
            end: parse_rfc3339(end).unwrap(),
        }
    }

    #[test]
    fn a_pattern_too_coarse_for_the_slide_names_two_windows_alike() {
        let near = parse_rfc3339("2026-11-23T17:33:00Z").unwrap();
        let seconds = WindowText::new(DEFAULT_PATTERN, Zone::utc()).unwrap();
        let minutes = WindowText::new("%H:%M", Zone::utc()).unwrap();
        let spec = |size_ms: i64, slide_ms: i64| WindowSpec::new(size_ms * 1000, slide_ms * 1000);
        assert_eq!(seconds.shared_by_windows(&spec(30_000, 15_000), near), None);
        assert_eq!(seconds.shared_by_windows(&spec(1_000, 1_000), near), None);
        assert_eq!(
            seconds.shared_by_windows(&spec(250, 250), near).as_deref(),
            Some("173300-173300")
        );
        assert_eq!(
            minutes
                .shared_by_windows(&spec(30_000, 15_000), near)
                .as_deref(),
            Some("17:33-17:33")
        );
        assert_eq!(minutes.shared_by_windows(&spec(60_000, 60_000), near), None);
        let hours = |h: i64| h * 3_600_000;
        assert_eq!(
            seconds
                .shared_by_windows(&spec(hours(25), hours(1)), near)
                .as_deref(),
            Some("170000-180000"),
            "windows a day apart are open together"
        );
        assert_eq!(
            seconds.shared_by_windows(&spec(hours(23), hours(1)), near),
            None
        );
    }

    #[test]
    fn formats_like_the_seed_in_the_given_zone() {
        let w = window("2026-11-23T17:33:00Z", "2026-11-23T17:33:30Z");
        let paris = Zone::by_id("Europe/Paris").unwrap();
        assert_eq!(
            WindowText::new(DEFAULT_PATTERN, Zone::utc())
                .unwrap()
                .format(w),
            "173300-173330"
        );
        assert_eq!(
            WindowText::new(DEFAULT_PATTERN, paris).unwrap().format(w),
            "183300-183330"
        );
        let mut iso = WindowText::new("%Y-%m-%d %H:%M:%S", Zone::utc()).unwrap();
        assert_eq!(iso.format(w), "2026-11-23 17:33:00-2026-11-23 17:33:30");
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(WindowText::new("%Q", Zone::utc()).is_err());
        assert!(WindowText::new("", Zone::utc()).is_err());
    }
}

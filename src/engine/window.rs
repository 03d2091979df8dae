//! Sliding event-time windows: which windows `[start, start + size)` hold an event, exactly as
//! Spark's `window(timestamp, size, slide)` assigns them.

use std::fmt;

use super::time::{Fraction, Micros, Utc};

/// One window, `[start, end)`: start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub start: Micros,
    pub end: Micros,
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}, {})",
            Utc(self.start, Fraction::Auto),
            Utc(self.end, Fraction::Auto)
        )
    }
}

/// A window size and slide, both positive, slide ≤ size. Starts are aligned to multiples of the
/// slide since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    size: Micros,
    slide: Micros,
    per_event: usize,
    pane: Micros,
}

impl WindowSpec {
    /// Both must be positive and `slide <= size`; [`super::Query::new`] checks that for users.
    pub(crate) fn new(size: Micros, slide: Micros) -> Self {
        debug_assert!(size > 0 && slide > 0 && slide <= size);
        WindowSpec {
            size,
            slide,
            // Spark's `maxNumOverlapping`: ceil(size / slide).
            per_event: (size / slide + i64::from(size % slide != 0)) as usize,
            pane: gcd(size, slide),
        }
    }

    /// The pane length: gcd(size, slide). Every window boundary falls on a pane boundary, so all
    /// events of one pane belong to exactly the same windows.
    pub fn pane(&self) -> Micros {
        self.pane
    }

    /// The pane holding `t`, by index (`t` lies in `[index × pane, (index + 1) × pane)`).
    #[inline]
    pub fn pane_of(&self, t: Micros) -> i64 {
        t.div_euclid(self.pane)
    }

    /// Every window holding the pane `index`, earliest start first.
    pub fn windows_of_pane(&self, index: i64) -> impl Iterator<Item = Window> + use<> {
        let spec = *self;
        let pane_start = index * spec.pane;
        // Starts are multiples of the slide in (pane_start - size, pane_start].
        let first = (pane_start - spec.size).div_euclid(spec.slide) * spec.slide + spec.slide;
        // At most `per_event` windows: bounded, whatever the arithmetic near Micros' ends.
        (0..spec.per_event as i64)
            .map(move |i| spec.window_at(first + i * spec.slide))
            .take_while(move |w| w.start <= pane_start)
    }

    pub fn size(&self) -> Micros {
        self.size
    }

    pub fn slide(&self) -> Micros {
        self.slide
    }

    /// How many candidate windows an event has (some may not contain it when the slide does
    /// not divide the size).
    pub fn candidates_per_event(&self) -> usize {
        self.per_event
    }

    /// The latest window start at or before `t`.
    #[inline]
    pub fn last_start(&self, t: Micros) -> Micros {
        t - t.rem_euclid(self.slide)
    }

    /// The window that starts at `start`.
    #[inline]
    pub fn window_at(&self, start: Micros) -> Window {
        Window {
            start,
            end: start + self.size,
        }
    }

    /// Every window holding `t`, latest start first (Spark's order).
    #[inline]
    pub fn windows_of(&self, t: Micros) -> impl Iterator<Item = Window> + use<> {
        let spec = *self;
        let last = spec.last_start(t);
        (0..spec.per_event as i64)
            .map(move |i| spec.window_at(last - i * spec.slide))
            .filter(move |w| w.start <= t && t < w.end)
    }
}

fn gcd(a: Micros, b: Micros) -> Micros {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Micros = 1_000_000;

    fn starts(spec: WindowSpec, t: Micros) -> Vec<Micros> {
        spec.windows_of(t).map(|w| w.start / S).collect()
    }

    #[test]
    fn thirty_by_fifteen_gives_two_windows() {
        let spec = WindowSpec::new(30 * S, 15 * S);
        assert_eq!(starts(spec, 0), vec![0, -15]);
        assert_eq!(starts(spec, 14 * S), vec![0, -15]);
        assert_eq!(starts(spec, 15 * S), vec![15, 0]);
        assert_eq!(starts(spec, 29 * S + 999_999), vec![15, 0]);
    }

    #[test]
    fn tumbling_gives_one_window() {
        let spec = WindowSpec::new(20 * S, 20 * S);
        assert_eq!(starts(spec, 19 * S), vec![0]);
        assert_eq!(starts(spec, 20 * S), vec![20]);
    }

    #[test]
    fn uneven_slide_gives_two_or_three() {
        let spec = WindowSpec::new(25 * S, 10 * S);
        assert_eq!(spec.candidates_per_event(), 3);
        assert_eq!(starts(spec, 0), vec![0, -10, -20]);
        assert_eq!(starts(spec, 4 * S), vec![0, -10, -20]);
        assert_eq!(starts(spec, 5 * S), vec![0, -10]);
        assert_eq!(starts(spec, 9 * S), vec![0, -10]);
    }

    #[test]
    fn negative_times_floor_to_the_slide() {
        let spec = WindowSpec::new(30 * S, 15 * S);
        assert_eq!(starts(spec, -1), vec![-15, -30]);
        assert_eq!(starts(spec, -15 * S), vec![-15, -30]);
    }

    proptest::proptest! {
        #[test]
        fn every_event_lands_in_exactly_the_windows_that_contain_it(
            size in 1i64..200, slide_div in 1i64..200, t in -10_000i64..10_000,
        ) {
            let slide = (size * slide_div / 200).max(1);
            let spec = WindowSpec::new(size, slide);
            let got: Vec<Micros> = spec.windows_of(t).map(|w| w.start).collect();
            // Brute force: every slide-aligned start whose window holds t.
            let mut want: Vec<Micros> = (t - size - slide..=t + slide)
                .filter(|s| s.rem_euclid(slide) == 0 && *s <= t && t < s + size)
                .collect();
            want.reverse();
            proptest::prop_assert_eq!(&got, &want);
            // The event's pane has the same windows.
            let mut by_pane: Vec<Micros> =
                spec.windows_of_pane(spec.pane_of(t)).map(|w| w.start).collect();
            by_pane.reverse();
            proptest::prop_assert_eq!(by_pane, got);
        }
    }
}

//! The clocks, read at the edges and handed inward: the runtime asks a [`Clock`] for the time
//! rather than reading it itself, so its tests run on a clock they move by hand.

#[cfg(test)]
use std::sync::Arc;
#[cfg(test)]
use std::sync::atomic::{AtomicI64, Ordering};
#[cfg(test)]
use std::time::Duration;
use std::time::{Instant, SystemTime};

use crate::engine::Micros;

/// One reading of both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// The wall clock, for reports and event times.
    pub wall: SystemTime,
    /// The monotonic clock, for measuring durations.
    pub mono: Instant,
}

impl Moment {
    /// The wall clock in microseconds since the epoch.
    pub fn wall_micros(&self) -> Micros {
        micros_since_epoch(self.wall)
    }
}

/// Where the runtime gets the time from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Moment;
}

/// The machine's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Moment {
        Moment {
            wall: SystemTime::now(),
            mono: Instant::now(),
        }
    }
}

/// A clock that stands still until moved (tests).
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Moment,
    elapsed_us: Arc<AtomicI64>,
}

#[cfg(test)]
impl ManualClock {
    /// A clock showing `wall` (µs since the epoch) until moved.
    pub fn at(wall: Micros) -> Self {
        let mono = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_micros(wall.max(0).unsigned_abs());
        ManualClock {
            start: Moment { wall, mono },
            elapsed_us: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Moves the clock on.
    pub fn advance(&self, by: Duration) {
        let us = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.elapsed_us.fetch_add(us, Ordering::Relaxed);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> Moment {
        let elapsed = Duration::from_micros(self.elapsed_us.load(Ordering::Relaxed).unsigned_abs());
        Moment {
            wall: self.start.wall + elapsed,
            mono: self.start.mono + elapsed,
        }
    }
}

/// Now, in microseconds since the epoch.
pub fn now_micros() -> Micros {
    micros_since_epoch(SystemTime::now())
}

pub fn micros_since_epoch(t: SystemTime) -> Micros {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| {
        Micros::try_from(d.as_micros()).unwrap_or(Micros::MAX)
    })
}

//! The query the engine runs: `withWatermark(DELAY).groupBy(value, window(WINDOW, SLIDE)).count()`,
//! checked before anything runs.

use std::fmt;

use super::duration::Duration;
use super::window::WindowSpec;

/// A validated query: positive window and slide, slide ≤ window, non-negative delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    window: Duration,
    slide: Duration,
    delay: Duration,
    spec: WindowSpec,
}

/// Why a query cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the window must be longer than zero (got {0})")]
    WindowNotPositive(Duration),
    #[error("the slide must be longer than zero (got {0})")]
    SlideNotPositive(Duration),
    #[error("the slide ({slide}) must not be longer than the window ({window})")]
    SlideLongerThanWindow { slide: Duration, window: Duration },
    #[error("the watermark delay must not be negative (got {0})")]
    NegativeDelay(Duration),
}

impl Query {
    pub fn new(window: Duration, slide: Duration, delay: Duration) -> Result<Self, QueryError> {
        if window.micros() <= 0 {
            return Err(QueryError::WindowNotPositive(window));
        }
        if slide.micros() <= 0 {
            return Err(QueryError::SlideNotPositive(slide));
        }
        if slide > window {
            return Err(QueryError::SlideLongerThanWindow { slide, window });
        }
        if delay.micros() < 0 {
            return Err(QueryError::NegativeDelay(delay));
        }
        Ok(Query {
            window,
            slide,
            delay,
            spec: WindowSpec::new(window.micros(), slide.micros()),
        })
    }

    /// The seed's query: 30 second windows sliding every 15 seconds, 15 second watermark.
    pub fn seed() -> Self {
        Self::new(
            Duration::from_secs(30),
            Duration::from_secs(15),
            Duration::from_secs(15),
        )
        .expect("the seed query is valid")
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    pub fn slide(&self) -> Duration {
        self.slide
    }

    pub fn delay(&self) -> Duration {
        self.delay
    }

    pub fn spec(&self) -> &WindowSpec {
        &self.spec
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "window {}, slide {}, watermark {}",
            self.window, self.slide, self.delay
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(w: i64, s: i64, d: i64) -> Result<Query, QueryError> {
        Query::new(
            Duration::from_secs(w),
            Duration::from_secs(s),
            Duration::from_secs(d),
        )
    }

    #[test]
    fn refuses_impossible_queries() {
        assert!(matches!(q(0, 0, 0), Err(QueryError::WindowNotPositive(_))));
        assert!(matches!(q(-5, 1, 0), Err(QueryError::WindowNotPositive(_))));
        assert!(matches!(q(30, 0, 0), Err(QueryError::SlideNotPositive(_))));
        assert!(matches!(
            q(30, 31, 0),
            Err(QueryError::SlideLongerThanWindow { .. })
        ));
        assert!(matches!(q(30, 15, -1), Err(QueryError::NegativeDelay(_))));
        assert!(q(30, 30, 0).is_ok());
        assert_eq!(
            q(30, 31, 0).unwrap_err().to_string(),
            "the slide (31 seconds) must not be longer than the window (30 seconds)"
        );
    }

    #[test]
    fn the_seed_query() {
        assert_eq!(
            Query::seed().to_string(),
            "window 30 seconds, slide 15 seconds, watermark 15 seconds"
        );
        assert_eq!(Query::seed().spec().candidates_per_event(), 2);
    }
}

//! A query as Spark code states it (its `Display`), for messages and the checkpoint's
//! metadata.

use std::fmt;

use super::{Duration, Query, WindowKind, quote_name};

impl fmt::Display for Query {
    /// The query as Spark code states it, and its output mode, e.g.
    /// `withWatermark("event_time", "15 seconds").groupBy(window("event_time", "30 seconds",
    /// "15 seconds"), "value").count()` in append mode.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {} mode", self.code(), self.mode().name())
    }
}

impl Query {
    /// The query as Spark code, without its output mode: `withWatermark(...).groupBy(...)`
    /// and the aggregation.
    pub fn code(&self) -> Code<'_> {
        Code(self)
    }
}

/// [`Query::code`].
#[derive(Debug, Clone, Copy)]
pub struct Code<'a>(&'a Query);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Code(query) = *self;
        let et = query.event_time_name();
        write!(f, "withWatermark({et:?}, \"{}\").groupBy(", query.delay())?;
        match query.window {
            WindowKind::Sliding(spec) => {
                let size = Duration::from_micros(spec.size());
                let slide = Duration::from_micros(spec.slide());
                if size == slide {
                    write!(f, "window({et:?}, \"{size}\")")?;
                } else {
                    write!(f, "window({et:?}, \"{size}\", \"{slide}\")")?;
                }
            }
            WindowKind::Session { gap } => write!(f, "session_window({et:?}, \"{gap}\")")?,
        }
        for &at in &query.group_by {
            write!(f, ", {:?}", quote_name(&query.schema().field(at).name))?;
        }
        if query.counts_only() {
            f.write_str(").count()")?;
        } else {
            f.write_str(").agg(")?;
            for (i, agg) in query.aggs.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                match agg.column {
                    None => f.write_str("count(\"*\").alias(\"count\")")?,
                    Some(at) => write!(
                        f,
                        "{}({:?})",
                        agg.func.name(),
                        quote_name(&query.schema().field(at).name)
                    )?,
                }
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

//! A query as Spark code states it (its `Display`), for messages and the checkpoint's
//! metadata.

use std::fmt;

use super::{Duration, Query, WindowKind, quote_name};

impl fmt::Display for Query {
    /// The query as Spark code states it, e.g.
    /// `withWatermark("event_time", "15 seconds").groupBy(window("event_time", "30 seconds",
    /// "15 seconds"), "value").count()` in append mode.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let et = self.event_time_name();
        write!(f, "withWatermark({et:?}, \"{}\").groupBy(", self.delay())?;
        match self.window {
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
        for &at in &self.group_by {
            write!(f, ", {:?}", quote_name(&self.schema().field(at).name))?;
        }
        if self.counts_only() {
            f.write_str(").count()")?;
        } else {
            f.write_str(").agg(")?;
            for (i, agg) in self.aggs.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                match agg.column {
                    None => f.write_str("count(\"*\").alias(\"count\")")?,
                    Some(at) => write!(
                        f,
                        "{}({:?})",
                        agg.func.name(),
                        quote_name(&self.schema().field(at).name)
                    )?,
                }
            }
            f.write_str(")")?;
        }
        write!(f, " in {} mode", self.mode().name())
    }
}

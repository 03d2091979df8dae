//! The time zone that window texts, timestamps and the dashboard's clock are written in.

use chrono::format::Item;
use chrono::{FixedOffset, Local, TimeZone};

use super::time::Micros;

/// Which clock the text is written in.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    /// The local time zone; chrono honours `TZ`.
    Local,
    /// A fixed offset (tests, and callers that pin the zone).
    Fixed(FixedOffset),
}

impl Zone {
    /// `t` in this zone, formatted with chrono format items.
    pub fn format<'a, I, B>(&self, t: Micros, items: I) -> String
    where
        I: Iterator<Item = B> + Clone,
        B: std::borrow::Borrow<Item<'a>>,
    {
        // Engine times lie between years 0000 and 9999, which chrono always represents.
        match self {
            Zone::Local => Local
                .timestamp_micros(t)
                .earliest()
                .map(|at| at.format_with_items(items).to_string()),
            Zone::Fixed(offset) => offset
                .timestamp_micros(t)
                .earliest()
                .map(|at| at.format_with_items(items).to_string()),
        }
        .unwrap_or_else(|| t.to_string())
    }
}


//! What a checkpoint belongs to ([`QuerySpec`]): the query, its window texts' format and zone,
//! and its input. A checkpoint made for one is refused by another, saying what differs.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::{EventTime, Query, QueryRequest, Zone};

/// What a checkpoint belongs to. A checkpoint made for one query is refused by another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpec {
    /// The query as the command line stated it (its limits aside, which change no answer).
    pub query: QueryRequest,
    /// The query as Spark code says it, for messages.
    pub text: String,
    pub window_format: String,
    /// The time zone window texts are written in (Spark's session time zone).
    pub time_zone: String,
    /// Where rows and their times come from, e.g. `socket, arrival time`.
    pub input: String,
}

impl QuerySpec {
    pub fn new(query: &Query, window_format: &str, time_zone: &str, input: String) -> Self {
        let mut request = query.request().clone();
        request.max_windows_per_event = 0;
        QuerySpec {
            query: request,
            text: query.to_string(),
            window_format: window_format.to_string(),
            time_zone: time_zone.to_string(),
            input,
        }
    }

    /// Whether a checkpoint made for `self` is one for `other`: every field the same, but the
    /// time zones only need to be one zone ([`QuerySpec::same_zone`]).
    pub(super) fn same_query(&self, other: &QuerySpec) -> bool {
        let zone_aside = QuerySpec {
            time_zone: other.time_zone.clone(),
            ..self.clone()
        };
        self.same_zone(other) && zone_aside == *other
    }

    /// Whether the two name one zone (`UTC`, `Etc/UTC` and `GMT` are: the same offset at every
    /// instant), however `TZ` named it for each run.
    fn same_zone(&self, other: &QuerySpec) -> bool {
        self.time_zone == other.time_zone
            || Zone::by_id(&self.time_zone)
                .zip(Zone::by_id(&other.time_zone))
                .is_some_and(|(a, b)| a.same_offsets(&b))
    }

    /// What `other` (a run's) changes of `self` (a checkpoint's), for a refusal's message:
    /// each part that differs, with both values.
    pub(super) fn differences(&self, other: &QuerySpec) -> String {
        fn both(what: &str, ours: &dyn fmt::Display, theirs: &dyn fmt::Display) -> String {
            format!("{what} {ours}, this run's {theirs}")
        }
        let mut parts = Vec::new();
        let (ours, theirs) = (&self.query, &other.query);
        if self.text == other.text {
            // The same Spark code from names spelled otherwise (`USER` for `user`).
            let names = |q: &QueryRequest| {
                let event_time = match &q.event_time {
                    EventTime::Arrival => "arrival".to_string(),
                    EventTime::Column(name) => name.clone(),
                };
                let aggs = q.aggs.iter().filter_map(|a| a.column.clone());
                let named = std::iter::once(event_time).chain(q.group_by.clone());
                named.chain(aggs).collect::<Vec<_>>().join(", ")
            };
            if names(ours) != names(theirs) {
                parts.push(both("its columns are named", &names(ours), &names(theirs)));
            }
        } else {
            parts.push(both("its query is", &self.text, &other.text));
        }
        if ours.schema != theirs.schema {
            parts.push(both("its columns are", &ours.schema, &theirs.schema));
        }
        if self.window_format != other.window_format {
            let (ours, theirs) = (&self.window_format, &other.window_format);
            parts.push(both("its --window-format is", ours, theirs));
        }
        if !self.same_zone(other) {
            parts.push(both("its time zone is", &self.time_zone, &other.time_zone));
        }
        if self.input != other.input {
            parts.push(both("its input is", &self.input, &other.input));
        }
        if parts.is_empty() {
            // Nothing above tells them apart (a field added to the request, say).
            parts.push("its query's options differ".to_string());
        }
        parts.join("; ")
    }
}

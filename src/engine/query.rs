//! The query the engine runs, a member of Spark's family
//!
//! ```text
//! df.withWatermark(ET, DELAY)
//!   .groupBy(window(ET, WINDOW, SLIDE) | session_window(ET, GAP), *GROUP_BY)
//!   .agg(*AGGS)
//!   .writeStream.outputMode(MODE)
//! ```
//!
//! stated by name ([`QueryRequest`]) and checked against the schema once, before anything runs:
//! unknown columns, `sum` of a string, an event-time column that is not a timestamp and what Spark
//! itself refuses are one clear error each ([`QueryError`]).

use super::duration::Duration;
use super::schema::{Schema, quote_name};
use super::types::DataType;
use super::window::WindowSpec;

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AggFn {
    /// `count(*)`, named `count` as `.count()` names it.
    Count,
    /// `count(c)`: rows where `c` is not NULL.
    CountColumn,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFn {
    fn name(self) -> &'static str {
        match self {
            AggFn::Count | AggFn::CountColumn => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
        }
    }
}

/// An aggregate as the user states it: a function and the column it reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct AggRequest {
    pub func: AggFn,
    pub column: Option<String>,
}

/// An aggregate resolved against the schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Agg {
    pub func: AggFn,
    /// The column it reads (none for `count`).
    pub column: Option<usize>,
    /// That column's type.
    pub input: Option<DataType>,
    /// The result's type, as Spark types it.
    pub output: DataType,
    /// The result column's name, as Spark names it: `count`, `sum(bytes)`.
    pub name: String,
}

impl Agg {
    /// Whether Spark's answer depends on the order rows are added in (floating-point sums and
    /// averages round at each step; floating min/max keep the first of equal values).
    pub fn order_sensitive(&self) -> bool {
        match self.func {
            AggFn::Avg => true,
            AggFn::Sum | AggFn::Min | AggFn::Max => self.input.is_some_and(DataType::is_floating),
            AggFn::Count | AggFn::CountColumn => false,
        }
    }

    /// Whether it is an average of integers: Spark sums them as doubles, exact (so in any
    /// order) while the sums stay within 2^53 (see `exact_avg`).
    pub fn sums_integers_as_doubles(&self) -> bool {
        self.func == AggFn::Avg && self.input.is_some_and(|ty| !ty.is_floating())
    }
}

/// Parses `--agg`: `count`, `count(c)`, `sum(c)`, `avg(c)` (or `mean(c)`), `min(c)`, `max(c)`,
/// comma-separated, function names in any case.
pub fn parse_aggs(text: &str) -> Result<Vec<AggRequest>, QueryError> {
    let mut aggs = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(QueryError::AggSyntax(text.trim().to_string()));
        }
        let (func, column) = match part.split_once('(') {
            Some((f, rest)) => {
                let column = rest
                    .strip_suffix(')')
                    .ok_or_else(|| QueryError::AggSyntax(part.to_string()))?
                    .trim();
                let column = column.trim_matches('`');
                (
                    f.trim(),
                    (!column.is_empty() && column != "*").then_some(column),
                )
            }
            None => (part, None),
        };
        let func = match (func.to_ascii_lowercase().as_str(), column) {
            ("count", None) => AggFn::Count,
            ("count", Some(_)) => AggFn::CountColumn,
            ("sum", Some(_)) => AggFn::Sum,
            ("avg" | "mean", Some(_)) => AggFn::Avg,
            ("min", Some(_)) => AggFn::Min,
            ("max", Some(_)) => AggFn::Max,
            ("sum" | "avg" | "mean" | "min" | "max", None) => {
                return Err(QueryError::AggNeedsColumn(part.to_string()));
            }
            _ => return Err(QueryError::AggSyntax(part.to_string())),
        };
        aggs.push(AggRequest {
            func,
            column: column.map(str::to_string),
        });
    }
    Ok(aggs)
}

/// Parses `--group-by`: comma-separated column names; an empty string groups by window alone.
pub fn parse_group_by(text: &str) -> Vec<String> {
    text.split(',')
        .map(|c| c.trim().trim_matches('`').to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Where a row's event time comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EventTime {
    /// The arrival time at the reader (Spark's socket source with `includeTimestamp`).
    Arrival,
    /// A TIMESTAMP column of the schema.
    Column(String),
}

/// Sliding (or tumbling) windows, or session windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WindowRequest {
    Sliding { size: Duration, slide: Duration },
    Session { gap: Duration },
}

/// Spark's output modes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum OutputMode {
    /// A window's rows once, when the watermark passes its end.
    #[default]
    Append,
    /// Each batch, the rows it changed.
    Update,
    /// Each batch, the whole result table.
    Complete,
}

impl OutputMode {
    pub const ALL: [OutputMode; 3] = [OutputMode::Append, OutputMode::Update, OutputMode::Complete];

    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Append => "append",
            OutputMode::Update => "update",
            OutputMode::Complete => "complete",
        }
    }
}

/// A query stated by name, as the command line gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct QueryRequest {
    pub schema: Schema,
    pub event_time: EventTime,
    pub group_by: Vec<String>,
    pub aggs: Vec<AggRequest>,
    pub window: WindowRequest,
    pub delay: Duration,
    pub mode: OutputMode,
    /// Queries whose events fall in more windows than this are refused.
    pub max_windows_per_event: u64,
}

/// How many windows an event may fall in, unless `--max-windows-per-event` says otherwise.
pub const MAX_WINDOWS_PER_EVENT: u64 = 10_000;

/// The window kind of a resolved query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    Sliding(WindowSpec),
    Session { gap: Duration },
}

/// A query resolved against its schema, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    request: QueryRequest,
    /// The event-time column's index (none: arrival time).
    event_time: Option<usize>,
    group_by: Vec<usize>,
    key_types: Vec<DataType>,
    aggs: Vec<Agg>,
    /// The aggregates' output types, in order.
    agg_types: Vec<DataType>,
    window: WindowKind,
}

impl WindowRequest {
    /// The window of `request` (whose window this is), checked as Spark checks it; `keyed`
    /// when the query groups by a column.
    fn resolve(self, request: &QueryRequest, keyed: bool) -> Result<WindowKind, QueryError> {
        Ok(match self {
            WindowRequest::Sliding { size, slide } => {
                if size.micros() <= 0 || slide.micros() <= 0 {
                    return Err(QueryError::Window(
                        super::duration::DurationError::NotPositive {
                            what: if size.micros() <= 0 {
                                super::duration::Use::Window
                            } else {
                                super::duration::Use::Slide
                            },
                            text: if size.micros() <= 0 { size } else { slide }.to_string(),
                        },
                    ));
                }
                Duration::check_slide(size, slide).map_err(QueryError::Window)?;
                let spec = WindowSpec::new(size.micros(), slide.micros());
                let count = spec.candidates_per_event() as u64;
                if count > request.max_windows_per_event {
                    return Err(QueryError::TooManyWindows {
                        window: size,
                        slide,
                        count,
                        limit: request.max_windows_per_event,
                    });
                }
                WindowKind::Sliding(spec)
            }
            WindowRequest::Session { gap } => {
                if !keyed {
                    return Err(QueryError::SessionWithoutKey);
                }
                if request.mode == OutputMode::Update {
                    return Err(QueryError::SessionInUpdateMode);
                }
                WindowKind::Session { gap }
            }
        })
    }
}

impl Agg {
    /// The aggregate `func` of schema column `input` (none: `count`), which the query named
    /// `given`, with Spark's name and result type.
    fn resolve(
        func: AggFn,
        input: Option<usize>,
        given: Option<&str>,
        schema: &Schema,
    ) -> Result<Agg, QueryError> {
        let input_type = input.map(|at| schema.field(at).ty);
        let name = match (input, given) {
            (Some(at), Some(given)) => format!("{}({})", func.name(), spelled(schema, at, given)),
            _ => "count".to_string(),
        };
        let output = match (func, input_type) {
            (AggFn::Sum, Some(ty)) if ty.is_floating() => DataType::Double,
            (AggFn::Count | AggFn::CountColumn | AggFn::Sum, _) => DataType::Long,
            (AggFn::Avg, _) => DataType::Double,
            (AggFn::Min | AggFn::Max, ty) => ty.unwrap_or(DataType::Long),
        };
        if matches!(func, AggFn::Sum | AggFn::Avg)
            && let (Some(at), Some(ty)) = (input, input_type)
            && !ty.is_numeric()
        {
            return Err(QueryError::NotNumeric {
                agg: name,
                column: schema.field(at).name.clone(),
                ty,
                why: if ty == DataType::String {
                    "Spark casts a STRING's text to DOUBLE, window-tui does not: give the \
                     column a numeric type in --schema, e.g. \"bytes LONG\""
                } else {
                    "Spark: data type mismatch"
                },
            });
        }
        Ok(Agg {
            func,
            column: input,
            input: input_type,
            output,
            name,
        })
    }
}

impl Query {
    /// Resolves `request` against its schema.
    pub fn new(request: QueryRequest) -> Result<Self, QueryError> {
        let schema = &request.schema;
        let column = |what: &'static str, name: &str| {
            schema
                .index_of(name)
                .ok_or_else(|| QueryError::UnknownColumn {
                    what,
                    name: name.to_string(),
                    columns: schema.names(),
                })
        };
        let event_time = match &request.event_time {
            EventTime::Arrival => None,
            EventTime::Column(name) => {
                let at = column("--event-time", name)?;
                let ty = schema.field(at).ty;
                if ty != DataType::Timestamp {
                    return Err(QueryError::EventTimeType {
                        name: schema.field(at).name.clone(),
                        ty,
                    });
                }
                Some(at)
            }
        };
        let group_by = request
            .group_by
            .iter()
            .map(|name| column("--group-by", name))
            .collect::<Result<Vec<_>, _>>()?;
        if request.aggs.is_empty() {
            return Err(QueryError::NoAggs);
        }
        let aggs = request
            .aggs
            .iter()
            .map(|wanted| {
                let input = wanted
                    .column
                    .as_deref()
                    .map(|name| column("--agg", name))
                    .transpose()?;
                Agg::resolve(wanted.func, input, wanted.column.as_deref(), schema)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut names = vec!["window".to_string()];
        names.extend(
            group_by
                .iter()
                .zip(&request.group_by)
                .map(|(&at, given)| spelled(schema, at, given).to_string()),
        );
        names.extend(aggs.iter().map(|a| a.name.clone()));
        for (i, name) in names.iter().enumerate() {
            if names[..i].iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(QueryError::DuplicateColumn(name.clone()));
            }
        }
        let window = request.window.resolve(&request, !group_by.is_empty())?;
        if let Some(at) = event_time.filter(|at| group_by.contains(at)) {
            check_event_time_key(&schema.field(at).name, window, request.mode)?;
        }
        let key_types = group_by.iter().map(|&at| schema.field(at).ty).collect();
        let agg_types = aggs.iter().map(|a| a.output).collect();
        Ok(Query {
            request,
            event_time,
            group_by,
            key_types,
            aggs,
            agg_types,
            window,
        })
    }

    /// The seed's query: `value STRING` stamped on arrival, 30 second windows sliding every 15
    /// seconds, 15 second watermark, `groupBy(value, window).count()` in append mode.
    pub fn seed() -> Self {
        Self::sliding_count(
            Duration::from_secs(30),
            Duration::from_secs(15),
            Duration::from_secs(15),
        )
        .expect("the seed query is valid")
    }

    /// The seed's query with other window, slide and watermark durations.
    pub fn sliding_count(
        size: Duration,
        slide: Duration,
        delay: Duration,
    ) -> Result<Self, QueryError> {
        Query::new(QueryRequest {
            schema: Schema::value_string(),
            event_time: EventTime::Arrival,
            group_by: vec!["value".into()],
            aggs: vec![AggRequest {
                func: AggFn::Count,
                column: None,
            }],
            window: WindowRequest::Sliding { size, slide },
            delay,
            mode: OutputMode::Append,
            max_windows_per_event: MAX_WINDOWS_PER_EVENT,
        })
    }

    pub fn request(&self) -> &QueryRequest {
        &self.request
    }

    pub fn schema(&self) -> &Schema {
        &self.request.schema
    }

    /// The event-time column (none when rows are stamped on arrival).
    pub fn event_time_column(&self) -> Option<usize> {
        self.event_time
    }

    /// The group-by columns, as schema indices.
    pub fn group_by(&self) -> &[usize] {
        &self.group_by
    }

    /// The group-by columns' types, in order.
    pub fn key_types(&self) -> &[DataType] {
        &self.key_types
    }

    pub fn aggs(&self) -> &[Agg] {
        &self.aggs
    }

    /// The aggregates' output types, in order.
    pub fn agg_types(&self) -> &[DataType] {
        &self.agg_types
    }

    pub fn window(&self) -> WindowKind {
        self.window
    }

    /// Whether the late filter drops rows: in append and update mode, and in complete mode
    /// for session windows only (Spark's session restore filters late rows in every mode; its
    /// time windows keep every row in complete mode).
    pub fn filters_late(&self) -> bool {
        self.mode() != OutputMode::Complete || self.spec().is_none()
    }

    /// The sliding windows' spec (none for session windows).
    pub fn spec(&self) -> Option<&WindowSpec> {
        match &self.window {
            WindowKind::Sliding(spec) => Some(spec),
            WindowKind::Session { .. } => None,
        }
    }

    pub fn delay(&self) -> Duration {
        self.request.delay
    }

    pub fn mode(&self) -> OutputMode {
        self.request.mode
    }

    /// Whether the answer depends on the order rows arrive in a batch (see
    /// [`Agg::order_sensitive`]).
    pub fn order_sensitive(&self) -> bool {
        self.aggs.iter().any(Agg::order_sensitive)
    }

    /// The group-by column when the key is that one STRING column (its keys can be found
    /// without being written out).
    pub(crate) fn string_key(&self) -> Option<usize> {
        match (self.group_by(), self.key_types()) {
            (&[column], &[DataType::String]) => Some(column),
            _ => None,
        }
    }

    /// Whether the query is the seed's shape: one `count` and nothing else to add up.
    pub fn counts_only(&self) -> bool {
        self.aggs.len() == 1 && self.aggs[0].func == AggFn::Count
    }

    /// The output columns' names: `window`, the group-by columns, the aggregates.
    pub fn output_names(&self) -> Vec<&str> {
        let mut names = vec!["window"];
        names.extend(self.group_by_names());
        names.extend(self.aggs.iter().map(|a| a.name.as_str()));
        names
    }

    /// The group-by columns' names as the query spells them, which Spark's output keeps
    /// (`--group-by user` on a column `User` gives a column `user`).
    pub fn group_by_names(&self) -> impl Iterator<Item = &str> {
        let schema = self.schema();
        (self.group_by.iter())
            .zip(&self.request.group_by)
            .map(move |(&at, given)| spelled(schema, at, given))
    }

    /// The event-time column's name as Spark code names it (`timestamp` for the socket
    /// source's arrival stamp).
    pub fn event_time_name(&self) -> &str {
        match self.event_time {
            Some(at) => &self.schema().field(at).name,
            None => "timestamp",
        }
    }
}

/// Column `at` of `schema` as the query named it, `given`: Spark resolves a name in any case
/// and names its output as the query spelled it (`given` is the schema's name in some case;
/// were it not, the schema's name would be kept).
fn spelled<'a>(schema: &'a Schema, at: usize, given: &'a str) -> &'a str {
    let name = schema.field(at).name.as_str();
    if given.eq_ignore_ascii_case(name) {
        given
    } else {
        name
    }
}

#[path = "query_error.rs"]
mod error;
#[path = "query_text.rs"]
mod text;

pub use error::QueryError;
use error::check_event_time_key;

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;

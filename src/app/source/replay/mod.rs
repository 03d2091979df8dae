//! Recorded streams: a CSV file `batch,<columns>` (RFC 4180, LF or CRLF, `\N` for NULL, a
//! quoted `"\N"` for that text), its rows typed by the query's schema, read ahead on a thread
//! of its own.
//!
//! [`ReplayReader`] parses the file from a fixed buffer (streamed, never loaded); its header
//! names the columns, which [`Binding`] maps onto the schema. [`ReplaySource`] is what a
//! replay reads ([`RowSource`]): whole ticks read and counted on threads of their own while
//! that pays (`counted`), else typed rows read ahead on a second thread ([`ReadAhead`]), a
//! tick at a time.

mod counted;
mod plain;
mod quoting;
mod read_ahead;
mod reader;
mod source;

use std::io;
use std::ops::Range;

#[cfg(test)]
pub(crate) use counted::Split;
pub use read_ahead::ReadAhead;
pub use reader::ReplayReader;
pub use source::{CountedTick, Counting, ReplaySource};

use crate::engine::{DataType, EncodedRow, Micros, Rows, Schema, SchemaError};

/// The header of the seed's replay files.
pub const SEED_HEADER: &str = "batch,event_time,value";

/// A row that opens a tick, or the row [`RowSource::next_row`] hands out: where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The trigger tick the row arrived in.
    pub tick: u64,
    /// The row's first line in the file (the header is line 1).
    pub line: u64,
    /// Where the row starts in the file, in bytes.
    pub offset: u64,
}

/// A typed row of the file.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub head: Head,
    pub event_time: Micros,
    pub row: EncodedRow<'a>,
}

/// A row that cannot be read; the reader has moved past it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct BadRow {
    pub file: String,
    pub line: u64,
    pub problem: String,
    /// The row's batch tick, when that column could be read.
    pub tick: Option<u64>,
    /// Where the row starts in the file, in bytes.
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Bad(#[from] BadRow),
    /// (`error` is part of the message, not a source: printed with its causes, it would show
    /// twice.)
    #[error("cannot read {file}: {error}")]
    Io { file: String, error: io::Error },
}

/// Where replay rows come from (a thread reading the file ahead, [`ReadAhead`]).
pub trait RowSource {
    /// The next row; after an error the source has moved past the bad row.
    fn next_row(&mut self) -> Result<Option<RowRef<'_>>, ReadError>;

    /// Hands the rows of `tick` that come next to `each`, up to the first that needs
    /// [`RowSource::next_row`], as runs of rows it holds (rows `range` of `rows`, of
    /// types `types`); returns how many. May hand none.
    fn rows_of_tick(
        &mut self,
        tick: u64,
        each: impl FnMut(&Rows, Range<usize>, &[DataType]),
    ) -> u64;

    /// Where the row after the last one read starts, `(offset, line)`; at the end of the file,
    /// its end.
    fn position(&self) -> (u64, u64);

    /// The next tick whole, counted ahead ([`CountedTick`]), when the source reads so (its
    /// rows are then not handed out); none when the next rows are to be read one by one.
    fn counted_tick(&mut self) -> Option<CountedTick> {
        None
    }

    /// The tick `head` opens (a row [`RowSource::next_row`] handed out), counted ahead, when
    /// it was: the source then reads on from its end, and hands out none of its rows.
    fn counted_tick_at(&mut self, _head: &Head) -> Option<CountedTick> {
        None
    }
}

/// How the file's columns map onto the query's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub schema: Schema,
    /// For each schema column, its column in the file (after `batch`).
    pub file_column: Vec<usize>,
    /// The schema column holding the event time.
    pub event_time: usize,
    /// The schema columns the query reads (others are not parsed, and NULL in the rows).
    pub read: Vec<bool>,
}

impl Binding {
    /// The schema of a file with these columns: `schema`'s types by name when given (it must
    /// name exactly the file's columns), else every column STRING but the event time, a
    /// TIMESTAMP. The schema keeps the given order, or the file's.
    pub fn schema_of(
        columns: &[String],
        schema: Option<&Schema>,
        event_time: &str,
    ) -> Result<Schema, String> {
        let Some(schema) = schema else {
            let fields = columns
                .iter()
                .map(|name| crate::engine::Field {
                    name: name.clone(),
                    ty: if name.eq_ignore_ascii_case(event_time) {
                        DataType::Timestamp
                    } else {
                        DataType::String
                    },
                })
                .collect();
            return Schema::new(fields).map_err(|e| match e {
                SchemaError::Duplicate(name) => format!(
                    "the header names the column {name:?} twice (names ignore case, as Spark's do)"
                ),
                other => other.to_string(),
            });
        };
        for name in columns {
            if schema.index_of(name).is_none() {
                return Err(format!(
                    "the file has a column {name:?} that --schema does not name ({})",
                    schema.names()
                ));
            }
        }
        for field in schema.fields() {
            if !columns.iter().any(|c| c.eq_ignore_ascii_case(&field.name)) {
                return Err(format!(
                    "--schema names {:?}, which the file's header does not have (it has {})",
                    field.name,
                    columns.join(", ")
                ));
            }
        }
        Ok(schema.clone())
    }

    /// The binding of a file with `columns` to `schema` (which names exactly them), the event
    /// time in schema column `event_time`, parsing only the columns in `read`.
    pub fn new(columns: &[String], schema: Schema, event_time: usize, mut read: Vec<bool>) -> Self {
        let file_column = schema
            .fields()
            .iter()
            .map(|f| {
                columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(&f.name))
                    .unwrap_or(0)
            })
            .collect();
        read.resize(schema.len(), false);
        read[event_time] = true;
        Binding {
            schema,
            file_column,
            event_time,
            read,
        }
    }
}

#[cfg(test)]
mod source_tests;
#[cfg(test)]
mod tests;

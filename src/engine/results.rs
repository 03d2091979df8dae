//! A batch's aggregate results, packed: one eight-byte word a cell, read back as a [`Value`]
//! by its column's type.
//!
//! A batch of many keys emits millions of cells. As [`super::Datum`]s (24 bytes each, made and
//! moved one by one) they took about a quarter of the time the engine spent closing windows
//! (9c); as words they take a store each. NULL cells are listed apart (a count is never NULL,
//! so most batches list none), and strings are kept after one another, a word saying which.

use super::types::{DataType, Value};

/// Aggregate results, [`Results::width`] a row, each column read by its type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results {
    /// Each column's type: how its words read.
    types: Vec<DataType>,
    /// A cell's value: an integer, a boolean (0 or 1), a timestamp, a float's or a double's
    /// bits, or, for a string, its place in `spans`.
    words: Vec<u64>,
    /// The NULL cells, in ascending order.
    nulls: Vec<usize>,
    /// The string cells, one after another.
    text: String,
    /// Where each string cell is in `text`.
    spans: Vec<(usize, usize)>,
}

/// Room for `more` items in `buffer`: an empty one too small is replaced, not grown (a growth
/// copies the whole of its old room).
pub(crate) fn make_room<T>(buffer: &mut Vec<T>, more: usize) {
    if buffer.is_empty() && buffer.capacity() < more {
        *buffer = Vec::with_capacity(more);
    } else {
        buffer.reserve(more);
    }
}

impl Results {
    /// No results yet, with room for `cells` cells, for columns of `types`.
    pub(crate) fn with_capacity(types: &[DataType], cells: usize) -> Self {
        Results {
            types: types.to_vec(),
            words: Vec::with_capacity(cells),
            nulls: Vec::new(),
            text: String::new(),
            spans: Vec::new(),
        }
    }

    /// Each column's type.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// Cells a row.
    pub fn width(&self) -> usize {
        self.types.len()
    }

    /// Cells held.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Room for `more` cells ([`make_room`]).
    pub(crate) fn reserve(&mut self, more: usize) {
        make_room(&mut self.words, more);
    }

    /// Cells there is room for.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.words.capacity()
    }

    /// Adds the next cell, `value`: NULL or a value of the type of the column it falls in (as
    /// an aggregate's result is of its output type); another kind would not read back.
    #[inline]
    pub fn push(&mut self, value: Value<'_>) {
        let word = match value {
            Value::Null => {
                self.nulls.push(self.words.len());
                0
            }
            Value::Bool(b) => u64::from(b),
            Value::Long(v) | Value::Timestamp(v) => v as u64,
            Value::Float(v) => u64::from(v.to_bits()),
            Value::Double(v) => v.to_bits(),
            Value::Str(s) => {
                let at = self.text.len();
                self.text.push_str(s);
                self.spans.push((at, self.text.len()));
                self.spans.len() as u64 - 1
            }
        };
        self.words.push(word);
    }

    /// The cells of the row whose first cell is `first`, in column order.
    ///
    /// # Panics
    /// When the row's cells are not all held.
    pub fn row(&self, first: usize) -> impl ExactSizeIterator<Item = Value<'_>> {
        (self.types.iter().enumerate()).map(move |(column, &ty)| self.cell(first + column, ty))
    }

    /// Cell `i`, of type `ty`.
    fn cell(&self, i: usize, ty: DataType) -> Value<'_> {
        let word = self.words[i];
        if !self.nulls.is_empty() && self.nulls.binary_search(&i).is_ok() {
            return Value::Null;
        }
        match ty {
            DataType::Boolean => Value::Bool(word != 0),
            DataType::Byte | DataType::Short | DataType::Int | DataType::Long => {
                Value::Long(word as i64)
            }
            DataType::Timestamp => Value::Timestamp(word as i64),
            DataType::Float => Value::Float(f32::from_bits(word as u32)),
            DataType::Double => Value::Double(f64::from_bits(word)),
            DataType::String => {
                let (start, end) = self.spans[word as usize];
                Value::Str(&self.text[start..end])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_reads_back_as_it_was_pushed() {
        let types = [
            DataType::Long,
            DataType::Double,
            DataType::Float,
            DataType::Boolean,
            DataType::Timestamp,
            DataType::String,
            DataType::Int,
        ];
        let rows: [[Value; 7]; 3] = [
            [
                Value::Long(-3),
                Value::Double(f64::NAN),
                Value::Float(-0.0),
                Value::Bool(true),
                Value::Timestamp(-1),
                Value::Str("héllo"),
                Value::Long(i64::MAX),
            ],
            [
                Value::Null,
                Value::Double(0.1),
                Value::Float(f32::INFINITY),
                Value::Bool(false),
                Value::Null,
                Value::Str(""),
                Value::Null,
            ],
            [
                Value::Long(i64::MIN),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Timestamp(1_700_000_000_000_000),
                Value::Null,
                Value::Long(0),
            ],
        ];
        let mut results = Results::with_capacity(&types, 0);
        for value in rows.iter().flatten() {
            results.push(*value);
        }
        assert_eq!(results.len(), 21);
        assert_eq!(results.width(), 7);
        for (r, row) in rows.iter().enumerate() {
            let got: Vec<Value> = results.row(r * 7).collect();
            for (got, want) in got.iter().zip(row) {
                match (got, want) {
                    (Value::Double(g), Value::Double(w)) => assert_eq!(g.to_bits(), w.to_bits()),
                    (Value::Float(g), Value::Float(w)) => assert_eq!(g.to_bits(), w.to_bits()),
                    _ => assert_eq!(got, want, "row {r}"),
                }
            }
        }
    }

    #[test]
    fn an_empty_buffer_too_small_is_replaced_and_a_held_one_grown() {
        let mut empty: Vec<u8> = Vec::with_capacity(4);
        make_room(&mut empty, 100);
        assert_eq!(empty.capacity(), 100);
        let mut held = vec![1u8, 2];
        make_room(&mut held, 100);
        assert!(held.capacity() >= 102);
        assert_eq!(held, [1, 2]);
    }
}

//! Spark SQL's data types as the query family uses them, and values of them: [`Value`] borrows
//! (a row's cell, read without copying), [`Datum`] owns (a result handed to the sinks).
//!
//! Ordering follows Spark's: strings by UTF-8 bytes, booleans `false < true`, floating point
//! with `NaN` above every number and `-0.0 == 0.0`.

use std::cmp::Ordering;
use std::fmt;

use super::time::Micros;

/// A column's type. `Byte`, `Short`, `Int` and `Long` hold integers of their width; a
/// `Timestamp` holds microseconds since the epoch, as Spark's `TimestampType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DataType {
    String,
    Boolean,
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    Timestamp,
}

impl DataType {
    /// The type a DDL type name stands for (`BIGINT`, `long`, `INTEGER`, ...), as Spark reads them.
    pub fn from_ddl(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "STRING" => DataType::String,
            "BOOLEAN" => DataType::Boolean,
            "TINYINT" | "BYTE" => DataType::Byte,
            "SMALLINT" | "SHORT" => DataType::Short,
            "INT" | "INTEGER" => DataType::Int,
            "BIGINT" | "LONG" => DataType::Long,
            "FLOAT" | "REAL" => DataType::Float,
            "DOUBLE" => DataType::Double,
            "TIMESTAMP" | "TIMESTAMP_LTZ" => DataType::Timestamp,
            _ => return None,
        })
    }

    /// Spark's name of the type, as `DataType.sql` prints it.
    pub fn sql(self) -> &'static str {
        match self {
            DataType::String => "STRING",
            DataType::Boolean => "BOOLEAN",
            DataType::Byte => "TINYINT",
            DataType::Short => "SMALLINT",
            DataType::Int => "INT",
            DataType::Long => "BIGINT",
            DataType::Float => "FLOAT",
            DataType::Double => "DOUBLE",
            DataType::Timestamp => "TIMESTAMP",
        }
    }

    pub fn is_integral(self) -> bool {
        matches!(
            self,
            DataType::Byte | DataType::Short | DataType::Int | DataType::Long
        )
    }

    pub fn is_floating(self) -> bool {
        matches!(self, DataType::Float | DataType::Double)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integral() || self.is_floating()
    }

    /// The range an integral type holds.
    pub fn integer_range(self) -> Option<(i64, i64)> {
        Some(match self {
            DataType::Byte => (i64::from(i8::MIN), i64::from(i8::MAX)),
            DataType::Short => (i64::from(i16::MIN), i64::from(i16::MAX)),
            DataType::Int => (i64::from(i32::MIN), i64::from(i32::MAX)),
            DataType::Long => (i64::MIN, i64::MAX),
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

/// One cell, borrowed from where it was read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// Any integral type.
    Long(i64),
    Float(f32),
    Double(f64),
    Str(&'a str),
    Timestamp(Micros),
}

impl Value<'_> {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a double, for sums and averages (`None` for NULL and non-numbers).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Long(v) => Some(v as f64),
            Value::Float(v) => Some(f64::from(v)),
            Value::Double(v) => Some(v),
            _ => None,
        }
    }

    /// An owned copy.
    pub fn to_datum(&self) -> Datum {
        match *self {
            Value::Null => Datum::Null,
            Value::Bool(v) => Datum::Bool(v),
            Value::Long(v) => Datum::Long(v),
            Value::Float(v) => Datum::Float(v),
            Value::Double(v) => Datum::Double(v),
            Value::Str(v) => Datum::Str(v.into()),
            Value::Timestamp(v) => Datum::Timestamp(v),
        }
    }
}

/// One cell, owned: an aggregate's result or a value kept past its row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Datum {
    #[default]
    Null,
    Bool(bool),
    Long(i64),
    Float(f32),
    Double(f64),
    Str(Box<str>),
    Timestamp(Micros),
}

impl Datum {
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Datum::Null => Value::Null,
            Datum::Bool(v) => Value::Bool(*v),
            Datum::Long(v) => Value::Long(*v),
            Datum::Float(v) => Value::Float(*v),
            Datum::Double(v) => Value::Double(*v),
            Datum::Str(v) => Value::Str(v),
            Datum::Timestamp(v) => Value::Timestamp(*v),
        }
    }
}

/// Spark's order of two non-NULL values of one type (`SQLOrderingUtil` for floating point:
/// `NaN` is the greatest and equal to itself, `-0.0` equals `0.0`). Values of different kinds
/// compare by kind, which a well-typed query never asks for.
pub fn compare(a: Value<'_>, b: Value<'_>) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
        (Value::Long(x), Value::Long(y)) | (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(&y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Double(x), Value::Double(y)) => compare_f64(x, y),
        (Value::Float(x), Value::Float(y)) => compare_f64(f64::from(x), f64::from(y)),
        (x, y) => kind(x).cmp(&kind(y)),
    }
}

fn compare_f64(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

fn kind(v: Value<'_>) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Long(_) => 2,
        Value::Float(_) => 3,
        Value::Double(_) => 4,
        Value::Str(_) => 5,
        Value::Timestamp(_) => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_names_as_spark_reads_them() {
        assert_eq!(DataType::from_ddl("bigint"), Some(DataType::Long));
        assert_eq!(DataType::from_ddl("LONG"), Some(DataType::Long));
        assert_eq!(DataType::from_ddl("Integer"), Some(DataType::Int));
        assert_eq!(DataType::from_ddl("real"), Some(DataType::Float));
        assert_eq!(DataType::from_ddl("decimal"), None);
        assert_eq!(DataType::Long.sql(), "BIGINT");
    }

    #[test]
    fn spark_orders_floating_point_with_nan_on_top() {
        use Ordering::{Equal, Greater, Less};
        assert_eq!(
            compare(Value::Double(f64::NAN), Value::Double(f64::INFINITY)),
            Greater
        );
        assert_eq!(
            compare(Value::Double(f64::NAN), Value::Double(-f64::NAN)),
            Equal
        );
        assert_eq!(compare(Value::Double(-0.0), Value::Double(0.0)), Equal);
        assert_eq!(compare(Value::Float(1.5), Value::Float(2.0)), Less);
        assert_eq!(compare(Value::Str("B"), Value::Str("a")), Less, "by bytes");
        assert_eq!(
            compare(Value::Str("é"), Value::Str("z")),
            Greater,
            "by UTF-8 bytes"
        );
        assert_eq!(compare(Value::Bool(false), Value::Bool(true)), Less);
    }
}

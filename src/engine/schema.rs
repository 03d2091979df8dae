//! The stream's columns, written as a Spark DDL string (`"ts TIMESTAMP, user STRING, bytes
//! LONG"`, as `StructType.fromDDL` reads it): names, optionally in backquotes, each with a type,
//! optionally `NOT NULL` and a `COMMENT '...'`. Names are matched without regard to case, as
//! Spark resolves columns by default.

use std::fmt;
use std::str::FromStr;

use super::types::DataType;

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: DataType,
}

/// The columns of a stream, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Schema {
    fields: Vec<Field>,
    /// The types alone, in column order, for reading rows.
    types: Vec<DataType>,
}

/// Why a DDL string is not a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("--schema is empty; write it like \"ts TIMESTAMP, user STRING, bytes LONG\"")]
    Empty,
    #[error(
        "--schema: {0:?} is not `name TYPE` (write the schema like \"ts TIMESTAMP, user STRING, bytes LONG\")"
    )]
    Syntax(String),
    #[error(
        "--schema: {ty:?} (column {column:?}) is not a type window-tui reads; use STRING, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT (LONG), FLOAT, DOUBLE or TIMESTAMP"
    )]
    Type { column: String, ty: String },
    #[error("--schema names the column {0:?} twice (names ignore case, as Spark's do)")]
    Duplicate(String),
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Result<Self, SchemaError> {
        if fields.is_empty() {
            return Err(SchemaError::Empty);
        }
        for (i, field) in fields.iter().enumerate() {
            if fields[..i]
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&field.name))
            {
                return Err(SchemaError::Duplicate(field.name.clone()));
            }
        }
        let types = fields.iter().map(|f| f.ty).collect();
        Ok(Schema { fields, types })
    }

    /// The socket source's one column: `value STRING`.
    pub fn value_string() -> Self {
        Schema::new(vec![Field {
            name: "value".into(),
            ty: DataType::String,
        }])
        .expect("one column")
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The index of the column named `name`, ignoring case.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn field(&self, index: usize) -> &Field {
        &self.fields[index]
    }

    /// The names, comma-separated, for messages.
    pub fn names(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for Schema {
    type Err = SchemaError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut fields = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                if text.trim().is_empty() {
                    return Err(SchemaError::Empty);
                }
                return Err(SchemaError::Syntax(text.trim().to_string()));
            }
            let (name, rest) = column_name(part).ok_or_else(|| SchemaError::Syntax(part.into()))?;
            let rest = rest.trim_start();
            let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
            let ty_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (ty, tail) = rest.split_at(ty_len);
            if ty.is_empty() {
                return Err(SchemaError::Syntax(part.into()));
            }
            let ty_name = if tail.trim_start().starts_with(['(', '<']) {
                format!("{ty}{}", tail.trim_start())
            } else {
                ty.to_string()
            };
            let ty = DataType::from_ddl(ty).ok_or_else(|| SchemaError::Type {
                column: name.clone(),
                ty: ty_name,
            })?;
            if !is_column_tail(tail) {
                return Err(SchemaError::Syntax(part.into()));
            }
            fields.push(Field { name, ty });
        }
        Schema::new(fields)
    }
}

impl fmt::Display for Schema {
    /// The DDL string, as `StructType.toDDL` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", quote_name(&field.name), field.ty)?;
        }
        Ok(())
    }
}

/// A column name as Spark writes it in DDL: in backquotes unless it is a plain identifier.
pub fn quote_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// The comma-separated parts of a DDL string, commas inside parentheses, angle brackets,
/// backquotes and quotes excepted.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '`' | '\'' | '"') => quote = Some(c),
            (None, '(' | '<') => depth += 1,
            (None, ')' | '>') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A leading column name, plain or in backquotes (a doubled backquote is one), and the rest.
fn column_name(part: &str) -> Option<(String, &str)> {
    if let Some(quoted) = part.strip_prefix('`') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '`' {
                if chars.peek().map(|&(_, c)| c) == Some('`') {
                    chars.next();
                    name.push('`');
                    continue;
                }
                return Some((name, &quoted[i + 1..]));
            }
            name.push(c);
        }
        return None;
    }
    let end = part
        .find(|c: char| c.is_whitespace() || c == ':')
        .unwrap_or(part.len());
    let name = &part[..end];
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| (name.to_string(), &part[end..]))
}

/// What may follow a column's type: `NOT NULL` and `COMMENT '...'`, in any case.
fn is_column_tail(tail: &str) -> bool {
    let mut rest = tail.trim();
    loop {
        if rest.is_empty() {
            return true;
        }
        let upper = rest.to_ascii_uppercase();
        if upper.starts_with("NOT NULL") {
            rest = rest["NOT NULL".len()..].trim_start();
        } else if upper.starts_with("COMMENT") {
            let comment = rest["COMMENT".len()..].trim_start();
            let Some(q) = comment.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                return false;
            };
            let Some(end) = comment[1..].find(q) else {
                return false;
            };
            rest = comment[end + 2..].trim_start();
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_types(text: &str) -> Vec<(String, DataType)> {
        let schema: Schema = text.parse().unwrap();
        schema
            .fields()
            .iter()
            .map(|f| (f.name.clone(), f.ty))
            .collect()
    }

    #[test]
    fn reads_spark_ddl() {
        assert_eq!(
            names_and_types("ts TIMESTAMP, user STRING, bytes LONG"),
            [
                ("ts".to_string(), DataType::Timestamp),
                ("user".to_string(), DataType::String),
                ("bytes".to_string(), DataType::Long)
            ]
        );
        assert_eq!(
            names_and_types("`my col` bigint NOT NULL COMMENT 'a, b', `a``b` double, x int"),
            [
                ("my col".to_string(), DataType::Long),
                ("a`b".to_string(), DataType::Double),
                ("x".to_string(), DataType::Int)
            ]
        );
        let schema: Schema = "ts TIMESTAMP, `my col` STRING".parse().unwrap();
        assert_eq!(schema.to_string(), "ts TIMESTAMP, `my col` STRING");
        assert_eq!(schema.index_of("MY COL"), Some(1));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let err = |t: &str| t.parse::<Schema>().unwrap_err();
        assert_eq!(err(""), SchemaError::Empty);
        assert!(matches!(err("ts"), SchemaError::Syntax(_)));
        assert!(matches!(err("ts TIMESTAMP,"), SchemaError::Syntax(_)));
        assert_eq!(
            err("price DECIMAL(10,2)"),
            SchemaError::Type {
                column: "price".into(),
                ty: "DECIMAL(10,2)".into()
            }
        );
        assert!(matches!(err("a INT, A STRING"), SchemaError::Duplicate(_)));
        assert!(matches!(err("a INT whatever"), SchemaError::Syntax(_)));
    }
}

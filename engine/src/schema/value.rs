//! Typed column values: the six column types a table can declare, and the value a cell holds.
//!
//! [`ColumnType`] is what a column declares; [`Value`] is what a row stores in it (or `Null`).
//! A value matches a type when it is `Null` or of exactly that type — the SQL front end coerces
//! literals (an integer literal into a `DOUBLE` column, a string into a `TIMESTAMP`) before a row
//! reaches the table layer, which only ever checks.

use std::fmt;

/// A column's declared type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    /// Signed 64-bit integer (`BIGINT`, `INTEGER`, `INT`).
    Int,
    /// IEEE 754 double (`DOUBLE`, `REAL`, `FLOAT`).
    Double,
    /// UTF-8 text (`TEXT`, `VARCHAR`).
    Text,
    /// Uninterpreted bytes (`BYTES`, `BLOB`, `BYTEA`).
    Bytes,
    /// `TRUE` or `FALSE` (`BOOLEAN`, `BOOL`).
    Bool,
    /// Microseconds since 1970-01-01T00:00:00Z, UTC (`TIMESTAMP`).
    Timestamp,
}

impl ColumnType {
    /// Every type, in tag order.
    pub const ALL: [ColumnType; 6] = [
        ColumnType::Int,
        ColumnType::Double,
        ColumnType::Text,
        ColumnType::Bytes,
        ColumnType::Bool,
        ColumnType::Timestamp,
    ];

    /// The type's one-byte tag in stored catalog entries and row encodings (`engine/FORMAT.md`).
    pub fn tag(self) -> u8 {
        match self {
            ColumnType::Int => 1,
            ColumnType::Double => 2,
            ColumnType::Text => 3,
            ColumnType::Bytes => 4,
            ColumnType::Bool => 5,
            ColumnType::Timestamp => 6,
        }
    }

    /// The type with tag `tag`, if there is one.
    pub fn from_tag(tag: u8) -> Option<ColumnType> {
        ColumnType::ALL.into_iter().find(|t| t.tag() == tag)
    }

    /// The SQL spelling the catalog and `EXPLAIN` print.
    pub fn sql_name(self) -> &'static str {
        match self {
            ColumnType::Int => "BIGINT",
            ColumnType::Double => "DOUBLE",
            ColumnType::Text => "TEXT",
            ColumnType::Bytes => "BYTES",
            ColumnType::Bool => "BOOLEAN",
            ColumnType::Timestamp => "TIMESTAMP",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// One cell's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL `NULL`: no value.
    Null,
    /// A [`ColumnType::Int`] value.
    Int(i64),
    /// A [`ColumnType::Double`] value.
    Double(f64),
    /// A [`ColumnType::Text`] value.
    Text(String),
    /// A [`ColumnType::Bytes`] value.
    Bytes(Vec<u8>),
    /// A [`ColumnType::Bool`] value.
    Bool(bool),
    /// A [`ColumnType::Timestamp`] value: microseconds since the Unix epoch, UTC.
    Timestamp(i64),
}

impl Value {
    /// The value's type, or `None` for `Null`.
    pub fn column_type(&self) -> Option<ColumnType> {
        match self {
            Value::Null => None,
            Value::Int(_) => Some(ColumnType::Int),
            Value::Double(_) => Some(ColumnType::Double),
            Value::Text(_) => Some(ColumnType::Text),
            Value::Bytes(_) => Some(ColumnType::Bytes),
            Value::Bool(_) => Some(ColumnType::Bool),
            Value::Timestamp(_) => Some(ColumnType::Timestamp),
        }
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the value may be stored in a column of type `ty` (`Null` fits every type; NOT NULL
    /// is checked separately).
    pub fn fits(&self, ty: ColumnType) -> bool {
        self.column_type().is_none_or(|t| t == ty)
    }

    /// The name of the value's type for error messages (`NULL` for `Null`).
    pub fn type_name(&self) -> &'static str {
        self.column_type().map_or("NULL", ColumnType::sql_name)
    }
}

impl fmt::Display for Value {
    /// SQL-literal-like text: `NULL`, `42`, `1.5`, `'it''s'`, `x'00ff'`, `TRUE`, and timestamps as
    /// RFC 3339 UTC with microseconds (`'2026-12-03T14:00:00.000000Z'`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v:?}"),
            Value::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Value::Bytes(b) => {
                f.write_str("x'")?;
                for byte in b {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
            Value::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Value::Timestamp(us) => match chrono::DateTime::from_timestamp_micros(*us) {
                Some(t) => write!(f, "'{}'", t.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
                None => write!(f, "TIMESTAMP({us})"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_are_distinct() {
        for ty in ColumnType::ALL {
            assert_eq!(ColumnType::from_tag(ty.tag()), Some(ty));
        }
        assert_eq!(ColumnType::from_tag(0), None);
        assert_eq!(ColumnType::from_tag(7), None);
    }

    #[test]
    fn null_fits_every_type_and_others_only_their_own() {
        for ty in ColumnType::ALL {
            assert!(Value::Null.fits(ty));
        }
        assert!(Value::Int(1).fits(ColumnType::Int));
        assert!(!Value::Int(1).fits(ColumnType::Double));
        assert!(!Value::Text("1".into()).fits(ColumnType::Int));
    }

    #[test]
    fn display_is_sql_like() {
        assert_eq!(Value::Text("it's".into()).to_string(), "'it''s'");
        assert_eq!(Value::Bytes(vec![0, 255]).to_string(), "x'00ff'");
        assert_eq!(Value::Double(1.0).to_string(), "1.0");
        assert_eq!(
            Value::Timestamp(1_000_001).to_string(),
            "'1970-01-01T00:00:01.000001Z'"
        );
    }
}

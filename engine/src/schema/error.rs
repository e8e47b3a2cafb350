//! The schema layer's typed errors: every message names the table, column, index or key it is
//! about, and the SQL front end's errors name the line and column of the statement.

use std::fmt;

use crate::error::Error as EngineError;

/// A schema-layer result.
pub type Result<T, E = SchemaError> = std::result::Result<T, E>;

/// What went wrong in the schema layer.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The storage or transaction layer failed (I/O, conflict, deadlock, lock timeout, …).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A statement of a script run in its caller's transaction (a migration file, for one)
    /// failed with a typed error: the line the statement starts on, and the error. (SQL errors
    /// carry their own line and column and are not wrapped.)
    #[error("statement at line {line}: {source}")]
    InStatement {
        /// 1-based line of the script the statement starts on.
        line: u64,
        /// What failed.
        source: Box<SchemaError>,
    },
    /// No table of that name exists.
    #[error("no table named `{table}`")]
    UnknownTable {
        /// The name as written.
        table: String,
    },
    /// The table has no column of that name.
    #[error("table `{table}` has no column `{column}`")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The column name as written.
        column: String,
    },
    /// No index of that name exists.
    #[error("no index named `{index}`")]
    UnknownIndex {
        /// The name as written.
        index: String,
    },
    /// A table, column or index of that name already exists.
    #[error("{kind} `{name}` already exists")]
    AlreadyExists {
        /// `table`, `column` or `index`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A value of the wrong type for its column.
    #[error("column `{table}.{column}` is {expected}, got {found} ({value})")]
    TypeMismatch {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The column's declared type.
        expected: String,
        /// The value's type.
        found: String,
        /// The value, as a SQL literal.
        value: String,
    },
    /// `NULL` into a NOT NULL (or primary-key) column.
    #[error("column `{table}.{column}` is NOT NULL")]
    NotNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A primary-key or unique-index value that another row already holds.
    #[error("duplicate key in `{table}` index `{index}`: {key} already exists")]
    UniqueViolation {
        /// The table.
        table: String,
        /// `PRIMARY KEY` or the unique index's name.
        index: String,
        /// The duplicate key, as SQL literals: `(42, 'x')`.
        key: String,
    },
    /// A definition that cannot be (no columns, no primary key, unknown key column, …).
    #[error("invalid definition of `{name}`: {reason}")]
    InvalidDefinition {
        /// The table or index.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Bytes in the catalog, a row or an index entry that do not decode.
    #[error("corrupt schema data in {what}: {reason}")]
    Corrupt {
        /// What was being decoded (`catalog entry for table 3`, `row of orders`, …).
        what: String,
        /// Why it does not decode.
        reason: String,
    },
    /// A SQL statement that does not parse or cannot be executed as written.
    #[error("{0}")]
    Sql(SqlError),
}

/// A SQL error with its position in the statement text (1-based line and column, when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// 1-based column, 0 when unknown.
    pub column: u64,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "SQL error at line {}, column {}: {}",
                self.line, self.column, self.message
            )
        } else {
            write!(f, "SQL error: {}", self.message)
        }
    }
}

impl SchemaError {
    /// Whether retrying the whole transaction may succeed (the engine's rule:
    /// [`Error::is_retryable`](crate::Error::is_retryable)).
    pub fn is_retryable(&self) -> bool {
        match self {
            SchemaError::Engine(e) => e.is_retryable(),
            SchemaError::InStatement { source, .. } => source.is_retryable(),
            _ => false,
        }
    }
}

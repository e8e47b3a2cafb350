//! The seam between migrations and the layers that execute them: running a migration file's SQL
//! inside a transaction, reading the catalog it leaves, and fingerprinting the table data.
//! The SQL layer and the catalog implement it ([`SqlEngine`]); tests may substitute their own.

use serde::Serialize;

use crate::db::Transaction;
use crate::schema::{SchemaError, TableDef};

/// What one statement of a migration did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effect {
    /// The statement's text.
    pub statement: String,
    /// What kind of statement it is (`CREATE TABLE`, `INSERT`, …).
    pub kind: String,
    /// Rows it inserted, updated or deleted (0 for DDL).
    pub rows: u64,
}

/// The schema as a transaction sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaState {
    /// The catalog's digest (what history entries record as "schema before/after").
    pub digest: [u8; 32],
    /// Every table definition, by name.
    pub tables: Vec<TableDef>,
}

/// What migrations need from the layers that execute SQL.
pub trait Engine {
    /// Runs every statement of `sql` inside `txn`, in order, and says what each did. An error
    /// leaves `txn` to be rolled back by the caller.
    fn run_script(&self, txn: &mut Transaction<'_>, sql: &str) -> Result<Vec<Effect>, SchemaError>;

    /// The schema as `txn` sees it.
    fn schema(&self, txn: &mut Transaction<'_>) -> Result<SchemaState, SchemaError>;

    /// A fingerprint of the table data as `txn` sees it: equal for equal contents, whatever
    /// ids the tables and indexes were given.
    fn data_fingerprint(&self, txn: &mut Transaction<'_>) -> Result<[u8; 32], SchemaError>;
}

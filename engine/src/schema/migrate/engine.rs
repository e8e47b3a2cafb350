//! The seam between migrations and the layers that execute them: running a migration file's SQL
//! inside a transaction (the one method an engine must provide — the SQL layer's
//! `execute_script`), reading the catalog it leaves, and fingerprinting the table data (both
//! provided from the catalog and the table layer; a test engine may substitute its own).

use std::ops::Bound;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::Transaction;
use crate::schema::{Catalog, SchemaError, TableDef, Value, table};

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

    /// The schema as `txn` sees it: [`Catalog::load`] and [`Catalog::digest`].
    fn schema(&self, txn: &mut Transaction<'_>) -> Result<SchemaState, SchemaError> {
        let catalog = Catalog::load(txn)?;
        Ok(SchemaState {
            digest: catalog.digest(),
            tables: catalog.tables().cloned().collect(),
        })
    }

    /// A fingerprint of the table data as `txn` sees it, equal for equal contents whatever ids
    /// the tables, columns and indexes were given: SHA-256 over every table by name, its rows in
    /// primary-key order (each cell framed with its column's name), and every index by name with
    /// the primary keys of its entries in index order.
    fn data_fingerprint(&self, txn: &mut Transaction<'_>) -> Result<[u8; 32], SchemaError> {
        let catalog = Catalog::load(txn)?;
        let mut h = Sha256::new();
        for def in catalog.tables() {
            frame(&mut h, b"table");
            frame(&mut h, def.name.to_ascii_lowercase().as_bytes());
            let mut order: Vec<(String, usize)> = def
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.to_ascii_lowercase(), i))
                .collect();
            order.sort();
            for row in table::scan(txn, def, Bound::Unbounded, Bound::Unbounded, false)? {
                let row = row?;
                frame(&mut h, b"row");
                for (name, i) in &order {
                    frame(&mut h, name.as_bytes());
                    value(&mut h, row.get(*i).unwrap_or(&Value::Null));
                }
            }
            let mut indexes: Vec<_> = def.indexes.iter().collect();
            indexes.sort_by_key(|i| i.name.to_ascii_lowercase());
            for index in indexes {
                frame(&mut h, b"index");
                frame(&mut h, index.name.to_ascii_lowercase().as_bytes());
                let entries =
                    table::index_scan(txn, def, index, Bound::Unbounded, Bound::Unbounded, false)?;
                for pk in entries {
                    frame(&mut h, b"entry");
                    for v in &pk? {
                        value(&mut h, v);
                    }
                }
            }
        }
        Ok(h.finalize().into())
    }
}

fn frame(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn value(h: &mut Sha256, v: &Value) {
    frame(h, format!("{}:{v}", v.type_name()).as_bytes());
}

/// The engine `ldb migrate` uses: migration files are SQL scripts run by
/// [`sql::execute_script`](crate::schema::sql::execute_script) inside the migration's
/// transaction; schema and data as the catalog and the table layer give them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlEngine;

impl SqlEngine {
    /// The SQL engine.
    pub fn new() -> SqlEngine {
        SqlEngine
    }
}

impl Engine for SqlEngine {
    fn run_script(&self, txn: &mut Transaction<'_>, sql: &str) -> Result<Vec<Effect>, SchemaError> {
        Ok(crate::schema::sql::execute_script(txn, sql)?
            .into_iter()
            .map(|e| Effect {
                statement: e.text,
                kind: e.kind.to_string(),
                rows: e.rows,
            })
            .collect())
    }
}

//! The schema layer: tables with typed columns over the transactional KV, primary keys, unique
//! and secondary indexes maintained in the same transaction as every row write, the catalog
//! stored in the database itself (so DDL is transactional), a SQL front end and planner, and
//! versioned migrations whose applied history is a hash chain inside the database.
//!
//! Sits above [`db`](crate::db) and calls only its [`Transaction`](crate::Transaction) API;
//! never below it. Key and row layouts are documented byte for byte in `engine/FORMAT.md`;
//! how DDL and row writes coordinate is in `engine/TRANSACTIONS.md`.
//!
//! The table layer, bottom up: [`keys`] (memcomparable tuples, the reserved `FF 53` keyspace),
//! [`row`] (row values by column id), [`catalog`] (the stored catalog, its digest and the
//! never-stale [`CatalogCache`]), [`table`] (row operations maintaining every index),
//! [`ddl`] (transactional schema changes), [`check`] (table integrity against one snapshot).
//! Above it: [`sql`] (the SQL front end) and [`migrate`] (versioned migration files run through
//! it, each in one transaction with its entry in the hash-chained applied history), and
//! [`import`] (CSV files into tables and tables out to CSV, behind `ldb import` / `ldb export`).

pub mod catalog;
pub mod check;
pub mod ddl;
pub mod def;
pub mod error;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod row;
pub mod sql;
pub mod table;
pub mod value;

pub use catalog::{Catalog, CatalogCache};
pub use ddl::{ColumnSpec, IndexSpec, TableSpec};
pub use def::{ColumnDef, ColumnId, IndexDef, IndexId, TableDef, TableId};
pub use error::{Result, SchemaError, SqlError};
pub use table::{IndexIter, RowIter};
pub use value::{ColumnType, Value};

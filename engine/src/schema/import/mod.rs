//! CSV import into a table and export of a table, behind `ldb import` and `ldb export`.
//!
//! [`import_csv`], in order:
//! 1. **Header**: the first record names columns of the table ([`read::RowReader::new`]).
//! 2. **Validation pass** over the whole file: every record parsed by column type, NOT NULL
//!    checked, primary keys checked for duplicates within the file. Bad input stops here, with
//!    an error naming the file, the line, the column and what was expected — nothing written.
//! 3. **Insert pass**: the file read again, rows inserted with [`table::insert`] (every index
//!    maintained) in transactions of `batch_rows` rows, each committed before the next begins.
//!
//! A columnar table is imported in **one pass and one transaction** instead
//! ([`columnar::import`]): rows are parsed a row group at a time and written as segments, and
//! the file's tail becomes a last, smaller segment; a bad line or a duplicate key rolls the
//! whole import back, so again nothing is written.
//!    A failure here (a key that already exists in the table, a write conflict, a table changed
//!    by DDL meanwhile) names its line and says how many rows were committed before it.
//!
//! [`export_csv`] writes the header and every row in primary-key order from one snapshot, in
//! the formats the reader parses back to the same values ([`write`]).

mod columnar;
pub mod read;
pub mod write;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::ops::Bound;
use std::path::Path;
use std::time::Instant;

use super::catalog::Catalog;
use super::def::TableDef;
use super::error::SchemaError;
use super::table::{self, pk_values, row_key};
use super::value::{ColumnType, Value};
use crate::{Database, IsolationLevel, Lsn};
pub use read::{CsvReader, MAX_FIELD_BYTES, RowReader};

/// What went wrong reading a CSV file or importing it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A record that is not well-formed CSV.
    #[error("{file}:{line}: {reason}")]
    Syntax {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A field longer than the reader's bound.
    #[error("{file}:{line}: field {field} is longer than {max} bytes")]
    FieldTooLong {
        /// The file.
        file: String,
        /// The line the record starts on.
        line: u64,
        /// The 1-based field number.
        field: usize,
        /// The bound.
        max: usize,
    },
    /// The header does not fit the table.
    #[error("{file}:1: header: {reason}")]
    Header {
        /// The file.
        file: String,
        /// What does not fit.
        reason: String,
    },
    /// A record with another number of fields than the header.
    #[error("{file}:{line}: expected {expected} fields (as in the header), found {found}")]
    FieldCount {
        /// The file.
        file: String,
        /// The line the record starts on.
        line: u64,
        /// The header's number of fields.
        expected: usize,
        /// The record's.
        found: usize,
    },
    /// A field that does not parse as its column's type (or `NULL` in a NOT NULL column).
    #[error("{file}:{line}: column `{column}` ({ty}): expected {expected}, found \"{found}\"")]
    Field {
        /// The file.
        file: String,
        /// The line the record starts on.
        line: u64,
        /// The column.
        column: String,
        /// The column's type.
        ty: ColumnType,
        /// What the field should have been.
        expected: String,
        /// The field (at most 40 characters of it).
        found: String,
    },
    /// Two records with the same primary key.
    #[error("{file}:{line}: primary key {key} is also the key of the row at line {first}")]
    DuplicateKey {
        /// The file.
        file: String,
        /// The line of the second record.
        line: u64,
        /// The line of the first.
        first: u64,
        /// The key, as SQL literals.
        key: String,
    },
    /// Inserting failed after validation (the table's own rows, a conflict, DDL meanwhile).
    #[error("{file}:{line}: {source} ({committed} rows were committed before this batch)")]
    Insert {
        /// The file.
        file: String,
        /// The line of the row whose insert failed (or of the batch's first row).
        line: u64,
        /// Rows committed by earlier batches (they stay).
        committed: u64,
        /// What failed.
        source: Box<SchemaError>,
    },
    /// The table does not exist, or reading the catalog failed.
    #[error(transparent)]
    Schema(Box<SchemaError>),
    /// A batch size of zero.
    #[error("the batch size must be at least 1 row")]
    ZeroBatch,
}

impl From<SchemaError> for ImportError {
    fn from(e: SchemaError) -> ImportError {
        ImportError::Schema(Box::new(e))
    }
}

/// What went wrong exporting a table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The table does not exist, or reading it failed.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Writing the output failed (or a timestamp had no calendar date).
    #[error("while writing the CSV output: {0}")]
    Write(#[source] io::Error),
}

/// What [`import_csv`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    /// The table, as the catalog names it.
    pub table: String,
    /// Rows inserted.
    pub rows: u64,
    /// Transactions committed.
    pub batches: u64,
    /// The last commit's LSN (`None` for a file with no rows).
    pub last_commit: Option<Lsn>,
    /// Seconds of the validation pass.
    pub validate_seconds: f64,
    /// Seconds of the insert pass.
    pub insert_seconds: f64,
    /// Seconds in all.
    pub seconds: f64,
}

/// What [`export_csv`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportReport {
    /// The table, as the catalog names it.
    pub table: String,
    /// Rows written.
    pub rows: u64,
    /// Seconds.
    pub seconds: f64,
}

/// The definition of `table` as the latest commit sees it.
fn table_def(db: &Database, table: &str) -> Result<TableDef, SchemaError> {
    let mut txn = db.begin_read_only()?;
    let def = Catalog::load(&mut txn)?.table(table)?.clone();
    txn.rollback();
    Ok(def)
}

fn open_rows(path: &Path, def: &TableDef) -> Result<RowReader<BufReader<File>>, ImportError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| ImportError::Io {
        file: name.clone(),
        source,
    })?;
    RowReader::new(
        CsvReader::new(BufReader::with_capacity(1 << 16, file), name),
        def,
    )
}

/// Imports the CSV file at `path` into `table`: validates the whole file, then inserts in
/// transactions of `batch_rows` rows (see the module docs).
pub fn import_csv(
    db: &Database,
    table: &str,
    path: &Path,
    batch_rows: usize,
) -> Result<ImportReport, ImportError> {
    if batch_rows == 0 {
        return Err(ImportError::ZeroBatch);
    }
    let started = Instant::now();
    let def = table_def(db, table)?;
    if def.storage.is_columnar() {
        return columnar::import(db, &def, path, started);
    }
    let file = path.display().to_string();

    // Validation pass: every row parses; no primary key twice.
    let mut rows = open_rows(path, &def)?;
    let mut row = Vec::with_capacity(def.columns.len());
    // Keys in ascending order (a file `export_csv` wrote, TPC-H data) cannot repeat and need
    // no set; the set of keys seen is built only once the order breaks.
    let mut keys: Option<HashSet<Vec<u8>>> = None;
    let mut last_key: Option<Vec<u8>> = None;
    let mut total = 0u64;
    while rows.next_row(&mut row)? {
        let key = row_key(&def, &pk_values(&def, &row));
        let fresh = match &mut keys {
            Some(set) => set.insert(key.clone()),
            None if last_key.as_ref().is_none_or(|k| *k < key) => true,
            None => {
                let mut set = collect_keys(path, &def, rows.line())?;
                let fresh = set.insert(key.clone());
                keys = Some(set);
                fresh
            }
        };
        if !fresh {
            return Err(duplicate(path, &def, &file, &key, rows.line())?);
        }
        last_key = Some(key);
        total += 1;
    }
    let validate_seconds = started.elapsed().as_secs_f64();

    // Insert pass.
    let insert_started = Instant::now();
    let mut rows = open_rows(path, &def)?;
    let (mut committed, mut batches, mut last_commit) = (0u64, 0u64, None);
    let mut more = true;
    while more {
        let mut txn = db
            .begin(IsolationLevel::RepeatableRead)
            .map_err(SchemaError::from)?;
        let first_line = rows.line() + 1;
        let insert_error = |line: u64, committed: u64, source: SchemaError| ImportError::Insert {
            file: file.clone(),
            line,
            committed,
            source: Box::new(source),
        };
        let current = Catalog::load(&mut txn)
            .and_then(|c| c.table(&def.name).cloned())
            .map_err(|e| insert_error(first_line, committed, e))?;
        if current.id != def.id || current.version != def.version {
            return Err(insert_error(
                first_line,
                committed,
                SchemaError::InvalidDefinition {
                    name: def.name.clone(),
                    reason: "the table was changed while the file was imported".into(),
                },
            ));
        }
        let mut in_batch = 0u64;
        while in_batch < batch_rows as u64 {
            if !rows.next_row(&mut row)? {
                more = false;
                break;
            }
            table::insert(&mut txn, &def, &row)
                .map_err(|e| insert_error(rows.line(), committed, e))?;
            in_batch += 1;
        }
        if in_batch == 0 {
            txn.rollback();
            break;
        }
        let info = txn
            .commit()
            .map_err(|e| insert_error(first_line, committed, e.into()))?;
        committed += in_batch;
        batches += 1;
        last_commit = Some(info.lsn);
    }
    debug_assert_eq!(committed, total);
    Ok(ImportReport {
        table: def.name.clone(),
        rows: committed,
        batches,
        last_commit,
        validate_seconds,
        insert_seconds: insert_started.elapsed().as_secs_f64(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The primary keys of the rows before line `before` (all valid: the validation pass read
/// them), for the duplicate check once the file's keys stop ascending.
fn collect_keys(path: &Path, def: &TableDef, before: u64) -> Result<HashSet<Vec<u8>>, ImportError> {
    let mut rows = open_rows(path, def)?;
    let mut row = Vec::new();
    let mut keys = HashSet::new();
    while rows.next_row(&mut row)? && rows.line() < before {
        keys.insert(row_key(def, &pk_values(def, &row)));
    }
    Ok(keys)
}

/// The duplicate-key error for `key` at `line`: finds the line of its first row.
fn duplicate(
    path: &Path,
    def: &TableDef,
    file: &str,
    key: &[u8],
    line: u64,
) -> Result<ImportError, ImportError> {
    let mut rows = open_rows(path, def)?;
    let mut row = Vec::new();
    let mut first = 0;
    while rows.next_row(&mut row)? && rows.line() < line {
        let pk = pk_values(def, &row);
        if row_key(def, &pk) == key {
            first = rows.line();
            break;
        }
    }
    Ok(ImportError::DuplicateKey {
        file: file.to_string(),
        line,
        first,
        key: table::format_key(&pk_values(def, &row)),
    })
}

/// Writes `table` to `out` as CSV: a header of its column names, then every row in primary-key
/// order (a columnar table's in segment order, then its delta), all from one snapshot.
pub fn export_csv(
    db: &Database,
    table: &str,
    out: &mut dyn Write,
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let mut txn = db.begin_read_only().map_err(SchemaError::from)?;
    let def = Catalog::load(&mut txn)?.table(table)?.clone();
    for (i, col) in def.columns.iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(ExportError::Write)?;
        }
        write::write_text(out, &col.name).map_err(ExportError::Write)?;
    }
    out.write_all(b"\n").map_err(ExportError::Write)?;
    let mut rows = 0u64;
    if def.storage.is_columnar() {
        let spec = crate::columnar::scan::ScanSpec {
            columns: (0..def.columns.len()).collect(),
            predicates: Vec::new(),
            batch_size: crate::columnar::scan::DEFAULT_BATCH,
            locations: false,
        };
        let mut failed = None;
        crate::columnar::scan::scan(&mut txn, &def, &spec, &mut |b| {
            for i in 0..b.len {
                let row: Vec<Value> = def
                    .columns
                    .iter()
                    .zip(&b.columns)
                    .map(|(c, v)| v.as_ref().map_or(Value::Null, |v| v.value(i, c.ty)))
                    .collect();
                if let Err(e) = write::write_record(out, &row) {
                    failed = Some(e);
                    return Ok(false);
                }
                rows += 1;
            }
            Ok(true)
        })?;
        if let Some(e) = failed {
            return Err(ExportError::Write(e));
        }
    } else {
        for row in table::scan(&mut txn, &def, Bound::Unbounded, Bound::Unbounded, false)? {
            let row: Vec<Value> = row?;
            write::write_record(out, &row).map_err(ExportError::Write)?;
            rows += 1;
        }
    }
    out.flush().map_err(ExportError::Write)?;
    txn.rollback();
    Ok(ExportReport {
        table: def.name,
        rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}

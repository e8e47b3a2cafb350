//! CSV import into a columnar table: one pass, one transaction. Rows are parsed a row group at
//! a time and handed to [`crate::columnar::write::insert`], which writes each whole group as a
//! segment (checking the primary key against the file's earlier segments by their zone maps);
//! the tail is compacted into a last, smaller segment; then one commit. A bad line, a duplicate
//! key or a failed commit leaves the table as it was. The transaction holds the file's encoded
//! segments until it commits — memory of the order of the table's compressed size.

use std::path::Path;
use std::time::Instant;

use super::{ImportError, ImportReport, open_rows};
use crate::Database;
use crate::columnar::write;
use crate::schema::catalog::Catalog;
use crate::schema::def::TableDef;
use crate::schema::error::SchemaError;
use crate::txn::IsolationLevel;

/// Imports `path` into the columnar table `def` (see the module docs).
pub fn import(
    db: &Database,
    def: &TableDef,
    path: &Path,
    started: Instant,
) -> Result<ImportReport, ImportError> {
    let file = path.display().to_string();
    let group = write::row_group(def)?;
    let mut txn = db
        .begin(IsolationLevel::RepeatableRead)
        .map_err(SchemaError::from)?;
    let current = Catalog::load(&mut txn)?.table(&def.name)?.clone();
    if current.id != def.id || current.version != def.version {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: "the table was changed while the file was imported".into(),
        }
        .into());
    }
    let mut rows = open_rows(path, def)?;
    let mut row = Vec::with_capacity(def.columns.len());
    let mut batch = Vec::with_capacity(group);
    let mut total = 0u64;
    let mut first_line = rows.line() + 1;
    let insert_error = |line: u64, source: SchemaError| ImportError::Insert {
        file: file.clone(),
        line,
        committed: 0,
        source: Box::new(source),
    };
    loop {
        let more = rows.next_row(&mut row)?;
        if more {
            batch.push(std::mem::take(&mut row));
            row.reserve(def.columns.len());
        }
        if batch.len() == group || (!more && !batch.is_empty()) {
            total += batch.len() as u64;
            write::insert(&mut txn, def, std::mem::take(&mut batch))
                .map_err(|e| insert_error(first_line, e))?;
            first_line = rows.line() + 1;
        }
        if !more {
            break;
        }
    }
    write::compact(&mut txn, def, true).map_err(|e| insert_error(rows.line(), e))?;
    let info = txn
        .commit()
        .map_err(|e| insert_error(rows.line(), e.into()))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(ImportReport {
        table: def.name.clone(),
        rows: total,
        batches: 1,
        last_commit: (total > 0).then_some(info.lsn),
        validate_seconds: 0.0,
        insert_seconds: seconds,
        seconds,
    })
}

//! CSV import into a columnar table: one pass, one transaction. Rows are parsed a row group at
//! a time and handed to [`crate::columnar::write::insert`], which writes each whole group as a
//! segment (checking the primary key against the file's earlier segments by their zone maps);
//! the tail is compacted into a last, smaller segment; then one commit. A bad line, a duplicate
//! key or a failed commit leaves the table as it was. A partitioned table's rows are held per
//! partition until they fill a row group (at most four row groups of rows in all, then all
//! written out in one insert), so few small segments are written; the compaction before the
//! commit merges each partition's smaller ones. The transaction holds the file's encoded
//! segments until it commits — memory of the order of the table's compressed size.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use super::{ImportError, ImportReport, open_rows};
use crate::Database;
use crate::columnar::partition::bounds;
use crate::columnar::write;
use crate::schema::catalog::Catalog;
use crate::schema::def::{PartitionSpec, TableDef};
use crate::schema::error::SchemaError;
use crate::schema::value::Value;
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
    if let Some(spec) = def.partition {
        let mut buffers = Buffers::new(def, spec, group);
        loop {
            let more = rows.next_row(&mut row)?;
            if more {
                total += 1;
                let full = buffers.push(std::mem::take(&mut row));
                row.reserve(def.columns.len());
                if let Some(batch) = full {
                    write::insert(&mut txn, def, batch)
                        .map_err(|e| insert_error(rows.line(), e))?;
                }
            } else {
                for batch in buffers.drain() {
                    write::insert(&mut txn, def, batch)
                        .map_err(|e| insert_error(rows.line(), e))?;
                }
                break;
            }
        }
        return finish(txn, def, total, rows.line(), started, &insert_error);
    }
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
    finish(txn, def, total, rows.line(), started, &insert_error)
}

/// Compacts, commits and reports.
fn finish(
    mut txn: crate::Transaction<'_>,
    def: &TableDef,
    total: u64,
    line: u64,
    started: Instant,
    insert_error: &dyn Fn(u64, SchemaError) -> ImportError,
) -> Result<ImportReport, ImportError> {
    write::compact(&mut txn, def, true).map_err(|e| insert_error(line, e))?;
    let info = txn.commit().map_err(|e| insert_error(line, e.into()))?;
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

/// The rows of a partitioned import waiting for their partition's row group: a partition's
/// rows go out as one batch when they fill a row group, and when more than
/// [`BUFFERED_GROUPS`] row groups of rows wait, they all go out as one batch (one insert, so
/// one primary-key check against the segments written before) — so most segments are written
/// whole or a few times smaller, and memory stays bounded.
struct Buffers<'a> {
    def: &'a TableDef,
    spec: PartitionSpec,
    group: usize,
    waiting: BTreeMap<Option<i64>, Vec<Vec<Value>>>,
    rows: usize,
}

/// How many row groups of rows a partitioned import holds before it writes them all out.
const BUFFERED_GROUPS: usize = 4;

impl<'a> Buffers<'a> {
    fn new(def: &'a TableDef, spec: PartitionSpec, group: usize) -> Self {
        Buffers {
            def,
            spec,
            group,
            waiting: BTreeMap::new(),
            rows: 0,
        }
    }

    /// Adds `row`; returns a batch to insert when one is due.
    fn push(&mut self, row: Vec<Value>) -> Option<Vec<Vec<Value>>> {
        // A row without a partition value is kept apart; its insert fails with the error.
        let lo = match self.def.position(self.spec.column).and_then(|p| row.get(p)) {
            Some(Value::Int(v) | Value::Timestamp(v)) => {
                bounds(self.spec.interval, *v).map(|b| b.0)
            }
            _ => None,
        };
        let rows = self.waiting.entry(lo).or_default();
        rows.push(row);
        self.rows += 1;
        if rows.len() >= self.group {
            self.rows -= rows.len();
            return Some(std::mem::take(rows));
        }
        if self.rows > BUFFERED_GROUPS * self.group {
            return Some(self.drain().flatten().collect());
        }
        None
    }

    /// Every batch still waiting.
    fn drain(&mut self) -> impl Iterator<Item = Vec<Vec<Value>>> + use<> {
        self.rows = 0;
        std::mem::take(&mut self.waiting)
            .into_values()
            .filter(|r| !r.is_empty())
    }
}

//! Row operations on a table: insert, update (including the primary key), delete, point get,
//! primary-key range scans and index range scans. Every write maintains every index of the
//! table in the same transaction and checks types, NOT NULL, the primary key and every unique
//! index first — all reads and checks happen before the first write, so a refused statement
//! writes nothing.
//!
//! Concurrency: every operation first guards the catalog meta entry
//! ([`Transaction::lock_shared`]), so no DDL commits while the transaction runs (an index build
//! never misses a row). Keys a write must find absent — the new row key, each enforced unique
//! entry — are read with [`Transaction::get_for_update`], which takes the key's exclusive lock
//! before reading. Two transactions inserting the same unique value: the second waits for the
//! first; under `Serializable` it then reads the committed entry and fails with
//! [`SchemaError::UniqueViolation`]; under `RepeatableRead` its snapshot predates the entry, so
//! it fails with a retryable write conflict, and the retry (new snapshot) fails with
//! `UniqueViolation`. `def` must be the definition the transaction's catalog holds
//! ([`Catalog::load`](super::catalog::Catalog::load) or
//! [`CatalogCache::get`](super::catalog::CatalogCache::get) in the same transaction).

pub mod entry;
pub mod scan;

use std::ops::Bound;

use super::def::{IndexDef, TableDef};
use super::error::{Result, SchemaError};
use super::keys::{CATALOG_META_KEY, index_prefix, row_prefix};
use super::row::{decode_row, encode_row};
use super::value::Value;
use crate::Transaction;
pub use entry::{IndexEntry, format_key, index_entry, pk_values, row_key};
use entry::{check_key, check_row, index_values};
pub use scan::{IndexIter, RowIter};

/// Guards the catalog for the rest of `txn` (see the module docs).
pub fn guard(txn: &mut Transaction<'_>) -> Result<()> {
    txn.lock_shared(&CATALOG_META_KEY)?;
    Ok(())
}

/// Refuses a columnar table: its rows live in segments this layer does not read
/// ([`crate::columnar`] writes and scans them).
fn row_storage(def: &TableDef) -> Result<()> {
    if def.storage.is_columnar() {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: "is a columnar table: its rows are written and read through the columnar layer (lightning_db::columnar), not row by row".into(),
        });
    }
    Ok(())
}

fn pk_violation(def: &TableDef, pk: &[Value]) -> SchemaError {
    SchemaError::UniqueViolation {
        table: def.name.clone(),
        index: "PRIMARY KEY".into(),
        key: format_key(pk),
    }
}

fn unique_violation(def: &TableDef, index: &IndexDef, row: &[Value]) -> SchemaError {
    SchemaError::UniqueViolation {
        table: def.name.clone(),
        index: index.name.clone(),
        key: format_key(&index_values(def, index, row)),
    }
}

/// Inserts `row` (one value per column, in `def.columns` order).
pub fn insert(txn: &mut Transaction<'_>, def: &TableDef, row: &[Value]) -> Result<()> {
    guard(txn)?;
    row_storage(def)?;
    check_row(def, row)?;
    let pk = pk_values(def, row);
    let key = row_key(def, &pk);
    if txn.get_for_update(&key)?.is_some() {
        return Err(pk_violation(def, &pk));
    }
    let mut entries = Vec::with_capacity(def.indexes.len());
    for index in &def.indexes {
        let e = index_entry(def, index, row);
        if e.enforced && txn.get_for_update(&e.key)?.is_some() {
            return Err(unique_violation(def, index, row));
        }
        entries.push(e);
    }
    txn.put(&key, &encode_row(def, row))?;
    for e in entries {
        txn.put(&e.key, &e.value)?;
    }
    Ok(())
}

/// Replaces the row whose primary key is `pk` with `new_row` (whose primary key may differ).
/// Returns `false` (and writes nothing) if there is no such row.
pub fn update(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    pk: &[Value],
    new_row: &[Value],
) -> Result<bool> {
    guard(txn)?;
    row_storage(def)?;
    check_key(def, &def.primary_key, pk, false)?;
    check_row(def, new_row)?;
    let old_key = row_key(def, pk);
    let Some(bytes) = txn.get_for_update(&old_key)? else {
        return Ok(false);
    };
    let old = decode_row(def, &bytes)?;
    let new_pk = pk_values(def, new_row);
    let new_key = row_key(def, &new_pk);
    if new_key != old_key && txn.get_for_update(&new_key)?.is_some() {
        return Err(pk_violation(def, &new_pk));
    }
    let mut deletes = Vec::new();
    let mut puts = Vec::new();
    for index in &def.indexes {
        let o = index_entry(def, index, &old);
        let n = index_entry(def, index, new_row);
        if o == n {
            continue;
        }
        if o.key != n.key {
            if n.enforced && txn.get_for_update(&n.key)?.is_some() {
                return Err(unique_violation(def, index, new_row));
            }
            deletes.push(o.key);
        }
        puts.push(n);
    }
    for k in deletes {
        txn.delete(&k)?;
    }
    if new_key != old_key {
        txn.delete(&old_key)?;
    }
    txn.put(&new_key, &encode_row(def, new_row))?;
    for e in puts {
        txn.put(&e.key, &e.value)?;
    }
    Ok(true)
}

/// Deletes the row whose primary key is `pk` and its index entries; `false` if there is none.
pub fn delete(txn: &mut Transaction<'_>, def: &TableDef, pk: &[Value]) -> Result<bool> {
    guard(txn)?;
    row_storage(def)?;
    check_key(def, &def.primary_key, pk, false)?;
    let key = row_key(def, pk);
    let Some(bytes) = txn.get_for_update(&key)? else {
        return Ok(false);
    };
    let row = decode_row(def, &bytes)?;
    for index in &def.indexes {
        txn.delete(&index_entry(def, index, &row).key)?;
    }
    txn.delete(&key)?;
    Ok(true)
}

/// The row whose primary key is `pk`, if there is one.
pub fn get(txn: &mut Transaction<'_>, def: &TableDef, pk: &[Value]) -> Result<Option<Vec<Value>>> {
    guard(txn)?;
    row_storage(def)?;
    check_key(def, &def.primary_key, pk, false)?;
    match txn.get(&row_key(def, pk))? {
        Some(bytes) => Ok(Some(decode_row(def, &bytes)?)),
        None => Ok(None),
    }
}

/// The rows whose primary keys lie between `lo` and `hi`, each a bound over a prefix of the
/// primary-key columns (see [`scan::byte_bounds`]), ascending or (if `reverse`) descending.
pub fn scan<'db>(
    txn: &mut Transaction<'db>,
    def: &TableDef,
    lo: Bound<&[Value]>,
    hi: Bound<&[Value]>,
    reverse: bool,
) -> Result<RowIter<'db>> {
    guard(txn)?;
    row_storage(def)?;
    for b in [lo, hi] {
        if let Bound::Included(v) | Bound::Excluded(v) = b {
            check_key(def, &def.primary_key, v, true)?;
        }
    }
    let (from, to) = scan::byte_bounds(&row_prefix(def.id), lo, hi);
    let inner = txn.range(as_ref(&from), as_ref(&to), reverse)?;
    Ok(RowIter {
        inner,
        def: def.clone(),
    })
}

/// The primary keys of the entries of `index` whose indexed values lie between `lo` and `hi`
/// (bounds over a prefix of the index's columns), in index order or reverse.
pub fn index_scan<'db>(
    txn: &mut Transaction<'db>,
    def: &TableDef,
    index: &IndexDef,
    lo: Bound<&[Value]>,
    hi: Bound<&[Value]>,
    reverse: bool,
) -> Result<IndexIter<'db>> {
    guard(txn)?;
    if !def.indexes.iter().any(|i| i.id == index.id) {
        return Err(SchemaError::UnknownIndex {
            index: index.name.clone(),
        });
    }
    for b in [lo, hi] {
        if let Bound::Included(v) | Bound::Excluded(v) = b {
            check_key(def, &index.columns, v, true)?;
        }
    }
    let (from, to) = scan::byte_bounds(&index_prefix(def.id, index.id), lo, hi);
    let inner = txn.range(as_ref(&from), as_ref(&to), reverse)?;
    Ok(IndexIter::new(inner, def, index))
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

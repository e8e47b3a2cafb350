//! DDL: create and drop tables and indexes, add and drop columns — each inside the caller's
//! transaction, so a schema change and the data changes around it commit or vanish together.
//!
//! Every statement starts by taking the catalog meta entry's exclusive lock
//! ([`Transaction::get_for_update`]): it waits for every transaction that guarded the catalog
//! (any table read or write, see [`table`](super::table)) to end, and holds off new ones until
//! it commits or rolls back — writers wait for DDL, DDL waits for writers. So `CREATE INDEX`
//! sees every committed row and no row can be written behind it. Under `RepeatableRead` a DDL
//! whose snapshot predates another committed DDL fails with a retryable write conflict.
//! A `RepeatableRead` DDL that reads or deletes a table's rows (`CREATE INDEX`, `DROP TABLE`,
//! `DROP INDEX`, `ADD COLUMN … NOT NULL`) also fails with a retryable write conflict when rows
//! of that table were committed after its snapshot — its snapshot would miss them; run DDL at
//! `Serializable` (it reads the latest committed state once it holds the lock) to never see
//! that. Every statement bumps the catalog version; table, column and index ids come from counters
//! that only grow, so an id is never reused.

use std::ops::Bound;

use super::catalog::Catalog;
use super::catalog::codec::{Meta, encode_meta, encode_table};
use super::def::{ColumnDef, IndexDef, PartitionInterval, ROW_GROUP_RANGE, Storage, TableDef};
use super::error::{Result, SchemaError};
use super::keys::{
    CATALOG_META_KEY, catalog_table_key, columnar_prefix, decode_tuple, index_prefix, prefix_end,
    row_prefix, table_indexes_prefix,
};
use super::row::decode_row;
use super::table::entry::{column_types, format_key, index_entry};
use super::value::{ColumnType, Value};
use crate::Transaction;

mod partition;

/// The longest table, column or index name, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// The most columns a table may have (and indexes, and columns in one index).
pub const MAX_COLUMNS: usize = 1000;

/// A column to create.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether `NULL` is refused.
    pub not_null: bool,
    /// The value rows that do not mention it read (and `INSERT`s that omit it store).
    pub default: Option<Value>,
}

/// A table to create.
#[derive(Clone, Debug, PartialEq)]
pub struct TableSpec {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<ColumnSpec>,
    /// The primary-key column names, leading first.
    pub primary_key: Vec<String>,
    /// How its rows are kept.
    pub storage: Storage,
}

/// An index to create.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexSpec {
    /// Its name (unique in the database).
    pub name: String,
    /// The table it indexes.
    pub table: String,
    /// The indexed column names, leading first.
    pub columns: Vec<String>,
    /// Whether it is a unique index.
    pub unique: bool,
}

fn invalid(name: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidDefinition {
        name: name.to_string(),
        reason: reason.into(),
    }
}

pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(invalid(
            name,
            format!("a name must be 1 to {MAX_NAME_LEN} bytes long"),
        ));
    }
    Ok(())
}

/// Locks the catalog for a change and reads it.
pub(crate) fn begin(txn: &mut Transaction<'_>) -> Result<Catalog> {
    txn.get_for_update(&CATALOG_META_KEY)?;
    Catalog::load(txn)
}

/// Makes sure `txn`'s view of `table`'s rows and index entries is the latest committed one
/// (under `RepeatableRead` a row committed after the snapshot is a retryable write conflict;
/// while the catalog is locked exclusively no new one can commit).
fn settle(txn: &mut Transaction<'_>, table: u32) -> Result<()> {
    for prefix in [row_prefix(table), table_indexes_prefix(table)] {
        let end = prefix_end(&prefix).expect("schema keys start with FF 53");
        txn.check_unchanged(&prefix, &end)?;
    }
    Ok(())
}

/// Writes `def`'s entry and the bumped meta entry.
fn save(
    txn: &mut Transaction<'_>,
    cat: &Catalog,
    def: &TableDef,
    next_table_id: u32,
) -> Result<()> {
    txn.put(&catalog_table_key(def.id), &encode_table(def))?;
    bump(txn, cat, next_table_id)
}

/// Writes the meta entry with the version bumped and `next_table_id`.
pub(crate) fn bump(txn: &mut Transaction<'_>, cat: &Catalog, next_table_id: u32) -> Result<()> {
    let meta = Meta {
        version: cat.version() + 1,
        next_table_id,
    };
    txn.put(&CATALOG_META_KEY, &encode_meta(&meta))?;
    Ok(())
}

fn column_def(table: &str, id: u32, spec: &ColumnSpec) -> Result<ColumnDef> {
    check_name(&spec.name)?;
    let default = spec.default.clone().filter(|v| !v.is_null());
    if let Some(d) = &default
        && !d.fits(spec.ty)
    {
        return Err(SchemaError::TypeMismatch {
            table: table.to_string(),
            column: spec.name.clone(),
            expected: spec.ty.sql_name().into(),
            found: d.type_name().into(),
            value: d.to_string(),
        });
    }
    Ok(ColumnDef {
        id,
        name: spec.name.clone(),
        ty: spec.ty,
        not_null: spec.not_null,
        default,
    })
}

fn column_ids(def: &TableDef, names: &[String], what: &str) -> Result<Vec<u32>> {
    if names.is_empty() || names.len() > MAX_COLUMNS {
        return Err(invalid(what, format!("needs 1 to {MAX_COLUMNS} columns")));
    }
    let mut ids = Vec::with_capacity(names.len());
    for n in names {
        let (_, c) = def.column(n).ok_or_else(|| SchemaError::UnknownColumn {
            table: def.name.clone(),
            column: n.clone(),
        })?;
        if ids.contains(&c.id) {
            return Err(invalid(what, format!("column `{n}` is listed twice")));
        }
        ids.push(c.id);
    }
    Ok(ids)
}

/// Deletes every key under `prefix`.
pub(crate) fn delete_prefix(txn: &mut Transaction<'_>, prefix: &[u8]) -> Result<u64> {
    let end = prefix_end(prefix).expect("schema keys start with FF 53");
    let mut deleted = 0;
    for entry in txn.range(Bound::Included(prefix), Bound::Excluded(&end), false)? {
        txn.delete(&entry?.0)?;
        deleted += 1;
    }
    Ok(deleted)
}

/// Creates a table. Primary-key columns are NOT NULL whether declared so or not.
pub fn create_table(txn: &mut Transaction<'_>, spec: &TableSpec) -> Result<TableDef> {
    create_partitioned_table(txn, spec, None)
}

/// Creates a table, range-partitioned by the column named in `partition` at its interval when
/// given (a columnar table only; the column's type must fit the interval).
pub fn create_partitioned_table(
    txn: &mut Transaction<'_>,
    spec: &TableSpec,
    partition: Option<(&str, PartitionInterval)>,
) -> Result<TableDef> {
    let cat = begin(txn)?;
    check_name(&spec.name)?;
    if cat.table(&spec.name).is_ok() || cat.view(&spec.name).is_some() {
        return Err(SchemaError::AlreadyExists {
            kind: "table",
            name: spec.name.clone(),
        });
    }
    if spec.columns.is_empty() || spec.columns.len() > MAX_COLUMNS {
        return Err(invalid(
            &spec.name,
            format!("needs 1 to {MAX_COLUMNS} columns"),
        ));
    }
    let mut def = TableDef {
        id: cat.next_table_id(),
        name: spec.name.clone(),
        columns: Vec::with_capacity(spec.columns.len()),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        version: 1,
        next_column_id: 1,
        next_index_id: 1,
        storage: spec.storage,
        partition: None,
    };
    if let Storage::Columnar { row_group } = spec.storage
        && !ROW_GROUP_RANGE.contains(&row_group)
    {
        return Err(invalid(
            &spec.name,
            format!(
                "row_group = {row_group} is outside {}..={}",
                ROW_GROUP_RANGE.start(),
                ROW_GROUP_RANGE.end()
            ),
        ));
    }
    for c in &spec.columns {
        if def.column(&c.name).is_some() {
            return Err(invalid(
                &spec.name,
                format!("column `{}` is declared twice", c.name),
            ));
        }
        def.columns
            .push(column_def(&spec.name, def.next_column_id, c)?);
        def.next_column_id += 1;
    }
    def.primary_key = column_ids(&def, &spec.primary_key, &spec.name)?;
    for c in &mut def.columns {
        c.not_null |= def.primary_key.contains(&c.id);
    }
    if let Some((column, interval)) = partition {
        let spec = partition::spec(&def, column, interval)?;
        // Every row belongs to a partition: the partition column is NOT NULL.
        for c in &mut def.columns {
            c.not_null |= c.id == spec.column;
        }
        def.partition = Some(spec);
    }
    let next = def
        .id
        .checked_add(1)
        .ok_or_else(|| invalid(&spec.name, "table ids are exhausted"))?;
    save(txn, &cat, &def, next)?;
    Ok(def)
}

/// Drops a table with all its rows and index entries.
pub fn drop_table(txn: &mut Transaction<'_>, name: &str) -> Result<()> {
    let cat = begin(txn)?;
    let def = cat.table(name)?;
    refuse_if_viewed(&cat, def)?;
    settle(txn, def.id)?;
    delete_prefix(txn, &row_prefix(def.id))?;
    delete_prefix(txn, &table_indexes_prefix(def.id))?;
    delete_prefix(txn, &columnar_prefix(def.id))?;
    txn.delete(&catalog_table_key(def.id))?;
    bump(txn, &cat, cat.next_table_id())
}

/// Refuses to drop (a column of) a table a materialized view reads.
fn refuse_if_viewed(cat: &Catalog, def: &TableDef) -> Result<()> {
    match cat.views_of(def.id).next() {
        Some(v) => Err(invalid(
            &def.name,
            format!(
                "materialized view `{}` reads this table; drop the view first",
                v.name
            ),
        )),
        None => Ok(()),
    }
}

/// Creates an index and builds its entries from the table's rows in the same transaction;
/// fails with [`SchemaError::UniqueViolation`] naming the index and the key if a unique index
/// cannot hold.
pub fn create_index(txn: &mut Transaction<'_>, spec: &IndexSpec) -> Result<IndexDef> {
    let cat = begin(txn)?;
    check_name(&spec.name)?;
    if cat.index_owner(&spec.name).is_some() {
        return Err(SchemaError::AlreadyExists {
            kind: "index",
            name: spec.name.clone(),
        });
    }
    let mut def = cat.table(&spec.table)?.clone();
    settle(txn, def.id)?;
    if def.storage.is_columnar() {
        return Err(invalid(
            &spec.name,
            format!(
                "table `{}` is columnar: it has no secondary indexes (zone maps prune its segments instead)",
                def.name
            ),
        ));
    }
    if def.indexes.len() >= MAX_COLUMNS {
        return Err(invalid(
            &spec.name,
            format!("a table has at most {MAX_COLUMNS} indexes"),
        ));
    }
    let index = IndexDef {
        id: def.next_index_id,
        name: spec.name.clone(),
        columns: column_ids(&def, &spec.columns, &spec.name)?,
        unique: spec.unique,
    };
    // The new index's key range is unused (index ids are never reused) and, while the catalog
    // is locked exclusively, no other transaction can reach it: one range lock stands for the
    // key lock of every entry.
    let index_start = index_prefix(def.id, index.id);
    let index_end = prefix_end(&index_start).expect("schema keys start with FF 53");
    txn.lock_range_exclusive(&index_start, &index_end)?;
    let prefix = row_prefix(def.id);
    let end = prefix_end(&prefix).expect("schema keys start with FF 53");
    let mut entries = Vec::new();
    for entry in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (_, bytes) = entry?;
        let row = decode_row(&def, &bytes)?;
        entries.push(index_entry(&def, &index, &row));
    }
    // In key order the write set is filled front to back, and two rows owning one enforced
    // unique entry sit side by side.
    entries.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    if let Some(pair) = entries
        .windows(2)
        .find(|w| w[0].enforced && w[0].key == w[1].key)
    {
        // An enforced entry's key is the prefix and the indexed values, nothing else.
        let values = decode_tuple(
            &pair[1].key[index_start.len()..],
            &column_types(&def, &index.columns),
            "a new unique index entry",
        )?;
        return Err(SchemaError::UniqueViolation {
            table: def.name.clone(),
            index: index.name.clone(),
            key: format_key(&values),
        });
    }
    txn.put_all(entries.into_iter().map(|e| (e.key, e.value)).collect())?;
    def.next_index_id += 1;
    def.version += 1;
    def.indexes.push(index.clone());
    save(txn, &cat, &def, cat.next_table_id())?;
    Ok(index)
}

/// Drops an index and its entries.
pub fn drop_index(txn: &mut Transaction<'_>, name: &str) -> Result<()> {
    let cat = begin(txn)?;
    let mut def = cat
        .index_owner(name)
        .ok_or_else(|| SchemaError::UnknownIndex {
            index: name.to_string(),
        })?
        .clone();
    let pos = def
        .indexes
        .iter()
        .position(|i| i.name.eq_ignore_ascii_case(name))
        .expect("index_owner returned the table that has it");
    let index = def.indexes.remove(pos);
    settle(txn, def.id)?;
    delete_prefix(txn, &index_prefix(def.id, index.id))?;
    def.version += 1;
    save(txn, &cat, &def, cat.next_table_id())
}

/// Adds a column. Existing rows are not rewritten: they read the column's default (or
/// `NULL`), so a NOT NULL column without a default is refused on a table that has rows.
pub fn add_column(txn: &mut Transaction<'_>, table: &str, spec: &ColumnSpec) -> Result<TableDef> {
    let cat = begin(txn)?;
    let mut def = cat.table(table)?.clone();
    if def.column(&spec.name).is_some() {
        return Err(SchemaError::AlreadyExists {
            kind: "column",
            name: format!("{}.{}", def.name, spec.name),
        });
    }
    if def.columns.len() >= MAX_COLUMNS {
        return Err(invalid(
            &def.name,
            format!("a table has at most {MAX_COLUMNS} columns"),
        ));
    }
    let col = column_def(&def.name, def.next_column_id, spec)?;
    if col.not_null && col.default.is_none() {
        settle(txn, def.id)?;
        let prefix = row_prefix(def.id);
        let end = prefix_end(&prefix).expect("schema keys start with FF 53");
        let mut rows = txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)?;
        if rows.next().transpose()?.is_some() {
            return Err(invalid(
                &format!("{}.{}", def.name, spec.name),
                "a NOT NULL column added to a table with rows needs a default",
            ));
        }
    }
    def.columns.push(col);
    def.next_column_id += 1;
    def.version += 1;
    save(txn, &cat, &def, cat.next_table_id())?;
    Ok(def)
}

/// Drops a column (its bytes stay in existing rows and are ignored). Refuses a primary-key
/// column and a column an index uses (naming the index).
pub fn drop_column(txn: &mut Transaction<'_>, table: &str, column: &str) -> Result<TableDef> {
    let cat = begin(txn)?;
    let mut def = cat.table(table)?.clone();
    refuse_if_viewed(&cat, &def)?;
    let (pos, col) = def
        .column(column)
        .ok_or_else(|| SchemaError::UnknownColumn {
            table: def.name.clone(),
            column: column.to_string(),
        })?;
    let qualified = format!("{}.{}", def.name, col.name);
    if def.primary_key.contains(&col.id) {
        return Err(invalid(&qualified, "the column is part of the primary key"));
    }
    if def.partition.is_some_and(|p| p.column == col.id) {
        return Err(invalid(
            &qualified,
            "the table is partitioned by the column",
        ));
    }
    if let Some(i) = def.indexes.iter().find(|i| i.columns.contains(&col.id)) {
        return Err(invalid(
            &qualified,
            format!(
                "the column is used by index `{}`; drop the index first",
                i.name
            ),
        ));
    }
    def.columns.remove(pos);
    def.version += 1;
    save(txn, &cat, &def, cat.next_table_id())?;
    Ok(def)
}

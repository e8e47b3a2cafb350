//! The keys and values one row puts in the KV: its row key, and one entry per index; plus the
//! checks a row must pass before it is written (arity, types, NOT NULL).
//!
//! Index entries (`engine/FORMAT.md`, "Index entries"):
//! * unique index, no indexed value NULL: key `FF 53 02 <table> <index> <indexed values>`,
//!   value = the encoded primary key — at most one row can own the key, which is the
//!   constraint;
//! * unique index with a NULL among the indexed values, and every non-unique index: the
//!   primary key is appended to the key, so rows never collide (NULLs do not conflict in SQL);
//!   the value is the encoded primary key for a unique index and empty for a non-unique one.

use crate::schema::def::{IndexDef, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{encode_tuple, encode_value, index_prefix, row_prefix};
use crate::schema::value::{ColumnType, Value};

/// One index entry a row owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The entry's key.
    pub key: Vec<u8>,
    /// The entry's value.
    pub value: Vec<u8>,
    /// Whether no other row may own `key` (a unique index with no NULL among the values).
    pub enforced: bool,
}

/// `(42, 'x')`: a key as SQL literals, for constraint errors.
pub fn format_key(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("({})", parts.join(", "))
}

/// The primary-key values of `row` (a full row of `def`).
pub fn pk_values(def: &TableDef, row: &[Value]) -> Vec<Value> {
    def.primary_key
        .iter()
        .filter_map(|id| def.position(*id).and_then(|p| row.get(p)).cloned())
        .collect()
}

/// The types of `def`'s primary-key columns, leading first.
pub fn pk_types(def: &TableDef) -> Vec<ColumnType> {
    column_types(def, &def.primary_key)
}

/// The types of the columns with ids `ids`.
pub fn column_types(def: &TableDef, ids: &[u32]) -> Vec<ColumnType> {
    ids.iter()
        .filter_map(|id| def.position(*id).map(|p| def.columns[p].ty))
        .collect()
}

/// The row key of the row whose primary key is `pk`.
pub fn row_key(def: &TableDef, pk: &[Value]) -> Vec<u8> {
    let mut key = row_prefix(def.id);
    encode_tuple(&mut key, pk);
    key
}

/// The entry of `index` that `row` (a full row of `def`) owns.
pub fn index_entry(def: &TableDef, index: &IndexDef, row: &[Value]) -> IndexEntry {
    let mut key = index_prefix(def.id, index.id);
    let mut any_null = false;
    for id in &index.columns {
        let v = def
            .position(*id)
            .and_then(|p| row.get(p))
            .unwrap_or(&Value::Null);
        any_null |= v.is_null();
        encode_value(&mut key, v);
    }
    let mut pk = Vec::new();
    encode_tuple(&mut pk, &pk_values(def, row));
    let enforced = index.unique && !any_null;
    if !enforced {
        key.extend_from_slice(&pk);
    }
    let value = if index.unique { pk } else { Vec::new() };
    IndexEntry {
        key,
        value,
        enforced,
    }
}

/// The values of `index`'s columns in `row`.
pub fn index_values(def: &TableDef, index: &IndexDef, row: &[Value]) -> Vec<Value> {
    index
        .columns
        .iter()
        .map(|id| {
            def.position(*id)
                .and_then(|p| row.get(p))
                .cloned()
                .unwrap_or(Value::Null)
        })
        .collect()
}

/// Checks `row` can be stored in `def`: one value per column, each of its column's type, none
/// `NULL` in a NOT NULL or primary-key column.
pub fn check_row(def: &TableDef, row: &[Value]) -> Result<()> {
    if row.len() != def.columns.len() {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: format!(
                "a row of `{}` has {} values, got {}",
                def.name,
                def.columns.len(),
                row.len()
            ),
        });
    }
    for (c, v) in def.columns.iter().zip(row) {
        if !v.fits(c.ty) {
            return Err(type_mismatch(def, &c.name, c.ty, v));
        }
        if v.is_null() && (c.not_null || def.primary_key.contains(&c.id)) {
            return Err(SchemaError::NotNull {
                table: def.name.clone(),
                column: c.name.clone(),
            });
        }
    }
    Ok(())
}

/// Checks `pk` is a full primary key of `def` (or, with `prefix`, a prefix of one), each
/// value of its column's type.
pub fn check_key(def: &TableDef, ids: &[u32], values: &[Value], prefix: bool) -> Result<()> {
    if values.len() > ids.len() || (!prefix && values.len() != ids.len()) {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: format!(
                "a key of `{}` has {} columns, got {} values",
                def.name,
                ids.len(),
                values.len()
            ),
        });
    }
    for (id, v) in ids.iter().zip(values) {
        if let Some(p) = def.position(*id) {
            let c = &def.columns[p];
            if !v.fits(c.ty) {
                return Err(type_mismatch(def, &c.name, c.ty, v));
            }
        }
    }
    Ok(())
}

fn type_mismatch(def: &TableDef, column: &str, ty: ColumnType, v: &Value) -> SchemaError {
    SchemaError::TypeMismatch {
        table: def.name.clone(),
        column: column.to_string(),
        expected: ty.sql_name().to_string(),
        found: v.type_name().to_string(),
        value: v.to_string(),
    }
}

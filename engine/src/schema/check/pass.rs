//! The streaming pass over one table: every row is decoded and checked (key, types, NOT NULL,
//! primary key), and the entries it implies are summarised per index as a count and a
//! fingerprint; then each index is read and summarised the same way. Nothing is held per row.

use super::{Finding, FindingKind, IndexReport, SchemaReport, TableReport, entry_fingerprint};
use crate::Transaction;
use crate::schema::def::TableDef;
use crate::schema::error::Result;
use crate::schema::keys::{decode_tuple, index_prefix, row_prefix};
use crate::schema::row::decode_row;
use crate::schema::table::entry::{format_key, index_entry, pk_types, pk_values, row_key};
use crate::schema::value::Value;

/// A finding about table `def`.
pub(super) fn finding(
    def: &TableDef,
    kind: FindingKind,
    index: Option<&str>,
    key: String,
    detail: String,
) -> Finding {
    Finding {
        kind,
        table: def.name.clone(),
        index: index.map(str::to_string),
        key,
        detail,
    }
}

/// A row of `def` decoded from its key and value, or the finding saying why it does not
/// decode (`key` is the full row key).
pub(super) fn decode(
    def: &TableDef,
    key: &[u8],
    value: &[u8],
) -> std::result::Result<(Vec<Value>, String), Finding> {
    let prefix_len = row_prefix(def.id).len();
    let what = format!("row key of table `{}`", def.name);
    let raw = || key.escape_ascii().to_string();
    let key_pk = decode_tuple(
        key.get(prefix_len..).unwrap_or_default(),
        &pk_types(def),
        &what,
    )
    .map_err(|e| finding(def, FindingKind::UndecodableRow, None, raw(), e.to_string()))?;
    let shown = format_key(&key_pk);
    let row = decode_row(def, value).map_err(|e| {
        finding(
            def,
            FindingKind::UndecodableRow,
            None,
            shown.clone(),
            e.to_string(),
        )
    })?;
    Ok((row, shown))
}

/// Streams `def`'s rows, then each of its indexes; returns the figures.
pub(super) fn check_table(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    report: &mut SchemaReport,
) -> Result<TableReport> {
    let mut expected = vec![(0u64, 0u128); def.indexes.len()];
    let mut rows = 0u64;
    for entry in super::range(txn, &row_prefix(def.id))? {
        let (key, value) = entry?;
        rows += 1;
        let (row, shown) = match decode(def, &key, &value) {
            Ok(decoded) => decoded,
            Err(f) => {
                report.push(f);
                continue;
            }
        };
        let value_pk = pk_values(def, &row);
        if row_key(def, &value_pk) != key {
            let detail = format!("the value's primary key is {}", format_key(&value_pk));
            report.push(finding(
                def,
                FindingKind::UndecodableRow,
                None,
                shown.clone(),
                detail,
            ));
        }
        for (c, v) in def.columns.iter().zip(&row) {
            if v.is_null() && (c.not_null || def.primary_key.contains(&c.id)) {
                let what = if c.not_null {
                    "NOT NULL"
                } else {
                    "primary-key"
                };
                let detail = format!("{what} column `{}` is NULL", c.name);
                let kind = FindingKind::ConstraintViolation;
                report.push(finding(def, kind, None, shown.clone(), detail));
            }
        }
        for (index, sums) in def.indexes.iter().zip(expected.iter_mut()) {
            let e = index_entry(def, index, &row);
            sums.0 += 1;
            sums.1 = sums.1.wrapping_add(entry_fingerprint(&e.key, &e.value));
        }
    }
    let mut indexes = Vec::with_capacity(def.indexes.len());
    for (index, (want, want_fp)) in def.indexes.iter().zip(expected) {
        // An entry that does not decode is never among those the rows imply, so it makes the
        // fingerprints differ and the drill names it.
        let (mut entries, mut fingerprint) = (0u64, 0u128);
        for entry in super::range(txn, &index_prefix(def.id, index.id))? {
            let (k, v) = entry?;
            entries += 1;
            fingerprint = fingerprint.wrapping_add(entry_fingerprint(&k, &v));
        }
        indexes.push(IndexReport {
            name: index.name.clone(),
            entries,
            expected: want,
            fingerprint,
            expected_fingerprint: want_fp,
            drilled: false,
        });
    }
    Ok(TableReport {
        table: def.name.clone(),
        rows,
        indexes,
    })
}

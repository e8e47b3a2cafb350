//! Naming the keys of an index whose count or fingerprint disagrees with its rows: its entries
//! are walked, each looked up in the table (an entry with no row, or whose row has other values
//! in the index, is orphaned); then the rows are walked, each entry they imply looked up in the
//! index (absent: missing; held by another row with the same unique values: a duplicate). Point
//! reads in the same snapshot; nothing is held per entry.

use super::pass::{decode, finding};
use super::{FindingKind, SchemaReport};
use crate::Transaction;
use crate::schema::def::{IndexDef, TableDef};
use crate::schema::error::Result;
use crate::schema::keys::{index_prefix, row_prefix};
use crate::schema::row::decode_row;
use crate::schema::table::entry::{format_key, index_entry, index_values, row_key};
use crate::schema::table::scan::IndexDecoder;

/// Walks `index` of `def` and its rows, reporting every orphaned and missing entry and every
/// duplicated unique value.
pub(super) fn drill(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    index: &IndexDef,
    report: &mut SchemaReport,
) -> Result<()> {
    entries_side(txn, def, index, report)?;
    rows_side(txn, def, index, report)
}

fn entries_side(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    index: &IndexDef,
    report: &mut SchemaReport,
) -> Result<()> {
    let decoder = IndexDecoder::new(def, index);
    let name = Some(index.name.as_str());
    let orphan = FindingKind::OrphanedEntry;
    let entries = super::range(txn, &index_prefix(def.id, index.id))?;
    for entry in entries {
        let (k, v) = entry?;
        let pk = match decoder.decode(&k, &v) {
            Ok(pk) => pk,
            Err(e) => {
                let raw = k.escape_ascii().to_string();
                report.push(finding(def, orphan, name, raw, e.to_string()));
                continue;
            }
        };
        let shown = format_key(&pk);
        let Some(bytes) = txn.get(&row_key(def, &pk))? else {
            let detail = "no row has this entry's primary key".to_string();
            report.push(finding(def, orphan, name, shown, detail));
            continue;
        };
        // A row that does not decode was reported by the row pass.
        let Ok(row) = decode_row(def, &bytes) else {
            continue;
        };
        let want = index_entry(def, index, &row);
        if want.key != k || want.value != v {
            let detail = format!(
                "the row's values in this index are {}, the entry's are not",
                format_key(&index_values(def, index, &row))
            );
            report.push(finding(def, orphan, name, shown, detail));
        }
    }
    Ok(())
}

fn rows_side(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    index: &IndexDef,
    report: &mut SchemaReport,
) -> Result<()> {
    let decoder = IndexDecoder::new(def, index);
    let name = Some(index.name.as_str());
    let rows = super::range(txn, &row_prefix(def.id))?;
    for entry in rows {
        let (key, value) = entry?;
        // A row that does not decode was reported by the row pass.
        let Ok((row, shown)) = decode(def, &key, &value) else {
            continue;
        };
        let want = index_entry(def, index, &row);
        let held = txn.get(&want.key)?;
        let Some(held) = held else {
            let detail = "the row has no entry in this index".to_string();
            report.push(finding(def, FindingKind::MissingEntry, name, shown, detail));
            continue;
        };
        if held == want.value {
            continue;
        }
        // The key is held for another primary key: a duplicate if that row exists and has the
        // same values in this (unique) index; otherwise the entry is an orphan (named by the
        // entries side) and this row's entry is missing.
        let other = decoder.decode(&want.key, &held).ok();
        let duplicate = match &other {
            Some(pk) => match txn.get(&row_key(def, pk))? {
                Some(bytes) => decode_row(def, &bytes)
                    .map(|r| index_entry(def, index, &r).key == want.key)
                    .unwrap_or(false),
                None => false,
            },
            None => false,
        };
        if let (true, Some(pk)) = (duplicate, other) {
            let detail = format!(
                "rows {} and {shown} share the unique value {}",
                format_key(&pk),
                format_key(&index_values(def, index, &row))
            );
            let kind = FindingKind::ConstraintViolation;
            report.push(finding(def, kind, name, shown, detail));
        } else {
            let detail = "the row has no entry in this index (its key is another row's)".into();
            report.push(finding(def, FindingKind::MissingEntry, name, shown, detail));
        }
    }
    Ok(())
}

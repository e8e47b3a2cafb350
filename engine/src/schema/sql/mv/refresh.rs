//! Refreshing a view, in the caller's transaction: in full (every stored group and result row
//! replaced by a recomputation from the base table) or incrementally (the change log applied to
//! the groups it touches, see [`compute`](super::compute)). Either way the log is then emptied,
//! the refresh state advanced and a refresh record written with the result's fingerprint:
//! SHA-256 over every result row entry in key order, each as `key length u32 BE | key |
//! value length u32 BE | value`.

use std::ops::Bound;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::super::super::catalog::ViewDef;
use super::super::super::error::{Result, SchemaError};
use super::super::super::keys::{MvKey, mv_key, mv_part_prefix, prefix_end, row_prefix};
use super::super::super::row::encode_row;
use super::super::bind::Tables;
use super::super::bind::view::{Shape, shape_of};
use super::super::parse::parse_one;
use super::compute::{Groups, apply_changes, recompute};
use super::groups::{GroupState, encode_group};
use super::record::{self, RefreshKind, RefreshRecord};
use crate::Transaction;
use crate::columnar::mv::{ViewState, log, state};
use sqlparser::ast::Statement as Ast;

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The view's defining query bound against the catalog `tables`, checked to still produce the
/// result table the view was created with.
pub fn shape(tables: &dyn Tables, view: &ViewDef) -> Result<Shape> {
    let parsed = parse_one(&view.query)?;
    let Ast::Query(q) = &parsed.ast else {
        return Err(SchemaError::Corrupt {
            what: format!("catalog entry of materialized view `{}`", view.name),
            reason: "its query is not a SELECT".into(),
        });
    };
    let shape = shape_of(&parsed, q, tables, &view.name)?;
    let same = shape.base.id == view.base
        && shape.columns.len() == view.table.columns.len()
        && shape
            .columns
            .iter()
            .zip(&view.table.columns)
            .all(|((n, t), c)| *n == c.name && *t == c.ty);
    if !same {
        return Err(SchemaError::InvalidDefinition {
            name: view.name.clone(),
            reason: "its query no longer produces the columns it was created with".into(),
        });
    }
    Ok(shape)
}

/// The result's row count and fingerprint (see the module docs).
pub fn fingerprint(txn: &mut Transaction<'_>, view: &ViewDef) -> Result<(u64, [u8; 32])> {
    let prefix = row_prefix(view.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut h = Sha256::new();
    let mut n = 0;
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (k, v) = e?;
        h.update((k.len() as u32).to_be_bytes());
        h.update(&k);
        h.update((v.len() as u32).to_be_bytes());
        h.update(&v);
        n += 1;
    }
    Ok((n, h.finalize().into()))
}

/// The result row entry of a group: its key and value.
pub fn row_entry(
    view: &ViewDef,
    shape: &Shape,
    key: &[u8],
    values: &[crate::schema::value::Value],
    st: &GroupState,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut k = row_prefix(view.id);
    k.extend_from_slice(key);
    let row = st.output(shape, values, &view.name)?;
    Ok((k, encode_row(&view.table, &row)))
}

fn store(txn: &mut Transaction<'_>, view: &ViewDef, shape: &Shape, groups: &Groups) -> Result<()> {
    for (key, (values, st)) in groups {
        let (rk, rv) = row_entry(view, shape, key, values, st)?;
        let gk = mv_key(view.id, MvKey::Group(key));
        if st.rows > 0 {
            txn.put(&rk, &rv)?;
            txn.put(&gk, &encode_group(st))?;
        } else {
            txn.delete(&rk)?;
            txn.delete(&gk)?;
        }
    }
    Ok(())
}

fn finish(
    txn: &mut Transaction<'_>,
    view: &ViewDef,
    mut st: ViewState,
    kind: RefreshKind,
    delta_rows: u64,
) -> Result<RefreshRecord> {
    log::clear(txn, view.base, view.id)?;
    let (rows, fingerprint) = fingerprint(txn, view)?;
    let at_us = now_us();
    let rec = RefreshRecord {
        number: st.refreshes,
        kind,
        lsn: txn.visible_lsn().0,
        log_position: st.next,
        delta_rows,
        rows,
        at_us,
        fingerprint,
    };
    record::put(txn, view.id, &rec)?;
    st.applied = st.next;
    st.commits = 0;
    st.refreshed_us = at_us;
    st.refreshes += 1;
    state::put(txn, view.id, &st)?;
    Ok(rec)
}

/// Recomputes the view from its base table.
pub fn full(
    txn: &mut Transaction<'_>,
    tables: &dyn Tables,
    view: &ViewDef,
) -> Result<RefreshRecord> {
    let shape = shape(tables, view)?;
    let st = state::get(txn, view.id, true)?;
    for prefix in [row_prefix(view.id), mv_part_prefix(view.id, 0x01)] {
        crate::schema::ddl::delete_prefix(txn, &prefix)?;
    }
    let groups = recompute(txn, &shape, None)?;
    store(txn, view, &shape, &groups)?;
    finish(txn, view, st, RefreshKind::Full, 0)
}

/// Applies the view's change log to its stored groups.
pub fn incremental(
    txn: &mut Transaction<'_>,
    tables: &dyn Tables,
    view: &ViewDef,
) -> Result<RefreshRecord> {
    let shape = shape(tables, view)?;
    let st = state::get(txn, view.id, true)?;
    let changes = log::entries(txn, &shape.base, view, &st)?;
    let (touched, applied) = apply_changes(txn, view, &shape, &changes, None)?;
    store(txn, view, &shape, &touched)?;
    finish(txn, view, st, RefreshKind::Incremental, applied)
}

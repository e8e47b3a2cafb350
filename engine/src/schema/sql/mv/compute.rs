//! Computing a view's groups: in full from the base table (a columnar scan with the view's
//! `WHERE`), and incrementally — the stored groups a change log touches, with the log's rows
//! applied and every group whose `MIN`/`MAX` lost its extreme recomputed from the base table
//! (one scan for all of them). Both write nothing; `refresh` stores the result and `verify`
//! compares the two.

#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::super::super::catalog::ViewDef;
use super::super::super::error::{Result, SchemaError};
use super::super::super::keys::{MvKey, encode_tuple, mv_key, mv_part_prefix, prefix_end};
use super::super::super::value::Value;
use super::super::bind::view::Shape;
use super::super::exec::for_each_matching;
use super::super::expr::is_true;
use super::super::plan::{Access, Plan};
use super::groups::{GroupState, canonical, decode_group};
use crate::Transaction;
use crate::columnar::mv::{Change, ChangeKind};

/// Groups by group key: the group-column values (in `GROUP BY` order) and the state.
pub type Groups = BTreeMap<Vec<u8>, (Vec<Value>, GroupState)>;

/// The group key and group values of base row `row`.
pub fn group_of(shape: &Shape, row: &[Value]) -> (Vec<u8>, Vec<Value>) {
    let values: Vec<Value> = shape
        .group
        .iter()
        .map(|&p| row.get(p).map_or(Value::Null, canonical))
        .collect();
    let mut key = Vec::new();
    encode_tuple(&mut key, &values);
    (key, values)
}

/// Whether base row `row` passes the view's `WHERE`.
pub fn passes(shape: &Shape, row: &[Value]) -> Result<bool> {
    match &shape.filter {
        Some(f) => Ok(is_true(&f.eval(row, &[])?)),
        None => Ok(true),
    }
}

/// The view's groups computed from the base table as `txn` sees it (only the groups in `only`,
/// when given).
pub fn recompute(
    txn: &mut Transaction<'_>,
    shape: &Shape,
    only: Option<&BTreeSet<Vec<u8>>>,
) -> Result<Groups> {
    let plan = Plan {
        access: Access::ColumnarScan,
        residual: shape.filter.clone(),
        reverse: false,
        needs_sort: false,
    };
    let mut groups = Groups::new();
    for_each_matching(txn, &shape.base, &plan, &[], &mut |row| {
        let (key, values) = group_of(shape, &row);
        if only.is_some_and(|o| !o.contains(&key)) {
            return Ok(true);
        }
        groups
            .entry(key)
            .or_insert_with(|| (values, GroupState::new(shape)))
            .1
            .apply(shape, &row, true);
        Ok(true)
    })?;
    Ok(groups)
}

fn what(view: &ViewDef) -> String {
    format!("materialized view `{}`, a stored group", view.name)
}

/// The stored state of the group with key `key`.
pub fn stored_group(
    txn: &mut Transaction<'_>,
    view: &ViewDef,
    shape: &Shape,
    key: &[u8],
) -> Result<Option<GroupState>> {
    match txn.get(&mv_key(view.id, MvKey::Group(key)))? {
        Some(b) => decode_group(shape, &b, &what(view)).map(Some),
        None => Ok(None),
    }
}

/// Every stored group of the view.
pub fn stored_groups(txn: &mut Transaction<'_>, view: &ViewDef, shape: &Shape) -> Result<Groups> {
    let prefix = mv_part_prefix(view.id, 0x01);
    let end = prefix_end(&prefix).unwrap_or_default();
    let types: Vec<_> = shape
        .group
        .iter()
        .filter_map(|&p| shape.base.columns.get(p).map(|c| c.ty))
        .collect();
    let mut out = Groups::new();
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (k, v) = e?;
        let key = k.get(prefix.len()..).unwrap_or_default().to_vec();
        let values =
            super::super::super::keys::decode_tuple(&key, &types, &what(view)).map_err(|e| {
                SchemaError::Corrupt {
                    what: what(view),
                    reason: format!("its key does not decode: {e}"),
                }
            })?;
        out.insert(key, (values, decode_group(shape, &v, &what(view))?));
    }
    Ok(out)
}

/// Applies `changes` to the stored groups they touch (read lazily through `load`, or from
/// `base` when given) and recomputes the stale ones. Returns the touched groups (a group
/// whose row count fell to 0 is gone) and how many logged rows were applied.
pub fn apply_changes(
    txn: &mut Transaction<'_>,
    view: &ViewDef,
    shape: &Shape,
    changes: &[Change],
    base: Option<&Groups>,
) -> Result<(Groups, u64)> {
    let mut touched = Groups::new();
    let mut applied = 0u64;
    for c in changes {
        let insert = c.kind == ChangeKind::Insert;
        for row in &c.rows {
            applied += 1;
            if !passes(shape, row)? {
                continue;
            }
            let (key, values) = group_of(shape, row);
            if !touched.contains_key(&key) {
                let st = match base {
                    Some(b) => b.get(&key).map(|(_, s)| s.clone()),
                    None => stored_group(txn, view, shape, &key)?,
                };
                let st = st.unwrap_or_else(|| GroupState::new(shape));
                touched.insert(key.clone(), (values, st));
            }
            if let Some((_, st)) = touched.get_mut(&key) {
                st.apply(shape, row, insert);
                if st.rows < 0 {
                    return Err(SchemaError::Corrupt {
                        what: format!("materialized view `{}`", view.name),
                        reason: format!(
                            "change log entry {} deletes a row from a group that has none",
                            c.seq
                        ),
                    });
                }
            }
        }
    }
    let stale: BTreeSet<Vec<u8>> = touched
        .iter()
        .filter(|(_, (_, s))| s.stale() && s.rows > 0)
        .map(|(k, _)| k.clone())
        .collect();
    if !stale.is_empty() {
        let mut fresh = recompute(txn, shape, Some(&stale))?;
        for k in &stale {
            if let Some(slot) = touched.get_mut(k) {
                slot.1 = match fresh.remove(k) {
                    Some((_, s)) => s,
                    None => GroupState {
                        rows: 0,
                        ..GroupState::new(shape)
                    },
                };
            }
        }
    }
    Ok((touched, applied))
}

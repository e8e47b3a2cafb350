//! Materialized views with incremental refresh, over columnar tables.
//!
//! A view stores the result of `SELECT <group columns>, <aggregates> FROM t [WHERE …] GROUP BY
//! …` ([`Shape`](super::bind::view::Shape)): one result row per group, as a row entry
//! `FF 53 01 <view id> <group key>` that `SELECT … FROM v` reads like a table's, and beside it
//! the group's aggregate state ([`groups`]). Every insert and delete of the base table appends
//! its rows to the view's change log in the writing transaction (`columnar::mv`); a refresh
//! ([`refresh`]) applies the log to the groups it touches ([`compute`]) or recomputes the view,
//! empties the log and writes a refresh record ([`record`]). The refresh policies fire at
//! commit ([`hook`]); [`verify`] is what `ldb check` runs per view.
//!
//! Layouts are in `engine/FORMAT.md`, "Columnar tables", "Materialized views"; the statements
//! in `docs/sql.md`.

pub mod compute;
pub mod groups;
pub mod hook;
pub mod record;
pub mod refresh;
pub mod verify;

pub use hook::before_commit;
pub use verify::{ViewCheck, verify};

use super::super::catalog::Catalog;
use super::super::catalog::view::{ViewDef, encode_view, result_table};
use super::super::ddl::{begin, bump, check_name, delete_prefix};
use super::super::error::{Result, SchemaError};
use super::super::keys::{
    catalog_view_key, columnar_mvlog_prefix, columnar_prefix, mv_prefix, prefix_end, row_prefix,
};
use super::bind::ViewStmt;
use super::exec::ExecResult;
use crate::Transaction;
use crate::columnar::mv::{ViewState, state};

/// Runs a materialized-view statement in `txn`.
pub fn execute(txn: &mut Transaction<'_>, stmt: &ViewStmt) -> Result<ExecResult> {
    let kind = stmt.kind();
    let done = |rows_affected| ExecResult {
        kind,
        rows_affected,
        rows: None,
    };
    match stmt {
        ViewStmt::Create {
            view,
            if_not_exists,
        } => create(txn, view, *if_not_exists).map(done),
        ViewStmt::Drop { names, if_exists } => {
            for n in names {
                drop_view(txn, n, *if_exists)?;
            }
            Ok(done(0))
        }
        ViewStmt::Refresh { name, incremental } => {
            let catalog = Catalog::load(txn)?;
            let view = lookup(&catalog, name)?;
            let rec = if *incremental {
                refresh::incremental(txn, &catalog, view)?
            } else {
                refresh::full(txn, &catalog, view)?
            };
            Ok(done(rec.rows))
        }
        ViewStmt::ShowRefreshes { name } => {
            let catalog = Catalog::load(txn)?;
            let view = lookup(&catalog, name)?;
            let rows = record::rows(&record::list(txn, view)?);
            Ok(ExecResult {
                kind,
                rows_affected: rows.rows.len() as u64,
                rows: Some(rows),
            })
        }
    }
}

/// The view named `name`.
pub fn lookup<'c>(catalog: &'c Catalog, name: &str) -> Result<&'c ViewDef> {
    catalog.view(name).ok_or_else(|| SchemaError::UnknownTable {
        table: format!("{name} (no materialized view of that name)"),
    })
}

/// Creates the view (an id from the table id counter, its catalog entry, an empty log) and
/// fills it with a full refresh. Returns its result's row count.
fn create(txn: &mut Transaction<'_>, spec: &ViewDef, if_not_exists: bool) -> Result<u64> {
    let cat = begin(txn)?;
    check_name(&spec.name)?;
    if cat.view(&spec.name).is_some() && if_not_exists {
        return Ok(0);
    }
    if cat.view(&spec.name).is_some() || cat.table(&spec.name).is_ok() {
        return Err(SchemaError::AlreadyExists {
            kind: "materialized view",
            name: spec.name.clone(),
        });
    }
    let id = cat.next_table_id();
    let next = id
        .checked_add(1)
        .ok_or_else(|| SchemaError::InvalidDefinition {
            name: spec.name.clone(),
            reason: "table ids are exhausted".into(),
        })?;
    let columns: Vec<_> = spec
        .table
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty))
        .collect();
    let key: Vec<u16> = spec
        .table
        .primary_key
        .iter()
        .map(|c| c.saturating_sub(1) as u16)
        .collect();
    let view = ViewDef {
        id,
        table: result_table(id, &spec.name, &columns, &key),
        ..spec.clone()
    };
    // The full refresh below must read every committed row of the base table: under
    // `RepeatableRead`, rows committed after this snapshot are a retryable write conflict
    // (while the catalog is locked no new one can commit).
    for prefix in [row_prefix(view.base), columnar_prefix(view.base)] {
        let end = prefix_end(&prefix).unwrap_or_default();
        txn.check_unchanged(&prefix, &end)?;
    }
    txn.put(&catalog_view_key(id), &encode_view(&view))?;
    bump(txn, &cat, next)?;
    state::put(txn, id, &ViewState::default())?;
    Ok(refresh::full(txn, &cat, &view)?.rows)
}

/// Drops the view with its result rows, groups, refresh records, state and change log.
fn drop_view(txn: &mut Transaction<'_>, name: &str, if_exists: bool) -> Result<()> {
    let cat = begin(txn)?;
    let view = match cat.view(name) {
        Some(v) => v,
        None if if_exists => return Ok(()),
        None => return lookup(&cat, name).map(|_| ()),
    };
    for prefix in [
        row_prefix(view.id),
        mv_prefix(view.id),
        columnar_mvlog_prefix(view.base, view.id),
    ] {
        delete_prefix(txn, &prefix)?;
    }
    txn.delete(&catalog_view_key(view.id))?;
    bump(txn, &cat, cat.next_table_id())
}

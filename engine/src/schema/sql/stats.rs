//! The statistics statements of columnar tables, run: `ANALYZE` (rebuild every column's
//! statistics from a full pass, in the statement's transaction), `SHOW STATS t` (one row per
//! column), and the row estimate `EXPLAIN` prints for a columnar scan's pushed-down
//! predicates ([`add_estimate`]; the rules are `columnar::stats::estimate`'s).

use super::super::catalog::Catalog;
use super::super::def::TableDef;
use super::super::error::Result;
use super::super::value::{ColumnType, Value};
use super::bind::Select;
use super::exec::Rows;
use crate::Transaction;
use crate::columnar::Scalar;
use crate::columnar::scan::ScanStats;
use crate::columnar::stats::estimate::selectivity;
use crate::columnar::store;
use crate::columnar::table_stats::{self, StoredStats};

/// `ANALYZE t`, or every columnar table for `None`. Returns the rows the statistics cover.
pub fn analyze(txn: &mut Transaction<'_>, target: Option<&TableDef>) -> Result<u64> {
    if let Some(def) = target {
        return table_stats::analyze(txn, def);
    }
    let catalog = Catalog::load(txn)?;
    let mut rows = 0;
    for def in catalog.tables().filter(|t| t.storage.is_columnar()) {
        rows += table_stats::analyze(txn, def)?;
    }
    Ok(rows)
}

/// A stored bound as a value of its column's type.
fn bound_value(s: &Scalar, ty: ColumnType) -> Value {
    match (s, ty) {
        (Scalar::Int(v), ColumnType::Timestamp) => Value::Timestamp(*v),
        (Scalar::Int(v), _) => Value::Int(*v),
        (Scalar::Double(v), _) => Value::Double(*v),
        (Scalar::Bool(v), _) => Value::Bool(*v),
        (Scalar::Bytes(b), ColumnType::Bytes) => Value::Bytes(b.clone()),
        (Scalar::Bytes(b), _) => Value::Text(String::from_utf8_lossy(b).into_owned()),
    }
}

fn count(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `SHOW STATS t`: per column its rows, NULLs, min and max (as SQL literals), distinct
/// estimate, histogram buckets and rows modified since `ANALYZE` (NULLs for a column without
/// statistics).
pub fn show_stats(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Rows> {
    let columns = [
        "column",
        "rows",
        "nulls",
        "min",
        "max",
        "distinct",
        "buckets",
        "modified_since_analyze",
    ];
    let types = [
        ColumnType::Text,
        ColumnType::Int,
        ColumnType::Int,
        ColumnType::Text,
        ColumnType::Text,
        ColumnType::Int,
        ColumnType::Int,
        ColumnType::Int,
    ];
    let mut rows = Vec::new();
    for (col, stored) in table_stats::all(txn, def)? {
        let mut row = vec![Value::Text(col.name.clone())];
        match stored {
            Some(StoredStats {
                stats: s,
                inserted,
                deleted,
            }) => {
                let shown = |b: &Option<Scalar>| {
                    b.as_ref().map_or(Value::Null, |b| {
                        Value::Text(bound_value(b, col.ty).to_string())
                    })
                };
                row.extend([
                    count(s.rows),
                    count(s.null_count),
                    shown(&s.min),
                    shown(&s.max),
                    count(s.distinct.estimate().round() as u64),
                    count(s.histogram.counts.len() as u64),
                    count(inserted.saturating_add(deleted)),
                ]);
            }
            None => row.extend(std::iter::repeat_n(Value::Null, 7)),
        }
        rows.push(row);
    }
    Ok(Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        types: types.into_iter().map(Some).collect(),
        rows,
    })
}

/// Adds the estimate of a columnar `SELECT`'s scan to its `EXPLAIN` `lines`: the
/// `estimated rows:` line before `output:`, and with the scan's figures of `EXPLAIN ANALYZE`
/// (`scan`) an `estimate against actual:` line at the end. Nothing for a row table.
pub fn add_estimate(
    txn: &mut Transaction<'_>,
    s: &Select,
    params: &[Value],
    lines: &mut Vec<String>,
    scan: Option<&ScanStats>,
) -> Result<()> {
    let Some((est, line)) = estimate(txn, s, params)? else {
        return Ok(());
    };
    let at = lines
        .iter()
        .position(|l| l.starts_with("  output:"))
        .unwrap_or(lines.len());
    lines.insert(at, line);
    if let Some(scan) = scan
        && est.is_finite()
    {
        lines.push(format!(
            "  estimate against actual: {est:.0} rows estimated, {} selected by the scan",
            scan.rows_selected
        ));
    }
    Ok(())
}

/// The estimated rows of a columnar `SELECT`'s scan (after its pushed-down predicates) and the
/// `EXPLAIN` line saying so (the estimate NaN when there is none to give: no statistics, or
/// predicates waiting for parameters); `None` for a table that is not columnar.
fn estimate(
    txn: &mut Transaction<'_>,
    s: &Select,
    params: &[Value],
) -> Result<Option<(f64, String)>> {
    let Some(def) = s.table.as_ref().filter(|t| t.storage.is_columnar()) else {
        return Ok(None);
    };
    let Ok(pushed) = super::columnar::pushdown(s.plan.residual.as_ref(), params) else {
        return Ok(Some((
            f64::NAN,
            "  estimated rows: decided when the parameters are known".into(),
        )));
    };
    let stored = table_stats::all(txn, def)?;
    let Some(covered) = stored
        .iter()
        .filter_map(|(_, s)| s.as_ref())
        .map(|s| s.stats.rows)
        .max()
    else {
        return Ok(Some((
            f64::NAN,
            format!(
                "  estimated rows: no statistics (ANALYZE {} builds them)",
                def.name
            ),
        )));
    };
    let delta = store::state(txn, def, false)?.delta_rows;
    let total = covered.saturating_add(delta) as f64;
    let mut fraction = if pushed.empty { 0.0 } else { 1.0 };
    let mut parts = Vec::new();
    for (pos, pred) in &pushed.predicates {
        let Some((col, st)) = stored.get(*pos) else {
            continue;
        };
        let text = super::explain::predicate_text(Some(col), pred);
        match st {
            Some(st) => {
                let f = selectivity(&st.stats, pred);
                fraction *= f;
                parts.push(format!("{text}: {:.2}%", f * 100.0));
            }
            None => parts.push(format!("{text}: no statistics")),
        }
    }
    let est = (total * fraction).round();
    let basis = if parts.is_empty() {
        "no scan predicate".to_string()
    } else {
        parts.join("; ")
    };
    Ok(Some((
        est,
        format!("  estimated rows: {est:.0} of {total:.0} ({basis})"),
    )))
}

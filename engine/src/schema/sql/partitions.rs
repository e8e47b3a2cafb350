//! Range partitions in SQL: `SHOW PARTITIONS t` as rows, `ALTER TABLE t DROP PARTITION (…)`
//! run in the statement's transaction, and the `partitions:` line `EXPLAIN` prints for a
//! query on a partitioned table (which partitions its predicates leave to scan).

use super::super::catalog::Catalog;
use super::super::def::{PartitionInterval, TableDef};
use super::super::error::{Result, SchemaError};
use super::super::value::{ColumnType, Value};
use super::bind::{Bound, Select};
use super::columnar::pushdown;
use super::exec::Rows;
use crate::Transaction;
use crate::columnar::partitioned::{self, Chosen};

/// The rows of `SHOW PARTITIONS t`: one per partition in bound order — its label, its range
/// `from` (inclusive) `to` (exclusive) as the partition column's type, its segments, live rows
/// and stored bytes.
pub fn show(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Rows> {
    let Some(spec) = def.partition else {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: "is not partitioned (SHOW PARTITIONS lists a partitioned table's partitions)"
                .into(),
        });
    };
    let (ty, value): (ColumnType, fn(i64) -> Value) = match spec.interval {
        PartitionInterval::Width(_) => (ColumnType::Int, Value::Int),
        PartitionInterval::Month | PartitionInterval::Day => {
            (ColumnType::Timestamp, Value::Timestamp)
        }
    };
    let as_int = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let rows = partitioned::describe(txn, def)?
        .into_iter()
        .map(|p| {
            vec![
                Value::Text(p.label),
                value(p.lo),
                p.last.checked_add(1).map_or(Value::Null, value),
                as_int(p.segments),
                as_int(p.rows),
                as_int(p.bytes),
            ]
        })
        .collect();
    Ok(Rows {
        columns: ["partition", "from", "to", "segments", "rows", "bytes"]
            .map(String::from)
            .to_vec(),
        types: vec![
            Some(ColumnType::Text),
            Some(ty),
            Some(ty),
            Some(ColumnType::Int),
            Some(ColumnType::Int),
            Some(ColumnType::Int),
        ],
        rows,
    })
}

/// Runs `ALTER TABLE table DROP PARTITION (labels)`; returns the rows dropped.
pub fn drop(
    txn: &mut Transaction<'_>,
    table: &str,
    labels: &[String],
    if_exists: bool,
) -> Result<u64> {
    let catalog = Catalog::load(txn)?;
    let def = catalog.table(table)?.clone();
    // Dropping a partition deletes its keys without reading its rows, so no view's change log
    // could learn which rows left: a table a materialized view reads keeps its partitions.
    if let Some(v) = catalog.views_of(def.id).next() {
        return Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: format!(
                "materialized view `{}` reads this table; drop the view before dropping partitions",
                v.name
            ),
        });
    }
    partitioned::drop(txn, &def, labels, if_exists)
}

/// The line `partitions: scanned N of M (pruned K)`.
pub fn line(c: Chosen) -> String {
    format!(
        "  partitions: scanned {} of {} (pruned {})",
        c.scanned,
        c.total,
        c.total.saturating_sub(c.scanned)
    )
}

/// The `partitions:` line of `EXPLAIN` for `bound`, a query on a partitioned table (`None`
/// for anything else, or when its predicates need parameter values).
pub fn explain_line(txn: &mut Transaction<'_>, bound: &Bound) -> Result<Option<String>> {
    let Bound::Select(Select {
        table: Some(def),
        plan,
        ..
    }) = bound
    else {
        return Ok(None);
    };
    if def.partition.is_none() {
        return Ok(None);
    }
    let Ok(push) = pushdown(plan.residual.as_ref(), &[]) else {
        return Ok(None);
    };
    Ok(partitioned::choose(txn, def, &push.predicates)?.map(|(_, c)| line(c)))
}

//! The partition spec `CREATE TABLE … PARTITION BY RANGE (column)` asks for, checked against
//! the table being created: columnar storage, a known column, and a type that fits the
//! interval.

use super::invalid;
use crate::schema::def::{PartitionInterval, PartitionSpec, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::value::ColumnType;

/// The partition spec of `def` on `column` by `interval`: the table must be columnar, the
/// column must exist, and its type must fit the interval (months and days cut a `TIMESTAMP`,
/// a width an integer).
pub(super) fn spec(
    def: &TableDef,
    column: &str,
    interval: PartitionInterval,
) -> Result<PartitionSpec> {
    if !def.storage.is_columnar() {
        return Err(invalid(
            &def.name,
            "only a columnar table can be partitioned (add storage = 'columnar')",
        ));
    }
    let (_, col) = def
        .column(column)
        .ok_or_else(|| SchemaError::UnknownColumn {
            table: def.name.clone(),
            column: column.to_string(),
        })?;
    let fits = match interval {
        PartitionInterval::Month | PartitionInterval::Day => col.ty == ColumnType::Timestamp,
        PartitionInterval::Width(w) => col.ty == ColumnType::Int && w > 0,
    };
    if !fits {
        let wanted = match interval {
            PartitionInterval::Month | PartitionInterval::Day => {
                "a month or day interval partitions a TIMESTAMP column"
            }
            PartitionInterval::Width(_) => {
                "an integer width partitions a BIGINT column (and is at least 1)"
            }
        };
        return Err(invalid(
            &def.name,
            format!("partition column `{}` is {}: {wanted}", col.name, col.ty),
        ));
    }
    Ok(PartitionSpec {
        column: col.id,
        interval,
    })
}

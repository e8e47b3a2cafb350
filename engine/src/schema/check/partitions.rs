//! The partition check of a partitioned columnar table: every partition entry decodes and
//! covers exactly one interval of the table's partitioning, no two partitions share a range,
//! every segment belongs to a listed partition (and a segment number the partition handed
//! out), every segment's zone map of the partition column lies inside its partition's bounds
//! with no NULL (so every row does), and the table keeps no delta rows. Findings are
//! constraint violations naming the partition and the segment.

use super::pass::finding;
use super::{FindingKind, SchemaReport};
use crate::Transaction;
use crate::columnar::Scalar;
use crate::columnar::partition::{self, Partition, bounds, label, partition_of};
use crate::columnar::{partitioned, store};
use crate::schema::def::{PartitionSpec, TableDef};
use crate::schema::error::Result;
use crate::schema::keys::row_prefix;

/// Checks `def`'s partitions (nothing for an unpartitioned table); returns the partitions
/// checked.
pub(super) fn check_partitions(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    report: &mut SchemaReport,
) -> Result<u64> {
    let Some(spec) = def.partition else {
        return Ok(0);
    };
    let flag = |report: &mut SchemaReport, key: String, detail: String| {
        report.push(finding(
            def,
            FindingKind::ConstraintViolation,
            None,
            key,
            detail,
        ));
    };
    let parts = match partitioned::list(txn, def) {
        Ok(p) => p,
        Err(e) => {
            flag(report, "partitions".into(), e.to_string());
            return Ok(0);
        }
    };
    for (i, p) in parts.iter().enumerate() {
        let name = format!("partition '{}'", label(spec.interval, p.lo));
        if bounds(spec.interval, p.lo) != Some((p.lo, p.last)) {
            let detail = format!(
                "bounds {}..={} are not one partition interval",
                p.lo, p.last
            );
            flag(report, name.clone(), detail);
        }
        if let Some(next) = parts.get(i + 1)
            && next.lo <= p.last
        {
            let detail = format!(
                "its range overlaps partition number {}'s (from {})",
                next.number, next.lo
            );
            flag(report, name, detail);
        }
    }
    let segments = match store::segments(txn, def) {
        Ok(s) => s,
        Err(e) => {
            flag(report, "segments".into(), e.to_string());
            return Ok(parts.len() as u64);
        }
    };
    for seg in &segments {
        let key = format!("segment {}", seg.id);
        let number = partition_of(seg.id);
        let Some(p) = parts.iter().find(|p| p.number == number) else {
            let detail = format!("belongs to partition number {number}, which has no entry");
            flag(report, key, detail);
            continue;
        };
        let n = (seg.id & u64::from(u32::MAX)) as u32;
        if n >= p.next_segment {
            let detail = format!(
                "segment number {n} was never handed out by partition '{}' (next is {})",
                label(spec.interval, p.lo),
                p.next_segment
            );
            flag(report, key.clone(), detail);
        }
        if let Some(detail) = misplaced(def, &spec, p, seg) {
            flag(report, key, detail);
        }
    }
    let delta = super::range(txn, &row_prefix(def.id))?.count();
    if delta > 0 {
        let detail = format!("{delta} delta rows, but a partitioned table keeps none");
        flag(report, "delta".into(), detail);
    }
    Ok(parts.len() as u64)
}

/// Why `seg`'s partition-column zone map does not fit partition `p` (`None`: it fits).
fn misplaced(
    def: &TableDef,
    spec: &PartitionSpec,
    p: &Partition,
    seg: &store::Segment,
) -> Option<String> {
    let col = def.columns.iter().find(|c| c.id == spec.column)?;
    let where_ = format!(
        "in partition '{}' ({} to {})",
        label(spec.interval, p.lo),
        partition::show_value(spec.interval, p.lo),
        partition::show_value(spec.interval, p.last)
    );
    let Some(chunk) = seg.meta.chunk(col.id) else {
        return Some(format!(
            "has no chunk of partition column `{}` {where_}",
            col.name
        ));
    };
    let z = &chunk.zone;
    if z.null_count > 0 {
        return Some(format!(
            "holds {} NULL(s) in partition column `{}` {where_}",
            z.null_count, col.name
        ));
    }
    match (&z.min, &z.max) {
        (Some(Scalar::Int(lo)), Some(Scalar::Int(hi))) if *lo >= p.lo && *hi <= p.last => None,
        (Some(Scalar::Int(lo)), Some(Scalar::Int(hi))) => Some(format!(
            "holds `{}` values {} to {}, outside its partition {where_}",
            col.name,
            partition::show_value(spec.interval, *lo),
            partition::show_value(spec.interval, *hi)
        )),
        _ if z.rows == 0 => None,
        _ => Some(format!(
            "has no integer bounds for partition column `{}` {where_}",
            col.name
        )),
    }
}

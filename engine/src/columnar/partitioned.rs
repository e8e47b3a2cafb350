//! A partitioned columnar table in the store: routing inserted rows to their partitions
//! (created on first write), choosing the partitions a scan reads from the partition entries
//! alone, dropping partitions, and describing them (`SHOW PARTITIONS`).
//!
//! Every partition owns its segments: ids `partition << 32 | n` ([`partition::segment_id`]),
//! so a partition's segment meta entries, chunks and deleted-row bitmaps are each one key
//! range. A partitioned table keeps no delta: an insert writes each partition's rows as
//! segments of at most a row group directly, so a partition is exactly its segments; its
//! segments of fewer rows are merged once they fill a row group
//! ([`partition_merge`](super::partition_merge)).
//! Every operation here first takes the table's segment-state entry for update, the table's
//! write lock (see [`write`](super::write)).

use std::collections::BTreeMap;
use std::ops::Bound;

use super::partition::{self, Partition, bounds, decode_entry, encode_entry, label, segment_id};
use super::predicate::{ChunkPredicate, Scalar, may_match};
use super::store::{self, Segment};
use super::write::to_columns;
use super::zone::ZoneMap;
use crate::Transaction;
use crate::schema::def::{PartitionSpec, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{
    ColumnarKey, columnar_key, columnar_partitions_prefix, columnar_prefix, prefix_end,
};
use crate::schema::value::Value;

fn invalid(def: &TableDef, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidDefinition {
        name: def.name.clone(),
        reason: reason.into(),
    }
}

/// The table's partitions the transaction sees, in the order of their bounds.
pub fn list(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<Partition>> {
    let prefix = columnar_partitions_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut out = Vec::new();
    for entry in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (key, bytes) = entry?;
        let number = key
            .get(prefix.len()..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| SchemaError::Corrupt {
                what: format!("columnar table `{}`", def.name),
                reason: format!("a partition key of {} bytes", key.len()),
            })?;
        let p = decode_entry(number, &bytes)
            .map_err(|e| store::corrupt(def, format_args!("partition {number} entry"), e))?;
        out.push(p);
    }
    out.sort_by_key(|p| p.lo);
    Ok(out)
}

/// Stores partition `p`'s entry.
pub fn put(txn: &mut Transaction<'_>, def: &TableDef, p: &Partition) -> Result<()> {
    txn.put(
        &columnar_key(def.id, ColumnarKey::Partition(p.number)),
        &encode_entry(p),
    )?;
    Ok(())
}

/// The segments of partition `number`, in id order.
pub fn segments_of(txn: &mut Transaction<'_>, def: &TableDef, number: u32) -> Result<Vec<Segment>> {
    let to = number.checked_add(1).map(|n| segment_id(n, 0));
    store::segments_between(txn, def, segment_id(number, 0), to)
}

/// The partition value of `row` (its partition column, an integer or a timestamp).
fn key_of(def: &TableDef, spec: &PartitionSpec, row: &[Value]) -> Result<i64> {
    let pos = def.position(spec.column).unwrap_or(usize::MAX);
    let name = def.columns.get(pos).map_or("?", |c| c.name.as_str());
    match row.get(pos) {
        Some(Value::Int(v) | Value::Timestamp(v)) => Ok(*v),
        other => Err(invalid(
            def,
            format!(
                "partition column `{name}` holds {}, which falls in no partition",
                other.map_or("nothing".to_string(), Value::to_string)
            ),
        )),
    }
}

/// Writes `rows` (checked, in primary-key order) to their partitions: each partition's rows
/// become segments of at most `group` rows, the partition created if it is new; then the
/// partition's small segments are merged if they fill a row group.
pub fn insert(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &PartitionSpec,
    rows: Vec<Vec<Value>>,
    group: usize,
) -> Result<()> {
    let mut by_range: BTreeMap<(i64, i64), Vec<Vec<Value>>> = BTreeMap::new();
    for row in rows {
        let v = key_of(def, spec, &row)?;
        let range = bounds(spec.interval, v).ok_or_else(|| {
            invalid(
                def,
                format!("partition value {v} is outside the calendar's range"),
            )
        })?;
        by_range.entry(range).or_default().push(row);
    }
    let mut known = list(txn, def)?;
    for ((lo, last), rows) in by_range {
        let mut p = match known.iter().find(|p| p.lo == lo) {
            Some(p) => *p,
            None => {
                let number = known
                    .iter()
                    .map(|p| p.number)
                    .max()
                    .unwrap_or(0)
                    .checked_add(1)
                    .ok_or_else(|| invalid(def, "partition numbers are exhausted"))?;
                let p = Partition {
                    number,
                    lo,
                    last,
                    next_segment: 0,
                };
                known.push(p);
                p
            }
        };
        for chunk in rows.chunks(group.max(1)) {
            let id = segment_id(p.number, p.next_segment);
            store::write_segment(txn, def, id, &to_columns(def, chunk)?)?;
            p.next_segment = p.next_segment.checked_add(1).ok_or_else(|| {
                invalid(
                    def,
                    format!(
                        "partition '{}' has no segment numbers left",
                        label(spec.interval, lo)
                    ),
                )
            })?;
        }
        put(txn, def, &p)?;
        super::partition_merge::merge(txn, def, &mut p, group, false)?;
    }
    Ok(())
}

/// Whether partition `p` may hold a row passing `pred` on the partition column.
fn admits(p: &Partition, pred: &ChunkPredicate) -> bool {
    let zone = ZoneMap {
        rows: 1,
        null_count: 0,
        min: Some(Scalar::Int(p.lo)),
        max: Some(Scalar::Int(p.last)),
    };
    may_match(&zone, pred)
}

/// How many partitions a scan read of how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chosen {
    /// Partitions whose segments were read.
    pub scanned: u64,
    /// Partitions of the table.
    pub total: u64,
}

/// The segments a scan with `predicates` reads: every segment of an unpartitioned table
/// (and `None`); of a partitioned one, the segments of the partitions whose bounds admit the
/// predicates on the partition column — decided from the partition entries alone, so a
/// pruned partition's segment meta entries are never read.
pub fn scan_segments(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    predicates: &[(usize, ChunkPredicate)],
) -> Result<(Vec<Segment>, Option<Chosen>)> {
    let Some((kept, chosen)) = choose(txn, def, predicates)? else {
        return Ok((store::segments(txn, def)?, None));
    };
    let mut out = Vec::new();
    for p in &kept {
        out.extend(segments_of(txn, def, p.number)?);
    }
    Ok((out, Some(chosen)))
}

/// The partitions whose bounds admit `predicates` on the partition column, and the count of
/// them and of all (`None` for an unpartitioned table). Reads the partition entries only.
pub fn choose(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    predicates: &[(usize, ChunkPredicate)],
) -> Result<Option<(Vec<Partition>, Chosen)>> {
    let Some(spec) = def.partition else {
        return Ok(None);
    };
    let pos = def.position(spec.column);
    let all = list(txn, def)?;
    let total = all.len() as u64;
    let kept: Vec<Partition> = all
        .into_iter()
        .filter(|p| {
            predicates
                .iter()
                .filter(|(c, _)| Some(*c) == pos)
                .all(|(_, pred)| admits(p, pred))
        })
        .collect();
    let chosen = Chosen {
        scanned: kept.len() as u64,
        total,
    };
    Ok(Some((kept, chosen)))
}

/// Deletes every key in `from..to`.
fn delete_range(txn: &mut Transaction<'_>, from: &[u8], to: &[u8]) -> Result<u64> {
    let keys: Vec<Vec<u8>> = txn
        .range(Bound::Included(from), Bound::Excluded(to), false)?
        .map(|e| e.map(|(k, _)| k))
        .collect::<std::result::Result<_, _>>()?;
    for k in &keys {
        txn.delete(k)?;
    }
    Ok(keys.len() as u64)
}

/// Drops the partitions `labels` name (as `SHOW PARTITIONS` prints them) with all their rows:
/// the partition entry and its segments' meta entries, chunks and deleted-row bitmaps are
/// deleted as key ranges in the transaction — no row is read. A label naming no partition is
/// an error unless `if_exists`. Returns the rows dropped.
pub fn drop(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    labels: &[String],
    if_exists: bool,
) -> Result<u64> {
    let Some(spec) = def.partition else {
        return Err(invalid(
            def,
            "is not partitioned (it has no partitions to drop)",
        ));
    };
    crate::schema::table::guard(txn)?;
    let state = store::state(txn, def, true)?;
    let known = list(txn, def)?;
    let mut rows = 0;
    for text in labels {
        let lo = partition::parse_label(spec.interval, text).ok_or_else(|| {
            invalid(
                def,
                format!(
                    "'{text}' is not a partition label ({})",
                    expected_label(spec)
                ),
            )
        })?;
        let Some(p) = known.iter().find(|p| p.lo == lo) else {
            if if_exists {
                continue;
            }
            return Err(invalid(def, format!("has no partition '{text}'")));
        };
        for seg in segments_of(txn, def, p.number)? {
            let deleted = store::deleted(txn, def, &seg)?.map_or(0, |d| d.count_ones() as u64);
            rows += u64::from(seg.meta.rows) - deleted.min(u64::from(seg.meta.rows));
        }
        let (from, to) = (
            segment_id(p.number, 0),
            p.number.checked_add(1).map(|n| segment_id(n, 0)),
        );
        for tag in [0x01u8, 0x02, 0x03] {
            let mut start = columnar_prefix(def.id);
            start.push(tag);
            let tag_end = prefix_end(&start).unwrap_or_default();
            start.extend_from_slice(&from.to_be_bytes());
            let end = match to {
                Some(to) => {
                    let mut e = columnar_prefix(def.id);
                    e.push(tag);
                    e.extend_from_slice(&to.to_be_bytes());
                    e
                }
                None => tag_end,
            };
            delete_range(txn, &start, &end)?;
        }
        txn.delete(&columnar_key(def.id, ColumnarKey::Partition(p.number)))?;
    }
    // The column statistics counted these rows; they are gone now (the entry stays
    // conservative until `ANALYZE`, as after any delete).
    super::table_stats::on_delete(txn, def, rows)?;
    store::put_state(txn, def, &state)?;
    Ok(rows)
}

/// What a label of `spec`'s partitions looks like.
pub fn expected_label(spec: PartitionSpec) -> &'static str {
    match spec.interval {
        crate::schema::def::PartitionInterval::Month => "expected a month, YYYY-MM",
        crate::schema::def::PartitionInterval::Day => "expected a day, YYYY-MM-DD",
        crate::schema::def::PartitionInterval::Width(_) => {
            "expected a partition's lower bound, a multiple of the width"
        }
    }
}

/// One partition as `SHOW PARTITIONS` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Its label.
    pub label: String,
    /// The smallest partition value it holds.
    pub lo: i64,
    /// The largest.
    pub last: i64,
    /// Its segments.
    pub segments: u64,
    /// Its live rows (deleted ones not counted).
    pub rows: u64,
    /// Its chunks' stored bytes.
    pub bytes: u64,
}

/// The table's partitions in bound order, with their segments, live rows and stored bytes.
pub fn describe(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<PartitionInfo>> {
    let Some(spec) = def.partition else {
        return Err(invalid(def, "is not partitioned"));
    };
    let mut out = Vec::new();
    for p in list(txn, def)? {
        let segments = segments_of(txn, def, p.number)?;
        let (mut rows, mut bytes) = (0u64, 0u64);
        for seg in &segments {
            let deleted = store::deleted(txn, def, seg)?.map_or(0, |d| d.count_ones() as u64);
            rows += u64::from(seg.meta.rows).saturating_sub(deleted);
            bytes += seg
                .meta
                .chunks
                .iter()
                .map(|c| u64::from(c.bytes))
                .sum::<u64>();
        }
        out.push(PartitionInfo {
            label: label(spec.interval, p.lo),
            lo: p.lo,
            last: p.last,
            segments: segments.len() as u64,
            rows,
            bytes,
        });
    }
    Ok(out)
}

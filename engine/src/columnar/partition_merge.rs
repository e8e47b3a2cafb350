//! Compaction of a partition: its segments of fewer rows than a row group — what inserts of
//! fewer rows leave behind, the partition's delta — are merged into full segments.
//!
//! An insert merges them once they hold a row group's worth of live rows (so a partition's
//! small segments never hold more than about a row group); compaction with `all` (what
//! `ldb import` runs before it commits) merges every partition's small segments into as few
//! segments as their rows need. The live rows (deleted ones dropped) are decoded, sorted by
//! primary key, written as new segments of the partition, and the old segments' meta entries,
//! chunks and deleted-row bitmaps deleted — all in the caller's transaction.

use std::ops::Bound;

use super::partition::{Partition, segment_id};
use super::partitioned::{self};
use super::store::{self, Segment};
use super::write::to_columns;
use crate::Transaction;
use crate::schema::def::TableDef;
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{ColumnarKey, columnar_key, encode_tuple};
use crate::schema::table::entry;
use crate::schema::value::Value;

/// Merges the small segments of every partition of `def` (see the module docs); returns the
/// rows rewritten.
pub fn compact_all(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    group: usize,
    all: bool,
) -> Result<u64> {
    let mut moved = 0;
    for mut p in partitioned::list(txn, def)? {
        moved += merge(txn, def, &mut p, group, all)?;
    }
    Ok(moved)
}

/// Merges partition `p`'s small segments: with `all` whenever there are two or more, else only
/// once their live rows fill a row group (the rows past whole groups stay in one small
/// segment). Stores `p`'s entry when it changed. Returns the rows rewritten.
pub fn merge(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    p: &mut Partition,
    group: usize,
    all: bool,
) -> Result<u64> {
    let small: Vec<Segment> = partitioned::segments_of(txn, def, p.number)?
        .into_iter()
        .filter(|s| (s.meta.rows as usize) < group)
        .collect();
    if small.len() < 2 {
        return Ok(0);
    }
    let mut live = 0usize;
    let mut deleted = Vec::with_capacity(small.len());
    for seg in &small {
        let d = store::deleted(txn, def, seg)?;
        live += seg.meta.rows as usize - d.as_ref().map_or(0, |d| d.count_ones());
        deleted.push(d);
    }
    if !all && live < group {
        return Ok(0);
    }
    let mut rows: Vec<(Vec<u8>, Vec<Value>)> = Vec::with_capacity(live);
    for (seg, gone) in small.iter().zip(&deleted) {
        let cols = (0..def.columns.len())
            .map(|c| store::read_column(txn, def, seg, c))
            .collect::<Result<Vec<_>>>()?;
        for r in 0..seg.meta.rows as usize {
            if gone.as_ref().is_some_and(|d| d.get(r)) {
                continue;
            }
            let row: Vec<Value> = cols
                .iter()
                .zip(&def.columns)
                .map(|(v, c)| v.value(r, c.ty))
                .collect();
            let mut key = Vec::new();
            encode_tuple(&mut key, &entry::pk_values(def, &row));
            rows.push((key, row));
        }
    }
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<Vec<Value>> = rows.into_iter().map(|(_, r)| r).collect();
    for chunk in rows.chunks(group.max(1)) {
        let id = segment_id(p.number, p.next_segment);
        store::write_segment(txn, def, id, &to_columns(def, chunk)?)?;
        p.next_segment =
            p.next_segment
                .checked_add(1)
                .ok_or_else(|| SchemaError::InvalidDefinition {
                    name: def.name.clone(),
                    reason: format!("partition number {} has no segment numbers left", p.number),
                })?;
    }
    for seg in &small {
        remove_segment(txn, def, seg)?;
    }
    // Writing the merged segments counted their rows into the column statistics again; the
    // small segments they came from were counted when written. Their rows count as deleted,
    // which keeps the entry conservative (exact again after `ANALYZE`). The rows only moved,
    // so no materialized view's change log hears of them (as with compaction).
    super::table_stats::on_delete(txn, def, rows.len() as u64)?;
    partitioned::put(txn, def, p)?;
    Ok(rows.len() as u64)
}

/// Deletes `seg`'s meta entry, chunks and deleted-row bitmap.
fn remove_segment(txn: &mut Transaction<'_>, def: &TableDef, seg: &Segment) -> Result<()> {
    let start = columnar_key(def.id, ColumnarKey::Chunk(seg.id, 0));
    let end = columnar_key(def.id, ColumnarKey::Chunk(seg.id, u32::MAX));
    let chunks: Vec<Vec<u8>> = txn
        .range(Bound::Included(&start), Bound::Included(&end), false)?
        .map(|e| e.map(|(k, _)| k))
        .collect::<std::result::Result<_, _>>()?;
    for k in &chunks {
        txn.delete(k)?;
    }
    txn.delete(&columnar_key(def.id, ColumnarKey::Segment(seg.id)))?;
    txn.delete(&columnar_key(def.id, ColumnarKey::Deleted(seg.id)))?;
    Ok(())
}

//! Column statistics stored per columnar table: one entry per column
//! ([`ColumnarKey::Stats`]) holding the [`ColumnStats`] of the rows of the table's segments,
//! kept in the same transaction as the data.
//!
//! * A segment written ([`on_segment`], from [`store::write_segment`]: inserts and compaction)
//!   merges its statistics into each column's entry: counts add, bounds widen, sketches merge
//!   exactly (register-wise maximum), histograms merge approximately
//!   ([`EquiDepthHistogram::merge`]: each bucket's count placed at its upper bound, the union
//!   cut again into [`HISTOGRAM_BUCKETS`] buckets).
//! * Rows deleted from segments ([`on_delete`]) are not taken out: the entry stays
//!   stale-but-conservative (counts at least, bounds at least as wide as the live rows') and its
//!   `deleted` counter grows.
//! * [`analyze`] rebuilds every entry from the live rows of every segment (one pass; each
//!   segment's histogram built by [`ColumnStats::of`], all of them merged in one
//!   [`EquiDepthHistogram::merge_all`])
//!   and resets the counters.
//!
//! The delta (rows not yet in a segment, fewer than a row group) is not covered until it is
//! compacted. A column without an entry (added by `ALTER TABLE … ADD COLUMN`, or a table
//! written before statistics were kept) gets one from every segment the next time a segment
//! is written or at `ANALYZE`.
//!
//! Entry layout (`engine/FORMAT.md`, "Columnar tables"): `01 | inserted u64 | deleted u64 |
//! column statistics ([`ColumnStats::encode`]) | crc32c u32`, integers little-endian.
#![deny(clippy::indexing_slicing)]

pub mod verify;

use std::ops::Bound;

use super::ChunkError;
use super::encoding::invalid;
use super::segment::{META_VERSION, seal, unseal};
use super::stats::{ColumnStats, EquiDepthHistogram};
use super::store::{self, Segment, Source};
use super::vector::ColumnVector;
use crate::Transaction;
use crate::schema::def::{ColumnDef, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{ColumnarKey, columnar_key, columnar_stats_prefix, prefix_end};
use crate::util::codec::{Reader, push_u64};

/// Buckets of each column's histogram.
pub const HISTOGRAM_BUCKETS: usize = 64;

/// One column's stored statistics.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StoredStats {
    /// Rows merged in from segments written since the last `ANALYZE` (all rows, if none ran).
    pub inserted: u64,
    /// Segment rows deleted since the last `ANALYZE` (still counted in `stats`).
    pub deleted: u64,
    /// The statistics.
    pub stats: ColumnStats,
}

impl StoredStats {
    /// Rows inserted or deleted since the last `ANALYZE`.
    pub fn modified(&self) -> u64 {
        self.inserted.saturating_add(self.deleted)
    }

    /// The entry's bytes (layout in the module doc).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![META_VERSION];
        push_u64(&mut out, self.inserted);
        push_u64(&mut out, self.deleted);
        self.stats.encode(&mut out);
        seal(out)
    }

    /// Reads an entry written by [`StoredStats::encode`]: checksum, version, every field
    /// bounded, no trailing bytes.
    pub fn decode(bytes: &[u8]) -> std::result::Result<StoredStats, ChunkError> {
        let body = unseal(bytes, "column statistics")?;
        let mut r = Reader::new(body);
        r.u8()?;
        let inserted = r.u64()?;
        let deleted = r.u64()?;
        let stats = ColumnStats::decode(&mut r)?;
        if !r.is_empty() {
            return Err(invalid(format!(
                "column statistics: {} trailing bytes",
                r.remaining()
            )));
        }
        Ok(StoredStats {
            inserted,
            deleted,
            stats,
        })
    }
}

/// The stored statistics of column `col` of `def` (`None`: no entry).
pub fn load(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
    col: &ColumnDef,
) -> Result<Option<StoredStats>> {
    let key = columnar_key(def.id, ColumnarKey::Stats(col.id));
    match txn.read(&key)? {
        Some(bytes) => StoredStats::decode(&bytes).map(Some).map_err(|e| {
            store::corrupt(def, format_args!("statistics of column `{}`", col.name), e)
        }),
        None => Ok(None),
    }
}

fn put(txn: &mut Transaction<'_>, def: &TableDef, col: &ColumnDef, s: &StoredStats) -> Result<()> {
    txn.put(
        &columnar_key(def.id, ColumnarKey::Stats(col.id)),
        &s.encode(),
    )?;
    Ok(())
}

/// The statistics of the rows of `col` not marked in `deleted`.
pub fn live_stats(col: &ColumnVector, deleted: Option<&super::Bitmap>) -> ColumnStats {
    match deleted {
        Some(d) if d.count_ones() > 0 => {
            let live: Vec<u32> = (0..col.len())
                .filter(|&i| !d.get(i))
                .map(|i| i as u32)
                .collect();
            ColumnStats::of(&col.gather(&live), HISTOGRAM_BUCKETS)
        }
        _ => ColumnStats::of(col, HISTOGRAM_BUCKETS),
    }
}

/// Statistics of every column of `def` (in column order) recomputed from the live rows of
/// every segment `txn` sees, except segment `skip`; `extra` (one per column) is merged in
/// last. Each segment's statistics come from [`ColumnStats::of`] (counts, bounds and sketch
/// exact); the histograms are merged in one pass.
pub fn compute(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    skip: Option<u64>,
    extra: &[ColumnStats],
) -> Result<Vec<ColumnStats>> {
    let width = def.columns.len();
    let mut acc = vec![ColumnStats::default(); width];
    let mut histograms: Vec<Vec<EquiDepthHistogram>> = vec![Vec::new(); width];
    let segments: Vec<Segment> = store::segments(txn, def)?;
    for seg in segments.iter().filter(|s| Some(s.id) != skip) {
        let deleted = store::deleted(txn, def, seg)?;
        for (pos, (a, h)) in acc.iter_mut().zip(histograms.iter_mut()).enumerate() {
            let col = store::read_column(txn, def, seg, pos)?;
            let s = live_stats(&col, deleted.as_ref());
            h.push(s.histogram.clone());
            a.merge(&s);
        }
    }
    for ((a, h), e) in acc.iter_mut().zip(histograms.iter_mut()).zip(extra) {
        h.push(e.histogram.clone());
        a.merge(e);
    }
    for (a, h) in acc.iter_mut().zip(&histograms) {
        let parts: Vec<&EquiDepthHistogram> = h.iter().collect();
        a.histogram = EquiDepthHistogram::merge_all(&parts, HISTOGRAM_BUCKETS);
    }
    Ok(acc)
}

/// Merges the statistics of segment `id` (just written, its `columns` in column order) into
/// every column's entry.
pub fn on_segment(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    id: u64,
    columns: &[ColumnVector],
) -> Result<()> {
    let fresh: Vec<ColumnStats> = columns
        .iter()
        .map(|c| ColumnStats::of(c, HISTOGRAM_BUCKETS))
        .collect();
    let mut rebuilt: Option<Vec<ColumnStats>> = None;
    for (pos, col) in def.columns.iter().enumerate() {
        let Some(seg) = fresh.get(pos) else {
            break;
        };
        let entry = match load(txn, def, col)? {
            Some(mut s) => {
                s.stats.merge(seg);
                s.inserted = s.inserted.saturating_add(seg.rows);
                s
            }
            None => {
                // No entry yet: built from every segment (the new one's statistics at hand).
                if rebuilt.is_none() {
                    rebuilt = Some(compute(txn, def, Some(id), &fresh)?);
                }
                let stats = rebuilt
                    .as_ref()
                    .and_then(|r| r.get(pos))
                    .cloned()
                    .unwrap_or_default();
                StoredStats {
                    inserted: stats.rows,
                    deleted: 0,
                    stats,
                }
            }
        };
        put(txn, def, col, &entry)?;
    }
    Ok(())
}

/// Counts `rows` segment rows deleted in every column's entry.
pub fn on_delete(txn: &mut Transaction<'_>, def: &TableDef, rows: u64) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    for col in &def.columns {
        if let Some(mut s) = load(txn, def, col)? {
            s.deleted = s.deleted.saturating_add(rows);
            put(txn, def, col, &s)?;
        }
    }
    Ok(())
}

/// Rebuilds every column's statistics of `def` from a full pass over its segments (live rows
/// only), resets the counters and removes entries of columns the table no longer has. Takes
/// the table's write lock (its segment-state entry). Returns the rows the statistics cover.
pub fn analyze(txn: &mut Transaction<'_>, def: &TableDef) -> Result<u64> {
    super::write::row_group(def)?;
    crate::schema::table::guard(txn)?;
    store::state(txn, def, true)?;
    let all = compute(txn, def, None, &[])?;
    let prefix = columnar_stats_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut stale = Vec::new();
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (key, _) = e?;
        let id = key
            .get(prefix.len()..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes);
        if id.is_none_or(|id| def.columns.iter().all(|c| c.id != id)) {
            stale.push(key);
        }
    }
    for key in stale {
        txn.delete(&key)?;
    }
    let mut rows = 0;
    for (col, stats) in def.columns.iter().zip(all) {
        rows = stats.rows;
        let entry = StoredStats {
            inserted: 0,
            deleted: 0,
            stats,
        };
        put(txn, def, col, &entry)?;
    }
    Ok(rows)
}

/// Every column of `def` with its stored statistics, in column order (a column without an
/// entry has `None`).
pub fn all(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
) -> Result<Vec<(ColumnDef, Option<StoredStats>)>> {
    def.columns
        .iter()
        .map(|c| Ok((c.clone(), load(txn, def, c)?)))
        .collect()
}

/// `err` unless `def` is columnar: statistics are kept for columnar tables only.
pub fn require_columnar(def: &TableDef) -> Result<()> {
    if def.storage.is_columnar() {
        Ok(())
    } else {
        Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: "is a row table; column statistics are kept for columnar tables only".into(),
        })
    }
}

//! The columnar scan: a table's rows as a transaction's snapshot sees them, in batches of column
//! vectors, with predicates pushed down to the chunks.
//!
//! For each segment, in order:
//!
//! 1. **Prune** — if a pushed-down predicate cannot hold anywhere in a chunk's zone map, the
//!    segment is skipped without reading a chunk.
//! 2. **Filter on encoded data** — each predicate is evaluated on its column's encoded chunk
//!    ([`filter`](super::filter): dictionary codes, runs, bit-packed integers), and the selection
//!    is the rows passing them all, minus the segment's deleted rows. Once the selection is
//!    empty the remaining predicates' chunks are not even read.
//! 3. **Late materialization** — only then are the other columns the query needs decoded, and
//!    only the selected rows are gathered into batches of `batch_size` rows.
//!
//! Then the delta (rows not yet compacted) is read as row entries, filtered by the same
//! predicates, and returned in batches too. Statistics of what was read come back as
//! [`ScanStats`] (what `EXPLAIN ANALYZE` prints).

use std::ops::Bound;
use std::time::{Duration, Instant};

use super::predicate::eval;
use super::store::{self, Segment};
use super::vector::{Bitmap, ColumnVector};
use super::write::Location;
use super::{ChunkPredicate, PhysicalType, Scalar, filter, may_match};
use crate::Transaction;
use crate::schema::def::TableDef;
use crate::schema::error::Result;
use crate::schema::keys::{prefix_end, row_prefix};
use crate::schema::row::decode_row;
use crate::schema::value::Value;

/// The default number of rows in a batch.
pub const DEFAULT_BATCH: usize = 2048;
/// The smallest batch a scan accepts.
pub const MIN_BATCH: usize = 1024;

/// What a scan reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanSpec {
    /// Positions (in the table's columns) of the columns the caller needs.
    pub columns: Vec<usize>,
    /// Pushed-down predicates, (column position, predicate): a row must pass them all.
    pub predicates: Vec<(usize, ChunkPredicate)>,
    /// Rows per batch (at least [`MIN_BATCH`]).
    pub batch_size: usize,
    /// Whether batches carry each row's [`Location`] (for `DELETE` and `UPDATE`).
    pub locations: bool,
}

/// A batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// One entry per table column: the values, for the columns the scan was asked for.
    pub columns: Vec<Option<ColumnVector>>,
    /// Rows in the batch.
    pub len: usize,
    /// Where each row lives, when the scan was asked for locations.
    pub locations: Vec<Location>,
}

/// What a scan read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanStats {
    /// Segments in the table.
    pub segments: u64,
    /// Segments skipped by zone maps.
    pub segments_pruned: u64,
    /// Chunks fetched and filtered or decoded.
    pub chunks_read: u64,
    /// Rows of the segments not pruned, plus delta rows.
    pub rows_scanned: u64,
    /// Rows that passed the predicates.
    pub rows_selected: u64,
    /// Delta rows read.
    pub delta_rows: u64,
    /// Batches returned.
    pub batches: u64,
    /// Time spent in the scan itself (the visitor's time excluded).
    pub time: Duration,
}

/// `Value` as a predicate constant (`None` for NULL).
pub fn scalar(v: &Value) -> Option<Scalar> {
    Some(match v {
        Value::Int(x) | Value::Timestamp(x) => Scalar::Int(*x),
        Value::Double(x) => Scalar::Double(*x),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Text(s) => Scalar::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => Scalar::Bytes(b.clone()),
        Value::Null => return None,
    })
}

fn and_not(a: &Bitmap, b: &Bitmap) -> Bitmap {
    let words = a
        .words()
        .iter()
        .zip(b.words())
        .map(|(x, y)| x & !y)
        .collect();
    Bitmap::from_words(words, a.len())
}

/// Scans `def` as `txn` sees it, calling `visit` with each batch until it returns `false`.
pub fn scan(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &ScanSpec,
    visit: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<ScanStats> {
    let mut stats = ScanStats::default();
    let started = Instant::now();
    let mut visiting = Duration::ZERO;
    let batch = spec.batch_size.max(MIN_BATCH);
    let segments = store::segments(txn, def)?;
    stats.segments = segments.len() as u64;
    let mut go_on = true;
    for seg in &segments {
        if !go_on {
            break;
        }
        let Some((sel, mut fetched)) = select(txn, def, seg, spec, &mut stats)? else {
            continue;
        };
        let mut columns: Vec<Option<ColumnVector>> = vec![None; def.columns.len()];
        for &pos in &spec.columns {
            if columns.get(pos).is_some_and(Option::is_none) {
                // A chunk the filter already fetched is decoded from those bytes.
                let bytes = fetched
                    .iter_mut()
                    .find(|(p, _)| *p == pos)
                    .map(|(_, b)| std::mem::take(b));
                if bytes.is_none() {
                    stats.chunks_read += 1;
                }
                columns[pos] = Some(store::read_column_from(txn, def, seg, pos, bytes)?);
            }
        }
        let whole = sel.len() == seg.meta.rows as usize;
        for part in sel.chunks(batch) {
            let cols = columns
                .iter()
                .map(|c| {
                    c.as_ref().map(|v| {
                        if whole && part.len() == v.len() {
                            v.clone()
                        } else {
                            v.gather(part)
                        }
                    })
                })
                .collect();
            let locations = if spec.locations {
                part.iter()
                    .map(|&row| Location::Segment {
                        segment: seg.id,
                        row,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            stats.batches += 1;
            let t = Instant::now();
            go_on = visit(Batch {
                columns: cols,
                len: part.len(),
                locations,
            })?;
            visiting += t.elapsed();
            if !go_on {
                break;
            }
        }
    }
    if go_on {
        visiting += scan_delta(txn, def, spec, batch, &mut stats, visit)?;
    }
    stats.time = started.elapsed().saturating_sub(visiting);
    Ok(stats)
}

/// A segment's selected rows, and the chunks fetched to select them (column position, bytes).
type Selection = (Vec<u32>, Vec<(usize, Vec<u8>)>);

/// The selected rows of `seg` (`None`: pruned or nothing selected).
fn select(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    seg: &Segment,
    spec: &ScanSpec,
    stats: &mut ScanStats,
) -> Result<Option<Selection>> {
    let rows = seg.meta.rows as usize;
    for (pos, pred) in &spec.predicates {
        let Some(col) = def.columns.get(*pos) else {
            continue;
        };
        let admits = match seg.meta.chunk(col.id) {
            Some(chunk) => may_match(&chunk.zone, pred),
            // A column added after the segment: every row holds the default.
            None => eval(pred, col.default.as_ref().and_then(scalar).as_ref()),
        };
        if !admits {
            stats.segments_pruned += 1;
            return Ok(None);
        }
    }
    stats.rows_scanned += rows as u64;
    let mut sel = match store::deleted(txn, def, seg)? {
        Some(d) => and_not(&Bitmap::all(rows), &d),
        None => Bitmap::all(rows),
    };
    let mut fetched: Vec<(usize, Vec<u8>)> = Vec::new();
    for (pos, pred) in &spec.predicates {
        if sel.count_ones() == 0 {
            break;
        }
        let Some(col) = def.columns.get(*pos) else {
            continue;
        };
        let known = fetched.iter().position(|(p, _)| p == pos);
        let bytes = match known {
            Some(i) => Some(fetched.swap_remove(i).1),
            None => {
                let b = store::chunk_bytes(txn, def, seg, *pos)?;
                stats.chunks_read += u64::from(b.is_some());
                b
            }
        };
        if let Some(bytes) = bytes {
            let passed = filter(&bytes, PhysicalType::of(col.ty), rows, pred).map_err(|e| {
                store::corrupt(
                    def,
                    format_args!("segment {} column `{}`", seg.id, col.name),
                    e,
                )
            })?;
            sel = sel.and(&passed);
            fetched.push((*pos, bytes));
        }
    }
    let picked: Vec<u32> = sel.iter_ones().map(|i| i as u32).collect();
    stats.rows_selected += picked.len() as u64;
    Ok((!picked.is_empty()).then_some((picked, fetched)))
}

fn delta_batch(
    def: &TableDef,
    spec: &ScanSpec,
    rows: &[Vec<Value>],
    locations: Vec<Location>,
) -> Result<Batch> {
    let mut columns: Vec<Option<ColumnVector>> = vec![None; def.columns.len()];
    let mut cells = Vec::with_capacity(rows.len());
    for &pos in &spec.columns {
        let Some(col) = def.columns.get(pos) else {
            continue;
        };
        cells.clear();
        cells.extend(
            rows.iter()
                .map(|r| r.get(pos).cloned().unwrap_or(Value::Null)),
        );
        columns[pos] = Some(ColumnVector::from_values(col.ty, &cells)?);
    }
    Ok(Batch {
        columns,
        len: rows.len(),
        locations,
    })
}

/// Scans the delta; returns the time spent in `visit`.
fn scan_delta(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &ScanSpec,
    batch: usize,
    stats: &mut ScanStats,
    visit: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<Duration> {
    let prefix = row_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut visiting = Duration::ZERO;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut locations = Vec::new();
    let mut iter = txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)?;
    loop {
        let next = iter.next().transpose()?;
        let done = next.is_none();
        if let Some((key, bytes)) = next {
            let row = decode_row(def, &bytes)?;
            stats.delta_rows += 1;
            stats.rows_scanned += 1;
            let keep = spec
                .predicates
                .iter()
                .all(|(pos, pred)| eval(pred, row.get(*pos).and_then(scalar).as_ref()));
            if keep {
                stats.rows_selected += 1;
                if spec.locations {
                    let pk = key.get(prefix.len()..).unwrap_or_default().to_vec();
                    locations.push(Location::Delta(pk));
                }
                rows.push(row);
            }
        }
        if !rows.is_empty() && (done || rows.len() >= batch) {
            let b = delta_batch(def, spec, &rows, std::mem::take(&mut locations))?;
            rows.clear();
            stats.batches += 1;
            let t = Instant::now();
            let go_on = visit(b)?;
            visiting += t.elapsed();
            if !go_on {
                break;
            }
        }
        if done {
            break;
        }
    }
    Ok(visiting)
}

//! The columnar scan: a table's rows as a transaction's snapshot sees them, in batches of column
//! vectors, with predicates pushed down to the chunks.
//!
//! A partitioned table's partitions whose bounds the predicates exclude are skipped first,
//! from the partition entries alone ([`partitioned`](super::partitioned)). Then for each
//! segment, in order:
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
use std::sync::atomic::{AtomicUsize, Ordering};

use super::store::{self, Segment, Source};
use super::vector::{Bitmap, ColumnVector};
use super::write::Location;
use super::{ChunkPredicate, PhysicalType, Scalar, filter, may_match};
use crate::Transaction;
use crate::db::SnapshotReader;
use crate::schema::def::TableDef;
use crate::schema::error::Result;
use crate::schema::keys::{columnar_prefix, prefix_end, row_prefix};
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
    /// Partitions scanned and in the table (a partitioned table's; partitions whose bounds
    /// the predicates exclude are skipped before their segments are listed).
    pub partitions: Option<super::partitioned::Chosen>,
    /// Segments in the table (of the partitions scanned, for a partitioned table).
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
    /// Time spent in the scan itself (the visitor's time excluded). With [`fold`], the
    /// per-segment operators run on the scan's threads: this is then the scan's wall time with
    /// them included, and [`ScanStats::operator_cpu`] says how much of it they took.
    pub time: Duration,
    /// Threads that read segments (1: the calling thread alone).
    pub threads: u64,
    /// Time [`fold`]'s per-segment operators took, summed over the scan's threads.
    pub operator_cpu: Duration,
}

impl ScanStats {
    /// Adds `other`'s counts (not its time) to these.
    pub fn add(&mut self, other: &ScanStats) {
        self.segments_pruned += other.segments_pruned;
        self.chunks_read += other.chunks_read;
        self.rows_scanned += other.rows_scanned;
        self.rows_selected += other.rows_selected;
        self.delta_rows += other.delta_rows;
        self.batches += other.batches;
        self.operator_cpu += other.operator_cpu;
    }
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
///
/// With more than one scan thread ([`scan_threads`]) and a transaction whose reads of the table
/// are plain snapshot reads ([`Transaction::snapshot_reader`]), worker threads take the
/// segments in turn (segment *i* to worker *i* mod *n*) and prepare their batches in parallel;
/// this thread visits them in segment order, so a query's results do not depend on the thread
/// count. At most two prepared segments per worker wait to be visited.
pub fn scan(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &ScanSpec,
    visit: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<ScanStats> {
    let mut stats = ScanStats::default();
    let started = Instant::now();
    let mut visiting = Duration::ZERO;
    let (segments, chosen) = super::partitioned::scan_segments(txn, def, &spec.predicates)?;
    stats.partitions = chosen;
    stats.segments = segments.len() as u64;
    let threads = scan_threads().min(segments.len());
    let prefix = columnar_prefix(def.id);
    let reader = if threads > 1 {
        txn.snapshot_reader(&prefix, &prefix_end(&prefix).unwrap_or_default())
    } else {
        None
    };
    let mut timed = |b: Batch| -> Result<bool> {
        let t = Instant::now();
        let go_on = visit(b)?;
        visiting += t.elapsed();
        Ok(go_on)
    };
    stats.threads = if reader.is_some() { threads as u64 } else { 1 };
    let go_on = match reader {
        Some(reader) => {
            let prepare = |r: &mut SnapshotReader<'_>, seg: &Segment, st: &mut ScanStats| {
                let mut batches = Vec::new();
                segment_batches(r, def, seg, spec, st, &mut |b| {
                    batches.push(b);
                    Ok(true)
                })?;
                Ok(batches)
            };
            on_segments(
                &reader,
                &segments,
                threads,
                &prepare,
                &mut stats,
                &mut |batches| {
                    for b in batches {
                        if !timed(b)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                },
            )?
        }
        None => {
            let mut go_on = true;
            for seg in &segments {
                go_on = segment_batches(txn, def, seg, spec, &mut stats, &mut timed)?;
                if !go_on {
                    break;
                }
            }
            go_on
        }
    };
    if go_on {
        scan_delta(txn, def, spec, &mut stats, &mut timed)?;
    }
    stats.time = started.elapsed().saturating_sub(visiting);
    Ok(stats)
}

/// Folds `def` as `txn` sees it: each segment's batches (and then the delta's) go to `step`
/// on a fresh state from `init`, on the thread that read the segment, and the states come to
/// `merge` on this thread **in segment order**, the delta's last.
///
/// This is how operators such as hash aggregation run on every scan thread: each segment is
/// aggregated where it is decoded, and only the (small) partial states cross threads. Because
/// the partial states and their merge order are the same whatever the thread count, so is the
/// result — down to the rounding of floating-point sums.
pub fn fold<S: Send>(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &ScanSpec,
    init: &(dyn Fn() -> S + Sync),
    step: &(dyn Fn(&mut S, Batch) -> Result<()> + Sync),
    merge: &mut dyn FnMut(S) -> Result<()>,
) -> Result<ScanStats> {
    let mut stats = ScanStats::default();
    let started = Instant::now();
    let mut merging = Duration::ZERO;
    let (segments, chosen) = super::partitioned::scan_segments(txn, def, &spec.predicates)?;
    stats.partitions = chosen;
    stats.segments = segments.len() as u64;
    let threads = scan_threads().min(segments.len());
    let prefix = columnar_prefix(def.id);
    let reader = if threads > 1 {
        txn.snapshot_reader(&prefix, &prefix_end(&prefix).unwrap_or_default())
    } else {
        None
    };
    let one = |src: &mut dyn Source, seg: &Segment, st: &mut ScanStats| -> Result<S> {
        let mut state = init();
        let mut cpu = Duration::ZERO;
        segment_batches(src, def, seg, spec, st, &mut |b| {
            let t = Instant::now();
            step(&mut state, b)?;
            cpu += t.elapsed();
            Ok(true)
        })?;
        st.operator_cpu += cpu;
        Ok(state)
    };
    let mut timed_merge = |s: S| -> Result<bool> {
        let t = Instant::now();
        merge(s)?;
        merging += t.elapsed();
        Ok(true)
    };
    stats.threads = if reader.is_some() { threads as u64 } else { 1 };
    match reader {
        Some(reader) => {
            let prepare =
                |r: &mut SnapshotReader<'_>, seg: &Segment, st: &mut ScanStats| one(r, seg, st);
            on_segments(
                &reader,
                &segments,
                threads,
                &prepare,
                &mut stats,
                &mut timed_merge,
            )?;
        }
        None => {
            for seg in &segments {
                let s = one(txn, seg, &mut stats)?;
                timed_merge(s)?;
            }
        }
    }
    let mut state = init();
    let mut cpu = Duration::ZERO;
    scan_delta(txn, def, spec, &mut stats, &mut |b| {
        let t = Instant::now();
        step(&mut state, b)?;
        cpu += t.elapsed();
        Ok(true)
    })?;
    stats.operator_cpu += cpu;
    timed_merge(state)?;
    stats.time = started.elapsed().saturating_sub(merging);
    Ok(stats)
}

static SCAN_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the threads of columnar scans in this process (0: the default, two when the machine
/// has them).
pub fn set_scan_threads(n: usize) {
    SCAN_THREADS.store(n, Ordering::Relaxed);
}

/// The threads a columnar scan uses.
pub fn scan_threads() -> usize {
    match SCAN_THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
        n => n,
    }
}

/// Runs `work` on every segment, segment *i* on worker *i* mod `threads`, and hands each
/// result to `take` on this thread in segment order, until `take` returns `false` (then the
/// workers stop too). At most two finished segments per worker wait to be taken. `false` when
/// `take` stopped the scan.
fn on_segments<T: Send>(
    reader: &SnapshotReader<'_>,
    segments: &[Segment],
    threads: usize,
    work: &(dyn Fn(&mut SnapshotReader<'_>, &Segment, &mut ScanStats) -> Result<T> + Sync),
    stats: &mut ScanStats,
    take: &mut dyn FnMut(T) -> Result<bool>,
) -> Result<bool> {
    std::thread::scope(|scope| {
        let mut inboxes = Vec::with_capacity(threads);
        for w in 0..threads {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(T, ScanStats)>>(2);
            inboxes.push(rx);
            let mut reader = reader.clone();
            scope.spawn(move || {
                for seg in segments.iter().skip(w).step_by(threads) {
                    let mut local = ScanStats::default();
                    let result = work(&mut reader, seg, &mut local);
                    let failed = result.is_err();
                    // A closed inbox means the visitor stopped: so does the worker.
                    if tx.send(result.map(|t| (t, local))).is_err() || failed {
                        return;
                    }
                }
            });
        }
        for i in 0..segments.len() {
            let Some(inbox) = inboxes.get(i % threads) else {
                break;
            };
            let Ok(done) = inbox.recv() else {
                break;
            };
            let (t, local) = done?;
            stats.add(&local);
            if !take(t)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// Prunes, filters and decodes one segment, handing its batches to `emit`; `false` when
/// `emit` asked to stop.
fn segment_batches(
    src: &mut (impl Source + ?Sized),
    def: &TableDef,
    seg: &Segment,
    spec: &ScanSpec,
    stats: &mut ScanStats,
    emit: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<bool> {
    let batch = spec.batch_size.max(MIN_BATCH);
    let Some((sel, mut fetched)) = select(src, def, seg, spec, stats)? else {
        return Ok(true);
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
            columns[pos] = Some(store::read_column_from(src, def, seg, pos, bytes)?);
        }
    }
    let whole = sel.len() == seg.meta.rows as usize && sel.len() <= batch;
    for part in sel.chunks(batch) {
        // A run of consecutive rows (every row selected, say) is copied as a slice.
        let run = match (part.first(), part.last()) {
            (Some(&a), Some(&b)) if (b - a) as usize + 1 == part.len() => Some(a as usize),
            _ => None,
        };
        let cols = columns
            .iter_mut()
            .map(|c| {
                if whole {
                    c.take()
                } else {
                    c.as_ref().map(|v| match run {
                        Some(start) => v.slice(start, part.len()),
                        None => v.gather(part),
                    })
                }
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
        let go_on = emit(Batch {
            columns: cols,
            len: part.len(),
            locations,
        })?;
        if !go_on {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A segment's selected rows, and the chunks fetched to select them (column position, bytes).
type Selection = (Vec<u32>, Vec<(usize, Vec<u8>)>);

/// The selected rows of `seg` (`None`: pruned or nothing selected).
fn select(
    txn: &mut (impl Source + ?Sized),
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

/// Scans the delta.
fn scan_delta(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    spec: &ScanSpec,
    stats: &mut ScanStats,
    visit: &mut dyn FnMut(Batch) -> Result<bool>,
) -> Result<()> {
    let batch = spec.batch_size.max(MIN_BATCH);
    let prefix = row_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
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
            if !visit(b)? {
                break;
            }
        }
        if done {
            break;
        }
    }
    Ok(())
}

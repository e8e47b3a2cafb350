//! Writing a columnar table: inserts (a batch of rows becomes whole segments directly, the rest
//! goes to the delta), compaction of the delta into segments, and deletes (a segment row is
//! marked in the segment's deleted-rows bitmap and counted in the column statistics; a delta
//! row is removed). An update is a delete and an insert.
//!
//! Every write first takes the table's segment-state entry for update. That entry is the
//! table's write lock: two writers of one columnar table run one after the other, and under
//! repeatable read the second fails with a retryable write conflict if the first committed
//! after its snapshot — so the state it reads (and the delta it counts) is current.
//!
//! The primary key is enforced across the delta and the segments: a new key is looked up in
//! the delta (one point read) and in every segment whose primary-key zone map admits it
//! (decoding that segment's key columns once per batch).

use std::collections::HashSet;
use std::ops::Bound;

use super::mv::ChangeKind;
use super::store::{self, Segment};
use super::vector::ColumnVector;
use super::{ChunkPredicate, Scalar, may_match};
use crate::Transaction;
use crate::schema::def::{Storage, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{encode_tuple, prefix_end, row_prefix};
use crate::schema::row::{decode_row, encode_row};
use crate::schema::table::{self, entry};
use crate::schema::value::Value;

/// Where a row of a columnar table lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// Row `row` of segment `segment`.
    Segment {
        /// The segment id.
        segment: u64,
        /// The row's position in the segment.
        row: u32,
    },
    /// A delta row, by its primary key's encoding.
    Delta(Vec<u8>),
}

/// The table's row-group size (an error for a row table).
pub fn row_group(def: &TableDef) -> Result<usize> {
    match def.storage {
        Storage::Columnar { row_group } => Ok(row_group as usize),
        Storage::Row => Err(SchemaError::InvalidDefinition {
            name: def.name.clone(),
            reason: "is a row table, not a columnar one".into(),
        }),
    }
}

/// The rows as column vectors, one per column of `def`.
pub fn to_columns(def: &TableDef, rows: &[Vec<Value>]) -> Result<Vec<ColumnVector>> {
    let mut out = Vec::with_capacity(def.columns.len());
    let mut cells = Vec::with_capacity(rows.len());
    for (pos, col) in def.columns.iter().enumerate() {
        cells.clear();
        cells.extend(
            rows.iter()
                .map(|r| r.get(pos).cloned().unwrap_or(Value::Null)),
        );
        out.push(ColumnVector::from_values(col.ty, &cells)?);
    }
    Ok(out)
}

fn pk_bytes(def: &TableDef, row: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_tuple(&mut out, &entry::pk_values(def, row));
    out
}

fn scalar(v: &Value) -> Option<Scalar> {
    Some(match v {
        Value::Int(x) | Value::Timestamp(x) => Scalar::Int(*x),
        Value::Double(x) => Scalar::Double(*x),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Text(s) => Scalar::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => Scalar::Bytes(b.clone()),
        Value::Null => return None,
    })
}

/// Fails with a primary-key violation if a row of `keys` (encoded primary keys, with the rows
/// they came from) already exists in a segment.
fn check_segments(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    keys: &HashSet<Vec<u8>>,
    lead_lo: &Value,
    lead_hi: &Value,
) -> Result<()> {
    let pk_pos = def.primary_key_positions();
    let Some(&lead) = pk_pos.first() else {
        return Ok(());
    };
    let lead_id = def.columns.get(lead).map(|c| c.id).unwrap_or_default();
    let range = match (scalar(lead_lo), scalar(lead_hi)) {
        (Some(lo), Some(hi)) => ChunkPredicate::Between { lo, hi },
        _ => ChunkPredicate::IsNotNull,
    };
    for seg in store::segments(txn, def)? {
        let admits = seg
            .meta
            .chunk(lead_id)
            .is_none_or(|c| may_match(&c.zone, &range));
        if !admits {
            continue;
        }
        let deleted = store::deleted(txn, def, &seg)?;
        let cols = pk_pos
            .iter()
            .map(|&p| store::read_column(txn, def, &seg, p))
            .collect::<Result<Vec<_>>>()?;
        for r in 0..seg.meta.rows as usize {
            if deleted.as_ref().is_some_and(|d| d.get(r)) {
                continue;
            }
            let pk: Vec<Value> = cols
                .iter()
                .zip(&pk_pos)
                .map(|(c, &p)| c.value(r, def.columns[p].ty))
                .collect();
            let mut k = Vec::new();
            encode_tuple(&mut k, &pk);
            if keys.contains(&k) {
                return Err(SchemaError::UniqueViolation {
                    table: def.name.clone(),
                    index: "PRIMARY KEY".into(),
                    key: entry::format_key(&pk),
                });
            }
        }
    }
    Ok(())
}

/// Inserts `rows` (full rows in column order) into the columnar table `def`: checked like any
/// insert, the primary key enforced against the batch, the delta and the segments; whole row
/// groups are written as segments at once, the remainder goes to the delta, and the delta is
/// compacted when it reaches a row group. A partitioned table's rows go to their partitions'
/// own segments instead ([`partitioned::insert`](super::partitioned::insert)). Returns the
/// number of rows inserted.
pub fn insert(txn: &mut Transaction<'_>, def: &TableDef, mut rows: Vec<Vec<Value>>) -> Result<u64> {
    let group = row_group(def)?;
    table::guard(txn)?;
    let mut state = store::state(txn, def, true)?;
    for row in &rows {
        entry::check_row(def, row)?;
    }
    // Sorted by primary key: segments cluster on it, and duplicates sit side by side.
    let mut keyed: Vec<(Vec<u8>, Vec<Value>)> =
        rows.drain(..).map(|r| (pk_bytes(def, &r), r)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(SchemaError::UniqueViolation {
            table: def.name.clone(),
            index: "PRIMARY KEY".into(),
            key: entry::format_key(&entry::pk_values(def, &w[1].1)),
        });
    }
    let n = keyed.len() as u64;
    if n == 0 {
        return Ok(0);
    }
    if state.delta_rows > 0 {
        for (_, row) in &keyed {
            let key = entry::row_key(def, &entry::pk_values(def, row));
            if txn.get(&key)?.is_some() {
                return Err(SchemaError::UniqueViolation {
                    table: def.name.clone(),
                    index: "PRIMARY KEY".into(),
                    key: entry::format_key(&entry::pk_values(def, row)),
                });
            }
        }
    }
    // Keys sort by their leading column first: the batch's range of it is first to last.
    let lead = def.primary_key_positions().first().copied().unwrap_or(0);
    let lead_of = |i: Option<&(Vec<u8>, Vec<Value>)>| {
        i.and_then(|(_, r)| r.get(lead))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (lo, hi) = (lead_of(keyed.first()), lead_of(keyed.last()));
    let keys: HashSet<Vec<u8>> = keyed.iter().map(|(k, _)| k.clone()).collect();
    check_segments(txn, def, &keys, &lo, &hi)?;
    drop(keys);
    let rows: Vec<Vec<Value>> = keyed.into_iter().map(|(_, r)| r).collect();
    super::mv::log::record(txn, def, ChangeKind::Insert, &rows)?;
    if let Some(spec) = &def.partition {
        super::partitioned::insert(txn, def, spec, rows, group)?;
        store::put_state(txn, def, &state)?;
        return Ok(n);
    }
    let full = rows.len() / group * group;
    for chunk in rows[..full].chunks(group) {
        let columns = to_columns(def, chunk)?;
        store::write_segment(txn, def, state.next_segment, &columns)?;
        state.next_segment += 1;
    }
    for row in &rows[full..] {
        let key = entry::row_key(def, &entry::pk_values(def, row));
        txn.put(&key, &encode_row(def, row))?;
        state.delta_rows += 1;
    }
    if state.delta_rows >= group as u64 {
        compact_into(txn, def, &mut state, false)?;
    }
    store::put_state(txn, def, &state)?;
    Ok(n)
}

/// Moves the delta into segments: every whole row group of it, and with `all` the remainder
/// too; of a partitioned table, merges each partition's small segments instead
/// ([`partition_merge`](super::partition_merge)). Returns the number of rows moved.
pub fn compact(txn: &mut Transaction<'_>, def: &TableDef, all: bool) -> Result<u64> {
    row_group(def)?;
    table::guard(txn)?;
    let mut state = store::state(txn, def, true)?;
    let moved = match def.partition {
        Some(_) => super::partition_merge::compact_all(txn, def, row_group(def)?, all)?,
        None => compact_into(txn, def, &mut state, all)?,
    };
    store::put_state(txn, def, &state)?;
    Ok(moved)
}

fn compact_into(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    state: &mut super::segment::State,
    all: bool,
) -> Result<u64> {
    let group = row_group(def)?;
    let prefix = row_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut delta = Vec::new();
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (key, bytes) = e?;
        delta.push((key, decode_row(def, &bytes)?));
    }
    let take = if all {
        delta.len()
    } else {
        delta.len() / group * group
    };
    for chunk in delta[..take].chunks(group) {
        let rows: Vec<Vec<Value>> = chunk.iter().map(|(_, r)| r.clone()).collect();
        store::write_segment(txn, def, state.next_segment, &to_columns(def, &rows)?)?;
        state.next_segment += 1;
        for (key, _) in chunk {
            txn.delete(key)?;
        }
    }
    state.delta_rows = (delta.len() - take) as u64;
    Ok(take as u64)
}

/// Deletes the rows at `locations`. Returns how many existed (and were deleted).
pub fn delete(txn: &mut Transaction<'_>, def: &TableDef, locations: &[Location]) -> Result<u64> {
    row_group(def)?;
    table::guard(txn)?;
    let mut state = store::state(txn, def, true)?;
    // The deleted rows' values, for the change logs of the table's materialized views.
    let logged = !super::mv::log::views_of(txn, def)?.is_empty();
    let mut gone: Vec<Vec<Value>> = Vec::new();
    let mut by_segment: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
    let mut n = 0;
    for loc in locations {
        match loc {
            Location::Segment { segment, row } => {
                by_segment.entry(*segment).or_default().push(*row)
            }
            Location::Delta(pk) => {
                let mut key = row_prefix(def.id);
                key.extend_from_slice(pk);
                if let Some(bytes) = txn.get_for_update(&key)? {
                    if logged {
                        gone.push(decode_row(def, &bytes)?);
                    }
                    txn.delete(&key)?;
                    state.delta_rows = state.delta_rows.saturating_sub(1);
                    n += 1;
                }
            }
        }
    }
    if !by_segment.is_empty() {
        let segments: Vec<Segment> = store::segments(txn, def)?;
        let mut from_segments = 0;
        for (id, mut rows) in by_segment {
            if let Some(seg) = segments.iter().find(|s| s.id == id) {
                if logged {
                    rows.sort_unstable();
                    rows.dedup();
                    gone.extend(live_rows(txn, def, seg, &rows)?);
                }
                from_segments += store::mark_deleted(txn, def, seg, &rows)?;
            }
        }
        super::table_stats::on_delete(txn, def, from_segments)?;
        n += from_segments;
    }
    super::mv::log::record(txn, def, ChangeKind::Delete, &gone)?;
    store::put_state(txn, def, &state)?;
    Ok(n)
}

/// The values of rows `rows` (sorted, distinct) of `seg` that are not deleted yet.
fn live_rows(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    seg: &Segment,
    rows: &[u32],
) -> Result<Vec<Vec<Value>>> {
    let deleted = store::deleted(txn, def, seg)?;
    let live: Vec<usize> = rows
        .iter()
        .map(|&r| r as usize)
        .filter(|&r| r < seg.meta.rows as usize && !deleted.as_ref().is_some_and(|d| d.get(r)))
        .collect();
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![Vec::with_capacity(def.columns.len()); live.len()];
    for (pos, col) in def.columns.iter().enumerate() {
        let vector = store::read_column(txn, def, seg, pos)?;
        for (row, &r) in out.iter_mut().zip(&live) {
            row.push(vector.value(r, col.ty));
        }
    }
    Ok(out)
}

//! Segments in the transactional store: writing one (its chunks and meta entry, in the caller's
//! transaction, so a segment appears at commit or not at all and is as durable as any commit,
//! together with the column statistics it updates),
//! listing a table's segments as a snapshot sees them, and reading chunks and deleted-row
//! bitmaps back — checksums checked, nothing from disk trusted.
//!
//! Keys are in the schema's reserved keyspace ([`ColumnarKey`]); layouts in
//! [`segment`](super::segment).

use std::ops::Bound;

use super::ChunkError;
use super::encoding::{EncodeOptions, decode, encode};
use super::segment::{
    ChunkMeta, SegmentMeta, State, decode_deleted, decode_meta, decode_state, encode_deleted,
    encode_meta, encode_state,
};
use super::vector::{Bitmap, ColumnVector, PhysicalType, Values};
use crate::Transaction;
use crate::db::SnapshotReader;
use crate::schema::def::TableDef;
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{ColumnarKey, columnar_key, columnar_segments_prefix, prefix_end};
use crate::schema::value::Value;

/// Where segment entries are read from: the caller's transaction, or — for the worker threads
/// of a parallel scan — a [`SnapshotReader`] of that transaction's snapshot.
pub trait Source {
    /// The value of `key` as the reader sees it.
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;
}

impl Source for Transaction<'_> {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get(key)?)
    }
}

impl Source for SnapshotReader<'_> {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get(key)?)
    }
}

/// A segment as a scan sees it: its id and meta entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// The segment id.
    pub id: u64,
    /// Its meta entry.
    pub meta: SegmentMeta,
}

/// `err` as a corruption of `what` in table `def`.
pub fn corrupt(def: &TableDef, what: impl std::fmt::Display, err: ChunkError) -> SchemaError {
    SchemaError::Corrupt {
        what: format!("columnar table `{}`, {what}", def.name),
        reason: err.to_string(),
    }
}

/// The table's segment state (the default before its first segment or delta row).
pub fn state(txn: &mut Transaction<'_>, def: &TableDef, for_update: bool) -> Result<State> {
    let key = columnar_key(def.id, ColumnarKey::State);
    let bytes = if for_update {
        txn.get_for_update(&key)?
    } else {
        txn.get(&key)?
    };
    match bytes {
        Some(b) => decode_state(&b).map_err(|e| corrupt(def, "segment state", e)),
        None => Ok(State::default()),
    }
}

/// Stores the table's segment state.
pub fn put_state(txn: &mut Transaction<'_>, def: &TableDef, s: &State) -> Result<()> {
    txn.put(&columnar_key(def.id, ColumnarKey::State), &encode_state(s))?;
    Ok(())
}

/// Encodes `columns` (one vector per column of `def`, in column order, all of one length) into
/// a new segment with id `id`, written in `txn`, its statistics merged into the table's
/// ([`super::table_stats::on_segment`]). Returns its meta entry.
pub fn write_segment(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    id: u64,
    columns: &[ColumnVector],
) -> Result<SegmentMeta> {
    let rows = columns.first().map_or(0, ColumnVector::len);
    let mut chunks = Vec::with_capacity(columns.len());
    for (col, vector) in def.columns.iter().zip(columns) {
        debug_assert_eq!(vector.len(), rows);
        let chunk = encode(vector, &EncodeOptions::default());
        txn.put(
            &columnar_key(def.id, ColumnarKey::Chunk(id, col.id)),
            &chunk.bytes,
        )?;
        chunks.push(ChunkMeta {
            column: col.id,
            ty: PhysicalType::of(col.ty),
            bytes: chunk.bytes.len() as u32,
            plain_bytes: plain_size(vector),
            zone: chunk.zone,
            encoding: chunk.encoding.to_string(),
        });
    }
    let meta = SegmentMeta {
        rows: rows as u32,
        chunks,
    };
    txn.put(
        &columnar_key(def.id, ColumnarKey::Segment(id)),
        &encode_meta(&meta),
    )?;
    super::table_stats::on_segment(txn, def, id, columns)?;
    Ok(meta)
}

/// The plain fixed-width size of `v` ([`ChunkMeta::plain_bytes`]).
pub fn plain_size(v: &ColumnVector) -> u64 {
    match &v.values {
        Values::Int(x) => 8 * x.len() as u64,
        Values::Double(x) => 8 * x.len() as u64,
        Values::Bool(x) => x.len() as u64,
        Values::Bytes(c) => c.data().len() as u64 + 4 * c.len() as u64,
    }
}

/// Every segment of the table the transaction sees, in id order.
pub fn segments(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<Segment>> {
    let prefix = columnar_segments_prefix(def.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    segments_in(txn, def, &prefix, &end)
}

/// The segments of the table with ids in `from..to` (to `None`: all from `from` on), in id
/// order.
pub fn segments_between(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    from: u64,
    to: Option<u64>,
) -> Result<Vec<Segment>> {
    let prefix = columnar_segments_prefix(def.id);
    let start = columnar_key(def.id, ColumnarKey::Segment(from));
    let end = match to {
        Some(to) => columnar_key(def.id, ColumnarKey::Segment(to)),
        None => prefix_end(&prefix).unwrap_or_default(),
    };
    segments_in(txn, def, &start, &end)
}

fn segments_in(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    start: &[u8],
    end: &[u8],
) -> Result<Vec<Segment>> {
    let prefix = columnar_segments_prefix(def.id);
    let mut out = Vec::new();
    for entry in txn.range(Bound::Included(start), Bound::Excluded(end), false)? {
        let (key, bytes) = entry?;
        let id = key
            .get(prefix.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| SchemaError::Corrupt {
                what: format!("columnar table `{}`", def.name),
                reason: format!("a segment key of {} bytes", key.len()),
            })?;
        let meta =
            decode_meta(&bytes).map_err(|e| corrupt(def, format_args!("segment {id} meta"), e))?;
        out.push(Segment { id, meta });
    }
    Ok(out)
}

/// The raw chunk of column `column` (a position in `def.columns`) of `seg`, or `None` when the
/// segment predates the column.
pub fn chunk_bytes(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
    seg: &Segment,
    column: usize,
) -> Result<Option<Vec<u8>>> {
    let Some(col) = def.columns.get(column) else {
        return Ok(None);
    };
    let Some(meta) = seg.meta.chunk(col.id) else {
        return Ok(None);
    };
    let key = columnar_key(def.id, ColumnarKey::Chunk(seg.id, col.id));
    let bytes = txn.read(&key)?.ok_or_else(|| SchemaError::Corrupt {
        what: format!("columnar table `{}`, segment {}", def.name, seg.id),
        reason: format!("the chunk of column `{}` is missing", col.name),
    })?;
    if bytes.len() != meta.bytes as usize {
        return Err(SchemaError::Corrupt {
            what: format!("columnar table `{}`, segment {}", def.name, seg.id),
            reason: format!(
                "the chunk of column `{}` has {} bytes, its meta entry says {}",
                col.name,
                bytes.len(),
                meta.bytes
            ),
        });
    }
    Ok(Some(bytes))
}

/// Column `column` (a position in `def.columns`) of `seg`, decoded. A column the segment
/// predates reads as its default in every row.
pub fn read_column(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
    seg: &Segment,
    column: usize,
) -> Result<ColumnVector> {
    read_column_from(txn, def, seg, column, None)
}

/// [`read_column`], decoding `bytes` when the caller already fetched the chunk (with
/// [`chunk_bytes`]).
pub fn read_column_from(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
    seg: &Segment,
    column: usize,
    bytes: Option<Vec<u8>>,
) -> Result<ColumnVector> {
    let rows = seg.meta.rows as usize;
    let Some(col) = def.columns.get(column) else {
        return Err(SchemaError::Corrupt {
            what: format!("columnar table `{}`", def.name),
            reason: format!("column position {column} is past the table's columns"),
        });
    };
    let bytes = match bytes {
        Some(b) => Some(b),
        None => chunk_bytes(txn, def, seg, column)?,
    };
    match bytes {
        Some(bytes) => decode(&bytes, PhysicalType::of(col.ty), rows).map_err(|e| {
            corrupt(
                def,
                format_args!("segment {} column `{}`", seg.id, col.name),
                e,
            )
        }),
        None => {
            let fill = col.default.clone().unwrap_or(Value::Null);
            ColumnVector::from_values(col.ty, &vec![fill; rows]).map_err(SchemaError::from)
        }
    }
}

/// The deleted rows of `seg` (`None`: none deleted).
pub fn deleted(
    txn: &mut (impl Source + ?Sized),
    def: &TableDef,
    seg: &Segment,
) -> Result<Option<Bitmap>> {
    let key = columnar_key(def.id, ColumnarKey::Deleted(seg.id));
    match txn.read(&key)? {
        Some(b) => decode_deleted(&b, seg.meta.rows)
            .map(Some)
            .map_err(|e| corrupt(def, format_args!("segment {} deleted rows", seg.id), e)),
        None => Ok(None),
    }
}

/// Marks rows `rows` of `seg` deleted (read-modify-write of its bitmap under the key's lock).
/// Returns how many were not deleted before.
pub fn mark_deleted(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    seg: &Segment,
    rows: &[u32],
) -> Result<u64> {
    let key = columnar_key(def.id, ColumnarKey::Deleted(seg.id));
    let mut bits = match txn.get_for_update(&key)? {
        Some(b) => decode_deleted(&b, seg.meta.rows)
            .map_err(|e| corrupt(def, format_args!("segment {} deleted rows", seg.id), e))?,
        None => Bitmap::none(seg.meta.rows as usize),
    };
    let mut newly = 0;
    for &r in rows {
        let r = r as usize;
        if r < bits.len() && !bits.get(r) {
            bits.set(r, true);
            newly += 1;
        }
    }
    if newly > 0 {
        txn.put(&key, &encode_deleted(&bits))?;
    }
    Ok(newly)
}

//! What a columnar table's columns take on disk: per column, the bytes of its chunks, its plain
//! fixed-width size, and which encodings its chunks use — read from the segment meta entries
//! alone (no chunk is decoded). Behind the compression figures of `ldb bench tpch` and
//! `ldb columnar`.

use std::collections::BTreeMap;

use super::store;
use crate::Transaction;
use crate::schema::def::TableDef;
use crate::schema::error::Result;

/// One column's size.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSize {
    /// The column's name.
    pub column: String,
    /// Bytes of its encoded chunks (checksums included).
    pub stored: u64,
    /// Its plain fixed-width size.
    pub plain: u64,
    /// Each encoding its chunks use, with the number of segments using it.
    pub encodings: BTreeMap<String, u64>,
}

impl ColumnSize {
    /// Plain size over stored size (0 for an empty column).
    pub fn ratio(&self) -> f64 {
        if self.stored == 0 {
            0.0
        } else {
            self.plain as f64 / self.stored as f64
        }
    }
}

/// Every column of `def` (in column order) over the segments `txn` sees. The delta is not
/// counted: its rows are not encoded yet.
pub fn column_sizes(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<ColumnSize>> {
    let mut out: Vec<ColumnSize> = def
        .columns
        .iter()
        .map(|c| ColumnSize {
            column: c.name.clone(),
            stored: 0,
            plain: 0,
            encodings: BTreeMap::new(),
        })
        .collect();
    for seg in store::segments(txn, def)? {
        for (col, size) in def.columns.iter().zip(out.iter_mut()) {
            if let Some(chunk) = seg.meta.chunk(col.id) {
                size.stored += u64::from(chunk.bytes);
                size.plain += chunk.plain_bytes;
                *size.encodings.entry(chunk.encoding.clone()).or_default() += 1;
            }
        }
    }
    Ok(out)
}

//! Range scans over a table's rows and over one index: prefix bounds to byte bounds, and the
//! iterators that decode what the range yields.

use std::ops::Bound;

use crate::db::TxnRange;
use crate::schema::def::{IndexDef, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{KeyReader, encode_tuple, prefix_end};
use crate::schema::row::decode_row;
use crate::schema::value::{ColumnType, Value};

use super::entry::{column_types, pk_types};

fn end_of(prefix: &[u8]) -> Vec<u8> {
    prefix_end(prefix).expect("schema keys start with FF 53, so they are never all 0xFF")
}

fn with(prefix: &[u8], values: &[Value]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    encode_tuple(&mut k, values);
    k
}

/// Byte bounds for the keys under `prefix` whose leading values are bounded by `lo` / `hi`
/// (each bound is over a prefix of the key's columns: `Included([5])` as an upper bound takes
/// every key that starts with 5, `Excluded([5])` as a lower bound skips them all).
pub fn byte_bounds(
    prefix: &[u8],
    lo: Bound<&[Value]>,
    hi: Bound<&[Value]>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let lo = match lo {
        Bound::Unbounded => Bound::Included(prefix.to_vec()),
        Bound::Included(v) => Bound::Included(with(prefix, v)),
        Bound::Excluded(v) => Bound::Included(end_of(&with(prefix, v))),
    };
    let hi = match hi {
        Bound::Unbounded => Bound::Excluded(end_of(prefix)),
        Bound::Included(v) => Bound::Excluded(end_of(&with(prefix, v))),
        Bound::Excluded(v) => Bound::Excluded(with(prefix, v)),
    };
    (lo, hi)
}

/// The rows of a table in primary-key order (or reverse), each as a full row.
pub struct RowIter<'db> {
    pub(super) inner: TxnRange<'db>,
    pub(super) def: TableDef,
}

impl Iterator for RowIter<'_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.inner.next()?;
        Some(
            entry
                .map_err(SchemaError::from)
                .and_then(|(_, v)| decode_row(&self.def, &v)),
        )
    }
}

/// Decodes one index's entries into the primary keys they point at.
pub struct IndexDecoder {
    what: String,
    unique: bool,
    prefix_len: usize,
    index_types: Vec<ColumnType>,
    pk_types: Vec<ColumnType>,
}

impl IndexDecoder {
    /// The decoder of `index`'s entries.
    pub fn new(def: &TableDef, index: &IndexDef) -> Self {
        IndexDecoder {
            what: format!("entry of index `{}` of table `{}`", index.name, def.name),
            unique: index.unique,
            prefix_len: crate::schema::keys::index_prefix(def.id, index.id).len(),
            index_types: column_types(def, &index.columns),
            pk_types: pk_types(def),
        }
    }

    /// The primary key the entry `(key, value)` points at (`Corrupt` if it does not decode).
    pub fn decode(&self, key: &[u8], value: &[u8]) -> Result<Vec<Value>> {
        let rest = key.get(self.prefix_len..).unwrap_or_default();
        let mut r = KeyReader::new(rest, &self.what);
        let indexed = r.tuple(&self.index_types)?;
        if self.unique {
            let pk = crate::schema::keys::decode_tuple(value, &self.pk_types, &self.what)?;
            // An entry with a NULL among its values carries the primary key in its key too.
            if indexed.iter().any(Value::is_null) {
                r.tuple(&self.pk_types)?;
            }
            r.finish()?;
            Ok(pk)
        } else {
            if !value.is_empty() {
                return Err(SchemaError::Corrupt {
                    what: self.what.clone(),
                    reason: format!("non-unique entry has a {}-byte value", value.len()),
                });
            }
            let pk = r.tuple(&self.pk_types)?;
            r.finish()?;
            Ok(pk)
        }
    }
}

/// The primary keys of the entries of one index, in index order (or reverse).
pub struct IndexIter<'db> {
    inner: TxnRange<'db>,
    decoder: IndexDecoder,
}

impl<'db> IndexIter<'db> {
    pub(super) fn new(inner: TxnRange<'db>, def: &TableDef, index: &IndexDef) -> Self {
        IndexIter {
            inner,
            decoder: IndexDecoder::new(def, index),
        }
    }
}

impl Iterator for IndexIter<'_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.inner.next()?;
        Some(
            entry
                .map_err(SchemaError::from)
                .and_then(|(k, v)| self.decoder.decode(&k, &v)),
        )
    }
}

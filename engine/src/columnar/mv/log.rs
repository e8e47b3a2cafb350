//! Materialized views' change logs. Every write of a columnar table that has views appends, in
//! the writing transaction, one entry per view: `FF 53 04 <table id> 05 <view id u32 BE>
//! <seq u64 BE>` → `kind u8 (1 insert, 2 delete) | rows u32 LE | rows × (len u32 LE, row
//! value)`, each row in the row value encoding (`engine/FORMAT.md`, "Row values") of the table
//! as it was written. An update logs a delete and an insert; compaction moves rows between the
//! delta and segments without changing the table's contents and logs nothing. A rolled-back
//! transaction's entries vanish with it.
//!
//! Reading the log decodes every entry with bounds checks and requires the sequence numbers to
//! run without a gap from the view's applied position to its next position.

#![deny(clippy::indexing_slicing)]

use std::ops::Bound;

use super::state::{self, ViewState};
use crate::Transaction;
use crate::schema::catalog::{ViewDef, load_views};
use crate::schema::def::TableDef;
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{ColumnarKey, columnar_key, columnar_mvlog_prefix, prefix_end};
use crate::schema::row::{decode_row, encode_row};
use crate::schema::value::Value;
use crate::util::codec::{Reader, push_u32};

/// What a log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Rows inserted.
    Insert,
    /// Rows deleted.
    Delete,
}

/// One decoded log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Its sequence number.
    pub seq: u64,
    /// Inserted or deleted.
    pub kind: ChangeKind,
    /// The rows, full width in the table's column order.
    pub rows: Vec<Vec<Value>>,
}

/// The views over `def`, as `txn` sees the catalog.
pub fn views_of(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<ViewDef>> {
    Ok(load_views(txn)?
        .into_iter()
        .filter(|v| v.base == def.id)
        .collect())
}

/// Encodes one log entry's value.
pub fn encode_entry(def: &TableDef, kind: ChangeKind, rows: &[Vec<Value>]) -> Vec<u8> {
    let mut out = vec![match kind {
        ChangeKind::Insert => 1,
        ChangeKind::Delete => 2,
    }];
    push_u32(&mut out, rows.len() as u32);
    for r in rows {
        let bytes = encode_row(def, r);
        push_u32(&mut out, bytes.len() as u32);
        out.extend_from_slice(&bytes);
    }
    out
}

/// Decodes log entry `seq` of view `view` over `def`.
pub fn decode_entry(def: &TableDef, view: &str, seq: u64, bytes: &[u8]) -> Result<Change> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: format!("change log of materialized view `{view}`, entry {seq}"),
        reason,
    };
    let mut r = Reader::new(bytes);
    let kind = match r.u8().map_err(|e| corrupt(e.to_string()))? {
        1 => ChangeKind::Insert,
        2 => ChangeKind::Delete,
        k => return Err(corrupt(format!("kind {k} (expected 1 insert or 2 delete)"))),
    };
    let n = r.u32().map_err(|e| corrupt(e.to_string()))? as usize;
    let mut rows = Vec::with_capacity(n.min(r.remaining() / 4 + 1));
    for i in 0..n {
        let len = r.u32().map_err(|e| corrupt(format!("row {i}: {e}")))? as usize;
        let b = r.bytes(len).map_err(|e| corrupt(format!("row {i}: {e}")))?;
        rows.push(decode_row(def, b).map_err(|e| corrupt(format!("row {i}: {e}")))?);
    }
    if !r.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.remaining())));
    }
    Ok(Change { seq, kind, rows })
}

/// Appends `rows` as one `kind` entry to the log of every view over `def` (nothing when it has
/// none or `rows` is empty).
pub fn record(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    kind: ChangeKind,
    rows: &[Vec<Value>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let views = views_of(txn, def)?;
    if views.is_empty() {
        return Ok(());
    }
    let value = encode_entry(def, kind, rows);
    for v in &views {
        let mut st: ViewState = state::get(txn, v.id, true)?;
        txn.put(
            &columnar_key(def.id, ColumnarKey::MvLog(v.id, st.next)),
            &value,
        )?;
        st.next += 1;
        state::put(txn, v.id, &st)?;
    }
    Ok(())
}

/// The sequence number in a log key under `prefix`.
fn seq_of(view: &ViewDef, prefix: &[u8], key: &[u8]) -> Result<u64> {
    key.get(prefix.len()..)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| SchemaError::Corrupt {
            what: format!("change log of materialized view `{}`", view.name),
            reason: format!("a log key of {} bytes", key.len()),
        })
}

/// Every entry of `view`'s log, decoded, after checking that they are exactly the entries
/// `st.applied ..< st.next`.
pub fn entries(
    txn: &mut Transaction<'_>,
    base: &TableDef,
    view: &ViewDef,
    st: &ViewState,
) -> Result<Vec<Change>> {
    let prefix = columnar_mvlog_prefix(base.id, view.id);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut out = Vec::new();
    let mut expect = st.applied;
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (key, bytes) = e?;
        let seq = seq_of(view, &prefix, &key)?;
        if seq != expect || seq >= st.next {
            return Err(SchemaError::Corrupt {
                what: format!("change log of materialized view `{}`", view.name),
                reason: format!(
                    "entry {seq} where entry {expect} was expected (unapplied entries are {} ..< {})",
                    st.applied, st.next
                ),
            });
        }
        out.push(decode_entry(base, &view.name, seq, &bytes)?);
        expect += 1;
    }
    if expect != st.next {
        return Err(SchemaError::Corrupt {
            what: format!("change log of materialized view `{}`", view.name),
            reason: format!(
                "entries {expect} ..< {} are missing (the refresh state says they exist)",
                st.next
            ),
        });
    }
    Ok(out)
}

/// Deletes every entry of `view`'s log over table `base` (applied, or the view dropped).
pub fn clear(txn: &mut Transaction<'_>, base: u32, view: u32) -> Result<u64> {
    let prefix = columnar_mvlog_prefix(base, view);
    let end = prefix_end(&prefix).unwrap_or_default();
    let keys: Vec<Vec<u8>> = txn
        .range(Bound::Included(&prefix), Bound::Excluded(&end), false)?
        .map(|e| e.map(|(k, _)| k))
        .collect::<std::result::Result<_, _>>()?;
    for k in &keys {
        txn.delete(k)?;
    }
    Ok(keys.len() as u64)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::schema::def::{ColumnDef, Storage};
    use crate::schema::value::ColumnType;

    fn table() -> TableDef {
        let col = |id, name: &str, ty| ColumnDef {
            id,
            name: name.into(),
            ty,
            not_null: false,
            default: None,
        };
        TableDef {
            id: 3,
            name: "t".into(),
            columns: vec![col(1, "id", ColumnType::Int), col(2, "g", ColumnType::Text)],
            primary_key: vec![1],
            indexes: Vec::new(),
            version: 1,
            next_column_id: 3,
            next_index_id: 1,
            storage: Storage::Columnar { row_group: 1024 },
            partition: None,
        }
    }

    #[test]
    fn entries_round_trip_and_every_truncation_is_refused() {
        let def = table();
        let rows = vec![
            vec![Value::Int(1), Value::Text("a".into())],
            vec![Value::Int(2), Value::Null],
        ];
        let b = encode_entry(&def, ChangeKind::Delete, &rows);
        let c = decode_entry(&def, "v", 5, &b).expect("decodes");
        assert_eq!((c.seq, c.kind, c.rows), (5, ChangeKind::Delete, rows));
        for cut in 0..b.len() {
            assert!(
                decode_entry(&def, "v", 5, &b[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut bad = b.clone();
        bad[0] = 3;
        let err = decode_entry(&def, "v", 5, &bad).expect_err("kind 3");
        assert!(err.to_string().contains("`v`, entry 5"), "{err}");
        let mut longer = b;
        longer.push(0);
        assert!(decode_entry(&def, "v", 5, &longer).is_err());
    }
}

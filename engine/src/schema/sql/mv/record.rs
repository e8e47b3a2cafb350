//! Refresh records: one per refresh of a view, `FF 53 05 <view id> 02 <number u64 BE>` →
//! `01 | kind u8 (1 full, 2 incremental) | lsn u64 | log_position u64 | delta_rows u64 |
//! rows u64 | at_us u64 | fingerprint [32]` (74 bytes, little-endian). The newest
//! [`KEPT_RECORDS`] are kept; a refresh deletes the one that falls out.

#![deny(clippy::indexing_slicing)]

use std::ops::Bound;

use super::super::super::catalog::ViewDef;
use super::super::super::error::{Result, SchemaError};
use super::super::super::keys::{MvKey, mv_key, mv_part_prefix, prefix_end};
use super::super::super::value::{ColumnType, Value};
use super::super::exec::Rows;
use crate::Transaction;
use crate::util::codec::{Reader, push_u64};

/// How many refresh records a view keeps (the newest).
pub const KEPT_RECORDS: u64 = 100;
/// A record's size in bytes.
pub const RECORD_LEN: usize = 74;

/// How a refresh brought the view up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshKind {
    /// Recomputed from the base table.
    Full,
    /// The change log applied to the stored groups.
    Incremental,
}

impl RefreshKind {
    /// `full` or `incremental`.
    pub fn name(self) -> &'static str {
        match self {
            RefreshKind::Full => "full",
            RefreshKind::Incremental => "incremental",
        }
    }
}

/// One refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Its number (0 for the refresh `CREATE` runs).
    pub number: u64,
    /// Full or incremental.
    pub kind: RefreshKind,
    /// The LSN of the snapshot of the base table it read.
    pub lsn: u64,
    /// The change-log position it brought the view to (every entry below it applied).
    pub log_position: u64,
    /// Logged base rows applied (0 for a full refresh).
    pub delta_rows: u64,
    /// The result's rows after it.
    pub rows: u64,
    /// When it ran, microseconds since the Unix epoch.
    pub at_us: u64,
    /// SHA-256 over the result rows in key order (see `refresh::fingerprint`).
    pub fingerprint: [u8; 32],
}

/// Encodes a record.
pub fn encode_record(r: &RefreshRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_LEN);
    out.push(1);
    out.push(match r.kind {
        RefreshKind::Full => 1,
        RefreshKind::Incremental => 2,
    });
    for v in [r.lsn, r.log_position, r.delta_rows, r.rows, r.at_us] {
        push_u64(&mut out, v);
    }
    out.extend_from_slice(&r.fingerprint);
    out
}

/// Decodes record `number` of view `view`.
pub fn decode_record(view: &str, number: u64, bytes: &[u8]) -> Result<RefreshRecord> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: format!("materialized view `{view}`, refresh record {number}"),
        reason,
    };
    if bytes.len() != RECORD_LEN {
        return Err(corrupt(format!(
            "{} bytes, expected {RECORD_LEN}",
            bytes.len()
        )));
    }
    let mut r = Reader::new(bytes);
    let e = |e: crate::util::codec::DecodeError| corrupt(e.to_string());
    let format = r.u8().map_err(e)?;
    if format != 1 {
        return Err(corrupt(format!("format {format}, expected 1")));
    }
    let kind = match r.u8().map_err(e)? {
        1 => RefreshKind::Full,
        2 => RefreshKind::Incremental,
        k => {
            return Err(corrupt(format!(
                "kind {k} (expected 1 full or 2 incremental)"
            )));
        }
    };
    let mut f = [0u64; 5];
    for slot in &mut f {
        *slot = r.u64().map_err(e)?;
    }
    let mut fingerprint = [0u8; 32];
    fingerprint.copy_from_slice(r.bytes(32).map_err(e)?);
    let [lsn, log_position, delta_rows, rows, at_us] = f;
    Ok(RefreshRecord {
        number,
        kind,
        lsn,
        log_position,
        delta_rows,
        rows,
        at_us,
        fingerprint,
    })
}

/// Stores `r` and deletes the record that falls out of the newest [`KEPT_RECORDS`].
pub fn put(txn: &mut Transaction<'_>, view: u32, r: &RefreshRecord) -> Result<()> {
    txn.put(&mv_key(view, MvKey::Refresh(r.number)), &encode_record(r))?;
    if let Some(old) = r.number.checked_sub(KEPT_RECORDS) {
        txn.delete(&mv_key(view, MvKey::Refresh(old)))?;
    }
    Ok(())
}

/// Every kept record of `view`, oldest first.
pub fn list(txn: &mut Transaction<'_>, view: &ViewDef) -> Result<Vec<RefreshRecord>> {
    let prefix = mv_part_prefix(view.id, 0x02);
    let end = prefix_end(&prefix).unwrap_or_default();
    let mut out = Vec::new();
    for e in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (k, v) = e?;
        let number = k
            .get(prefix.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| SchemaError::Corrupt {
                what: format!("materialized view `{}`", view.name),
                reason: format!("a refresh record key of {} bytes", k.len()),
            })?;
        out.push(decode_record(&view.name, number, &v)?);
    }
    Ok(out)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `SHOW REFRESHES`: one row per kept record, oldest first.
pub fn rows(records: &[RefreshRecord]) -> Rows {
    let cols = [
        ("refresh", ColumnType::Int),
        ("kind", ColumnType::Text),
        ("lsn", ColumnType::Int),
        ("log_position", ColumnType::Int),
        ("delta_rows", ColumnType::Int),
        ("rows", ColumnType::Int),
        ("fingerprint", ColumnType::Text),
        ("at", ColumnType::Timestamp),
    ];
    let int = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
    Rows {
        columns: cols.iter().map(|(n, _)| n.to_string()).collect(),
        types: cols.iter().map(|(_, t)| Some(*t)).collect(),
        rows: records
            .iter()
            .map(|r| {
                vec![
                    int(r.number),
                    Value::Text(r.kind.name().into()),
                    int(r.lsn),
                    int(r.log_position),
                    int(r.delta_rows),
                    int(r.rows),
                    Value::Text(hex(&r.fingerprint)),
                    Value::Timestamp(i64::try_from(r.at_us).unwrap_or(i64::MAX)),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_bytes_are_refused() {
        let r = RefreshRecord {
            number: 4,
            kind: RefreshKind::Incremental,
            lsn: 1234,
            log_position: 9,
            delta_rows: 17,
            rows: 3,
            at_us: 1_800_000_000_000_000,
            fingerprint: [7; 32],
        };
        let b = encode_record(&r);
        assert_eq!(b.len(), RECORD_LEN);
        assert_eq!(decode_record("v", 4, &b).expect("decodes"), r);
        for cut in 0..b.len() {
            assert!(decode_record("v", 4, &b[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = b.clone();
        bad[1] = 9;
        let err = decode_record("v", 4, &bad).expect_err("kind 9");
        assert!(err.to_string().contains("kind 9"), "{err}");
        assert!(err.to_string().contains("`v`, refresh record 4"), "{err}");
    }
}

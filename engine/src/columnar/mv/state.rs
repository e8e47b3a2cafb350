//! A materialized view's refresh state, `FF 53 05 <view id u32 BE> 00`:
//! `01 | applied u64 | next u64 | commits u64 | refreshed_us u64 | refreshes u64` (41 bytes,
//! little-endian). Log entries `applied ..< next` are the changes not yet applied; `commits`
//! counts the commits that changed the base table since the last refresh; `refreshed_us` is
//! when that refresh ran (microseconds since the Unix epoch); `refreshes` is how many refreshes
//! ran (the next refresh record's number).
//!
//! Every writer of the base table updates this entry (it appends to the log), and so does every
//! refresh: it serializes refreshes with the base table's writers.

#![deny(clippy::indexing_slicing)]

use crate::Transaction;
use crate::schema::error::{Result, SchemaError};
use crate::schema::keys::{MvKey, mv_key};
use crate::util::codec::{Reader, push_u64};

/// The state entry's format version.
pub const STATE_FORMAT: u8 = 1;
/// The state entry's size in bytes.
pub const STATE_LEN: usize = 41;

/// A view's refresh state (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    /// The first log sequence number not yet applied.
    pub applied: u64,
    /// The sequence number the next log entry gets.
    pub next: u64,
    /// Commits that changed the base table since the last refresh.
    pub commits: u64,
    /// When the last refresh ran, microseconds since the Unix epoch (0: never).
    pub refreshed_us: u64,
    /// Refreshes run so far.
    pub refreshes: u64,
}

impl ViewState {
    /// Whether log entries are waiting to be applied.
    pub fn pending(&self) -> bool {
        self.next > self.applied
    }
}

/// Encodes a state entry.
pub fn encode_state(s: &ViewState) -> Vec<u8> {
    let mut out = Vec::with_capacity(STATE_LEN);
    out.push(STATE_FORMAT);
    for v in [s.applied, s.next, s.commits, s.refreshed_us, s.refreshes] {
        push_u64(&mut out, v);
    }
    out
}

/// Decodes view `view`'s state entry.
pub fn decode_state(view: u32, bytes: &[u8]) -> Result<ViewState> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: format!("refresh state of materialized view {view}"),
        reason,
    };
    if bytes.len() != STATE_LEN {
        return Err(corrupt(format!(
            "{} bytes, expected {STATE_LEN}",
            bytes.len()
        )));
    }
    let mut r = Reader::new(bytes);
    let format = r.u8().map_err(|e| corrupt(e.to_string()))?;
    if format != STATE_FORMAT {
        return Err(corrupt(format!("format {format}, expected {STATE_FORMAT}")));
    }
    let mut f = [0u64; 5];
    for slot in &mut f {
        *slot = r.u64().map_err(|e| corrupt(e.to_string()))?;
    }
    let [applied, next, commits, refreshed_us, refreshes] = f;
    if applied > next {
        return Err(corrupt(format!(
            "applied position {applied} is past the next log position {next}"
        )));
    }
    Ok(ViewState {
        applied,
        next,
        commits,
        refreshed_us,
        refreshes,
    })
}

/// View `view`'s state (the default when it has none), taking the entry's lock with
/// `for_update`.
pub fn get(txn: &mut Transaction<'_>, view: u32, for_update: bool) -> Result<ViewState> {
    let key = mv_key(view, MvKey::State);
    let bytes = if for_update {
        txn.get_for_update(&key)?
    } else {
        txn.get(&key)?
    };
    match bytes {
        Some(b) => decode_state(view, &b),
        None => Ok(ViewState::default()),
    }
}

/// Stores view `view`'s state.
pub fn put(txn: &mut Transaction<'_>, view: u32, s: &ViewState) -> Result<()> {
    txn.put(&mv_key(view, MvKey::State), &encode_state(s))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_bad_bytes_are_refused() {
        let s = ViewState {
            applied: 3,
            next: 7,
            commits: 2,
            refreshed_us: 1_700_000_000_000_000,
            refreshes: 4,
        };
        let b = encode_state(&s);
        assert_eq!(b.len(), STATE_LEN);
        assert_eq!(decode_state(1, &b).expect("decodes"), s);
        assert!(decode_state(1, &b[..40]).is_err());
        let mut bad = b.clone();
        bad[0] = 2;
        assert!(decode_state(1, &bad).is_err());
        let backwards = ViewState { applied: 8, ..s };
        let err = decode_state(1, &encode_state(&backwards)).expect_err("applied > next");
        assert!(
            err.to_string().contains("past the next log position"),
            "{err}"
        );
    }
}

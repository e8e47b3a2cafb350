//! History checking: record what concurrent transactions read and wrote, then prove the
//! recorded history is serializable (or snapshot-isolated) by looking for cycles in its
//! dependency graph — the idea behind Elle, applied to our own transactions.
//!
//! The pipeline, in order:
//! 1. **Record** ([`record`]): threads share a [`Recorder`]; each transaction runs through
//!    [`Recorder::run`], which logs every read (key → value observed, `None` for absent), every
//!    range scan (its bounds and every key it saw) and every write. Written values are unique
//!    across the whole history (the recorder hands them out), so each read names exactly one
//!    writer, or the initial state. Only the committed attempt of a retried transaction is
//!    recorded; the values an aborted attempt wrote are remembered as aborted.
//! 2. **Order versions** ([`graph`]): the versions of each key are ordered by the commit LSN of
//!    their writers (a key's writers commit one at a time under its lock, so their LSNs order
//!    them); the initial state comes first.
//! 3. **Build the dependency graph** ([`graph`]) over committed transactions: `ww` (a writer to
//!    the writer of the next version of a key), `wr` (a writer to a transaction that read its
//!    version), `rw` (a reader to the writer of the version after the one it read — including,
//!    for range scans, the first writer of a key the scan saw as absent).
//! 4. **Flag bad reads** ([`check`]): values no committed transaction wrote (aborted — G1a — or
//!    never written at all), intermediate values (G1b), a key read twice with different results,
//!    own writes not seen, versions committed after the reader, and reads that do not return the
//!    version the recorded order says the reader's read point saw.
//! 5. **Find cycles** ([`cycles`]): any cycle in the graph is a serializability violation; a
//!    cycle without two consecutive `rw` edges (a cycle of `(ww|wr);rw?`) is one snapshot
//!    isolation forbids too. Each is reported with its transactions and edges, classified as
//!    G0, G1c, G-single or G2.
//!
//! [`workload`] is the seeded multi-threaded workload the tests and `ldb drill history` run.
//! The recorder and the workload drive the public [`crate::Database`] API from outside, as a
//! client would; the checker itself depends only on the recorded [`History`].

pub mod check;
pub mod cycles;
pub mod graph;
pub mod record;
pub mod workload;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use crate::txn::IsolationLevel;
use crate::types::{Lsn, TxnId};

pub use check::{Anomaly, CheckReport, check};
pub use cycles::{Cycle, CycleKind, Edge, EdgeKind};
pub use record::{Recorder, RecordingTxn};
pub use workload::{HistoryConfig, HistoryRun, run_workload};

/// One operation of a committed transaction, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistOp {
    /// A point read and what it returned (`None`: absent).
    Read {
        /// The key read.
        key: Vec<u8>,
        /// The value observed.
        value: Option<Vec<u8>>,
    },
    /// A range scan: its bounds and every entry it returned. A key inside the bounds that the
    /// scan did not return was read as absent.
    Scan {
        /// Lower bound.
        from: Bound<Vec<u8>>,
        /// Upper bound.
        to: Bound<Vec<u8>>,
        /// Every `(key, value)` the scan returned.
        seen: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// A write of a (history-unique) value.
    Write {
        /// The key written.
        key: Vec<u8>,
        /// The value written.
        value: Vec<u8>,
    },
}

/// A committed transaction as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnRecord {
    /// The engine's id of the transaction (shared by every attempt of a retried one).
    pub txn: TxnId,
    /// The level it ran at.
    pub level: IsolationLevel,
    /// The LSN its commit reported ([`crate::CommitInfo::lsn`]): the LSN of its log record if it
    /// wrote, else the LSN of the state it read.
    pub commit_lsn: Lsn,
    /// The LSN of the state every read claims to see, if the level promises one: the snapshot
    /// for `RepeatableRead`; the commit LSN for `Serializable` (strict two-phase locking holds
    /// every read lock until the commit, so nothing a read saw changes before it). `None` skips
    /// the read-point check for this transaction.
    pub reads_at: Option<Lsn>,
    /// Its operations in order.
    pub ops: Vec<HistOp>,
}

/// A recorded history: the state before it, every committed transaction, and what was written
/// by attempts that did not commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The keys and values present before the first recorded transaction.
    pub initial: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The committed transactions (any order; the checker orders them by commit LSN).
    pub txns: Vec<TxnRecord>,
    /// Values written by attempts that rolled back (a read of one is G1a).
    pub aborted_values: BTreeSet<Vec<u8>>,
    /// The state after the history, if read back: the checker verifies it equals the last
    /// version of every key in the recorded order.
    pub final_state: Option<BTreeMap<Vec<u8>, Vec<u8>>>,
}

/// Whether `key` lies within `(from, to)`.
pub(crate) fn in_bounds(key: &[u8], from: &Bound<Vec<u8>>, to: &Bound<Vec<u8>>) -> bool {
    let above = match from {
        Bound::Included(f) => key >= f.as_slice(),
        Bound::Excluded(f) => key > f.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match to {
        Bound::Included(t) => key <= t.as_slice(),
        Bound::Excluded(t) => key < t.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

/// A key or value for humans: printable ASCII as is, other bytes escaped.
pub(crate) fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

//! Step 1 of history checking: recording what committed transactions read and wrote.
//!
//! A [`Recorder`] is shared by every client thread. [`Recorder::run`] runs a transaction body
//! through [`Database::run`] (which retries deadlocks and write conflicts), handing the body a
//! [`RecordingTxn`] that logs each operation. Each attempt starts a fresh log; when the
//! transaction commits, the committed attempt's log becomes a [`TxnRecord`] with the commit's
//! LSN. Values come from [`RecordingTxn::put_unique`], so no two writes in the history write the
//! same value; every value handed out is remembered, and those no committed transaction wrote
//! are the aborted values of the history.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{HistOp, History, TxnRecord};
use crate::db::{CommitInfo, Database, Transaction};
use crate::error::Result;
use crate::txn::IsolationLevel;

/// Collects the history of transactions run through it; shared by reference between threads.
#[derive(Debug)]
pub struct Recorder {
    initial: BTreeMap<Vec<u8>, Vec<u8>>,
    txns: Mutex<Vec<TxnRecord>>,
    written: Mutex<BTreeSet<Vec<u8>>>,
    next_value: AtomicU64,
}

impl Recorder {
    /// A recorder for a history starting from `initial` (the keys and values present before the
    /// first recorded transaction).
    pub fn new(initial: BTreeMap<Vec<u8>, Vec<u8>>) -> Recorder {
        Recorder {
            initial,
            txns: Mutex::new(Vec::new()),
            written: Mutex::new(BTreeSet::new()),
            next_value: AtomicU64::new(1),
        }
    }

    /// Runs `body` as a transaction at `level` (retrying as [`Database::run`] does) and records
    /// the committed attempt. A transaction that ends in an error is not recorded; the values its
    /// attempts wrote count as aborted.
    pub fn run<T>(
        &self,
        db: &Database,
        level: IsolationLevel,
        mut body: impl FnMut(&mut RecordingTxn<'_, '_>) -> Result<T>,
    ) -> Result<(T, CommitInfo)> {
        let mut last: Vec<HistOp> = Vec::new();
        let mut snapshot = None;
        let (value, info) = db.run(level, |txn| {
            snapshot = txn.snapshot_lsn();
            let mut rec = RecordingTxn {
                txn,
                recorder: self,
                ops: Vec::new(),
            };
            let out = body(&mut rec);
            last = rec.ops;
            out
        })?;
        let reads_at = match level {
            IsolationLevel::RepeatableRead => snapshot,
            IsolationLevel::Serializable => Some(info.lsn),
        };
        self.lock_txns().push(TxnRecord {
            txn: info.txn,
            level,
            commit_lsn: info.lsn,
            reads_at,
            ops: last,
        });
        Ok((value, info))
    }

    /// Number of transactions recorded so far.
    pub fn len(&self) -> usize {
        self.lock_txns().len()
    }

    /// Whether no transaction was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The history recorded so far, with `final_state` (the database read back afterwards, if
    /// the caller has it) for the checker to compare with.
    pub fn history(&self, final_state: Option<BTreeMap<Vec<u8>, Vec<u8>>>) -> History {
        let txns = self.lock_txns().clone();
        let mut aborted = self
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for t in &txns {
            for op in &t.ops {
                if let HistOp::Write { value, .. } = op {
                    aborted.remove(value);
                }
            }
        }
        History {
            initial: self.initial.clone(),
            txns,
            aborted_values: aborted,
            final_state,
        }
    }

    fn lock_txns(&self) -> std::sync::MutexGuard<'_, Vec<TxnRecord>> {
        // A panic while holding the lock leaves a valid vector (pushes are atomic).
        self.txns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn unique_value(&self, key: &[u8]) -> Vec<u8> {
        let n = self.next_value.fetch_add(1, Ordering::Relaxed);
        let value = format!("{}#{n}", key.escape_ascii()).into_bytes();
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(value.clone());
        value
    }
}

/// A transaction whose operations are being recorded; see [`Recorder::run`].
#[derive(Debug)]
pub struct RecordingTxn<'t, 'db> {
    txn: &'t mut Transaction<'db>,
    recorder: &'t Recorder,
    ops: Vec<HistOp>,
}

impl RecordingTxn<'_, '_> {
    /// Reads `key` (see [`Transaction::get`]) and records what it returned.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self.txn.get(key)?;
        self.ops.push(HistOp::Read {
            key: key.to_vec(),
            value: value.clone(),
        });
        Ok(value)
    }

    /// Scans `(from, to)` to the end (see [`Transaction::range`]) and records the bounds and
    /// every entry returned.
    pub fn scan(
        &mut self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let rows = self
            .txn
            .range(from, to, reverse)?
            .collect::<Result<Vec<_>>>()?;
        self.ops.push(HistOp::Scan {
            from: from.map(<[u8]>::to_vec),
            to: to.map(<[u8]>::to_vec),
            seen: rows.clone(),
        });
        Ok(rows)
    }

    /// Writes a value for `key` that no other write in the history uses, records it and
    /// returns it.
    pub fn put_unique(&mut self, key: &[u8]) -> Result<Vec<u8>> {
        let value = self.recorder.unique_value(key);
        self.txn.put(key, &value)?;
        self.ops.push(HistOp::Write {
            key: key.to_vec(),
            value: value.clone(),
        });
        Ok(value)
    }

    /// The underlying transaction's id.
    pub fn id(&self) -> crate::types::TxnId {
        self.txn.id()
    }
}

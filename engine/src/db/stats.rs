//! [`Stats`]: counters of every layer, as `ldb stats` prints them.

use serde::Serialize;

use crate::storage::StorageStats;
use crate::txn::lock::LockStats;
use crate::wal::WalStats;

/// A point-in-time view of the database's counters.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// The database directory.
    pub path: String,
    /// Page size in bytes.
    pub page_size: usize,
    /// `standard` or `unified`.
    pub wal_mode: &'static str,
    /// Keys in the latest durable commit.
    pub entries: u64,
    /// LSN of the latest durable commit.
    pub last_commit_lsn: u64,
    /// Commits made through this handle.
    pub commits: u64,
    /// Checkpoints made through this handle (including the one after recovery).
    pub checkpoints: u64,
    /// Transactions replayed from the WAL when this handle opened.
    pub recovered_txns: u64,
    /// Pager, page cache and freelist counters.
    pub storage: StorageStats,
    /// Write-ahead log counters.
    pub wal: WalStats,
    /// Transactions begun, committed and rolled back through this handle.
    pub txn: TxnStats,
    /// Lock waits, deadlocks, timeouts and the most contended keys, since this handle opened.
    pub locks: LockStats,
}

/// Transaction counters of one handle.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TxnStats {
    /// Transactions begun (explicit ones; plain commits are counted in `commits`).
    pub begun: u64,
    /// Transactions committed.
    pub committed: u64,
    /// Transactions rolled back: explicitly, by drop, or by a deadlock or write conflict.
    pub rolled_back: u64,
    /// `RepeatableRead` writes refused because a newer commit wrote the key.
    pub write_conflicts: u64,
    /// Transactions open now (begun, not yet committed or rolled back).
    pub active: u64,
    /// Entries in the write-conflict index (keys, or key spans of large commits, that a live
    /// snapshot may still conflict with).
    pub conflict_index_entries: u64,
}

//! [`Stats`]: counters of every layer, as `ldb stats` prints them.

use serde::Serialize;

use crate::storage::StorageStats;
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
}

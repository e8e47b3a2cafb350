//! The write-ahead log: checksummed logical redo records in preallocated segment files.
//!
//! A commit encodes its ops into one Commit record (large transactions: chunk records, then the
//! Commit), appends it and returns its commit LSN once the record is durable:
//! * [`WalMode::Standard`] — the committer writes its record and fdatasyncs before returning;
//! * [`WalMode::Unified`] — group commit: committers append to a shared buffer, one of them
//!   (the leader) writes the whole buffer and fsyncs once, and each committer returns when the
//!   durable LSN covers its record.
//!
//! LSNs are byte positions in the log stream. A commit's LSN is the position just after its
//! Commit record, so "durable up to LSN x" and "commit x is durable" mean the same thing, and
//! a checkpoint at LSN x covers exactly the commits whose LSN ≤ x.
//!
//! Modules: [`format`] (byte layouts), [`recovery`] (recovery scan, repair and salvage), `writer` (appends, group commit,
//! segment roll-over and recycling), [`archive`] (copying closed segments into a WAL archive,
//! and reading an archive back for point-in-time restore). Byte layouts and the recovery procedure are documented in
//! `engine/FORMAT.md`.

pub mod archive;
pub mod format;
pub mod recovery;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_archive;
#[cfg(test)]
mod tests_damage;

pub use format::Op;
pub use recovery::{DamageKind, WalDamage, parse_segment_name, segment_name};
pub use writer::Wal;
pub(crate) use writer::create_log;

use std::path::PathBuf;

use crate::types::{Lsn, TxnId};

/// How commits are made durable; chosen at open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalMode {
    /// Each commit writes its record and fdatasyncs before returning.
    Standard,
    /// Group commit: concurrent committers share one write and one fsync.
    Unified,
}

/// What recovery does when it finds media damage in the log (not a torn tail, which is always
/// cut): see [`recovery`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WalRecovery {
    /// Refuse to open with [`crate::Error::WalDamaged`]; nothing is changed.
    #[default]
    Strict,
    /// Keep every commit before the damage, move the damaged files aside into
    /// `wal/salvage-<time>/` with a report, and open. Commits after the damage are not applied.
    Salvage,
}

/// Options for [`Wal::open`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalOptions {
    /// Durability mode.
    pub mode: WalMode,
    /// Size each segment file is preallocated to (bytes, ≥ [`MIN_SEGMENT_SIZE`]).
    pub segment_size: u64,
    /// WAL archiving: when set, every closed segment is copied into this directory before
    /// [`Wal::recycle_before`] may delete it (see [`archive`]).
    pub archive: Option<PathBuf>,
    /// What recovery does with media damage.
    pub recovery: WalRecovery,
    /// The database has been checkpointed since it was created, so the log must hold the
    /// segment with the checkpoint LSN (a missing log is damage, not a new log).
    pub log_required: bool,
}

/// The smallest allowed segment size.
pub const MIN_SEGMENT_SIZE: u64 = 4096;
/// The default segment size (64 MiB).
pub const DEFAULT_SEGMENT_SIZE: u64 = 64 << 20;

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            mode: WalMode::Standard,
            segment_size: DEFAULT_SEGMENT_SIZE,
            archive: None,
            recovery: WalRecovery::Strict,
            log_required: false,
        }
    }
}

/// A committed transaction found by recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTxn {
    /// The transaction id.
    pub txn: TxnId,
    /// Its commit LSN (the end of its Commit record), as [`Wal::commit`] returned it.
    pub lsn: Lsn,
    /// Its commit time in microseconds since the Unix epoch (`None` in segments of format
    /// version 1, which did not record it).
    pub commit_time: Option<u64>,
    /// Its operations, in the order they were committed.
    pub ops: Vec<Op>,
}

/// Counters of a [`Wal`] since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WalStats {
    /// Transactions committed.
    pub commits: u64,
    /// Records appended (commit and chunk records).
    pub records: u64,
    /// Bytes appended (framed records).
    pub bytes: u64,
    /// Successful fsyncs of segment files (including segment creation).
    pub fsyncs: u64,
    /// Group flushes (one write + one fsync covering one or more commits).
    pub batches: u64,
    /// Commits made durable by those flushes; `batched_commits / batches` is the mean batch.
    pub batched_commits: u64,
    /// The largest number of commits made durable by one flush.
    pub max_batch: u64,
    /// Segments created since open.
    pub segments_created: u64,
    /// Segments deleted by [`Wal::recycle_before`] since open.
    pub segments_recycled: u64,
    /// Closed segments copied into the WAL archive since open.
    pub segments_archived: u64,
    /// Segment files currently in the log.
    pub segments: u64,
    /// The durable end of the log.
    pub durable_lsn: Lsn,
    /// Whether recovery at open cut off a torn tail, removed an unfinished segment, or
    /// salvaged damage.
    pub truncated_at_open: bool,
    /// Whether recovery at open salvaged a damaged log (the damaged files are in
    /// `wal/salvage-<time>/`).
    pub salvaged_at_open: bool,
}

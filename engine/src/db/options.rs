//! Options chosen when a database is created or opened.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::storage::page::DEFAULT_PAGE_SIZE;
use crate::vfs::{RealVfs, Vfs};
use crate::wal::{WalMode, WalRecovery};

/// How to create or open a database. `Options::default()` gives a 4 KiB page, a 64 MiB cache,
/// `Standard` WAL mode, a 10 s lock wait timeout and real files.
#[derive(Clone, Debug)]
pub struct Options {
    /// Page size for a new database (ignored on open: the file header decides). A power of two
    /// between 1 KiB and 64 KiB.
    pub page_size: usize,
    /// Byte budget of the page cache.
    pub cache_bytes: usize,
    /// Durability mode of the write-ahead log: `Standard` fsyncs every commit; `Unified` lets
    /// concurrent committers share one fsync (group commit). Either way, a commit that returned
    /// is durable.
    pub wal_mode: WalMode,
    /// Size of one WAL segment file (preallocated).
    pub wal_segment_size: u64,
    /// Run a checkpoint automatically once this many bytes of WAL accumulated since the last one.
    /// This bounds recovery time. `0` disables automatic checkpoints.
    pub checkpoint_wal_bytes: u64,
    /// How long a transaction waits for a lock before failing with
    /// [`crate::Error::LockTimeout`].
    pub lock_timeout: Duration,
    /// WAL archiving: when set, closed WAL segments are copied into this directory (at each
    /// checkpoint, before the log recycles them), so `backup::restore_pitr` can roll a backup
    /// forward past its LSN. A failed copy fails the checkpoint; nothing is recycled unarchived.
    /// The path is recorded in the database (`wal/ARCHIVE`): once on, archiving stays on for
    /// later opens that leave this `None`.
    pub wal_archive: Option<PathBuf>,
    /// What opening does when the write-ahead log is damaged (not merely torn by a crash):
    /// refuse ([`WalRecovery::Strict`], the default) or salvage the commits before the damage.
    pub wal_recovery: WalRecovery,
    /// The file system to use (real files by default; a simulated disk in tests).
    pub vfs: Arc<dyn Vfs>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            page_size: DEFAULT_PAGE_SIZE,
            cache_bytes: 64 << 20,
            wal_mode: WalMode::Standard,
            wal_segment_size: 64 << 20,
            checkpoint_wal_bytes: 64 << 20,
            lock_timeout: Duration::from_secs(10),
            wal_archive: None,
            wal_recovery: WalRecovery::Strict,
            vfs: Arc::new(RealVfs),
        }
    }
}

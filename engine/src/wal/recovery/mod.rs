//! Recovery: scan the log from the checkpoint, collect committed transactions, repair only
//! what a crash can leave behind, and refuse media damage.
//!
//! Two steps, so that a read-only open can run the first alone:
//! 1. [`scan`](scan::scan) reads every segment from the checkpoint on and classifies how the
//!    log ends (clean, torn tail, unfinished segment, or damaged) without writing anything;
//! 2. [`repair`](repair::repair) makes the one change the outcome allows (zero a torn tail,
//!    remove an empty unfinished segment), refuses damage with [`Error::WalDamaged`], or — in
//!    salvage mode — keeps the damaged files aside and cuts the log before the damage.
//!
//! [`Error::WalDamaged`]: crate::error::Error::WalDamaged

mod damage;
mod repair;
mod scan;

use std::path::{Path, PathBuf};

pub use damage::{DamageKind, WalDamage};
pub use scan::{LogScan, Outcome, SegmentFile};

use super::{RecoveredTxn, WalRecovery};
use crate::error::Result;
use crate::types::Lsn;
use crate::vfs::{Vfs, VfsFile};

/// The file name of the segment whose first LSN is `lsn`.
pub fn segment_name(lsn: Lsn) -> String {
    format!("{:016x}.wal", lsn.0)
}

/// The first LSN a segment file name (`<16 hex digits>.wal`) stands for; `None` for any other
/// name.
pub fn parse_segment_name(path: &Path) -> Option<Lsn> {
    let name = path.file_name()?.to_str()?;
    let hex = name.strip_suffix(".wal")?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(Lsn)
}

/// What recovery found and did.
pub struct Recovery {
    /// Committed transactions after the checkpoint, in log order.
    pub txns: Vec<RecoveredTxn>,
    /// Surviving segments (first LSN, path), sorted.
    pub segments: Vec<(Lsn, PathBuf)>,
    /// The open segment appends go to; `None`: create one at `end`.
    pub tail: Option<Box<dyn VfsFile>>,
    /// The end of the valid log: where the next record goes.
    pub end: Lsn,
    /// Whether a torn tail was cut, an unfinished segment removed, or damage salvaged.
    pub truncated: bool,
    /// The format version of the segment at the tail.
    pub tail_version: u32,
    /// Where salvage kept the damaged files, if it ran.
    pub salvaged: Option<PathBuf>,
}

/// Scans the log in `dir` without writing anything (see [`scan::scan`]).
pub fn inspect(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    checkpoint: Lsn,
    log_required: bool,
) -> Result<LogScan> {
    scan::scan(vfs, dir, page_size, checkpoint, log_required, false)
}

/// Scans and repairs the log in `dir` (see the module doc).
pub fn recover(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    checkpoint: Lsn,
    log_required: bool,
    mode: WalRecovery,
) -> Result<Recovery> {
    let found = scan::scan(
        vfs,
        dir,
        page_size,
        checkpoint,
        log_required,
        mode == WalRecovery::Salvage,
    )?;
    repair::repair(vfs, dir, page_size, found, mode)
}

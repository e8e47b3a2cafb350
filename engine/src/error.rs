//! The engine's error type.
//!
//! Every fallible engine operation returns [`Result`]. Variants carry enough context (file path,
//! page id, LSN) for a caller to tell the user what went wrong and where. Data read from disk is
//! never trusted: a bad checksum or an impossible length is a [`Error::Corruption`] or
//! [`Error::WalCorruption`], never a panic.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::types::{Lsn, PageId, TxnId};

mod wal_damage;

pub use wal_damage::{DamageKind, WalDamage};

/// A specialised `Result` for engine operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside the engine.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a file failed (including a failed or injected fsync).
    #[error("I/O error while {op} {path}: {source}")]
    Io {
        /// What the engine was doing, e.g. "writing page to".
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A page failed its checksum or structural validation when read from disk.
    #[error("corruption in {page}: {detail}")]
    Corruption {
        /// The page that failed validation.
        page: PageId,
        /// What was wrong with it.
        detail: String,
    },
    /// The write-ahead log holds a record that cannot be valid (not a torn tail, which recovery
    /// truncates silently, but e.g. an unknown segment format).
    #[error("corrupt write-ahead log {path} at {lsn}: {detail}")]
    WalCorruption {
        /// The log segment file.
        path: PathBuf,
        /// Where in the log.
        lsn: Lsn,
        /// What was wrong.
        detail: String,
    },
    /// The write-ahead log is damaged (not torn by a crash): durable commits may be unreadable.
    /// The database was not opened and nothing was changed; salvage mode
    /// ([`crate::wal::WalRecovery::Salvage`]) keeps the commits before the damage.
    #[error("{0}")]
    WalDamaged(Box<WalDamage>),
    /// The file is not a Lightning DB database (bad magic number).
    #[error("{path} is not a Lightning DB database (bad magic number)")]
    NotADatabase {
        /// The file opened.
        path: PathBuf,
    },
    /// The database was written by a newer (or unknown) format version.
    #[error("{path} has format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        /// The file opened.
        path: PathBuf,
        /// The version found in the file header.
        found: u32,
        /// The version this build understands.
        supported: u32,
    },
    /// The file is shorter than its header says it must be.
    #[error("{path} is truncated: expected at least {expected} bytes, found {found}")]
    Truncated {
        /// The file opened.
        path: PathBuf,
        /// The minimum length required.
        expected: u64,
        /// The actual length.
        found: u64,
    },
    /// Another process (or handle) holds the database open for writing.
    #[error("database is locked: {path} is open for writing by another process")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A database already exists where one was to be created.
    #[error("a database already exists at {path}")]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// No database exists at the path.
    #[error("no database at {path}")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A key or value is larger than the engine accepts.
    #[error("{what} is {len} bytes; the maximum is {max}")]
    TooLarge {
        /// "key" or "value".
        what: &'static str,
        /// The length given.
        len: usize,
        /// The maximum allowed.
        max: usize,
    },
    /// A caller passed an invalid argument or option.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A transaction waited longer than the lock wait timeout for a lock; it keeps its other
    /// locks and may retry or roll back.
    #[error("{txn} timed out after {waited:?} waiting for a lock on {target}")]
    LockTimeout {
        /// The transaction that waited.
        txn: TxnId,
        /// The key or range it waited for.
        target: String,
        /// How long it waited.
        waited: Duration,
    },
    /// A transaction was chosen as the victim of a deadlock (the youngest on the cycle of
    /// waits); it must roll back so that the others can proceed.
    #[error("deadlock detected: {victim} was chosen as the victim and must roll back")]
    Deadlock {
        /// The transaction that must roll back.
        victim: TxnId,
    },
    /// A `RepeatableRead` transaction tried to write a key that another transaction committed
    /// after this one's snapshot was taken (first updater wins). The transaction is rolled
    /// back; retrying it from the start sees the newer value.
    #[error(
        "write conflict: {txn} cannot write {key}: it was committed by a newer transaction after {txn}'s snapshot"
    )]
    WriteConflict {
        /// The transaction that lost.
        txn: TxnId,
        /// The key, printed with non-printable bytes escaped.
        key: String,
    },
    /// The transaction was already rolled back by an earlier error (a deadlock or a write
    /// conflict); every later call on it fails with this error. Start a new transaction.
    #[error("{txn} was rolled back by an earlier error ({reason}); start a new transaction")]
    TransactionAborted {
        /// The transaction.
        txn: TxnId,
        /// The error that rolled it back.
        reason: String,
    },
    /// A write was attempted in a read-only transaction.
    #[error("{txn} is read-only and cannot write")]
    ReadOnlyTransaction {
        /// The transaction.
        txn: TxnId,
    },
    /// A backup directory (its manifest or page stream) is missing, damaged, tampered with or of
    /// an unsupported format version; a restore refuses it before writing anything.
    #[error("invalid backup {path}: {detail}")]
    InvalidBackup {
        /// The backup file or directory at fault.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The WAL archive cannot be used: a segment is missing (a gap between a backup and the
    /// requested point), damaged, or conflicts with the log being archived.
    #[error("WAL archive problem at {path}: {detail}")]
    WalArchive {
        /// The archived segment or directory at fault.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// An earlier durability failure (e.g. a failed fsync) left the handle unusable; the
    /// database must be reopened, which runs recovery. A failed fsync is never retried blindly.
    #[error("database handle is poisoned by an earlier failure: {reason}")]
    Poisoned {
        /// The original failure.
        reason: String,
    },
}

impl Error {
    /// Wraps an I/O error with what was being done and to which file.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Whether retrying the whole transaction from the start may succeed: a deadlock victim, a
    /// write-conflict loser, or a call on a transaction one of those rolled back. (A lock timeout
    /// is not: the wait was long, and the caller should decide.)
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Deadlock { .. } | Error::WriteConflict { .. } | Error::TransactionAborted { .. }
        )
    }

    /// Whether the error says that stored data is damaged or unreadable as a database — a
    /// checksum or structure failure, a corrupt log, a bad magic number or version, a truncated
    /// file, bytes the OS could not deliver as written — rather than a problem of the caller or
    /// the environment (a missing database, a lock, permissions, a full disk). `ldb check`
    /// reports a database that fails to open with such an error as a finding.
    pub fn is_damage(&self) -> bool {
        match self {
            Error::Corruption { .. }
            | Error::WalCorruption { .. }
            | Error::WalDamaged(_)
            | Error::NotADatabase { .. }
            | Error::UnsupportedVersion { .. }
            | Error::Truncated { .. } => true,
            Error::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    /// Builds a [`Error::Corruption`] for `page`.
    pub fn corruption(page: PageId, detail: impl Into<String>) -> Self {
        Error::Corruption {
            page,
            detail: detail.into(),
        }
    }
}

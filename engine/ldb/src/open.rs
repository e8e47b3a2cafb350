//! Opening and closing the database a command works on: the library options the flags ask for,
//! errors that name the database, the read-only view behind `--read-only`, and the rule for a
//! close that fails after a durable commit (a warning, not a failure).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use lightning_db::{Database, Lsn, Options, ReadOnlyDatabase};

use crate::args::DbArgs;

/// The library options the command-line flags ask for.
pub fn options(db: &DbArgs) -> Options {
    Options {
        wal_mode: db.wal_mode.wal_mode(),
        cache_bytes: db.cache_mb.max(1) << 20,
        wal_archive: db.wal_archive.as_deref().map(absolute),
        ..Options::default()
    }
}

/// `path` made absolute (the archive path is recorded in the database and must not depend on
/// the working directory of a later opener); unchanged if that fails.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Opens the database the flags name.
pub fn open(db: &DbArgs) -> Result<Database> {
    open_with(&db.db, options(db))
}

/// Opens the database at `path` with `opts`, naming it in the error.
pub fn open_with(path: &Path, opts: Options) -> Result<Database> {
    Database::open(path, opts).with_context(|| format!("while opening database {}", path.display()))
}

/// Closes `handle`, naming the database in the error.
pub fn close(handle: Database) -> Result<()> {
    let path = handle.path().to_path_buf();
    handle
        .close()
        .with_context(|| format!("while closing database {}", path.display()))
}

/// What a writing command has already made durable when it closes the database.
#[derive(Clone, Copy, Debug)]
pub enum Durable {
    /// Nothing (a read, a rolled-back or read-only transaction).
    Nothing,
    /// Commits up to and including this LSN.
    Commit(Lsn),
    /// A new, complete database (`init`).
    Created,
}

/// Closes `handle` after a command's work. A failure to close is an error only if nothing was
/// made durable; after a durable commit (or a completed `init`) it does not undo that work, so
/// it comes back as the warning to print — `committed (durable at lsn N); closing failed: …` —
/// and the command still succeeds: retrying a commit that is on disk would apply it twice.
pub fn close_after(handle: Database, durable: Durable) -> Result<Option<String>> {
    let Err(err) = close(handle) else {
        return Ok(None);
    };
    let (done, then) = match durable {
        Durable::Nothing => return Err(err),
        Durable::Commit(lsn) => (
            format!("committed (durable at {lsn})"),
            "the commit is in the write-ahead log and the next open recovers it; do not retry it",
        ),
        Durable::Created => (
            "created (the database is complete)".to_string(),
            "the next open checkpoints it",
        ),
    };
    Ok(Some(format!(
        "{done}; closing failed: {}; {then}",
        crate::out::chain(&err)
    )))
}

/// Prints the warning [`close_after`] returned, if any.
pub fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("ldb: warning: {w}");
    }
}

/// Opens the read-only view of a database for a command given `--read-only`.
pub fn open_read_only(db: &DbArgs) -> Result<ReadOnlyDatabase> {
    ReadOnlyDatabase::open(&db.db, options(db))
        .with_context(|| format!("while opening database {} read-only", db.db.display()))
}

/// A line for standard error saying what recovery would still do, if anything; `check` adds
/// that its checks cover the last checkpoint (the log's commits are not in its pages yet).
pub fn pending_note(view: &ReadOnlyDatabase, check: bool) -> Option<String> {
    let p = view.pending_recovery();
    p.is_needed().then(|| {
        let mut parts = Vec::new();
        if p.replay_commits > 0 {
            parts.push(format!(
                "redo {} commits (shown here from the log)",
                p.replay_commits
            ));
        }
        if let Some(bytes) = p.torn_tail_bytes {
            parts.push(format!("cut a torn log tail of {bytes} bytes"));
        }
        if let Some(seg) = &p.unfinished_segment {
            parts.push(format!(
                "remove the empty unfinished segment {}",
                seg.display()
            ));
        }
        let scope = if check {
            "; the page and tree checks cover the last checkpoint"
        } else {
            ""
        };
        format!(
            "ldb: note: {} needs recovery; a writable open would {}{scope}",
            view.path().display(),
            parts.join(", ")
        )
    })
}

/// Prints the [`pending_note`] of a read-only view on standard error, if there is one.
pub fn note_pending(view: &ReadOnlyDatabase, check: bool) {
    if let Some(note) = pending_note(view, check) {
        errln!("{note}");
    }
}

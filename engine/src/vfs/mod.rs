//! File I/O behind a trait, so every layer above can run on real files or on a simulated disk.
//!
//! * [`RealVfs`] — the operating system's files (`pread`/`pwrite`, `fdatasync`, `flock`).
//! * `SimVfs` (in `sim.rs`) — an in-memory disk for tests: writes stay volatile until synced;
//!   a simulated crash drops, tears or reorders the unsynced ones; faults (bit flips, EIO on
//!   write or fsync) can be injected.
//!
//! The contract every implementation keeps:
//! * `write_at` may be volatile until `sync` returns `Ok`; after that the bytes survive a crash.
//! * A file created, renamed or removed is durable only after `sync_dir` of its parent.
//! * `read_at` fills the whole buffer or fails (`UnexpectedEof` past the end of the file).
//! * An error from `sync` means nothing about what reached the disk: callers must treat the
//!   file as suspect and never report success (see `Error::Poisoned`).

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};

mod real;
pub mod sim;

pub use real::RealVfs;
pub use sim::{SimStats, SimVfs};

/// How to open a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Open an existing file; fail with `NotFound` if it does not exist.
    Existing,
    /// Open the file, creating it empty if it does not exist.
    CreateOrOpen,
    /// Create a new empty file; fail with `AlreadyExists` if it exists.
    CreateNew,
    /// Open an existing file for reading only (it may be on read-only media); writes, length
    /// changes and syncs through the handle fail.
    ReadOnly,
}

/// A file system: opens files and manipulates directory entries.
pub trait Vfs: Send + Sync + Debug {
    /// Opens `path` for reading and writing (for reading only with [`OpenMode::ReadOnly`]).
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>>;
    /// Whether `path` exists (file or directory).
    fn exists(&self, path: &Path) -> bool;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Creates a directory and its parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Removes an empty directory (an error if it holds anything).
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// Lists the entries (full paths) of a directory, in no particular order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Makes creations, renames and removals of entries in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// An open file. All methods take `&self`: implementations are safe to share between threads,
/// and positional reads and writes do not share a cursor.
pub trait VfsFile: Send + Sync + Debug {
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Writes all of `buf` at `offset`, extending the file if needed. Volatile until `sync`.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes every completed write (and the file length) durable (`fdatasync`).
    fn sync(&self) -> io::Result<()>;
    /// The current length of the file in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Truncates or extends the file to `len` bytes (extension reads as zeros). Volatile until `sync`.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Tries to take an exclusive advisory lock on the file, held until the handle is dropped.
    /// Returns `Ok(false)` if another handle or process holds it.
    fn try_lock_exclusive(&self) -> io::Result<bool>;
    /// Tries to take a shared advisory lock on the file (excluded only by an exclusive one),
    /// held until the handle is dropped. Returns `Ok(false)` if an exclusive lock is held.
    fn try_lock_shared(&self) -> io::Result<bool>;
}

//! [`ReadOnlyDatabase`]: a view of a database that writes nothing, for inspecting a copy on
//! read-only media or a database whose recovery should not run yet.
//!
//! Opening, in order:
//! 1. open `LOCK` for reading and take a shared lock on it, if it exists (a writable handle
//!    holds it exclusively: then the view is refused, as its pages may change underneath);
//! 2. open `data.ldb` for reading: the header, the last durable checkpoint, the freelist;
//! 3. scan the log from the checkpoint exactly as recovery would ([`crate::wal::recovery`]),
//!    writing nothing: media damage fails the open with [`Error::WalDamaged`];
//! 4. lay the commits recovery would redo over the checkpoint's tree, in memory, so reads see
//!    the same state a writable open would; [`ReadOnlyDatabase::pending_recovery`] says what
//!    recovery would still do on disk.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::check::{self, IntegrityReport};
use super::{DATA_FILE, LOCK_FILE, Options, WAL_DIR};
use crate::btree;
use crate::error::{Error, Result};
use crate::storage::{PageStore, Storage};
use crate::types::{Lsn, PageId};
use crate::vfs::{OpenMode, VfsFile};
use crate::wal::Op;
use crate::wal::recovery::{self, Outcome};

/// What a writable open's recovery would still do to the files.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PendingRecovery {
    /// Commits after the checkpoint that recovery would redo (and then checkpoint).
    pub replay_commits: u64,
    /// The commit LSN of the last of them (the checkpoint's LSN if none).
    pub last_commit_lsn: u64,
    /// Non-zero bytes of a torn tail that recovery would zero.
    pub torn_tail_bytes: Option<u64>,
    /// An empty, unfinished segment that recovery would remove.
    pub unfinished_segment: Option<PathBuf>,
}

impl PendingRecovery {
    /// Whether a writable open would change anything on disk.
    pub fn is_needed(&self) -> bool {
        self.replay_commits > 0
            || self.torn_tail_bytes.is_some()
            || self.unfinished_segment.is_some()
    }
}

/// A read-only view of a database (see the module doc). `Sync`: share it across threads.
#[derive(Debug)]
pub struct ReadOnlyDatabase {
    path: PathBuf,
    storage: Storage,
    root: PageId,
    /// The checkpoint's entry count.
    checkpoint_entries: u64,
    /// The entry count after the overlay, counted on first use (it looks up every overlay key,
    /// which `get` and `scan` never need).
    entries: OnceLock<u64>,
    /// Writes recovery would redo: key → value (`None`: deleted), last write wins.
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pending: PendingRecovery,
    _lock: Option<Box<dyn VfsFile>>,
}

impl ReadOnlyDatabase {
    /// Opens the database in directory `path` without writing to it (see the module doc).
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<ReadOnlyDatabase> {
        let path = path.as_ref().to_path_buf();
        let vfs = Arc::clone(&opts.vfs);
        let data = path.join(DATA_FILE);
        if !vfs.exists(&data) {
            return Err(Error::NotFound { path });
        }
        let lock_path = path.join(LOCK_FILE);
        let lock = if vfs.exists(&lock_path) {
            let file = vfs
                .open(&lock_path, OpenMode::ReadOnly)
                .map_err(|e| Error::io("opening lock file", &lock_path, e))?;
            if !file
                .try_lock_shared()
                .map_err(|e| Error::io("locking", &lock_path, e))?
            {
                return Err(Error::Locked { path: lock_path });
            }
            Some(file)
        } else {
            None
        };
        let (storage, meta) = Storage::open_read_only(vfs, &data, opts.cache_bytes as u64)?;
        let scan = recovery::inspect(
            opts.vfs.as_ref(),
            &path.join(WAL_DIR),
            storage.page_size() as u32,
            meta.checkpoint_lsn,
            meta.seq >= 2,
        )?;
        let mut pending = PendingRecovery {
            replay_commits: scan.txns.len() as u64,
            last_commit_lsn: scan.txns.last().map_or(meta.checkpoint_lsn, |t| t.lsn).0,
            ..PendingRecovery::default()
        };
        match scan.outcome {
            Outcome::Clean => {}
            Outcome::TornTail { bytes, .. } => pending.torn_tail_bytes = Some(bytes),
            Outcome::Unfinished { segment } => {
                pending.unfinished_segment = scan.segments.get(segment).map(|s| s.path.clone());
            }
            Outcome::Damaged { damage, .. } => return Err(Error::WalDamaged(damage)),
        }
        let mut overlay = BTreeMap::new();
        for txn in scan.txns {
            for op in txn.ops {
                match op {
                    Op::Put { key, value } => overlay.insert(key, Some(value)),
                    Op::Delete { key } => overlay.insert(key, None),
                };
            }
        }
        Ok(ReadOnlyDatabase {
            path,
            storage,
            root: meta.root,
            checkpoint_entries: meta.entry_count,
            entries: OnceLock::new(),
            overlay,
            pending,
            _lock: lock,
        })
    }

    /// The entry count after the overlay: the checkpoint's count, plus keys the overlay adds,
    /// minus keys it deletes.
    fn count_entries(&self) -> Result<u64> {
        let mut n = self.checkpoint_entries;
        for (key, value) in &self.overlay {
            let before = btree::get(&self.storage, self.root, key)?.is_some();
            match (before, value.is_some()) {
                (false, true) => n += 1,
                (true, false) => n = n.saturating_sub(1),
                _ => {}
            }
        }
        Ok(n)
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a writable open would still do to the files.
    pub fn pending_recovery(&self) -> &PendingRecovery {
        &self.pending
    }

    /// The number of keys (as of the last commit in the log). Counted on the first call: every
    /// key the log writes is looked up in the checkpoint's tree.
    pub fn entries(&self) -> Result<u64> {
        if let Some(n) = self.entries.get() {
            return Ok(*n);
        }
        let n = self.count_entries()?;
        Ok(*self.entries.get_or_init(|| n))
    }

    /// The commit LSN of the state the view shows.
    pub fn last_commit_lsn(&self) -> Lsn {
        Lsn(self.pending.last_commit_lsn)
    }

    /// Reads `key` as of the last commit in the log.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.overlay.get(key) {
            Some(v) => Ok(v.clone()),
            None => btree::get(&self.storage, self.root, key),
        }
    }

    /// Iterates the keys in `(from, to)`, ascending or (with `reverse`) descending, as of the
    /// last commit in the log.
    pub fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<ReadOnlyRange<'_>> {
        let tree = btree::Range::new(&self.storage, self.root, from, to, reverse)?;
        let bounds = (from.map(<[u8]>::to_vec), to.map(<[u8]>::to_vec));
        let over: Vec<OverlayEntry> = if reverse {
            self.overlay
                .range(bounds)
                .rev()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        } else {
            self.overlay
                .range(bounds)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        Ok(ReadOnlyRange {
            tree,
            tree_next: None,
            over: over.into_iter().peekable(),
            reverse,
        })
    }

    /// Checks the checkpoint's pages and tree (every checksum, the tree's order and shape, the
    /// freelist), as [`super::Database::check`] does; the log was verified when the view opened.
    pub fn check(&self) -> Result<IntegrityReport> {
        let meta = self.storage.meta();
        check::check(&self.storage, self.root, meta.entry_count)
    }
}

/// A write recovery would redo: the key and its value (`None`: deleted).
type OverlayEntry = (Vec<u8>, Option<Vec<u8>>);

/// Entries of a [`ReadOnlyDatabase`] range: the checkpoint's tree merged with the overlay.
pub struct ReadOnlyRange<'a> {
    tree: btree::Range<'a, Storage>,
    tree_next: Option<(Vec<u8>, Vec<u8>)>,
    over: std::iter::Peekable<std::vec::IntoIter<OverlayEntry>>,
    reverse: bool,
}

/// Whether `a` comes before `b` in the iteration order.
fn before(reverse: bool, a: &[u8], b: &[u8]) -> bool {
    if reverse { a > b } else { a < b }
}

impl Iterator for ReadOnlyRange<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.tree_next.is_none() {
                match self.tree.next() {
                    Some(Ok(kv)) => self.tree_next = Some(kv),
                    Some(Err(e)) => return Some(Err(e)),
                    None => {}
                }
            }
            let reverse = self.reverse;
            let take_over = match (&self.tree_next, self.over.peek()) {
                (None, None) => return None,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some((tk, _)), Some((ok, _))) => !before(reverse, tk, ok),
            };
            if !take_over {
                return self.tree_next.take().map(Ok);
            }
            let (key, value) = self.over.next()?;
            if self.tree_next.as_ref().is_some_and(|(tk, _)| *tk == key) {
                self.tree_next = None; // the overlay's write replaces the tree's entry
            }
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
        }
    }
}

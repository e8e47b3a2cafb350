//! The [`Database`] handle: the public face of the engine, tying storage, the B+tree and the WAL
//! together.
//!
//! A commit, in order:
//! 1. validate the batch (key and value limits) — nothing is written for an invalid batch;
//! 2. under the writer lock: append the batch to the WAL as one commit record (its LSN orders it),
//!    then apply it to the copy-on-write tree, producing a new root;
//! 3. make the record durable — in `Standard` mode still under the writer lock (one fsync per
//!    commit), in `Unified` mode after releasing it, so concurrent committers share an fsync;
//! 4. publish the new root to readers (a commit is never visible before it is durable);
//! 5. checkpoint if enough WAL has accumulated.
//!
//! Any failure after step 2 began poisons the handle: the in-memory tree may be ahead of the
//! durable log, so every later call returns [`Error::Poisoned`] until the database is reopened,
//! which runs recovery. Opening runs recovery: the tree of the last checkpoint plus a redo of
//! every complete commit record after it.

mod apply;
mod batch;
pub mod check;
mod cleanup;
mod options;
mod read_only;
mod snapshot;
mod stats;
mod transaction;

use apply::apply_ops;

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use self::check::IntegrityReport;
use crate::btree;
use crate::error::{Error, Result};
use crate::storage::{CheckpointFields, PageStore, Storage};
use crate::txn::IsolationLevel;
use crate::txn::conflicts::{ConflictIndex, ESCALATE_KEYS};
use crate::txn::lock::{KeyRange, LockConfig, LockManager, LockMode, LockTarget};
use crate::txn::write_set::successor;
use crate::types::{Lsn, PageId, TxnId};
use crate::vfs::{OpenMode, VfsFile};
use crate::wal::{Op, Wal, WalMode, WalOptions};

pub use batch::{MAX_KEY_LEN, MAX_VALUE_LEN, WriteBatch};
pub use options::Options;
pub use read_only::{PendingRecovery, ReadOnlyDatabase, ReadOnlyRange};
pub use snapshot::Snapshot;
use snapshot::SnapshotRegistry;
pub use stats::{Stats, TxnStats};
pub use transaction::{SnapshotReader, Transaction, TxnRange};

/// File name of the page file inside a database directory.
pub const DATA_FILE: &str = "data.ldb";
/// Directory of WAL segments inside a database directory.
pub const WAL_DIR: &str = "wal";
/// Recovery applies this many bytes of redo (keys + values) per copy-on-write pass.
const REDO_GROUP_BYTES: usize = 32 << 20;

/// Lock file inside a database directory.
pub const LOCK_FILE: &str = "LOCK";

/// What a successful commit reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// The transaction id assigned to the commit.
    pub txn: TxnId,
    /// The LSN of its WAL record.
    pub lsn: Lsn,
}

/// An open Lightning DB database. Cheap to share across threads (`&Database` is `Sync`).
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    opts: Options,
    storage: Arc<Storage>,
    wal: Wal,
    writer: Mutex<WriterState>,
    snapshots: SnapshotRegistry,
    poisoned: AtomicBool,
    poison_reason: Mutex<Option<String>>,
    commits: AtomicU64,
    checkpoints: AtomicU64,
    recovered_txns: u64,
    /// The next transaction id to hand out (at begin, or for a plain commit).
    next_txn: AtomicU64,
    locks: LockManager,
    conflicts: ConflictIndex,
    txn_counters: TxnCounters,
    // Held for the life of the handle: the exclusive lock on `<db>/LOCK`.
    _lock: Box<dyn VfsFile>,
}

/// Transaction outcomes counted since the handle opened.
#[derive(Debug, Default)]
struct TxnCounters {
    begun: AtomicU64,
    committed: AtomicU64,
    rolled_back: AtomicU64,
    write_conflicts: AtomicU64,
}

/// How many times [`Database::run`] attempts a transaction that keeps failing with a retryable
/// error.
pub const RUN_ATTEMPTS: usize = 100;

/// Waits before retry `attempt + 1` of transaction `id` in [`Database::run`]: the first retry
/// only yields; later ones sleep a random time below an exponentially growing cap (50 µs
/// doubling to 3.2 ms), so that transactions that keep colliding on a hot key — write-conflict
/// losers, which unlike deadlock victims gain nothing from their age — spread out instead of
/// retrying in lockstep. The jitter is derived from the id and attempt (no shared RNG).
fn backoff(id: TxnId, attempt: usize) {
    if attempt < 2 {
        std::thread::yield_now();
        return;
    }
    let cap_us = 50u64 << (attempt - 2).min(6);
    let mut rng = crate::util::rng::SplitMix64::new(id.0 ^ ((attempt as u64) << 48));
    let sleep = std::time::Duration::from_micros(rng.range_inclusive(cap_us / 2, cap_us));
    std::thread::sleep(sleep);
}

/// State owned by the single tree writer.
#[derive(Debug)]
struct WriterState {
    root: PageId,
    entries: u64,
    last_lsn: Lsn,
    wal_end_at_checkpoint: u64,
}

impl Database {
    /// Creates a new, empty database in directory `path` (created if missing). Fails with
    /// [`Error::AlreadyExists`] if it already holds a database. A create that fails otherwise
    /// (a full disk, an I/O error) removes what it made — the data file, and the log directory,
    /// lock file and directory if they were not there before — so that it can simply be retried.
    pub fn create(path: impl AsRef<Path>, opts: Options) -> Result<Database> {
        let path = path.as_ref().to_path_buf();
        let before = cleanup::Before::survey(&opts, &path);
        let cleanup_opts = opts.clone();
        let result = Self::create_new(path.clone(), opts);
        if let Err(e) = &result
            && !matches!(
                e,
                Error::AlreadyExists { .. } | Error::Locked { .. } | Error::InvalidArgument(_)
            )
        {
            before.remove_created(&cleanup_opts, &path);
        }
        result
    }

    /// [`Database::create`] without the cleanup after a failure.
    fn create_new(path: PathBuf, opts: Options) -> Result<Database> {
        let vfs = Arc::clone(&opts.vfs);
        if !opts.page_size.is_power_of_two()
            || !(crate::storage::page::MIN_PAGE_SIZE..=crate::storage::page::MAX_PAGE_SIZE)
                .contains(&opts.page_size)
        {
            return Err(Error::InvalidArgument(format!(
                "page size {} must be a power of two between {} and {}",
                opts.page_size,
                crate::storage::page::MIN_PAGE_SIZE,
                crate::storage::page::MAX_PAGE_SIZE
            )));
        }
        let data = path.join(DATA_FILE);
        if vfs.exists(&data) {
            return Err(Error::AlreadyExists { path });
        }
        vfs.create_dir_all(&path)
            .map_err(|e| Error::io("creating directory", &path, e))?;
        let lock = Self::lock(&opts, &path)?;
        if vfs.exists(&data) {
            // Another process created it between the check above and taking the lock.
            return Err(Error::AlreadyExists { path });
        }
        // Build the data file under a temporary name and rename it into place, so a crash
        // during creation leaves either no database or a complete empty one.
        let tmp = path.join(format!("{DATA_FILE}.tmp"));
        if vfs.exists(&tmp) {
            vfs.remove_file(&tmp)
                .map_err(|e| Error::io("removing leftover", &tmp, e))?;
        }
        let storage = Storage::create(
            Arc::clone(&vfs),
            &tmp,
            opts.page_size,
            opts.cache_bytes as u64,
        )?;
        drop(storage);
        vfs.rename(&tmp, &data)
            .map_err(|e| Error::io("renaming new data file to", &data, e))?;
        vfs.sync_dir(&path)
            .map_err(|e| Error::io("syncing directory", &path, e))?;
        // Keep holding the lock into the open: releasing and re-taking it would leave a window
        // in which a process forked meanwhile (holding a copy of the lock's descriptor until it
        // execs) makes our own re-lock fail.
        let db = Self::open_locked(path, opts, lock)?;
        // The first checkpoint (sequence 2) records that the log exists: from now on a missing
        // log is damage, never a new database (see `Wal::open`'s `log_required`).
        db.checkpoint()?;
        Ok(db)
    }

    /// Opens the database in directory `path`, running crash recovery. Fails with
    /// [`Error::NotFound`] if there is none, [`Error::Locked`] if another handle has it open.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Database> {
        let path = path.as_ref().to_path_buf();
        if !opts.vfs.exists(&path.join(DATA_FILE)) {
            return Err(Error::NotFound { path });
        }
        let lock = Self::lock(&opts, &path)?;
        Self::open_locked(path, opts, lock)
    }

    /// [`Database::open`] with the directory's lock already held.
    fn open_locked(path: PathBuf, opts: Options, lock: Box<dyn VfsFile>) -> Result<Database> {
        let vfs = Arc::clone(&opts.vfs);
        let data = path.join(DATA_FILE);
        let (storage, meta) = Storage::open(Arc::clone(&vfs), &data, opts.cache_bytes as u64)?;
        let storage = Arc::new(storage);
        let wal_opts = WalOptions {
            mode: opts.wal_mode,
            segment_size: opts.wal_segment_size,
            archive: opts.wal_archive.clone(),
            recovery: opts.wal_recovery,
            log_required: meta.seq >= 2,
        };
        let (wal, recovered) = Wal::open(
            Arc::clone(&vfs),
            &path.join(WAL_DIR),
            storage.page_size() as u32,
            meta.checkpoint_lsn,
            wal_opts,
        )?;
        let mut state = WriterState {
            root: meta.root,
            entries: meta.entry_count,
            last_lsn: meta.checkpoint_lsn,
            wal_end_at_checkpoint: 0,
        };
        let recovered_txns = recovered.len() as u64;
        let mut next_txn = meta.next_txn_id.max(TxnId(1));
        // Redo in groups: no reader exists yet, so consecutive transactions can share one
        // copy-on-write pass (their ops concatenated in log order; the last write per key wins,
        // exactly as replaying them one by one would leave it). Groups are bounded so the pages
        // one pass builds stay within a fixed amount of memory.
        let mut group: Vec<Op> = Vec::new();
        let mut group_bytes = 0usize;
        let mut pending = recovered.into_iter().peekable();
        while let Some(txn) = pending.next() {
            group_bytes += txn.ops.iter().map(Op::byte_len).sum::<usize>();
            group.extend(txn.ops);
            state.last_lsn = txn.lsn;
            next_txn = TxnId(next_txn.0.max(txn.txn.0 + 1));
            if group_bytes >= REDO_GROUP_BYTES || pending.peek().is_none() {
                let (root, entries) =
                    apply_ops(&storage, state.root, state.entries, state.last_lsn, &group)?;
                storage.publish();
                state.root = root;
                state.entries = entries;
                group.clear();
                group_bytes = 0;
            }
        }
        let lock_config = LockConfig {
            wait_timeout: opts.lock_timeout,
            ..LockConfig::default()
        };
        let snapshots = SnapshotRegistry::new(Snapshot::pinned(
            &storage,
            storage.epoch(),
            state.last_lsn,
            state.root,
            state.entries,
        ));
        let db = Database {
            path,
            opts,
            storage,
            wal,
            writer: Mutex::new(state),
            snapshots,
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(None),
            commits: AtomicU64::new(0),
            checkpoints: AtomicU64::new(0),
            recovered_txns,
            next_txn: AtomicU64::new(next_txn.0),
            locks: LockManager::new(lock_config),
            conflicts: ConflictIndex::default(),
            txn_counters: TxnCounters::default(),
            _lock: lock,
        };
        if recovered_txns > 0 {
            db.checkpoint()?;
        } else {
            let end = db.wal.end_lsn().0;
            db.writer().wal_end_at_checkpoint = end;
        }
        Ok(db)
    }

    fn lock(opts: &Options, dir: &Path) -> Result<Box<dyn VfsFile>> {
        let lock_path = dir.join(LOCK_FILE);
        let file = opts
            .vfs
            .open(&lock_path, OpenMode::CreateOrOpen)
            .map_err(|e| Error::io("opening lock file", &lock_path, e))?;
        match file.try_lock_exclusive() {
            Ok(true) => Ok(file),
            Ok(false) => Err(Error::Locked { path: lock_path }),
            Err(e) => Err(Error::io("locking", &lock_path, e)),
        }
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The page size of this database.
    pub fn page_size(&self) -> usize {
        self.storage.page_size()
    }

    /// The WAL mode this handle was opened with.
    pub fn wal_mode(&self) -> WalMode {
        self.opts.wal_mode
    }

    /// Reads `key` from the latest durable commit.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_poison()?;
        let snap = self.snapshots.current();
        btree::get(&*self.storage, snap.root, key)
    }

    /// The latest durable committed state; reading through it (see [`Database::get_at`] and
    /// [`Database::range_at`]) gives a consistent view however many commits follow.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.current()
    }

    /// Reads `key` as of `snap`.
    pub fn get_at(&self, snap: &Snapshot, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_poison()?;
        btree::get(&*self.storage, snap.root, key)
    }

    /// Iterates the keys in `(from, to)` in ascending order, or descending if `reverse`, over the
    /// latest durable commit.
    pub fn range(&self, from: Bound<&[u8]>, to: Bound<&[u8]>, reverse: bool) -> Result<Range<'_>> {
        self.range_at(self.snapshots.current(), from, to, reverse)
    }

    /// Like [`Database::range`], over `snap`.
    pub fn range_at(
        &self,
        snap: Arc<Snapshot>,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Range<'_>> {
        self.check_poison()?;
        let inner = btree::Range::new(&*self.storage, snap.root, from, to, reverse)?;
        Ok(Range { _snap: snap, inner })
    }

    /// Sets `key` to `value` in a commit of its own.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<CommitInfo> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.commit(batch)
    }

    /// Deletes `key` in a commit of its own; returns whether it existed.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        let existed = self.get(key)?.is_some();
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.commit(batch)?;
        Ok(existed)
    }

    /// Applies `batch` atomically and durably: when this returns `Ok`, the commit is on disk and
    /// visible to readers.
    ///
    /// The batch runs as a transaction of its own: it takes the exclusive lock of every key it
    /// writes (one lock on the span from its first to its last key when it writes more than
    /// [`ESCALATE_KEYS`] keys), so it waits for — and is ordered with — open transactions that
    /// read or wrote those keys, and may fail with [`Error::LockTimeout`] or [`Error::Deadlock`].
    pub fn commit(&self, batch: WriteBatch) -> Result<CommitInfo> {
        self.check_poison()?;
        batch.validate(self.storage.page_size())?;
        if batch.is_empty() {
            let snap = self.snapshots.current();
            return Ok(CommitInfo {
                txn: TxnId(0),
                lsn: snap.lsn,
            });
        }
        let txn = self.allocate_txn();
        let result = self
            .lock_batch(txn, &batch.ops)
            .and_then(|()| self.commit_ops(txn, &batch.ops));
        self.locks.release_all(txn);
        result
    }

    /// Takes the exclusive locks a plain batch commit needs.
    fn lock_batch(&self, txn: TxnId, ops: &[Op]) -> Result<()> {
        let sorted = apply::last_writes_sorted(ops);
        if sorted.len() > ESCALATE_KEYS {
            let first = sorted.first().map(|op| op.key()).unwrap_or_default();
            let last = sorted.last().map(|op| op.key()).unwrap_or_default();
            let range = KeyRange::new(first.to_vec(), Some(successor(last)))
                .map_err(|e| Error::InvalidArgument(e.to_string()))?;
            self.locks
                .acquire(txn, LockTarget::Range(range), LockMode::Exclusive)?;
        } else {
            for op in sorted {
                self.locks
                    .acquire(txn, LockTarget::key(op.key()), LockMode::Exclusive)?;
            }
        }
        Ok(())
    }

    /// Writes `ops` as transaction `txn`'s commit (the caller holds the locks it needs): the
    /// numbered steps in the module docs.
    pub(crate) fn commit_ops(&self, txn: TxnId, ops: &[Op]) -> Result<CommitInfo> {
        self.check_poison()?;
        let (info, snap) = {
            let mut w = self.writer();
            self.check_poison()?;
            let lsn = self.wal.append(txn, ops).map_err(|e| self.poison(e))?;
            let sorted = apply::last_writes_sorted(ops);
            let (root, entries) =
                apply::apply_sorted(&self.storage, w.root, w.entries, lsn, &sorted)
                    .map_err(|e| self.poison(e))?;
            let epoch = self.storage.publish();
            w.root = root;
            w.entries = entries;
            w.last_lsn = lsn;
            self.conflicts.record(
                lsn,
                sorted.iter().map(|op| op.key()),
                self.snapshots.current().lsn,
            );
            let snap = Snapshot::pinned(&self.storage, epoch, lsn, root, entries);
            if self.opts.wal_mode == WalMode::Standard {
                self.wal.wait_durable(lsn).map_err(|e| self.poison(e))?;
                self.snapshots.publish(snap);
                (CommitInfo { txn, lsn }, None)
            } else {
                (CommitInfo { txn, lsn }, Some(snap))
            }
        };
        if let Some(snap) = snap {
            self.wal
                .wait_durable(info.lsn)
                .map_err(|e| self.poison(e))?;
            self.snapshots.publish(snap);
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        // The commit is durable and visible: report it as such. A failed automatic checkpoint
        // has already poisoned the handle, so the next call reports that failure.
        let _ = self.maybe_checkpoint();
        Ok(info)
    }

    fn allocate_txn(&self) -> TxnId {
        TxnId(self.next_txn.fetch_add(1, Ordering::Relaxed))
    }

    /// Begins a transaction at `level` (see [`Transaction`]).
    pub fn begin(&self, level: IsolationLevel) -> Result<Transaction<'_>> {
        self.check_poison()?;
        Ok(Transaction::begin(self, level, false, self.allocate_txn()))
    }

    /// Begins a read-only transaction: it reads one snapshot (the latest commit at begin) without
    /// taking any lock, so it never blocks writers and is never blocked by them, and it is
    /// serializable (a snapshot is the state after a prefix of the commit order). Writes fail
    /// with [`Error::ReadOnlyTransaction`].
    pub fn begin_read_only(&self) -> Result<Transaction<'_>> {
        self.check_poison()?;
        Ok(Transaction::begin(
            self,
            IsolationLevel::RepeatableRead,
            true,
            self.allocate_txn(),
        ))
    }

    /// Runs `body` in a transaction at `level` and commits it, retrying from the start (up to
    /// [`RUN_ATTEMPTS`] times, with a randomized exponential backoff from the second retry on)
    /// while it fails with a retryable error ([`Error::is_retryable`]: a deadlock, a write
    /// conflict, or a call on a transaction such an error rolled back).
    /// Every attempt reuses the first attempt's transaction id, so a deadlock victim only grows
    /// older relative to newcomers and eventually stops being chosen. Returns `body`'s result
    /// and the commit.
    pub fn run<T>(
        &self,
        level: IsolationLevel,
        mut body: impl FnMut(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<(T, CommitInfo)> {
        self.check_poison()?;
        let id = self.allocate_txn();
        let mut attempt = 1;
        loop {
            let mut txn = Transaction::begin(self, level, false, id);
            let outcome = body(&mut txn).and_then(|value| Ok((value, txn.commit()?)));
            match outcome {
                Err(e) if e.is_retryable() && attempt < RUN_ATTEMPTS => {
                    backoff(id, attempt);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn maybe_checkpoint(&self) -> Result<()> {
        let every = self.opts.checkpoint_wal_bytes;
        if every == 0 {
            return Ok(());
        }
        let since = self
            .wal
            .end_lsn()
            .0
            .saturating_sub(self.writer().wal_end_at_checkpoint);
        if since >= every {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Writes every dirty page and a new meta slot, making the data file alone describe the
    /// latest commit, then recycles the WAL before it. Bounds recovery time; runs automatically
    /// every [`Options::checkpoint_wal_bytes`] of log.
    pub fn checkpoint(&self) -> Result<()> {
        self.check_poison()?;
        let mut w = self.writer();
        self.check_poison()?;
        // Everything applied becomes durable, so everything applied may become visible.
        self.wal.flush().map_err(|e| self.poison(e))?;
        self.snapshots.publish(Snapshot::pinned(
            &self.storage,
            self.storage.epoch(),
            w.last_lsn,
            w.root,
            w.entries,
        ));
        let fields = CheckpointFields {
            checkpoint_lsn: w.last_lsn,
            root: w.root,
            entry_count: w.entries,
            next_txn_id: TxnId(self.next_txn.load(Ordering::Relaxed)),
        };
        self.storage
            .checkpoint(fields)
            .map_err(|e| self.poison(e))?;
        self.wal
            .recycle_before(w.last_lsn)
            .map_err(|e| self.poison(e))?;
        w.wal_end_at_checkpoint = self.wal.end_lsn().0;
        self.checkpoints.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Checks the whole database: every page checksum, B+tree order and structure, overflow
    /// chains, and that the freelist and the tree never share a page. Returns every finding
    /// rather than stopping at the first.
    pub fn check(&self) -> Result<IntegrityReport> {
        self.check_poison()?;
        let _w = self.writer();
        let snap = self.snapshots.current();
        check::check(&self.storage, snap.root, snap.entries)
    }

    /// Counters and sizes of every layer.
    pub fn stats(&self) -> Result<Stats> {
        let snap = self.snapshots.current();
        Ok(Stats {
            path: self.path.display().to_string(),
            page_size: self.storage.page_size(),
            wal_mode: match self.opts.wal_mode {
                WalMode::Standard => "standard",
                WalMode::Unified => "unified",
            },
            entries: snap.entries,
            last_commit_lsn: snap.lsn.0,
            commits: self.commits.load(Ordering::Relaxed),
            checkpoints: self.checkpoints.load(Ordering::Relaxed),
            recovered_txns: self.recovered_txns,
            storage: self.storage.stats(),
            wal: self.wal.stats(),
            txn: self.txn_stats(),
            locks: self.locks.stats(),
        })
    }

    fn txn_stats(&self) -> TxnStats {
        let c = &self.txn_counters;
        let begun = c.begun.load(Ordering::Relaxed);
        let committed = c.committed.load(Ordering::Relaxed);
        let rolled_back = c.rolled_back.load(Ordering::Relaxed);
        TxnStats {
            begun,
            committed,
            rolled_back,
            write_conflicts: c.write_conflicts.load(Ordering::Relaxed),
            active: begun.saturating_sub(committed + rolled_back),
            conflict_index_entries: self.conflicts.len() as u64,
        }
    }

    /// Checkpoints and closes the database, reporting any failure (dropping the handle
    /// instead skips the checkpoint; the WAL still has every commit).
    pub fn close(self) -> Result<()> {
        self.checkpoint()
    }

    /// The storage layer (for the backup module, which copies pages through it).
    pub(crate) fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// The current durable snapshot together with a transaction id no commit of it used, taken
    /// under the writer lock (so the pair is consistent); a restored copy continues from that id.
    pub(crate) fn backup_point(&self) -> Result<(Arc<Snapshot>, TxnId)> {
        self.check_poison()?;
        // Under the writer lock no commit is half-applied, so every id a commit in `snap` used
        // is below the counter read here.
        let _writer = self.writer();
        let snap = self.snapshots.current();
        Ok((snap, TxnId(self.next_txn.load(Ordering::Relaxed))))
    }

    fn writer(&self) -> MutexGuard<'_, WriterState> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_poison(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            let reason = self
                .poison_reason
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .unwrap_or_default();
            return Err(Error::Poisoned { reason });
        }
        Ok(())
    }

    /// Marks the handle unusable after a failure that may have left memory ahead of disk.
    fn poison(&self, err: Error) -> Error {
        let mut reason = self.poison_reason.lock().unwrap_or_else(|e| e.into_inner());
        if reason.is_none() {
            *reason = Some(err.to_string());
        }
        self.poisoned.store(true, Ordering::Release);
        err
    }
}

/// An iterator over a key range of one snapshot; yields `(key, value)` pairs.
pub struct Range<'db> {
    _snap: Arc<Snapshot>,
    inner: btree::Range<'db, Storage>,
}

impl Iterator for Range<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

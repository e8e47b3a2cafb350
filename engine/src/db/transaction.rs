//! [`Transaction`]: a unit of reads and writes that commits atomically or not at all.
//!
//! A transaction's life:
//! 1. **Begin** ([`Database::begin`]): it gets an id (ids grow with begin order, so a smaller id
//!    is an older transaction — the deadlock victim rule depends on it). A `RepeatableRead` or
//!    read-only transaction takes its snapshot now, registered in the write-conflict index.
//! 2. **Read.** Own writes first; then `RepeatableRead` and read-only transactions read their
//!    snapshot without locks, and `Serializable` ones take a shared lock on the key (or the
//!    scanned range) and read the latest committed state.
//! 3. **Write** (buffered in the write set): take the key's exclusive lock; under
//!    `RepeatableRead`, fail with [`Error::WriteConflict`] if the key was committed after the
//!    snapshot. [`Transaction::get_for_update`] does the same before it reads, for
//!    read-modify-writes that must not upgrade a shared lock.
//! 4. **Commit**: the write set becomes one WAL commit record and one copy-on-write apply
//!    (the same path as [`Database::commit`]); once it is durable and published, the locks are
//!    released. **Rollback** (or drop) discards the write set and releases the locks.
//!
//! **Locks it already holds** are remembered by the transaction itself (the key and the mode,
//! plus the ranges it locked exclusively with [`Transaction::lock_range_exclusive`]): a second
//! write, locking read or guard of such a key asks neither the lock manager nor the
//! write-conflict index again. Neither answer can change while the lock is held — no other
//! transaction can commit a key this one holds locked — so this only saves work: a row insert
//! touches its row key and each unique index entry twice (the absence check, then the write).
//!
//! A deadlock or write conflict rolls the transaction back at once (its locks are released so
//! the others proceed); every later call then fails with [`Error::TransactionAborted`]. A lock
//! timeout does not: the transaction keeps its locks and may retry the call or roll back.
//! [`Database::run`] wraps the retry loop, reusing the transaction id so that a deadlock victim
//! ages and eventually wins.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::batch::validate_write;
use super::{CommitInfo, Database, Snapshot};
use crate::error::{Error, Result};
use crate::txn::IsolationLevel;
use crate::txn::lock::{LockMode, LockTarget};
use crate::txn::write_set::{MergedRange, WriteSet, lock_range};
use crate::types::{Lsn, TxnId};

/// Where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Active,
    /// Rolled back by an error; the message says which.
    Aborted(String),
}

/// A transaction on a [`Database`]; see the module docs. Dropping it without
/// [`commit`](Self::commit) rolls it back.
#[derive(Debug)]
pub struct Transaction<'db> {
    db: &'db Database,
    id: TxnId,
    level: IsolationLevel,
    read_only: bool,
    /// The snapshot reads see (`RepeatableRead` and read-only); `Serializable` reads the latest
    /// committed state under locks instead.
    snapshot: Option<Arc<Snapshot>>,
    /// Whether this transaction is registered in the write-conflict index (at its snapshot LSN).
    registered: bool,
    writes: WriteSet,
    /// Key locks this transaction holds, each granted (and, under `RepeatableRead`, checked
    /// against the write-conflict index) once; see the module docs.
    held: HashMap<Vec<u8>, LockMode>,
    /// `[from, to)` ranges it holds exclusively ([`Self::lock_range_exclusive`]): writes inside
    /// them need no key lock.
    owned_ranges: Vec<(Vec<u8>, Vec<u8>)>,
    state: State,
    /// Set once the locks are released and the registration ended (commit, rollback or abort).
    released: bool,
}

/// Reads of one transaction's snapshot from other threads (a parallel scan's workers): see
/// [`Transaction::snapshot_reader`]. Cheap to clone; `Send` and `Sync`.
#[derive(Clone, Debug)]
pub struct SnapshotReader<'db> {
    db: &'db Database,
    snap: Arc<Snapshot>,
}

impl SnapshotReader<'_> {
    /// Reads `key` as the transaction would.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get_at(&self.snap, key)
    }
}

/// A range scan inside a transaction: the committed entries it may see, with its own writes
/// merged in. Yields `(key, value)` pairs.
pub type TxnRange<'db> = MergedRange<super::Range<'db>>;

impl<'db> Transaction<'db> {
    pub(super) fn begin(
        db: &'db Database,
        level: IsolationLevel,
        read_only: bool,
        id: TxnId,
    ) -> Transaction<'db> {
        // A read-only transaction never writes, so it needs no write-conflict registration.
        let (snapshot, registered) = if read_only {
            (Some(db.snapshots.current()), false)
        } else if level == IsolationLevel::RepeatableRead {
            let snap = db.conflicts.register(|| {
                let snap = db.snapshots.current();
                let lsn = snap.lsn;
                (snap, lsn)
            });
            (Some(snap), true)
        } else {
            (None, false)
        };
        db.txn_counters.begun.fetch_add(1, Ordering::Relaxed);
        Transaction {
            db,
            id,
            level,
            read_only,
            snapshot,
            registered,
            writes: WriteSet::default(),
            held: HashMap::new(),
            owned_ranges: Vec::new(),
            state: State::Active,
            released: false,
        }
    }

    /// This transaction's id (lock owner, and the id its commit record carries).
    pub fn id(&self) -> TxnId {
        self.id
    }

    /// Its isolation level.
    pub fn isolation(&self) -> IsolationLevel {
        self.level
    }

    /// Whether it was begun read-only ([`Database::begin_read_only`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The LSN of the snapshot its reads see, for `RepeatableRead` and read-only transactions
    /// (`None` for `Serializable`, which reads the latest committed state under locks).
    pub fn snapshot_lsn(&self) -> Option<Lsn> {
        self.snapshot.as_ref().map(|s| s.lsn)
    }

    /// Number of distinct keys written so far.
    pub fn write_count(&self) -> usize {
        self.writes.len()
    }

    /// Reads `key`: this transaction's own write if it made one, else the committed value it may
    /// see (see the module docs).
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_active()?;
        if let Some(own) = self.writes.get(key) {
            return Ok(own.map(<[u8]>::to_vec));
        }
        let snap = match &self.snapshot {
            Some(snap) => Arc::clone(snap),
            None => {
                self.lock_key(key, LockMode::Shared)?;
                self.db.snapshots.current()
            }
        };
        self.db.get_at(&snap, key)
    }

    /// A reader of exactly what this transaction's [`get`](Self::get) would return for keys in
    /// `[from, to)`, usable from other threads — when those reads are plain snapshot reads: the
    /// transaction is active, reads a snapshot (repeatable read or read-only) and has written
    /// nothing in the range. `None` otherwise (serializable reads take locks; its own writes
    /// would have to be merged in).
    pub fn snapshot_reader(&self, from: &[u8], to: &[u8]) -> Option<SnapshotReader<'db>> {
        self.check_active().ok()?;
        let snap = self.snapshot.as_ref()?;
        let own = self
            .writes
            .range(Bound::Included(from), Bound::Excluded(to), false);
        own.is_empty().then(|| SnapshotReader {
            db: self.db,
            snap: Arc::clone(snap),
        })
    }

    /// Reads `key` for an update this transaction is about to make (a locking read, like SQL's
    /// `SELECT … FOR UPDATE`): takes the key's exclusive lock *before* reading, so a
    /// read-modify-write never has to upgrade a shared lock. Two `Serializable` transactions
    /// that both [`get`](Self::get) a key and then write it deadlock on the upgrade (each holds
    /// `Shared`, each waits for `Exclusive`) and one is rolled back; with `get_for_update` the
    /// second one waits for the first to end and then reads its result. Under
    /// `RepeatableRead` it reads the snapshot and fails at once with [`Error::WriteConflict`]
    /// when the key was committed after the snapshot (the write would fail the same way).
    /// Refused in read-only transactions ([`Error::ReadOnlyTransaction`]).
    pub fn get_for_update(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.prepare_write(key, None)?;
        if let Some(own) = self.writes.get(key) {
            return Ok(own.map(<[u8]>::to_vec));
        }
        let snap = match &self.snapshot {
            Some(snap) => Arc::clone(snap),
            None => self.db.snapshots.current(),
        };
        self.db.get_at(&snap, key)
    }

    /// Scans the keys in `(from, to)`, ascending or (if `reverse`) descending, with this
    /// transaction's own writes merged in. Under `Serializable` the whole range is share-locked
    /// first — including keys that do not exist yet, so no other transaction can insert into it
    /// (no phantoms) until this one ends.
    pub fn range(
        &mut self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<TxnRange<'db>> {
        self.check_active()?;
        let snap = match &self.snapshot {
            Some(snap) => Arc::clone(snap),
            None => {
                if let Some(range) = lock_range(from, to) {
                    self.lock(LockTarget::Range(range), LockMode::Shared)?;
                }
                self.db.snapshots.current()
            }
        };
        let own = self.writes.range(from, to, reverse);
        let base = self.db.range_at(snap, from, to, reverse)?;
        Ok(MergedRange::new(base, own, reverse))
    }

    /// Guards `key` against concurrent writers for the rest of this transaction without writing
    /// it: takes the key's shared lock (writers of the key wait until this transaction ends, and
    /// this call waits for a transaction that holds it exclusively). Under `RepeatableRead` it
    /// then fails with [`Error::WriteConflict`] (rolling back, like a write would) when the key
    /// was committed after the snapshot — so, once this returns `Ok`, the value the snapshot
    /// sees is the latest committed value and stays so until this transaction ends. The schema
    /// layer guards its catalog this way. Read-only transactions read a fixed snapshot and take
    /// no locks: for them this is a no-op.
    pub fn lock_shared(&mut self, key: &[u8]) -> Result<()> {
        self.check_active()?;
        if self.read_only || self.holds(key, LockMode::Shared) {
            return Ok(());
        }
        self.lock(LockTarget::key(key), LockMode::Shared)?;
        if let Some(snap) = &self.snapshot
            && self.db.conflicts.written_after(key, snap.lsn)
        {
            return Err(self.write_conflict(key.escape_ascii().to_string()));
        }
        self.remember(key, LockMode::Shared);
        Ok(())
    }

    /// Locks every key in `[from, to)` — present or not — exclusively for the rest of this
    /// transaction, then (under `RepeatableRead`) fails with [`Error::WriteConflict`] if any of
    /// them was committed after the snapshot. Afterwards writes inside the range take no key
    /// locks of their own. For writers of a whole key range that no one else may touch
    /// meanwhile: the schema layer builds a new index's entries this way, one lock instead of
    /// one per entry. Refused in read-only transactions; a no-op for an empty range.
    pub fn lock_range_exclusive(&mut self, from: &[u8], to: &[u8]) -> Result<()> {
        self.check_active()?;
        if self.read_only {
            return Err(Error::ReadOnlyTransaction { txn: self.id });
        }
        let Some(range) = lock_range(Bound::Included(from), Bound::Excluded(to)) else {
            return Ok(());
        };
        self.lock(LockTarget::Range(range), LockMode::Exclusive)?;
        self.check_unchanged(from, to)?;
        self.owned_ranges.push((from.to_vec(), to.to_vec()));
        Ok(())
    }

    /// Fails with [`Error::WriteConflict`] (rolling back) under `RepeatableRead` if any key in
    /// `[from, to)` was committed after the snapshot; a no-op at `Serializable` (which reads the
    /// latest committed state) and in read-only transactions. A caller that has excluded every
    /// other writer of the range (the schema layer's DDL, holding the catalog's exclusive lock)
    /// uses it to know its snapshot of the range is the latest committed state.
    pub fn check_unchanged(&mut self, from: &[u8], to: &[u8]) -> Result<()> {
        self.check_active()?;
        if self.read_only {
            return Ok(());
        }
        if let Some(snap) = &self.snapshot
            && self.db.conflicts.written_in_after(from, to, snap.lsn)
        {
            return Err(self.write_conflict(format!(
                "{}..{}",
                from.escape_ascii(),
                to.escape_ascii()
            )));
        }
        Ok(())
    }

    /// Whether this transaction has written (put or deleted) `key`.
    pub fn has_written(&self, key: &[u8]) -> bool {
        self.writes.get(key).is_some()
    }

    /// The LSN of the committed state its reads see now: the snapshot's for `RepeatableRead`
    /// and read-only transactions, the latest commit's for `Serializable`.
    pub fn visible_lsn(&self) -> Lsn {
        match &self.snapshot {
            Some(snap) => snap.lsn,
            None => self.db.snapshots.current().lsn,
        }
    }

    /// Sets `key` to `value` when the transaction commits.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.prepare_write(key, Some(value))?;
        self.writes.put(key, value);
        Ok(())
    }

    /// Sets every `key` to its `value` when the transaction commits (a later pair wins over an
    /// earlier one with the same key). Each key is locked and checked as [`put`](Self::put)
    /// would; if one fails, none of the pairs is recorded. Cheaper than one `put` per pair for
    /// large batches, most of all sorted ones inside a range locked with
    /// [`lock_range_exclusive`](Self::lock_range_exclusive).
    pub fn put_all(&mut self, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Result<()> {
        for (key, value) in &pairs {
            self.prepare_write(key, Some(value))?;
        }
        self.writes.put_all(pairs);
        Ok(())
    }

    /// Deletes `key` when the transaction commits (a no-op if it is absent then).
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.prepare_write(key, None)?;
        self.writes.delete(key);
        Ok(())
    }

    /// Commits: when this returns `Ok`, every write is durable and visible, atomically. A
    /// transaction that wrote nothing commits without touching the log (its `lsn` is the LSN of
    /// the state it read, or of the latest commit for `Serializable`).
    pub fn commit(mut self) -> Result<CommitInfo> {
        self.check_active()?;
        let writes = std::mem::take(&mut self.writes);
        let result = if writes.is_empty() {
            let lsn = match &self.snapshot {
                Some(snap) => snap.lsn,
                None => self.db.snapshots.current().lsn,
            };
            Ok(CommitInfo { txn: self.id, lsn })
        } else {
            self.db.commit_ops(self.id, &writes.into_ops())
        };
        self.release();
        let counter = match result {
            Ok(_) => &self.db.txn_counters.committed,
            Err(_) => &self.db.txn_counters.rolled_back,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// Discards every write and releases the locks (the same as dropping the transaction).
    pub fn rollback(self) {}

    fn check_active(&self) -> Result<()> {
        match &self.state {
            State::Active => Ok(()),
            State::Aborted(reason) => Err(Error::TransactionAborted {
                txn: self.id,
                reason: reason.clone(),
            }),
        }
    }

    /// Counts a write conflict on `what` (a key or a range) and rolls the transaction back.
    fn write_conflict(&mut self, what: String) -> Error {
        self.db
            .txn_counters
            .write_conflicts
            .fetch_add(1, Ordering::Relaxed);
        self.abort(Error::WriteConflict {
            txn: self.id,
            key: what,
        })
    }

    fn prepare_write(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.check_active()?;
        if self.read_only {
            return Err(Error::ReadOnlyTransaction { txn: self.id });
        }
        validate_write(key, value, self.db.page_size())?;
        if self.holds(key, LockMode::Exclusive) {
            return Ok(());
        }
        self.lock(LockTarget::key(key), LockMode::Exclusive)?;
        if let Some(snap) = &self.snapshot
            && self.db.conflicts.written_after(key, snap.lsn)
        {
            return Err(self.write_conflict(key.escape_ascii().to_string()));
        }
        self.remember(key, LockMode::Exclusive);
        Ok(())
    }

    /// Whether this transaction already holds `key` locked in `mode` or stronger (a key lock,
    /// or a range it holds exclusively), checked against the conflict index when granted.
    fn holds(&self, key: &[u8], mode: LockMode) -> bool {
        self.owned_ranges
            .iter()
            .any(|(from, to)| from.as_slice() <= key && key < to.as_slice())
            || self.held.get(key).is_some_and(|m| m.includes(mode))
    }

    /// Records a granted key lock (see [`Self::holds`]).
    fn remember(&mut self, key: &[u8], mode: LockMode) {
        match self.held.get_mut(key) {
            Some(m) => *m = (*m).max(mode),
            None => {
                self.held.insert(key.to_vec(), mode);
            }
        }
    }

    /// Takes a key lock unless this transaction holds it already (reads under `Serializable`).
    fn lock_key(&mut self, key: &[u8], mode: LockMode) -> Result<()> {
        if self.holds(key, mode) {
            return Ok(());
        }
        self.lock(LockTarget::key(key), mode)?;
        self.remember(key, mode);
        Ok(())
    }

    /// Acquires a lock; a deadlock rolls the transaction back.
    fn lock(&mut self, target: LockTarget, mode: LockMode) -> Result<()> {
        match self.db.locks.acquire(self.id, target, mode) {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = Error::from(e);
                if matches!(err, Error::Deadlock { .. }) {
                    Err(self.abort(err))
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Rolls back after `err`, releasing the locks at once so the others can proceed; returns
    /// `err` for the caller.
    fn abort(&mut self, err: Error) -> Error {
        self.state = State::Aborted(err.to_string());
        self.writes = WriteSet::default();
        self.release();
        self.db
            .txn_counters
            .rolled_back
            .fetch_add(1, Ordering::Relaxed);
        err
    }

    /// Releases the locks and ends the registration (once).
    fn release(&mut self) {
        if self.released {
            return;
        }
        self.released = true;
        self.held = HashMap::new();
        self.owned_ranges = Vec::new();
        self.db.locks.release_all(self.id);
        if self.registered
            && let Some(snap) = &self.snapshot
        {
            self.db.conflicts.unregister(snap.lsn);
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.db
                .txn_counters
                .rolled_back
                .fetch_add(1, Ordering::Relaxed);
            self.release();
        }
    }
}

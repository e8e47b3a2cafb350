//! Published snapshots: which tree root readers see, and how a held snapshot pins its pages.
//!
//! Every commit, once durable, publishes a new [`Snapshot`] (its storage epoch, LSN and root
//! page). A reader clones the current `Arc<Snapshot>` — one atomic increment, no lock shared
//! with the writer — and holds it for as long as it reads. A snapshot pins its storage epoch from
//! the moment it is published until its last `Arc` is dropped, so no page reachable from its root
//! is reused while anyone can still read it (the freelist's reuse rule, `engine/FORMAT.md`).
//! The registry always holds the current snapshot, so the newest published root is pinned too.

use std::sync::{Arc, RwLock};

use crate::storage::Storage;
use crate::types::{Lsn, PageId};

/// One committed, durable state of the tree.
#[derive(Debug)]
pub struct Snapshot {
    /// Storage epoch of the commit that produced this state (increases with every commit).
    pub epoch: u64,
    /// LSN of the commit that produced this state.
    pub lsn: Lsn,
    /// Root page of the tree (`PageId(0)` = empty).
    pub root: PageId,
    /// Number of keys in the tree.
    pub entries: u64,
    storage: Arc<Storage>,
}

impl Snapshot {
    /// A snapshot of `epoch`, pinning it in `storage` until dropped.
    pub(crate) fn pinned(
        storage: &Arc<Storage>,
        epoch: u64,
        lsn: Lsn,
        root: PageId,
        entries: u64,
    ) -> Snapshot {
        storage.pin(epoch);
        Snapshot {
            epoch,
            lsn,
            root,
            entries,
            storage: Arc::clone(storage),
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.storage.unpin(self.epoch);
    }
}

/// The current snapshot.
#[derive(Debug)]
pub struct SnapshotRegistry {
    current: RwLock<Arc<Snapshot>>,
}

impl SnapshotRegistry {
    /// A registry whose current snapshot is `initial`.
    pub fn new(initial: Snapshot) -> Self {
        SnapshotRegistry {
            current: RwLock::new(Arc::new(initial)),
        }
    }

    /// The current snapshot; holding the `Arc` keeps its pages from being reused.
    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes `snap` current if it is newer than the current snapshot (commits can finish their
    /// fsync wait out of order in group commit; readers never go back in time).
    pub fn publish(&self, snap: Snapshot) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if snap.epoch > current.epoch {
            let old = std::mem::replace(&mut *current, Arc::new(snap));
            drop(current);
            // Dropping the registry's reference outside the lock: if no reader holds the old
            // snapshot, this unpins its epoch.
            drop(old);
        }
    }
}

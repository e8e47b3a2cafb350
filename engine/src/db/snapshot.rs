//! Published snapshots: which tree root readers see, and which roots are still pinned.
//!
//! Every commit publishes a new [`Snapshot`] (its sequence number, LSN and root page) once it is
//! durable. A reader clones the current `Arc<Snapshot>` and holds it for as long as it reads;
//! while it does, no page reachable from that root may be reused. The registry remembers every
//! snapshot it handed out and reports the oldest one still held, which the freelist uses to
//! decide when freed pages may be reused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use crate::types::{Lsn, PageId};

/// One committed, durable state of the tree.
#[derive(Debug)]
pub struct Snapshot {
    /// Commit sequence number (0 = the state recovered at open).
    pub seq: u64,
    /// LSN of the commit that produced this state.
    pub lsn: Lsn,
    /// Root page of the tree (`PageId(0)` = empty).
    pub root: PageId,
    /// Number of keys in the tree.
    pub entries: u64,
}

/// The current snapshot plus every older one a reader may still hold.
#[derive(Debug)]
pub struct SnapshotRegistry {
    current: RwLock<Arc<Snapshot>>,
    handed_out: Mutex<VecDeque<Arc<Snapshot>>>,
}

impl SnapshotRegistry {
    /// A registry whose current snapshot is `initial`.
    pub fn new(initial: Snapshot) -> Self {
        let initial = Arc::new(initial);
        SnapshotRegistry {
            current: RwLock::new(Arc::clone(&initial)),
            handed_out: Mutex::new(VecDeque::from([initial])),
        }
    }

    /// The current snapshot; holding the `Arc` pins it.
    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Publishes `snap` if it is newer than the current snapshot.
    pub fn publish(&self, snap: Arc<Snapshot>) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if snap.seq > current.seq {
            self.handed_out
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(Arc::clone(&snap));
            *current = snap;
        }
    }

    /// The sequence number of the oldest snapshot that a reader still holds (or the current one).
    /// Pages freed by a commit with a sequence number `<=` this value are unreachable by readers.
    pub fn oldest_pinned(&self) -> u64 {
        let current_seq = self.current().seq;
        let mut list = self.handed_out.lock().unwrap_or_else(|e| e.into_inner());
        // An entry is held only by the list (count 1) when no reader has it; drop those from the
        // front, except the current one.
        while let Some(front) = list.front() {
            if front.seq < current_seq && Arc::strong_count(front) == 1 {
                list.pop_front();
            } else {
                break;
            }
        }
        list.iter()
            .filter(|s| s.seq == current_seq || Arc::strong_count(s) > 1)
            .map(|s| s.seq)
            .min()
            .unwrap_or(current_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(seq: u64) -> Arc<Snapshot> {
        Arc::new(Snapshot {
            seq,
            lsn: Lsn(seq),
            root: PageId(seq + 1),
            entries: 0,
        })
    }

    #[test]
    fn oldest_pinned_follows_held_snapshots() {
        let reg = SnapshotRegistry::new(Snapshot {
            seq: 0,
            lsn: Lsn(0),
            root: PageId(0),
            entries: 0,
        });
        let held = reg.current();
        reg.publish(snap(1));
        reg.publish(snap(2));
        assert_eq!(reg.oldest_pinned(), 0, "seq 0 is still held by a reader");
        drop(held);
        assert_eq!(reg.oldest_pinned(), 2, "nothing older than the current is held");
        let held2 = reg.current();
        reg.publish(snap(3));
        assert_eq!(reg.oldest_pinned(), 2);
        drop(held2);
        assert_eq!(reg.oldest_pinned(), 3);
    }

    #[test]
    fn an_older_snapshot_is_never_published_over_a_newer_one() {
        let reg = SnapshotRegistry::new(Snapshot {
            seq: 0,
            lsn: Lsn(0),
            root: PageId(0),
            entries: 0,
        });
        reg.publish(snap(5));
        reg.publish(snap(4));
        assert_eq!(reg.current().seq, 5);
    }
}

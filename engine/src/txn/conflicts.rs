//! The write-conflict index behind `RepeatableRead`'s first-updater-wins rule.
//!
//! A `RepeatableRead` transaction reads a snapshot; before it may write a key it must know
//! whether another transaction committed that key *after* its snapshot (then its write would
//! silently overwrite a change it never saw — a lost update). The index answers that:
//!
//! 1. **Record.** Every commit, under the writer lock, records the LSN of its commit record for
//!    each key it wrote. A commit writing more than [`ESCALATE_KEYS`] keys records one inclusive
//!    key range instead (bounded memory for bulk loads; a write inside the range then counts as
//!    a conflict, which is safe).
//! 2. **Register.** A `RepeatableRead` transaction takes its snapshot *while registered* here
//!    (under the index mutex), so the pruning below never drops an entry it still needs.
//! 3. **Check.** [`ConflictIndex::written_after`] — was `key` committed with an LSN greater than
//!    the snapshot's? The caller holds the key's exclusive lock, so no commit of the key can be
//!    in flight while it checks.
//! 4. **Prune.** Entries at or below the oldest registered snapshot's LSN (or, with none
//!    registered, the newest published snapshot's LSN, which every later snapshot includes) can
//!    never conflict again. Key entries are dropped once the index has doubled since the last
//!    prune; ranges, which are recorded in ascending LSN order, are dropped from the front at
//!    every commit, and a check walks them newest first and stops at the first one its
//!    snapshot already includes — so a stream of bulk commits costs each check O(commits since
//!    its snapshot), not O(ranges held).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::types::Lsn;

/// A commit writing more distinct keys than this is recorded as one key range.
pub const ESCALATE_KEYS: usize = 256;

/// The index never prunes below this many entries.
const MIN_PRUNE_AT: usize = 4096;

/// Which keys were committed at which LSN, for as long as a live snapshot predates them.
#[derive(Debug)]
pub struct ConflictIndex {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    keys: HashMap<Vec<u8>, Lsn>,
    /// Inclusive key ranges written by large commits: `(first, last, lsn)`, in ascending LSN
    /// order (commits record under the writer lock, in LSN order).
    ranges: VecDeque<(Vec<u8>, Vec<u8>, Lsn)>,
    /// Snapshot LSNs of the registered transactions, with how many share each.
    active: BTreeMap<Lsn, usize>,
    prune_at: usize,
}

impl Default for ConflictIndex {
    fn default() -> Self {
        ConflictIndex {
            inner: Mutex::new(Inner {
                keys: HashMap::new(),
                ranges: VecDeque::new(),
                active: BTreeMap::new(),
                prune_at: MIN_PRUNE_AT,
            }),
        }
    }
}

impl ConflictIndex {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Every update below leaves the maps consistent between statements, so the data behind
        // a poisoned mutex is still valid.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a transaction: runs `take` (which takes its snapshot and returns it with the
    /// snapshot's LSN) under the index mutex and records the LSN until
    /// [`unregister`](Self::unregister).
    pub fn register<T>(&self, take: impl FnOnce() -> (T, Lsn)) -> T {
        let mut inner = self.inner();
        let (snapshot, lsn) = take();
        *inner.active.entry(lsn).or_insert(0) += 1;
        snapshot
    }

    /// Ends the registration of a transaction whose snapshot LSN was `lsn`.
    pub fn unregister(&self, lsn: Lsn) {
        let mut inner = self.inner();
        if let Some(n) = inner.active.get_mut(&lsn) {
            *n -= 1;
            if *n == 0 {
                inner.active.remove(&lsn);
            }
        }
    }

    /// Records that the commit at `lsn` wrote `keys` (ascending, distinct). `published` is the
    /// LSN of the newest published snapshot, the pruning bound when no transaction is
    /// registered.
    pub fn record<'k>(
        &self,
        lsn: Lsn,
        keys: impl ExactSizeIterator<Item = &'k [u8]> + Clone,
        published: Lsn,
    ) {
        let mut inner = self.inner();
        if keys.len() > ESCALATE_KEYS {
            let first = keys.clone().next().map(<[u8]>::to_vec).unwrap_or_default();
            let last = keys.last().map(<[u8]>::to_vec).unwrap_or_default();
            debug_assert!(inner.ranges.back().is_none_or(|r| r.2 <= lsn));
            inner.ranges.push_back((first, last, lsn));
        } else {
            for key in keys {
                match inner.keys.get_mut(key) {
                    Some(at) => *at = (*at).max(lsn),
                    None => {
                        inner.keys.insert(key.to_vec(), lsn);
                    }
                }
            }
        }
        let bound = inner.active.keys().next().copied().unwrap_or(published);
        while inner.ranges.front().is_some_and(|r| r.2 <= bound) {
            inner.ranges.pop_front();
        }
        if inner.keys.len() + inner.ranges.len() > inner.prune_at {
            inner.keys.retain(|_, at| *at > bound);
            inner.prune_at = MIN_PRUNE_AT.max(2 * (inner.keys.len() + inner.ranges.len()));
        }
    }

    /// Whether `key` was committed by a commit with an LSN greater than `snapshot`.
    pub fn written_after(&self, key: &[u8], snapshot: Lsn) -> bool {
        let inner = self.inner();
        inner.keys.get(key).is_some_and(|&at| at > snapshot)
            || inner
                .ranges
                .iter()
                .rev()
                .take_while(|r| r.2 > snapshot)
                .any(|(first, last, _)| first.as_slice() <= key && key <= last)
    }

    /// Whether any key in `[from, to)` was committed by a commit with an LSN greater than
    /// `snapshot` (a scan of the whole index: for rare callers such as schema changes).
    pub fn written_in_after(&self, from: &[u8], to: &[u8], snapshot: Lsn) -> bool {
        let inner = self.inner();
        inner
            .keys
            .iter()
            .any(|(k, &at)| at > snapshot && from <= k.as_slice() && k.as_slice() < to)
            || inner.ranges.iter().any(|(first, last, at)| {
                *at > snapshot && first.as_slice() < to && from <= last.as_slice()
            })
    }

    /// Entries held (keys plus escalated ranges).
    pub fn len(&self) -> usize {
        let inner = self.inner();
        inner.keys.len() + inner.ranges.len()
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many transactions are registered.
    pub fn registered(&self) -> usize {
        self.inner().active.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_written_after_the_snapshot_conflicts_and_one_before_does_not() {
        let idx = ConflictIndex::default();
        idx.record(Lsn(10), [b"a".as_slice(), b"b"].into_iter(), Lsn(0));
        assert!(idx.written_after(b"a", Lsn(9)));
        assert!(!idx.written_after(b"a", Lsn(10)));
        assert!(!idx.written_after(b"c", Lsn(0)));
    }

    #[test]
    fn a_large_commit_is_recorded_as_an_inclusive_range() {
        let idx = ConflictIndex::default();
        let owned: Vec<Vec<u8>> = (0..=ESCALATE_KEYS as u32)
            .map(|i| format!("k{i:05}").into_bytes())
            .collect();
        idx.record(Lsn(5), owned.iter().map(Vec::as_slice), Lsn(0));
        assert_eq!(idx.len(), 1);
        assert!(idx.written_after(b"k00000", Lsn(4)));
        assert!(idx.written_after(b"k00100x", Lsn(4)), "inside the range");
        assert!(idx.written_after(format!("k{:05}", ESCALATE_KEYS).as_bytes(), Lsn(4)));
        assert!(!idx.written_after(b"k99999", Lsn(4)), "after the last key");
        assert!(!idx.written_after(b"j", Lsn(4)), "before the first key");
    }

    #[test]
    fn pruning_keeps_what_a_registered_snapshot_needs() {
        let idx = ConflictIndex::default();
        idx.register(|| ((), Lsn(100)));
        let owned: Vec<Vec<u8>> = (0..MIN_PRUNE_AT as u64 + 10)
            .map(|i| i.to_be_bytes().to_vec())
            .collect();
        // Old commits (at or before the registered snapshot) and one newer key.
        for (i, k) in owned.iter().enumerate() {
            let lsn = if i == 7 { Lsn(200) } else { Lsn(50) };
            idx.record(lsn, std::iter::once(k.as_slice()), Lsn(300));
        }
        assert!(idx.len() < 20, "old entries pruned, {} left", idx.len());
        assert!(idx.written_after(&owned[7], Lsn(100)));
        idx.unregister(Lsn(100));
        assert_eq!(idx.registered(), 0);
        for k in owned.iter() {
            idx.record(Lsn(301), std::iter::once(k.as_slice()), Lsn(301));
        }
        // With nothing registered, the bound is the published LSN: everything at or below it goes.
        assert!(idx.len() <= MIN_PRUNE_AT + 10);
    }

    fn bulk(lo: u32) -> Vec<Vec<u8>> {
        (lo..=lo + ESCALATE_KEYS as u32)
            .map(|i| format!("k{i:06}").into_bytes())
            .collect()
    }

    #[test]
    fn ranges_a_registered_snapshot_includes_are_dropped_at_each_commit() {
        let idx = ConflictIndex::default();
        for i in 0..100u64 {
            let keys = bulk(i as u32 * 1000);
            // Nothing registered, and every earlier commit already published.
            idx.record(Lsn(i + 1), keys.iter().map(Vec::as_slice), Lsn(i));
        }
        assert_eq!(idx.len(), 1, "only the newest, unpublished range is kept");
        assert!(idx.written_after(b"k099000", Lsn(99)));
        assert!(!idx.written_after(b"k099000", Lsn(100)));
    }

    #[test]
    fn a_range_older_than_a_newer_one_still_conflicts_for_an_older_snapshot() {
        let idx = ConflictIndex::default();
        idx.register(|| ((), Lsn(1)));
        let (a, b) = (bulk(0), bulk(5000));
        idx.record(Lsn(2), a.iter().map(Vec::as_slice), Lsn(1));
        idx.record(Lsn(3), b.iter().map(Vec::as_slice), Lsn(1));
        assert_eq!(idx.len(), 2, "the registered snapshot at 1 needs both");
        assert!(
            idx.written_after(b"k000010", Lsn(1)),
            "the older range, behind the newer"
        );
        assert!(
            !idx.written_after(b"k000010", Lsn(2)),
            "a snapshot at 2 includes it"
        );
        assert!(idx.written_after(b"k005010", Lsn(2)));
    }
}

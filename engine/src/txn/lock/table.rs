//! The table of *granted* locks, indexed three ways: key locks by key (so a range lock finds the
//! key locks inside it), range locks by start key (so a key lock finds the ranges around it),
//! and every lock by owning transaction (so `release_all` and `held_by` touch only that
//! transaction's locks). Waiting requests live in the manager's queue, not here.
//!
//! A transaction holds at most one entry per key and per identical range; re-acquiring in the
//! same or a weaker mode is a no-op and acquiring `Exclusive` over a `Shared` entry upgrades it in
//! place.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use smallvec::{SmallVec, smallvec};

use super::target::{KeyRange, LockMode, LockTarget, ends_after};
use crate::types::TxnId;

/// One granted range lock.
#[derive(Debug)]
struct RangeGrant {
    /// Identifies this grant among ranges with the same start.
    id: u64,
    end: Option<Vec<u8>>,
    txn: TxnId,
    mode: LockMode,
}

/// The locks one transaction holds, by reference into the main indexes.
#[derive(Debug, Default)]
struct TxnGrants {
    keys: Vec<Vec<u8>>,
    /// `(start, id)` of each range grant.
    ranges: Vec<(Vec<u8>, u64)>,
}

/// Whether the range `[start, end)` covers every key of `target`.
fn range_covers(start: &[u8], end: Option<&[u8]>, target: &LockTarget) -> bool {
    match target {
        LockTarget::Key(key) => key.as_slice() >= start && ends_after(end, key),
        LockTarget::Range(r) => {
            r.is_empty()
                || (r.start() >= start
                    && match (end, r.end()) {
                        (None, _) => true,
                        (Some(_), None) => false,
                        (Some(mine), Some(theirs)) => theirs <= mine,
                    })
        }
    }
}

/// The transactions holding one key, with their modes. Almost every key has one holder, so one
/// is stored inline and a key lock costs no allocation beyond its key.
type Holders = SmallVec<[(TxnId, LockMode); 1]>;

/// The granted locks.
#[derive(Debug, Default)]
pub(super) struct GrantTable {
    keys: BTreeMap<Vec<u8>, Holders>,
    ranges: BTreeMap<Vec<u8>, Vec<RangeGrant>>,
    by_txn: HashMap<TxnId, TxnGrants>,
    next_range_id: u64,
}

impl GrantTable {
    /// Calls `f(owner, mode)` for every granted lock whose target overlaps `target`.
    fn for_each_overlapping(&self, target: &LockTarget, mut f: impl FnMut(TxnId, LockMode)) {
        match target {
            LockTarget::Key(key) => {
                if let Some(holders) = self.keys.get(key) {
                    holders.iter().for_each(|&(t, m)| f(t, m));
                }
                if !self.ranges.is_empty() {
                    let around = self
                        .ranges
                        .range::<[u8], _>((Bound::Unbounded, Bound::Included(key.as_slice())));
                    for grant in around.flat_map(|(_, grants)| grants) {
                        if ends_after(grant.end.as_deref(), key) {
                            f(grant.txn, grant.mode);
                        }
                    }
                }
            }
            LockTarget::Range(range) => {
                let upper = match range.end() {
                    Some(end) => Bound::Excluded(end),
                    None => Bound::Unbounded,
                };
                let inside = self
                    .keys
                    .range::<[u8], _>((Bound::Included(range.start()), upper));
                for (t, m) in inside.flat_map(|(_, holders)| holders) {
                    f(*t, *m);
                }
                let before_end = self.ranges.range::<[u8], _>((Bound::Unbounded, upper));
                for grant in before_end.flat_map(|(_, grants)| grants) {
                    if ends_after(grant.end.as_deref(), range.start()) {
                        f(grant.txn, grant.mode);
                    }
                }
            }
        }
    }

    /// Whether `txn` already holds a lock that covers `target` in a mode at least as strong as
    /// `mode`, so that a new request is a no-op.
    pub(super) fn covers(&self, txn: TxnId, target: &LockTarget, mode: LockMode) -> bool {
        if let LockTarget::Key(key) = target
            && let Some(holders) = self.keys.get(key)
            && holders.iter().any(|&(t, m)| t == txn && m.includes(mode))
        {
            return true;
        }
        let Some(mine) = self.by_txn.get(&txn) else {
            return false;
        };
        mine.ranges.iter().any(|(start, id)| {
            self.range_grant(start, *id).is_some_and(|g| {
                g.mode.includes(mode) && range_covers(start, g.end.as_deref(), target)
            })
        })
    }

    fn range_grant(&self, start: &[u8], id: u64) -> Option<&RangeGrant> {
        self.ranges.get(start)?.iter().find(|g| g.id == id)
    }

    /// The transactions other than `txn` holding a lock that conflicts with `(target, mode)`,
    /// each once, appended to `out`.
    pub(super) fn conflicting_holders(
        &self,
        txn: TxnId,
        target: &LockTarget,
        mode: LockMode,
        out: &mut Vec<TxnId>,
    ) {
        self.for_each_overlapping(target, |owner, held| {
            if owner != txn && !held.compatible_with(mode) && !out.contains(&owner) {
                out.push(owner);
            }
        });
    }

    /// Whether any transaction other than `txn` holds a lock conflicting with `(target, mode)`.
    pub(super) fn has_conflict(&self, txn: TxnId, target: &LockTarget, mode: LockMode) -> bool {
        let mut found = false;
        self.for_each_overlapping(target, |owner, held| {
            found |= owner != txn && !held.compatible_with(mode);
        });
        found
    }

    /// Whether `holder` holds a lock that conflicts with a request `(target, mode)` made by some
    /// other transaction.
    pub(super) fn blocks(&self, holder: TxnId, target: &LockTarget, mode: LockMode) -> bool {
        if !self.by_txn.contains_key(&holder) {
            return false;
        }
        let mut found = false;
        self.for_each_overlapping(target, |owner, held| {
            found |= owner == holder && !held.compatible_with(mode);
        });
        found
    }

    /// Records `txn`'s lock on `target` in `mode`, upgrading its entry on the identical target
    /// if it has one. The caller has checked that no other transaction conflicts.
    pub(super) fn grant(&mut self, txn: TxnId, target: LockTarget, mode: LockMode) {
        match target {
            LockTarget::Key(key) => {
                // The caller checked every conflict, so the key's holders cannot refuse it.
                let granted = self.try_grant_key(txn, key, mode);
                debug_assert!(granted.is_ok(), "grant over a conflicting holder");
            }
            LockTarget::Range(range) => {
                let end = range.end().map(<[u8]>::to_vec);
                let grants = self.ranges.entry(range.start().to_vec()).or_default();
                if let Some(g) = grants.iter_mut().find(|g| g.txn == txn && g.end == end) {
                    g.mode = g.mode.max(mode);
                    return;
                }
                let id = self.next_range_id;
                self.next_range_id += 1;
                grants.push(RangeGrant { id, end, txn, mode });
                let start = range.start().to_vec();
                self.by_txn.entry(txn).or_default().ranges.push((start, id));
            }
        }
    }

    /// Drops every lock `txn` holds; returns how many entries it held.
    pub(super) fn release_all(&mut self, txn: TxnId) -> usize {
        let Some(mine) = self.by_txn.remove(&txn) else {
            return 0;
        };
        let released = mine.keys.len() + mine.ranges.len();
        for key in mine.keys {
            if let Entry::Occupied(mut holders) = self.keys.entry(key) {
                holders.get_mut().retain(|(t, _)| *t != txn);
                if holders.get().is_empty() {
                    holders.remove();
                }
            }
        }
        for (start, id) in mine.ranges {
            let Some(grants) = self.ranges.get_mut(&start) else {
                continue;
            };
            if let Some(pos) = grants.iter().position(|g| g.id == id) {
                grants.swap_remove(pos);
            }
            if grants.is_empty() {
                self.ranges.remove(&start);
            }
        }
        released
    }

    /// Grants `txn` a lock on `key` in `mode` with one search of the key table, unless another
    /// transaction holds `key` itself in a conflicting mode (then the key comes back). Only
    /// `key`'s own holders are consulted: on its own this decides a request only when no range
    /// lock is granted and no request is queued (the manager's fast path); [`grant`](Self::grant)
    /// records key locks through it after checking everything. Re-acquiring a held lock is a
    /// no-op, and `Exclusive` over an own `Shared` entry upgrades it.
    pub(super) fn try_grant_key(
        &mut self,
        txn: TxnId,
        key: Vec<u8>,
        mode: LockMode,
    ) -> Result<(), Vec<u8>> {
        match self.keys.entry(key) {
            Entry::Vacant(slot) => {
                let key = slot.key().clone();
                slot.insert(smallvec![(txn, mode)]);
                self.by_txn.entry(txn).or_default().keys.push(key);
            }
            Entry::Occupied(mut slot) => {
                if slot
                    .get()
                    .iter()
                    .any(|&(t, m)| t != txn && !m.compatible_with(mode))
                {
                    return Err(slot.key().clone());
                }
                match slot.get_mut().iter_mut().find(|(t, _)| *t == txn) {
                    Some(entry) => entry.1 = entry.1.max(mode),
                    None => {
                        slot.get_mut().push((txn, mode));
                        let key = slot.key().clone();
                        self.by_txn.entry(txn).or_default().keys.push(key);
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether no range lock is granted.
    pub(super) fn has_no_ranges(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Every lock `txn` holds, with its mode: key locks in acquisition order, then range locks.
    pub(super) fn held_by(&self, txn: TxnId) -> Vec<(LockTarget, LockMode)> {
        let Some(mine) = self.by_txn.get(&txn) else {
            return Vec::new();
        };
        let keys = mine.keys.iter().filter_map(|key| {
            let mode = self.keys.get(key)?.iter().find(|(t, _)| *t == txn)?.1;
            Some((LockTarget::Key(key.clone()), mode))
        });
        let ranges = mine.ranges.iter().filter_map(|(start, id)| {
            let grant = self.range_grant(start, *id)?;
            let range = KeyRange::new(start.clone(), grant.end.clone()).ok()?;
            Some((LockTarget::Range(range), grant.mode))
        });
        keys.chain(ranges).collect()
    }

    /// The number of granted lock entries (one per transaction and key or range).
    pub(super) fn len(&self) -> usize {
        self.by_txn
            .values()
            .map(|g| g.keys.len() + g.ranges.len())
            .sum()
    }
}

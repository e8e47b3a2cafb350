//! The lock manager: shared/exclusive locks on keys and key ranges, owned by transactions, with
//! waits that time out and deadlocks detected the moment they form.
//!
//! An [`LockManager::acquire`] call runs these steps under one mutex:
//!
//! 1. **Re-entry**: if the transaction already holds a lock covering the target in an equal or
//!    stronger mode, return at once.
//! 2. **Grant**: if no other transaction holds a conflicting lock on an overlapping target and no
//!    earlier waiter asks for a conflicting one, record the lock and return. (Shared →
//!    exclusive upgrades take this path too: the transaction's own locks never conflict.)
//! 3. **Queue**: otherwise append the request to the wait queue (first come, first served).
//! 4. **Detect**: search the wait-for graph for a cycle through the new waiter. For each cycle
//!    found, the youngest transaction on it (largest [`TxnId`]) is the victim: if it is the
//!    caller, the call returns [`LockError::Deadlock`] without blocking; otherwise the victim's
//!    wait is ended with that error and its thread woken, and the search repeats.
//! 5. **Wait**: block until a release grants the request (the releasing thread records the lock
//!    and wakes this one), the request is chosen as a deadlock victim, or the configured timeout
//!    passes ([`LockError::Timeout`], and the request leaves the queue).
//!
//! Locks are held until [`LockManager::release_all`], which then grants queued requests in
//! arrival order. A waiter never overtakes an earlier conflicting waiter, with one exception
//! that avoids needless deadlocks: it may pass an earlier waiter that is itself blocked by a lock
//! the passing transaction already holds (that waiter cannot be granted before the passer ends
//! anyway). This is what lets a shared holder upgrade to exclusive ahead of queued writers.
//!
//! The design, compatibility matrix and victim policy are explained in `engine/TRANSACTIONS.md`.

mod graph;
mod stats;
mod table;
mod target;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_deadlock;
#[cfg(test)]
mod tests_model;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use stats::{ContendedTarget, LockStats};
pub use target::{KeyRange, LockMode, LockTarget};

use graph::find_cycle_through;
use stats::{StatsCollector, WaitEnd};
use table::GrantTable;

use crate::types::TxnId;

/// Settings of a [`LockManager`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockConfig {
    /// How long a request may wait before failing with [`LockError::Timeout`].
    pub wait_timeout: Duration,
    /// How many distinct contended targets the statistics track (bounded memory; see
    /// [`LockStats::most_contended`]).
    pub tracked_targets: usize,
    /// How many of the most contended targets [`LockManager::stats`] reports.
    pub top_contended: usize,
}

impl Default for LockConfig {
    /// A 10-second wait timeout, 1024 tracked targets, the top 10 reported.
    fn default() -> Self {
        LockConfig {
            wait_timeout: Duration::from_secs(10),
            tracked_targets: 1024,
            top_contended: 10,
        }
    }
}

/// Why a lock request failed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// The request waited for the configured timeout without being granted. The transaction
    /// keeps the locks it already held.
    #[error("{txn} timed out after {waited:?} waiting for a {mode} lock on {target}")]
    Timeout {
        /// The transaction that waited.
        txn: TxnId,
        /// What it asked for.
        target: LockTarget,
        /// In which mode.
        mode: LockMode,
        /// How long it waited.
        waited: Duration,
    },
    /// Granting the request (or a request of a transaction it waited for) would have closed a
    /// cycle of waits; `victim`, the youngest transaction on the cycle, must roll back and call
    /// [`LockManager::release_all`] so that the others can proceed.
    #[error("deadlock among {}: {victim} is the victim and must roll back", fmt_cycle(.cycle))]
    Deadlock {
        /// The transaction chosen to abort (the one receiving this error).
        victim: TxnId,
        /// The transactions on the cycle, in wait order.
        cycle: Vec<TxnId>,
    },
    /// The transaction's locks were released by another thread while it waited.
    #[error("{txn}'s locks were released while it waited for a lock")]
    Released {
        /// The transaction.
        txn: TxnId,
    },
    /// The request itself is invalid (for example transaction id 0, or a range whose start is
    /// after its end).
    #[error("invalid lock request: {0}")]
    InvalidRequest(String),
}

fn fmt_cycle(cycle: &[TxnId]) -> String {
    cycle
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" -> ")
}

impl From<LockError> for crate::Error {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Timeout {
                txn,
                target,
                waited,
                ..
            } => crate::Error::LockTimeout {
                txn,
                target: target.to_string(),
                waited,
            },
            LockError::Deadlock { victim, .. } => crate::Error::Deadlock { victim },
            other => crate::Error::InvalidArgument(other.to_string()),
        }
    }
}

/// A request in the wait queue.
#[derive(Debug)]
struct Waiter {
    txn: TxnId,
    target: LockTarget,
    mode: LockMode,
    started: Instant,
    wake: Arc<Condvar>,
}

/// How a queued request was decided by another thread.
#[derive(Debug)]
enum Decision {
    Granted,
    Deadlock(Vec<TxnId>),
    Released,
}

/// Everything behind the manager's mutex.
#[derive(Debug)]
struct State {
    grants: GrantTable,
    /// Waiting requests by arrival sequence number (FIFO order).
    queue: BTreeMap<u64, Waiter>,
    /// The queued request of each waiting transaction (at most one each).
    waiting: HashMap<TxnId, u64>,
    /// Outcomes decided for queued requests, collected by their waiting threads.
    decided: HashMap<u64, Decision>,
    next_seq: u64,
    stats: StatsCollector,
}

impl State {
    /// Whether a request `(txn, target, mode)` whose place in the queue is before `before`
    /// (`u64::MAX` for a request not yet queued) can be granted now.
    fn grantable(&self, txn: TxnId, target: &LockTarget, mode: LockMode, before: u64) -> bool {
        !self.grants.has_conflict(txn, target, mode)
            && !self
                .queue
                .range(..before)
                .any(|(_, w)| self.must_queue_behind(txn, target, mode, w))
    }

    /// Whether a request must wait for the earlier queued request `w`: it is another
    /// transaction's, overlaps and conflicts, and is not itself blocked by `txn`'s locks.
    fn must_queue_behind(
        &self,
        txn: TxnId,
        target: &LockTarget,
        mode: LockMode,
        w: &Waiter,
    ) -> bool {
        w.txn != txn
            && !w.mode.compatible_with(mode)
            && w.target.overlaps(target)
            && !self.grants.blocks(txn, &w.target, w.mode)
    }

    /// The transactions `txn` waits for: holders of conflicting locks and earlier conflicting
    /// waiters it may not pass. Empty when `txn` is not waiting.
    fn waits_for(&self, txn: TxnId) -> Vec<TxnId> {
        let mut out = Vec::new();
        let Some(&seq) = self.waiting.get(&txn) else {
            return out;
        };
        let Some(me) = self.queue.get(&seq) else {
            return out;
        };
        self.grants
            .conflicting_holders(txn, &me.target, me.mode, &mut out);
        for (_, w) in self.queue.range(..seq) {
            if self.must_queue_behind(txn, &me.target, me.mode, w) && !out.contains(&w.txn) {
                out.push(w.txn);
            }
        }
        out
    }

    /// Removes queued request `seq`, records how its wait ended, and returns it.
    fn dequeue(&mut self, seq: u64, end: WaitEnd) -> Option<Waiter> {
        let w = self.queue.remove(&seq)?;
        self.waiting.remove(&w.txn);
        self.stats.wait_ended(&w.target, w.started.elapsed(), end);
        Some(w)
    }

    /// Grants, in arrival order, every queued request that can be granted now, and wakes their
    /// threads. Called whenever locks are released or a request leaves the queue.
    fn grant_waiters(&mut self) {
        let seqs: Vec<u64> = self.queue.keys().copied().collect();
        for seq in seqs {
            let Some(w) = self.queue.get(&seq) else {
                continue;
            };
            if self.grantable(w.txn, &w.target, w.mode, seq)
                && let Some(w) = self.dequeue(seq, WaitEnd::Granted)
            {
                self.grants.grant(w.txn, w.target, w.mode);
                self.decided.insert(seq, Decision::Granted);
                w.wake.notify_one();
            }
        }
    }

    /// Resolves every wait-for cycle through the newly queued request `seq` of `txn` by ending
    /// the youngest transaction's wait on each. Returns the cycle if `txn` itself is a victim.
    fn resolve_deadlocks(&mut self, txn: TxnId, seq: u64) -> Option<Vec<TxnId>> {
        while let Some(cycle) = find_cycle_through(txn, |t| self.waits_for(t)) {
            // The cycle is non-empty: it starts with `txn`.
            let victim = cycle.iter().copied().max().unwrap_or(txn);
            if victim == txn {
                self.dequeue(seq, WaitEnd::Deadlock);
                self.grant_waiters();
                return Some(cycle);
            }
            // Every transaction on a cycle is waiting (only waiters have outgoing edges), and
            // `waiting` and `queue` are updated together; should either ever fail, stop rather
            // than loop on a cycle that cannot be broken.
            let Some(&victim_seq) = self.waiting.get(&victim) else {
                break;
            };
            let Some(w) = self.dequeue(victim_seq, WaitEnd::Deadlock) else {
                self.waiting.remove(&victim);
                break;
            };
            self.decided.insert(victim_seq, Decision::Deadlock(cycle));
            w.wake.notify_one();
        }
        // Victims left the queue; requests queued behind them may now be grantable.
        self.grant_waiters();
        None
    }
}

/// The lock table, wait queue, deadlock detector and lock statistics of one database.
///
/// Thread-safe: share it with an `Arc`. Each transaction must make its lock requests from one
/// thread at a time (a second concurrent request by a waiting transaction is rejected).
#[derive(Debug)]
pub struct LockManager {
    config: LockConfig,
    state: Mutex<State>,
}

impl LockManager {
    /// An empty lock manager.
    pub fn new(config: LockConfig) -> Self {
        let stats = StatsCollector::new(config.tracked_targets);
        LockManager {
            config,
            state: Mutex::new(State {
                grants: GrantTable::default(),
                queue: BTreeMap::new(),
                waiting: HashMap::new(),
                decided: HashMap::new(),
                next_seq: 0,
                stats,
            }),
        }
    }

    /// The configuration this manager was built with.
    pub fn config(&self) -> &LockConfig {
        &self.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the mutex with the state half-updated, so a
        // poisoned mutex (a panic in a caller's thread) still guards a consistent table.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Acquires a lock on `target` in `mode` for `txn`, blocking while another transaction
    /// holds or has queued a conflicting lock. Re-entrant: a lock already covered by one `txn`
    /// holds is granted at once; `Exclusive` on a target held `Shared` upgrades it. Locking an
    /// empty range is a no-op.
    ///
    /// Errors: [`LockError::Deadlock`] if `txn` was chosen as a deadlock victim (it must roll
    /// back and call [`release_all`](Self::release_all)); [`LockError::Timeout`] after
    /// [`LockConfig::wait_timeout`]; [`LockError::Released`] if another thread released `txn`'s
    /// locks meanwhile; [`LockError::InvalidRequest`] for `TxnId(0)` or if `txn` is already
    /// waiting in another thread. A failed request leaves `txn`'s other locks untouched.
    pub fn acquire(&self, txn: TxnId, target: LockTarget, mode: LockMode) -> Result<(), LockError> {
        self.acquire_with_timeout(txn, target, mode, self.config.wait_timeout)
    }

    /// [`acquire`](Self::acquire) with this call's own wait timeout instead of
    /// [`LockConfig::wait_timeout`] (`Duration::ZERO`: fail at once instead of waiting, after
    /// deadlock detection has run).
    pub fn acquire_with_timeout(
        &self,
        txn: TxnId,
        target: LockTarget,
        mode: LockMode,
        timeout: Duration,
    ) -> Result<(), LockError> {
        if txn == TxnId(0) {
            return Err(LockError::InvalidRequest(
                "txn 0 means \"no transaction\" and cannot own locks".into(),
            ));
        }
        if target.is_empty() {
            return Ok(());
        }
        let mut st = self.state();
        if st.waiting.contains_key(&txn) {
            return Err(LockError::InvalidRequest(format!(
                "{txn} is already waiting for a lock; a transaction requests locks from one \
                 thread at a time"
            )));
        }
        // The common case — a key lock while no range is locked and nobody waits — takes one
        // search of the key table; the general path below gives the same answer.
        let target = match target {
            LockTarget::Key(key) if st.queue.is_empty() && st.grants.has_no_ranges() => {
                match st.grants.try_grant_key(txn, key, mode) {
                    Ok(()) => {
                        st.stats.granted_immediately();
                        return Ok(());
                    }
                    Err(key) => LockTarget::Key(key),
                }
            }
            other => other,
        };
        if st.grants.covers(txn, &target, mode) {
            st.stats.granted_immediately();
            return Ok(());
        }
        if st.grantable(txn, &target, mode, u64::MAX) {
            st.grants.grant(txn, target, mode);
            st.stats.granted_immediately();
            return Ok(());
        }

        let seq = st.next_seq;
        st.next_seq += 1;
        let wake = Arc::new(Condvar::new());
        let started = Instant::now();
        st.stats.wait_started(&target);
        st.queue.insert(
            seq,
            Waiter {
                txn,
                target: target.clone(),
                mode,
                started,
                wake: Arc::clone(&wake),
            },
        );
        st.waiting.insert(txn, seq);
        if let Some(cycle) = st.resolve_deadlocks(txn, seq) {
            return Err(LockError::Deadlock { victim: txn, cycle });
        }

        let deadline = started
            .checked_add(timeout)
            .unwrap_or(started + Duration::from_secs(u32::MAX.into()));
        loop {
            match st.decided.remove(&seq) {
                Some(Decision::Granted) => return Ok(()),
                Some(Decision::Deadlock(cycle)) => {
                    return Err(LockError::Deadlock { victim: txn, cycle });
                }
                Some(Decision::Released) => return Err(LockError::Released { txn }),
                None => {}
            }
            let now = Instant::now();
            if now >= deadline {
                st.dequeue(seq, WaitEnd::Timeout);
                st.grant_waiters();
                return Err(LockError::Timeout {
                    txn,
                    target,
                    mode,
                    waited: now - started,
                });
            }
            st = wake
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Releases every lock `txn` holds (at commit or rollback) and grants queued requests that
    /// are now compatible, in arrival order. If `txn` is waiting in another thread, that wait
    /// ends with [`LockError::Released`]. Returns the number of locks released.
    pub fn release_all(&self, txn: TxnId) -> usize {
        let mut st = self.state();
        if let Some(&seq) = st.waiting.get(&txn)
            && let Some(w) = st.dequeue(seq, WaitEnd::Cancelled)
        {
            st.decided.insert(seq, Decision::Released);
            w.wake.notify_one();
        }
        let released = st.grants.release_all(txn);
        if released > 0 || !st.queue.is_empty() {
            st.grant_waiters();
        }
        released
    }

    /// The locks `txn` holds, with their modes.
    pub fn held_by(&self, txn: TxnId) -> Vec<(LockTarget, LockMode)> {
        self.state().grants.held_by(txn)
    }

    /// The transactions currently waiting for a lock, in arrival order.
    pub fn waiting_txns(&self) -> Vec<TxnId> {
        self.state().queue.values().map(|w| w.txn).collect()
    }

    /// The current wait-for graph: each waiting transaction with the transactions it waits for.
    pub fn wait_for_graph(&self) -> Vec<(TxnId, Vec<TxnId>)> {
        let st = self.state();
        st.queue
            .values()
            .map(|w| (w.txn, st.waits_for(w.txn)))
            .collect()
    }

    /// A snapshot of the lock statistics.
    pub fn stats(&self) -> LockStats {
        let st = self.state();
        st.stats
            .snapshot(self.config.top_contended, st.queue.len(), st.grants.len())
    }
}

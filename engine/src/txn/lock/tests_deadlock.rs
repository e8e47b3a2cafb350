//! Deadlock detection with real threads: two- and three-way cycles (whichever transaction
//! closes them), upgrade deadlocks, range deadlocks, no false positives under heavy ordered
//! contention, and a seeded random stress in which every victim is the youngest of its cycle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use super::tests::{S, X, key, manager, range, t, wait_until_queued};
use super::*;

/// Spawns a thread that, as `txn`, requests `target` in `mode`; on success it releases nothing
/// until told; it returns the acquire result and always releases `txn`'s locks at the end.
fn spawn_request(
    mgr: &Arc<LockManager>,
    txn: TxnId,
    target: LockTarget,
    mode: LockMode,
) -> thread::JoinHandle<Result<(), LockError>> {
    let mgr2 = Arc::clone(mgr);
    let handle = thread::spawn(move || {
        let result = mgr2.acquire(txn, target, mode);
        mgr2.release_all(txn);
        result
    });
    wait_until_queued(mgr, txn);
    handle
}

fn assert_victim(result: &Result<(), LockError>, victim: TxnId, cycle_len: usize) {
    match result {
        Err(LockError::Deadlock { victim: v, cycle }) => {
            assert_eq!(*v, victim);
            assert_eq!(cycle.len(), cycle_len, "cycle {cycle:?}");
            assert_eq!(
                cycle.iter().max(),
                Some(&victim),
                "victim must be the youngest"
            );
        }
        other => panic!("expected {victim} to be a deadlock victim, got {other:?}"),
    }
}

#[test]
fn two_way_cycle_closed_by_the_youngest_fails_fast() {
    let mgr = manager();
    mgr.acquire(t(1), key("a"), X).expect("t1 a");
    mgr.acquire(t(2), key("b"), X).expect("t2 b");
    let older = spawn_request(&mgr, t(1), key("b"), X);
    let result = mgr.acquire(t(2), key("a"), X);
    assert_victim(&result, t(2), 2);
    assert!(
        matches!(crate::Error::from(result.expect_err("victim")), crate::Error::Deadlock { victim } if victim == t(2))
    );
    assert_eq!(
        mgr.waiting_txns(),
        vec![t(1)],
        "the older transaction still waits"
    );
    mgr.release_all(t(2));
    older
        .join()
        .expect("t1 thread")
        .expect("t1 proceeds after the victim rolls back");
    assert_eq!(mgr.stats().deadlocks, 1);
}

#[test]
fn two_way_cycle_closed_by_the_oldest_wakes_the_blocked_victim() {
    let mgr = manager();
    mgr.acquire(t(1), key("a"), X).expect("t1 a");
    mgr.acquire(t(2), key("b"), X).expect("t2 b");
    let young = spawn_request(&mgr, t(2), key("a"), X);
    // Closes the cycle; t2 (blocked) is the victim, releases, and this call is granted.
    mgr.acquire(t(1), key("b"), X)
        .expect("the older transaction proceeds");
    assert_victim(&young.join().expect("t2 thread"), t(2), 2);
    assert_eq!(mgr.held_by(t(1)), vec![(key("a"), X), (key("b"), X)]);
    assert_eq!(mgr.stats().deadlocks, 1);
}

#[test]
fn three_way_cycle_has_exactly_one_victim_whoever_closes_it() {
    for closer in 1..=3u64 {
        let mgr = manager();
        let keys = ["k1", "k2", "k3"];
        for i in 1..=3u64 {
            mgr.acquire(t(i), key(keys[(i - 1) as usize]), X)
                .expect("own key");
        }
        // Txn i waits for key i+1 (txn 3 for key 1): the cycle 1 -> 2 -> 3 -> 1.
        let want = |i: u64| key(keys[(i % 3) as usize]);
        let mut threads = Vec::new();
        for i in (1..=3u64).filter(|&i| i != closer) {
            threads.push((i, spawn_request(&mgr, t(i), want(i), X)));
        }
        let closing = mgr.acquire(t(closer), want(closer), X);
        mgr.release_all(t(closer));
        let mut results = vec![(closer, closing)];
        results.extend(
            threads
                .into_iter()
                .map(|(i, h)| (i, h.join().expect("thread"))),
        );
        let victims: Vec<u64> = results
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(
            victims,
            vec![3],
            "closer {closer}: exactly one victim, the youngest"
        );
        let (_, victim_result) = results.iter().find(|(i, _)| *i == 3).expect("txn 3");
        assert_victim(victim_result, t(3), 3);
        let stats = mgr.stats();
        assert_eq!(
            (stats.deadlocks, stats.waiting_now, stats.locks_held),
            (1, 0, 0)
        );
    }
}

#[test]
fn upgrade_deadlock_between_two_shared_holders_is_detected() {
    for first_upgrader in [1u64, 2] {
        let mgr = manager();
        mgr.acquire(t(1), key("k"), S).expect("t1 shared");
        mgr.acquire(t(2), key("k"), S).expect("t2 shared");
        let second = 3 - first_upgrader;
        let waiting = spawn_request(&mgr, t(first_upgrader), key("k"), X);
        let closing = mgr.acquire(t(second), key("k"), X);
        mgr.release_all(t(second));
        let waiting = waiting.join().expect("upgrader thread");
        let (victim_result, survivor_result) = if second == 2 {
            (&closing, &waiting)
        } else {
            (&waiting, &closing)
        };
        assert_victim(victim_result, t(2), 2);
        assert_eq!(*survivor_result, Ok(()), "t1's upgrade completes");
        assert_eq!(mgr.stats().deadlocks, 1);
    }
}

#[test]
fn range_lock_cycle_is_detected() {
    let mgr = manager();
    mgr.acquire(t(1), range("a", Some("f")), S)
        .expect("t1 scans [a, f)");
    mgr.acquire(t(2), range("m", None), S)
        .expect("t2 scans [m, +inf)");
    let inserter = spawn_request(&mgr, t(1), key("x"), X); // t1 inserts into t2's range
    let closing = mgr.acquire(t(2), key("c"), X); // t2 inserts into t1's range
    assert_victim(&closing, t(2), 2);
    mgr.release_all(t(2));
    assert_eq!(inserter.join().expect("t1 thread"), Ok(()));
}

/// A seeded xorshift generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn ordered_locking_under_heavy_contention_reports_no_deadlock() {
    const THREADS: u64 = 8;
    const TXNS_PER_THREAD: u64 = 400;
    const KEYS: u64 = 8;
    let seed = 0x5eed_0001u64;
    let mgr = manager();
    let next_txn = Arc::new(AtomicU64::new(1));
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread_no| {
            let (mgr, next_txn, start) =
                (Arc::clone(&mgr), Arc::clone(&next_txn), Arc::clone(&start));
            thread::spawn(move || {
                let mut rng = Rng(seed ^ (thread_no + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                start.wait();
                for _ in 0..TXNS_PER_THREAD {
                    let txn = TxnId(next_txn.fetch_add(1, Ordering::Relaxed));
                    // A few distinct keys in the global order, each shared or exclusive.
                    let mut picks: Vec<u64> =
                        (0..1 + rng.below(4)).map(|_| rng.below(KEYS)).collect();
                    picks.sort_unstable();
                    picks.dedup();
                    for k in picks {
                        let mode = if rng.below(3) == 0 { S } else { X };
                        if let Err(e) = mgr.acquire(txn, key(&format!("key{k:02}")), mode) {
                            panic!("seed {seed:#x}: false positive in ordered locking: {e}");
                        }
                        thread::yield_now(); // hold locks across a reschedule
                    }
                    mgr.release_all(txn);
                }
            })
        })
        .collect();
    handles
        .into_iter()
        .for_each(|h| h.join().expect("worker thread"));
    let stats = mgr.stats();
    assert_eq!(stats.deadlocks, 0, "seed {seed:#x}: {stats:?}");
    assert_eq!(stats.timeouts, 0, "seed {seed:#x}: {stats:?}");
    assert!(
        stats.waits > 0,
        "seed {seed:#x}: the workload must actually contend: {stats:?}"
    );
    assert_eq!(
        stats.waits, stats.granted_after_wait,
        "seed {seed:#x}: {stats:?}"
    );
    assert_eq!((stats.waiting_now, stats.locks_held), (0, 0));
}

#[test]
fn random_order_stress_picks_youngest_victims_and_stats_add_up() {
    const THREADS: u64 = 6;
    const TXNS_PER_THREAD: u64 = 300;
    let seed = 0xdead_10c5u64;
    let mgr = manager();
    let next_txn = Arc::new(AtomicU64::new(1));
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread_no| {
            let (mgr, next_txn, start) =
                (Arc::clone(&mgr), Arc::clone(&next_txn), Arc::clone(&start));
            thread::spawn(move || {
                let mut rng = Rng(seed ^ (thread_no + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                let (mut committed, mut victims) = (0u64, 0u64);
                start.wait();
                for _ in 0..TXNS_PER_THREAD {
                    let txn = TxnId(next_txn.fetch_add(1, Ordering::Relaxed));
                    let mut outcome = Ok(());
                    for _ in 0..1 + rng.below(4) {
                        let target = if rng.below(8) == 0 {
                            let a = rng.below(6);
                            range(&format!("k{a}"), Some(&format!("k{}", a + 2)))
                        } else {
                            key(&format!("k{}", rng.below(6)))
                        };
                        let mode = if rng.below(2) == 0 { S } else { X };
                        outcome = mgr.acquire(txn, target, mode);
                        if outcome.is_err() {
                            break;
                        }
                        thread::yield_now();
                    }
                    match outcome {
                        Ok(()) => committed += 1,
                        Err(LockError::Deadlock { victim, cycle }) => {
                            assert_eq!(victim, txn, "seed {seed:#x}: error given to a non-victim");
                            assert_eq!(
                                cycle.iter().max(),
                                Some(&victim),
                                "seed {seed:#x}: {cycle:?}"
                            );
                            victims += 1;
                        }
                        Err(e) => panic!("seed {seed:#x}: unexpected error {e}"),
                    }
                    mgr.release_all(txn);
                }
                (committed, victims)
            })
        })
        .collect();
    let (mut committed, mut victims) = (0, 0);
    for h in handles {
        let (c, v) = h.join().expect("worker thread");
        committed += c;
        victims += v;
    }
    let stats = mgr.stats();
    assert_eq!(committed + victims, THREADS * TXNS_PER_THREAD);
    assert_eq!(
        stats.deadlocks, victims,
        "seed {seed:#x}: one victim per deadlock: {stats:?}"
    );
    assert_eq!(
        stats.waits,
        stats.granted_after_wait
            + stats.timeouts
            + stats.deadlocks
            + stats.cancelled
            + stats.waiting_now,
        "seed {seed:#x}: {stats:?}"
    );
    let contended_waits: u64 = stats.most_contended.iter().map(|c| c.waits).sum();
    assert!(contended_waits <= stats.waits);
    assert!(stats.max_wait_us <= stats.total_wait_us);
    assert_eq!((stats.waiting_now, stats.locks_held), (0, 0));
    println!(
        "seed {seed:#x}: {committed} committed, {victims} deadlock victims, {} waits",
        stats.waits
    );
}

//! Lock manager benchmarks:
//!
//! - `locks/uncontended_acquire_release`: one exclusive key lock acquired and released by a
//!   single transaction, on an empty table and on a table holding 100k other locks.
//! - `locks/deadlock_detection`: the time from the call that closes a wait-for cycle to the
//!   moment the victim's `acquire` returns `LockError::Deadlock` — for a 2-cycle whose victim is
//!   the caller, a 2-cycle whose victim is another blocked thread, and a 3-cycle whose victim is
//!   blocked. The target is well under 10 ms.
// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use lightning_db::txn::lock::{LockConfig, LockError, LockManager, LockMode, LockTarget};
use lightning_db::types::TxnId;

const X: LockMode = LockMode::Exclusive;

fn key(k: &str) -> LockTarget {
    LockTarget::key(k)
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("locks/uncontended_acquire_release");
    let keys: Vec<LockTarget> = (0..1024)
        .map(|i| LockTarget::key(format!("user{i:020}")))
        .collect();
    for held in [0u64, 100_000] {
        let mgr = LockManager::new(LockConfig::default());
        for i in 0..held {
            // Other transactions' locks on other keys: the table is large but nothing conflicts.
            let other = LockTarget::key(format!("held{i:020}"));
            mgr.acquire(TxnId(1_000 + i % 64), other, X)
                .expect("uncontended");
        }
        let mut i = 0usize;
        group.bench_function(format!("table_{held}"), |b| {
            b.iter(|| {
                let target = keys[i % keys.len()].clone();
                i += 1;
                mgr.acquire(TxnId(1), target, X).expect("uncontended");
                black_box(mgr.release_all(TxnId(1)));
            })
        });
    }
    group.finish();
}

/// Blocks until `txn` waits in `mgr`.
fn wait_until_queued(mgr: &LockManager, txn: TxnId) {
    while !mgr.waiting_txns().contains(&txn) {
        thread::yield_now();
    }
}

/// A worker thread acting as one transaction: for each round it takes its own key, reports,
/// waits for the go-ahead, requests its wanted key, and reports when that request returned.
struct Worker {
    go: Sender<()>,
    events: Receiver<(Instant, Result<(), LockError>)>,
}

impl Worker {
    fn spawn(mgr: &Arc<LockManager>, txn: TxnId, own: &'static str, wants: &'static str) -> Self {
        let (go, go_rx) = channel::<()>();
        let (ev_tx, events) = channel();
        let mgr = Arc::clone(mgr);
        thread::spawn(move || {
            while go_rx.recv().is_ok() {
                let taken = mgr.acquire(txn, key(own), X);
                let _ = ev_tx.send((Instant::now(), taken));
                if go_rx.recv().is_err() {
                    break;
                }
                let result = mgr.acquire(txn, key(wants), X);
                let at = Instant::now();
                mgr.release_all(txn);
                let _ = ev_tx.send((at, result));
            }
        });
        Worker { go, events }
    }

    /// Takes the worker's own key; returns once it holds it.
    fn take_own(&self) {
        self.go.send(()).expect("worker alive");
        let (_, r) = self.events.recv().expect("worker alive");
        r.expect("own key is uncontended");
    }

    /// Lets the worker request its wanted key.
    fn request(&self) {
        self.go.send(()).expect("worker alive");
    }

    /// When the wanted-key request returned, and how.
    fn finished(&self) -> (Instant, Result<(), LockError>) {
        self.events.recv().expect("worker alive")
    }
}

fn manager() -> Arc<LockManager> {
    Arc::new(LockManager::new(LockConfig {
        wait_timeout: Duration::from_secs(60),
        ..LockConfig::default()
    }))
}

fn expect_deadlock(r: &Result<(), LockError>) {
    assert!(
        matches!(r, Err(LockError::Deadlock { .. })),
        "expected a deadlock, got {r:?}"
    );
}

fn deadlock_detection(c: &mut Criterion) {
    let mut group = c.benchmark_group("locks/deadlock_detection");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(4));

    // Txn 2 (worker) holds b and waits for a; txn 3 (caller) holds a and asks for b: the
    // caller is the youngest and gets the error without blocking.
    group.bench_function("cycle2_victim_is_caller", |b| {
        let mgr = manager();
        let older = Worker::spawn(&mgr, TxnId(2), "b", "a");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                mgr.acquire(TxnId(3), key("a"), X).expect("a");
                older.take_own();
                older.request();
                wait_until_queued(&mgr, TxnId(2));
                let start = Instant::now();
                let r = mgr.acquire(TxnId(3), key("b"), X);
                total += start.elapsed();
                expect_deadlock(&r);
                mgr.release_all(TxnId(3));
                older.finished().1.expect("the older transaction proceeds");
            }
            total
        })
    });

    // Txn 2 (worker) holds b and waits for a; txn 1 (caller, older) holds a and asks for b:
    // the blocked worker is the victim and must be woken.
    group.bench_function("cycle2_victim_is_blocked", |b| {
        let mgr = manager();
        let young = Worker::spawn(&mgr, TxnId(2), "b", "a");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                mgr.acquire(TxnId(1), key("a"), X).expect("a");
                young.take_own();
                young.request();
                wait_until_queued(&mgr, TxnId(2));
                let start = Instant::now();
                mgr.acquire(TxnId(1), key("b"), X)
                    .expect("the older transaction proceeds");
                let (at, r) = young.finished();
                expect_deadlock(&r);
                total += at - start;
                mgr.release_all(TxnId(1));
            }
            total
        })
    });

    // Txn 1 (caller) holds k1, txn 2 holds k2 and waits for k3, txn 3 holds k3 and waits for
    // k1; txn 1 asks for k2 and closes 1 -> 2 -> 3 -> 1. Txn 3 (blocked) is the victim.
    group.bench_function("cycle3_victim_is_blocked", |b| {
        let mgr = manager();
        let w2 = Worker::spawn(&mgr, TxnId(2), "k2", "k3");
        let w3 = Worker::spawn(&mgr, TxnId(3), "k3", "k1");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                mgr.acquire(TxnId(1), key("k1"), X).expect("k1");
                w2.take_own();
                w3.take_own();
                w2.request();
                wait_until_queued(&mgr, TxnId(2));
                w3.request();
                wait_until_queued(&mgr, TxnId(3));
                let start = Instant::now();
                mgr.acquire(TxnId(1), key("k2"), X).expect("txn 1 proceeds");
                let (at, r) = w3.finished();
                expect_deadlock(&r);
                total += at - start;
                w2.finished().1.expect("txn 2 proceeds");
                mgr.release_all(TxnId(1));
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, uncontended, deadlock_detection);
criterion_main!(benches);

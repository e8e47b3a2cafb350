//! Lock table behaviour with real threads: re-entry and upgrades, shared/exclusive and
//! range/key conflicts, timeouts, FIFO wake-up order, cancellation, invalid requests.
//!
//! Threads are synchronised through the manager's own state (`waiting_txns`) and channels,
//! never by sleeping; the only clock dependence is the wait timeout itself, which can only make
//! a test slower, not fail.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

pub(super) const X: LockMode = LockMode::Exclusive;
pub(super) const S: LockMode = LockMode::Shared;

pub(super) fn t(n: u64) -> TxnId {
    TxnId(n)
}

pub(super) fn key(k: &str) -> LockTarget {
    LockTarget::key(k)
}

pub(super) fn range(start: &str, end: Option<&str>) -> LockTarget {
    LockTarget::range(start, end.map(|e| e.as_bytes().to_vec())).expect("valid range")
}

/// A manager whose waits never time out during a test.
pub(super) fn manager() -> Arc<LockManager> {
    Arc::new(LockManager::new(LockConfig {
        wait_timeout: Duration::from_secs(600),
        ..LockConfig::default()
    }))
}

/// Blocks until `txn` is queued in `mgr` (a hang guard, not a timing assumption, ends the wait).
pub(super) fn wait_until_queued(mgr: &LockManager, txn: TxnId) {
    let guard = Instant::now() + Duration::from_secs(120);
    while !mgr.waiting_txns().contains(&txn) {
        assert!(Instant::now() < guard, "{txn} never started waiting");
        thread::yield_now();
    }
}

/// Whether `txn`'s request conflicts with what is held: it times out on a manager with a short
/// timeout, and leaves the queue empty afterwards.
fn blocks(mgr: &LockManager, txn: TxnId, target: LockTarget, mode: LockMode) -> bool {
    let result = mgr.acquire(txn, target, mode);
    assert!(
        mgr.waiting_txns().is_empty(),
        "a finished request left a waiter behind"
    );
    match result {
        Ok(()) => false,
        Err(LockError::Timeout { .. }) => true,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn short_timeout() -> LockManager {
    LockManager::new(LockConfig {
        wait_timeout: Duration::from_millis(20),
        ..LockConfig::default()
    })
}

#[test]
fn reentry_and_upgrade_keep_one_entry() {
    let mgr = manager();
    mgr.acquire(t(1), key("a"), S).expect("shared");
    mgr.acquire(t(1), key("a"), S).expect("re-entrant shared");
    mgr.acquire(t(1), key("a"), X)
        .expect("upgrade without other holders");
    mgr.acquire(t(1), key("a"), S)
        .expect("shared under exclusive is a no-op");
    assert_eq!(mgr.held_by(t(1)), vec![(key("a"), X)]);

    mgr.acquire(t(1), range("m", Some("p")), X).expect("range");
    mgr.acquire(t(1), key("n"), X)
        .expect("key inside own exclusive range is covered");
    mgr.acquire(t(1), range("n", Some("o")), S)
        .expect("sub-range is covered");
    mgr.acquire(t(1), range("a", Some("a")), X)
        .expect("empty range is a no-op");
    assert_eq!(
        mgr.held_by(t(1)),
        vec![(key("a"), X), (range("m", Some("p")), X)]
    );
    assert_eq!(mgr.stats().locks_held, 2);
    assert_eq!(mgr.release_all(t(1)), 2);
    assert!(mgr.held_by(t(1)).is_empty());
    assert_eq!(mgr.release_all(t(1)), 0);
}

#[test]
fn shared_coexists_exclusive_conflicts() {
    let mgr = short_timeout();
    mgr.acquire(t(1), key("k"), S).expect("first shared");
    mgr.acquire(t(2), key("k"), S)
        .expect("second shared alongside");
    assert!(
        blocks(&mgr, t(3), key("k"), X),
        "exclusive must wait for shared holders"
    );
    assert!(
        blocks(&mgr, t(1), key("k"), X),
        "upgrade must wait for the other shared holder"
    );
    mgr.release_all(t(2));
    mgr.acquire(t(1), key("k"), X).expect("upgrade once alone");
    assert!(
        blocks(&mgr, t(2), key("k"), S),
        "shared must wait for exclusive"
    );
    assert!(
        !blocks(&mgr, t(2), key("other"), X),
        "different keys never conflict"
    );
}

#[test]
fn range_and_key_conflicts_are_half_open() {
    let mgr = short_timeout();
    mgr.acquire(t(1), key("m"), X).expect("key");
    assert!(
        blocks(&mgr, t(2), range("a", Some("z")), S),
        "range containing a locked key"
    );
    assert!(
        blocks(&mgr, t(2), range("m", None), S),
        "unbounded range from the key"
    );
    assert!(
        !blocks(&mgr, t(2), range("a", Some("m")), X),
        "end is exclusive"
    );
    assert!(
        !blocks(&mgr, t(2), range("m\x00", None), X),
        "range starting after the key"
    );
    mgr.release_all(t(2));

    mgr.acquire(t(3), range("b", Some("d")), S)
        .expect("shared range");
    assert!(blocks(&mgr, t(4), key("b"), X), "key at range start");
    assert!(blocks(&mgr, t(4), key("c~"), X), "key inside range");
    assert!(
        !blocks(&mgr, t(4), key("d"), X),
        "key at range end is outside"
    );
    assert!(
        !blocks(&mgr, t(4), key("c"), S),
        "shared key inside shared range"
    );
    assert!(
        blocks(&mgr, t(4), range("c", Some("e")), X),
        "overlapping ranges, conflicting"
    );
    assert!(
        !blocks(&mgr, t(4), range("c", Some("e")), S),
        "overlapping ranges, both shared"
    );
    mgr.release_all(t(4));
    assert!(
        !blocks(&mgr, t(5), range("d", Some("e")), X),
        "touching ranges do not overlap"
    );
    assert!(blocks(&mgr, t(6), range("", None), X), "whole key space");
}

#[test]
fn timeout_fires_and_leaves_no_stale_waiter() {
    let timeout = Duration::from_millis(30);
    let mgr = LockManager::new(LockConfig {
        wait_timeout: timeout,
        ..LockConfig::default()
    });
    mgr.acquire(t(1), key("k"), X).expect("holder");
    mgr.acquire(t(2), key("j"), X)
        .expect("other lock of the waiter");
    let err = mgr.acquire(t(2), key("k"), S).expect_err("must time out");
    match &err {
        LockError::Timeout {
            txn,
            target,
            mode,
            waited,
        } => {
            assert_eq!((*txn, target, *mode), (t(2), &key("k"), S));
            assert!(
                *waited >= timeout,
                "gave up after {waited:?}, before the timeout"
            );
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(
        matches!(crate::Error::from(err), crate::Error::LockTimeout { txn, .. } if txn == t(2))
    );
    assert!(mgr.waiting_txns().is_empty() && mgr.wait_for_graph().is_empty());
    assert_eq!(
        mgr.held_by(t(2)),
        vec![(key("j"), X)],
        "a timeout keeps earlier locks"
    );

    // Releasing the holder must not grant the abandoned request.
    mgr.release_all(t(1));
    assert_eq!(mgr.held_by(t(2)), vec![(key("j"), X)]);
    mgr.acquire(t(3), key("k"), X).expect("the key is free");
    let stats = mgr.stats();
    assert_eq!((stats.waits, stats.timeouts, stats.waiting_now), (1, 1, 0));
    assert!(stats.max_wait_us >= 30_000);
}

/// Queues `txns` one after another on `target` (each waits until the previous is queued); each
/// thread records its id when granted, then releases. Returns the threads and the record.
fn queue_in_order(
    mgr: &Arc<LockManager>,
    txns: &[(TxnId, LockMode)],
    target: &LockTarget,
) -> (Vec<thread::JoinHandle<()>>, Arc<Mutex<Vec<TxnId>>>) {
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for &(txn, mode) in txns {
        let (mgr2, order2, target2) = (Arc::clone(mgr), Arc::clone(&order), target.clone());
        handles.push(thread::spawn(move || {
            mgr2.acquire(txn, target2, mode).expect("granted in turn");
            order2.lock().expect("order").push(txn);
            mgr2.release_all(txn);
        }));
        wait_until_queued(mgr, txn);
    }
    (handles, order)
}

#[test]
fn release_wakes_waiters_in_fifo_order() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), X).expect("holder");
    // Arrival order deliberately differs from txn id order.
    let txns = [(t(4), X), (t(2), X), (t(5), S), (t(3), X)];
    let (handles, order) = queue_in_order(&mgr, &txns, &key("k"));
    assert_eq!(mgr.waiting_txns(), vec![t(4), t(2), t(5), t(3)]);
    mgr.release_all(t(1));
    handles
        .into_iter()
        .for_each(|h| h.join().expect("waiter thread"));
    assert_eq!(*order.lock().expect("order"), vec![t(4), t(2), t(5), t(3)]);
}

#[test]
fn shared_request_does_not_overtake_queued_exclusive() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), S).expect("shared holder");
    // t2 waits for exclusive; t3's shared request is compatible with the holder but must queue
    // behind t2, or a stream of readers could starve the writer.
    let (handles, order) = queue_in_order(&mgr, &[(t(2), X), (t(3), S)], &key("k"));
    assert_eq!(mgr.waiting_txns(), vec![t(2), t(3)]);
    assert_eq!(
        mgr.wait_for_graph(),
        vec![(t(2), vec![t(1)]), (t(3), vec![t(2)])]
    );
    mgr.release_all(t(1));
    handles
        .into_iter()
        .for_each(|h| h.join().expect("waiter thread"));
    assert_eq!(*order.lock().expect("order"), vec![t(2), t(3)]);
}

#[test]
fn shared_holder_upgrades_ahead_of_queued_writer() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), S).expect("shared holder");
    let (handles, order) = queue_in_order(&mgr, &[(t(2), X)], &key("k"));
    // t2 waits for t1, so t1 may pass it: upgrading must not deadlock against the queue.
    mgr.acquire(t(1), key("k"), X)
        .expect("upgrade passes the waiter blocked by us");
    assert_eq!(mgr.held_by(t(1)), vec![(key("k"), X)]);
    assert_eq!(mgr.stats().deadlocks, 0);
    mgr.release_all(t(1));
    handles
        .into_iter()
        .for_each(|h| h.join().expect("waiter thread"));
    assert_eq!(*order.lock().expect("order"), vec![t(2)]);
}

#[test]
fn leaving_the_queue_wakes_requests_behind() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), S).expect("shared holder");
    let (tx, rx) = mpsc::channel();
    let mgr2 = Arc::clone(&mgr);
    let writer = thread::spawn(move || tx.send(mgr2.acquire(t(2), key("k"), X)).expect("send"));
    wait_until_queued(&mgr, t(2));
    let (reader, order) = queue_in_order(&mgr, &[(t(3), S)], &key("k"));
    // Cancelling t2's wait (its transaction is being torn down) must let t3 in at once.
    assert_eq!(mgr.release_all(t(2)), 0);
    assert_eq!(
        rx.recv().expect("writer result"),
        Err(LockError::Released { txn: t(2) })
    );
    reader
        .into_iter()
        .for_each(|h| h.join().expect("reader thread"));
    writer.join().expect("writer thread");
    assert_eq!(*order.lock().expect("order"), vec![t(3)]);
    assert_eq!(mgr.stats().cancelled, 1);
}

#[test]
fn invalid_requests_are_rejected_with_a_reason() {
    let mgr = manager();
    let err = mgr.acquire(TxnId(0), key("k"), X).expect_err("txn 0");
    assert!(err.to_string().contains("txn 0"), "{err}");
    assert!(matches!(
        crate::Error::from(err),
        crate::Error::InvalidArgument(_)
    ));

    mgr.acquire(t(1), key("k"), X).expect("holder");
    let mgr2 = Arc::clone(&mgr);
    let waiter = thread::spawn(move || mgr2.acquire(t(2), key("k"), X));
    wait_until_queued(&mgr, t(2));
    let err = mgr
        .acquire(t(2), key("other"), X)
        .expect_err("second concurrent request");
    assert!(err.to_string().contains("already waiting"), "{err}");
    mgr.release_all(t(1));
    waiter
        .join()
        .expect("waiter")
        .expect("granted after release");
    assert_eq!(
        mgr.held_by(t(2)),
        vec![(key("k"), X)],
        "the rejected request left no lock"
    );
}

#[test]
fn timed_out_waiter_lets_requests_behind_it_in() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), S).expect("shared holder");
    let (tx, rx) = mpsc::channel();
    let mgr2 = Arc::clone(&mgr);
    // t2's own short timeout; everyone else waits for the manager's long one.
    let writer = thread::spawn(move || {
        let r = mgr2.acquire_with_timeout(t(2), key("k"), X, Duration::from_millis(30));
        tx.send(r).expect("send");
    });
    wait_until_queued(&mgr, t(2));
    let (reader, order) = queue_in_order(&mgr, &[(t(3), S)], &key("k"));
    // t3 is compatible with the holder but queued behind t2; t2's timeout must let it in.
    let r = rx.recv().expect("writer result");
    assert!(
        matches!(r, Err(LockError::Timeout { txn, .. }) if txn == t(2)),
        "{r:?}"
    );
    reader
        .into_iter()
        .for_each(|h| h.join().expect("reader thread"));
    writer.join().expect("writer thread");
    assert_eq!(*order.lock().expect("order"), vec![t(3)]);
    assert_eq!(
        mgr.held_by(t(1)),
        vec![(key("k"), S)],
        "the holder was never disturbed"
    );
}

#[test]
fn zero_timeout_fails_at_once_without_queueing() {
    let mgr = manager();
    mgr.acquire(t(1), key("k"), X).expect("holder");
    let r = mgr.acquire_with_timeout(t(2), key("k"), S, Duration::ZERO);
    assert!(matches!(r, Err(LockError::Timeout { .. })), "{r:?}");
    assert!(mgr.waiting_txns().is_empty());
    mgr.acquire_with_timeout(t(2), key("free"), S, Duration::ZERO)
        .expect("no wait needed");
}

#[test]
fn stats_add_up_exactly() {
    let mgr = manager();
    // Three immediate grants and one re-entrant no-op.
    mgr.acquire(t(1), key("hot"), X).expect("t1 hot");
    mgr.acquire(t(1), key("hot"), S).expect("re-entry");
    mgr.acquire(t(1), key("a"), X).expect("t1 a");
    mgr.acquire(t(2), key("b"), X).expect("t2 b");
    // One timeout on "hot".
    let r = mgr.acquire_with_timeout(t(3), key("hot"), S, Duration::from_millis(5));
    assert!(matches!(r, Err(LockError::Timeout { .. })));
    // A deadlock: t1 waits for b, t2 asks for a and is the victim (one wait, on "a").
    let mgr2 = Arc::clone(&mgr);
    let older = thread::spawn(move || mgr2.acquire(t(1), key("b"), X));
    wait_until_queued(&mgr, t(1));
    assert!(matches!(
        mgr.acquire(t(2), key("a"), X),
        Err(LockError::Deadlock { .. })
    ));
    mgr.release_all(t(2));
    older
        .join()
        .expect("t1 thread")
        .expect("t1 gets b after the victim");
    // Two waits on "hot" granted in turn.
    let (handles, _) = queue_in_order(&mgr, &[(t(4), S), (t(5), X)], &key("hot"));
    let mid = mgr.stats();
    assert_eq!((mid.waiting_now, mid.locks_held), (2, 3), "{mid:?}");
    mgr.release_all(t(1));
    handles
        .into_iter()
        .for_each(|h| h.join().expect("waiter thread"));

    let s = mgr.stats();
    assert_eq!(s.acquisitions, 4 + 1 + 2, "{s:?}");
    assert_eq!(s.waits, 5, "{s:?}");
    assert_eq!(
        (s.granted_after_wait, s.timeouts, s.deadlocks, s.cancelled),
        (3, 1, 1, 0)
    );
    assert_eq!(
        s.waits,
        s.granted_after_wait + s.timeouts + s.deadlocks + s.cancelled + s.waiting_now
    );
    assert!(
        s.max_wait_us >= 5_000 && s.total_wait_us >= s.max_wait_us,
        "{s:?}"
    );
    let mut top: Vec<(&str, u64)> = s
        .most_contended
        .iter()
        .map(|c| (c.target.as_str(), c.waits))
        .collect();
    assert_eq!(top.first(), Some(&("key \"hot\"", 3)), "{top:?}");
    top[1..].sort_unstable(); // equal counts are ordered by wait time
    assert_eq!(top[1..], [("key \"a\"", 1), ("key \"b\"", 1)]);
    assert_eq!((s.waiting_now, s.locks_held), (0, 0));
}

//! Deadlocks through transactions: two-way and three-way cycles resolve with exactly one victim,
//! the youngest, while the others proceed; heavy contention without cycles (hot keys taken in
//! one global order) produces no deadlock at all; random cycles retried by `Database::run`
//! keep an invariant and every detected deadlock has exactly one victim; a lock wait times out
//! with `LockTimeout` and leaves the transaction usable with its locks.
//!
//! Waits are observed through the lock manager's `waiting_now` counter, never by sleeping, so
//! no test depends on the machine's speed. Randomised tests are seeded (`LDB_DEADLOCK_SEED`
//! overrides) and print the seed when they fail.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lightning_db::util::SplitMix64;
use lightning_db::vfs::SimVfs;
use lightning_db::{Database, Error, IsolationLevel, Options, Transaction};

const RR: IsolationLevel = IsolationLevel::RepeatableRead;
const SER: IsolationLevel = IsolationLevel::Serializable;

fn db_with_timeout(lock_timeout: Duration) -> Database {
    Database::create(
        "/deadlocks",
        Options {
            vfs: std::sync::Arc::new(SimVfs::new()),
            lock_timeout,
            wal_segment_size: 1 << 20,
            cache_bytes: 1 << 20,
            ..Options::default()
        },
    )
    .expect("create")
}

fn db() -> Database {
    db_with_timeout(Duration::from_secs(30))
}

/// Blocks until exactly `n` lock requests wait (bounded, so a bug fails instead of hanging).
fn await_waiting(db: &Database, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = db.stats().expect("stats").locks.waiting_now;
        if now == n {
            return;
        }
        assert!(Instant::now() < deadline, "{now} waiting, expected {n}");
        thread::yield_now();
    }
}

fn value(db: &Database, key: &[u8]) -> Option<String> {
    db.get(key)
        .expect("get")
        .map(|v| String::from_utf8(v).expect("utf8"))
}

fn seed() -> u64 {
    std::env::var("LDB_DEADLOCK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_dead)
}

/// T1 holds `a`, T2 holds `b`; each then asks for the other's key. `older_closes` decides
/// whose request closes the cycle. T2, the younger, must be the only victim wherever it waits.
fn two_way(level: IsolationLevel, older_closes: bool) {
    let db = db();
    let mut t1 = db.begin(level).expect("begin");
    let mut t2 = db.begin(level).expect("begin");
    let (id1, id2) = (t1.id(), t2.id());
    assert!(id1 < id2);
    t1.put(b"a", b"t1").expect("t1 a");
    t2.put(b"b", b"t2").expect("t2 b");
    let (r1, r2, t1, mut t2) = thread::scope(|s| {
        if older_closes {
            let waiter = s.spawn(move || {
                let r = t2.put(b"a", b"t2");
                (r, t2)
            });
            await_waiting(&db, 1);
            let r1 = t1.put(b"b", b"t1");
            let (r2, t2) = waiter.join().expect("thread");
            (r1, r2, t1, t2)
        } else {
            let waiter = s.spawn(move || {
                let r = t1.put(b"b", b"t1");
                (r, t1)
            });
            await_waiting(&db, 1);
            let r2 = t2.put(b"a", b"t2");
            let (r1, t1) = waiter.join().expect("thread");
            (r1, r2, t1, t2)
        }
    });
    r1.expect("the older transaction proceeds");
    assert!(
        matches!(r2, Err(Error::Deadlock { victim }) if victim == id2),
        "{r2:?}"
    );
    // The victim was rolled back at once.
    assert!(matches!(
        t2.get(b"a"),
        Err(Error::TransactionAborted { .. })
    ));
    t1.commit().expect("commit");
    assert_eq!(value(&db, b"a").as_deref(), Some("t1"));
    assert_eq!(value(&db, b"b").as_deref(), Some("t1"));
    let stats = db.stats().expect("stats");
    assert_eq!(stats.locks.deadlocks, 1);
    assert_eq!(stats.locks.waiting_now, 0);
    assert_eq!(stats.locks.locks_held, 0);
}

#[test]
fn two_way_serializable_cycle_closed_by_the_victim() {
    two_way(SER, false);
}

#[test]
fn two_way_serializable_cycle_closed_by_the_older_wakes_the_waiting_victim() {
    two_way(SER, true);
}

#[test]
fn two_way_repeatable_read_writer_cycle_closed_by_the_victim() {
    two_way(RR, false);
}

#[test]
fn two_way_repeatable_read_writer_cycle_closed_by_the_older() {
    two_way(RR, true);
}

#[test]
fn two_way_read_lock_upgrade_cycle_picks_the_younger() {
    // Both read `k` (shared) and then both write it: each upgrade waits for the other's
    // shared lock.
    let db = db();
    db.put(b"k", b"0").expect("put");
    let mut t1 = db.begin(SER).expect("begin");
    let mut t2 = db.begin(SER).expect("begin");
    let id2 = t2.id();
    t1.get(b"k").expect("get");
    t2.get(b"k").expect("get");
    let (r1, r2, t1) = thread::scope(|s| {
        let waiter = s.spawn(move || {
            let r = t1.put(b"k", b"1");
            (r, t1)
        });
        await_waiting(&db, 1);
        let r2 = t2.put(b"k", b"2");
        let (r1, t1) = waiter.join().expect("thread");
        (r1, r2, t1)
    });
    assert!(
        matches!(r2, Err(Error::Deadlock { victim }) if victim == id2),
        "{r2:?}"
    );
    r1.expect("t1 upgrades");
    t1.commit().expect("commit");
    assert_eq!(value(&db, b"k").as_deref(), Some("1"));
    assert_eq!(db.stats().expect("stats").locks.deadlocks, 1);
}

type Outcome = (usize, Result<(), Error>);

/// Ti holds key i and asks for key i+1 (mod 3); `closer` (0-based) asks last. T3 is the
/// youngest and must be the only victim; the others finish (commit, or under RepeatableRead
/// T1 loses the key T2 committed after T1's snapshot, by first-updater-wins).
fn three_way(level: IsolationLevel, closer: usize) {
    let db = db();
    let keys: [&[u8]; 3] = [b"a", b"b", b"c"];
    let mut txns: Vec<Transaction<'_>> = (0..3).map(|_| db.begin(level).expect("begin")).collect();
    let ids: Vec<_> = txns.iter().map(Transaction::id).collect();
    for (i, t) in txns.iter_mut().enumerate() {
        t.put(keys[i], format!("t{}", i + 1).as_bytes())
            .expect("own key");
    }
    let deadlocks_seen = AtomicU64::new(0);
    let run = |i: usize, mut t: Transaction<'_>| -> Outcome {
        let r = t
            .put(keys[(i + 1) % 3], format!("t{}", i + 1).as_bytes())
            .and_then(|()| t.commit().map(|_| ()));
        if matches!(r, Err(Error::Deadlock { .. })) {
            deadlocks_seen.fetch_add(1, Ordering::Relaxed);
        }
        (i, r)
    };
    let mut outcomes: Vec<Outcome> = thread::scope(|s| {
        let mut handles = Vec::new();
        let mut waiting = 0;
        let mut closing = None;
        for (i, t) in txns.drain(..).enumerate() {
            if i == closer {
                closing = Some(t);
                continue;
            }
            let run = &run;
            handles.push(s.spawn(move || run(i, t)));
            waiting += 1;
            await_waiting(&db, waiting);
        }
        let mut out = vec![run(closer, closing.expect("closer"))];
        out.extend(handles.into_iter().map(|h| h.join().expect("thread")));
        out
    });
    outcomes.sort_by_key(|o| o.0);
    let context = format!("closer T{}: {outcomes:?}", closer + 1);
    assert_eq!(deadlocks_seen.load(Ordering::Relaxed), 1, "{context}");
    assert!(
        matches!(outcomes[2].1, Err(Error::Deadlock { victim }) if victim == ids[2]),
        "{context}"
    );
    assert!(outcomes[1].1.is_ok(), "{context}");
    match level {
        IsolationLevel::Serializable => {
            assert!(outcomes[0].1.is_ok(), "{context}");
            assert_eq!(value(&db, b"b").as_deref(), Some("t1"));
            assert_eq!(value(&db, b"a").as_deref(), Some("t1"));
        }
        IsolationLevel::RepeatableRead => {
            assert!(
                matches!(outcomes[0].1, Err(Error::WriteConflict { .. })),
                "{context}"
            );
            assert_eq!(value(&db, b"b").as_deref(), Some("t2"));
            assert_eq!(value(&db, b"a").as_deref(), None);
        }
    }
    assert_eq!(value(&db, b"c").as_deref(), Some("t2"));
    let stats = db.stats().expect("stats");
    assert_eq!(stats.locks.deadlocks, 1, "{context}");
    assert_eq!(stats.locks.locks_held, 0);
}

#[test]
fn three_way_serializable_cycles_have_one_victim_whoever_closes_them() {
    for closer in 0..3 {
        three_way(SER, closer);
    }
}

#[test]
fn three_way_repeatable_read_writer_cycles_have_one_victim_whoever_closes_them() {
    for closer in 0..3 {
        three_way(RR, closer);
    }
}

/// A committed writer: its commit LSN, its token, and the hot keys it wrote.
type Written = (u64, String, Vec<usize>);

#[test]
fn ordered_acquisition_under_heavy_contention_never_deadlocks() {
    const THREADS: u64 = 8;
    const TXNS: u64 = 60;
    const HOT: u64 = 5;
    let seed = seed();
    let db = db();
    for k in 0..HOT {
        db.put(format!("hot{k}").as_bytes(), b"init").expect("put");
    }
    // A gate transaction holds every hot key until all workers wait on it, so the workers
    // start in a pile-up whatever the machine's speed; the rest is seeded random contention.
    let mut gate = db.begin(SER).expect("begin");
    for k in 0..HOT {
        gate.put(format!("hot{k}").as_bytes(), b"gate")
            .expect("gate");
    }
    let writes: Vec<Written> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let db = &db;
                s.spawn(move || {
                    let mut rng = SplitMix64::new(seed ^ (t + 1).wrapping_mul(0x9e37_79b9));
                    let mut done = Vec::new();
                    for i in 0..TXNS {
                        // A sorted random subset of the hot keys: one global order.
                        let mut keys: Vec<usize> =
                            (0..HOT as usize).filter(|_| rng.chance(1, 2)).collect();
                        if keys.is_empty() {
                            keys.push(rng.below(HOT) as usize);
                        }
                        let reader = rng.chance(1, 3);
                        let token = format!("w{t}-{i}");
                        let mut txn = db.begin(SER).expect("begin");
                        for &k in &keys {
                            let key = format!("hot{k}");
                            let r = if reader {
                                txn.get(key.as_bytes()).map(|_| ())
                            } else {
                                txn.put(key.as_bytes(), token.as_bytes())
                            };
                            r.unwrap_or_else(|e| panic!("seed {seed}: {token} on {key}: {e}"));
                        }
                        let info = txn
                            .commit()
                            .unwrap_or_else(|e| panic!("seed {seed}: {token} commit: {e}"));
                        if !reader {
                            done.push((info.lsn.0, token, keys));
                        }
                    }
                    done
                })
            })
            .collect();
        await_waiting(&db, THREADS);
        let info = gate.commit().expect("gate commit");
        let mut all = vec![(info.lsn.0, "gate".to_string(), (0..HOT as usize).collect())];
        all.extend(handles.into_iter().flat_map(|h| h.join().expect("worker")));
        all
    });
    let stats = db.stats().expect("stats");
    assert_eq!(stats.locks.deadlocks, 0, "seed {seed}: {:?}", stats.locks);
    assert_eq!(stats.locks.timeouts, 0, "seed {seed}");
    assert!(
        stats.locks.waits >= THREADS,
        "seed {seed}: {:?}",
        stats.locks
    );
    // Every hot key holds the token of the last committed writer of it (commit LSN order).
    for k in 0..HOT as usize {
        let last = writes
            .iter()
            .filter(|w| w.2.contains(&k))
            .max_by_key(|w| w.0)
            .map_or("gate", |w| w.1.as_str());
        assert_eq!(
            value(&db, format!("hot{k}").as_bytes()).as_deref(),
            Some(last),
            "seed {seed}: hot{k}"
        );
    }
    println!(
        "seed {seed}: {} writers committed, {} waits, 0 deadlocks",
        writes.len(),
        stats.locks.waits
    );
}

#[test]
fn random_transfer_cycles_each_have_exactly_one_victim_and_retries_keep_the_total() {
    const THREADS: u64 = 6;
    const TRANSFERS: u64 = 40;
    const ACCOUNTS: u64 = 4;
    let seed = seed();
    let db = db();
    for a in 0..ACCOUNTS {
        db.put(format!("acct{a}").as_bytes(), b"100").expect("put");
    }
    let victims = AtomicU64::new(0);
    let read = |txn: &mut Transaction<'_>, key: &str| -> Result<i64, Error> {
        let v = txn.get(key.as_bytes())?.expect("account exists");
        Ok(std::str::from_utf8(&v)
            .expect("utf8")
            .parse()
            .expect("number"))
    };
    thread::scope(|s| {
        for t in 0..THREADS {
            let (db, victims, read) = (&db, &victims, &read);
            s.spawn(move || {
                let mut rng = SplitMix64::new(seed ^ (t + 1).wrapping_mul(0x2545_f491));
                for _ in 0..TRANSFERS {
                    let from = rng.below(ACCOUNTS);
                    let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                    let amount = rng.range_inclusive(1, 10) as i64;
                    let (fk, tk) = (format!("acct{from}"), format!("acct{to}"));
                    let result = db.run(SER, |txn| {
                        let r = (|| {
                            let f = read(txn, &fk)?;
                            let g = read(txn, &tk)?;
                            txn.put(fk.as_bytes(), (f - amount).to_string().as_bytes())?;
                            txn.put(tk.as_bytes(), (g + amount).to_string().as_bytes())
                        })();
                        if matches!(r, Err(Error::Deadlock { .. })) {
                            victims.fetch_add(1, Ordering::Relaxed);
                        }
                        r
                    });
                    result.unwrap_or_else(|e| panic!("seed {seed}: transfer failed: {e}"));
                }
            });
        }
    });
    let total: i64 = (0..ACCOUNTS)
        .map(|a| {
            value(&db, format!("acct{a}").as_bytes())
                .expect("account")
                .parse::<i64>()
                .expect("number")
        })
        .sum();
    assert_eq!(total, 100 * ACCOUNTS as i64, "seed {seed}");
    let stats = db.stats().expect("stats");
    assert_eq!(
        stats.locks.deadlocks,
        victims.load(Ordering::Relaxed),
        "seed {seed}: every detected deadlock has exactly one victim"
    );
    assert_eq!(stats.locks.timeouts, 0, "seed {seed}");
    println!("seed {seed}: {} deadlocks resolved", stats.locks.deadlocks);
}

#[test]
fn a_lock_wait_times_out_and_the_transaction_keeps_its_locks() {
    let timeout = Duration::from_millis(100);
    let db = db_with_timeout(timeout);
    let mut holder = db.begin(SER).expect("begin");
    holder.put(b"k", b"holder").expect("put");
    for level in [SER, RR] {
        let mut t = db.begin(level).expect("begin");
        t.put(b"j", b"mine").expect("own key");
        let r = if level == SER {
            t.get(b"k").map(|_| ())
        } else {
            t.put(b"k", b"other")
        };
        let err = r.expect_err("the held lock makes the request wait");
        match &err {
            Error::LockTimeout { waited, .. } => assert!(*waited >= timeout, "{waited:?}"),
            other => panic!("{level}: expected a lock timeout, got {other:?}"),
        }
        // A timeout does not roll the transaction back, so it is not retried wholesale.
        assert!(!err.is_retryable());
        // Still usable, and still holding `j`: a plain write of `j` times out too.
        assert_eq!(t.get(b"j").expect("own write"), Some(b"mine".to_vec()));
        assert!(matches!(
            db.put(b"j", b"plain"),
            Err(Error::LockTimeout { .. })
        ));
        t.commit().expect("commit after a timeout");
        assert_eq!(value(&db, b"j").as_deref(), Some("mine"));
    }
    holder.commit().expect("commit");
    assert_eq!(value(&db, b"k").as_deref(), Some("holder"));
    let stats = db.stats().expect("stats");
    assert_eq!(stats.locks.timeouts, 4);
    assert_eq!(stats.locks.deadlocks, 0);
}

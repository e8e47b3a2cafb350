//! Transaction basics: own writes, snapshot reads, rollback, write conflicts, serializable
//! locking, read-only transactions, lock timeouts, retries and version garbage collection.

use std::ops::Bound;
use std::time::Duration;

use lightning_db::{Database, Error, IsolationLevel, Options};

const RR: IsolationLevel = IsolationLevel::RepeatableRead;
const SER: IsolationLevel = IsolationLevel::Serializable;

fn open(dir: &tempfile::TempDir, lock_timeout: Duration) -> Database {
    Database::create(
        dir.path().join("db"),
        Options {
            lock_timeout,
            ..Options::default()
        },
    )
    .expect("create")
}

fn keys(db: &Database) -> Vec<(Vec<u8>, Vec<u8>)> {
    db.range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<_, _>>()
        .expect("scan")
}

#[test]
fn a_transaction_sees_its_own_writes_and_commits_them_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(5));
    db.put(b"a", b"0").expect("put");
    db.put(b"c", b"0").expect("put");
    for level in [RR, SER] {
        let mut txn = db.begin(level).expect("begin");
        txn.put(b"b", b"1").expect("put");
        txn.delete(b"c").expect("delete");
        txn.put(b"a", b"1").expect("put");
        assert_eq!(txn.get(b"b").expect("get"), Some(b"1".to_vec()));
        assert_eq!(txn.get(b"c").expect("get"), None);
        let scanned: Vec<Vec<u8>> = txn
            .range(Bound::Unbounded, Bound::Unbounded, false)
            .expect("range")
            .map(|r| r.expect("row").0)
            .collect();
        assert_eq!(scanned, vec![b"a".to_vec(), b"b".to_vec()]);
        // Nothing is visible outside before commit.
        assert_eq!(db.get(b"b").expect("get"), None);
        assert_eq!(db.get(b"c").expect("get"), Some(b"0".to_vec()));
        txn.commit().expect("commit");
        assert_eq!(
            keys(&db),
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"1".to_vec())
            ]
        );
        db.put(b"c", b"0").expect("restore c");
        db.delete(b"b").expect("delete b");
    }
}

#[test]
fn dropping_or_rolling_back_leaves_no_trace_and_frees_the_locks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_millis(50));
    {
        let mut txn = db.begin(SER).expect("begin");
        txn.put(b"k", b"v").expect("put");
    }
    let mut txn = db.begin(RR).expect("begin");
    txn.put(b"k", b"w").expect("put");
    txn.rollback();
    assert_eq!(db.get(b"k").expect("get"), None);
    // The key's lock was released: a plain write does not wait.
    db.put(b"k", b"x").expect("put after rollback");
    let stats = db.stats().expect("stats");
    assert_eq!(stats.txn.rolled_back, 2);
    assert_eq!(stats.txn.active, 0);
    assert_eq!(stats.locks.locks_held, 0);
}

#[test]
fn repeatable_read_reads_its_snapshot_and_first_updater_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(5));
    db.put(b"x", b"1").expect("put");
    let mut t1 = db.begin(RR).expect("begin");
    assert_eq!(t1.get(b"x").expect("get"), Some(b"1".to_vec()));
    db.put(b"x", b"2").expect("concurrent commit");
    db.put(b"y", b"2").expect("concurrent insert");
    // The snapshot does not move.
    assert_eq!(t1.get(b"x").expect("get"), Some(b"1".to_vec()));
    assert_eq!(t1.get(b"y").expect("get"), None);
    // Writing a key committed after the snapshot is a conflict, and rolls the transaction back.
    let err = t1.put(b"x", b"3").expect_err("conflict");
    assert!(matches!(err, Error::WriteConflict { .. }), "{err}");
    assert!(err.is_retryable());
    let again = t1.get(b"x").expect_err("aborted");
    assert!(matches!(again, Error::TransactionAborted { .. }), "{again}");
    drop(t1);
    assert_eq!(db.get(b"x").expect("get"), Some(b"2".to_vec()));
    assert_eq!(db.stats().expect("stats").txn.write_conflicts, 1);
}

#[test]
fn a_serializable_read_blocks_a_writer_until_the_reader_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_millis(30));
    db.put(b"x", b"1").expect("put");
    let mut reader = db.begin(SER).expect("begin");
    assert_eq!(reader.get(b"x").expect("get"), Some(b"1".to_vec()));
    let err = db
        .put(b"x", b"2")
        .expect_err("writer must wait for the shared lock");
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    // A range read locks keys that do not exist yet: no phantom insert.
    let _ = reader
        .range(Bound::Included(b"m"), Bound::Excluded(b"p"), false)
        .expect("range")
        .count();
    let err = db
        .put(b"n", b"new")
        .expect_err("insert into a read range must wait");
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    db.put(b"q", b"outside")
        .expect("a key outside the range is free");
    reader.commit().expect("commit");
    db.put(b"x", b"2").expect("free after commit");
    db.put(b"n", b"new").expect("free after commit");
    let stats = db.stats().expect("stats");
    assert!(stats.locks.timeouts >= 2, "{:?}", stats.locks);
}

#[test]
fn read_only_transactions_neither_block_nor_are_blocked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_millis(30));
    db.put(b"x", b"1").expect("put");
    let mut writer = db.begin(SER).expect("begin");
    writer.put(b"x", b"2").expect("put");
    let mut ro = db.begin_read_only().expect("begin");
    assert_eq!(
        ro.get(b"x").expect("not blocked by the writer"),
        Some(b"1".to_vec())
    );
    writer
        .commit()
        .expect("commit is not blocked by the reader");
    assert_eq!(
        ro.get(b"x").expect("get"),
        Some(b"1".to_vec()),
        "snapshot holds"
    );
    let err = ro.put(b"y", b"1").expect_err("read-only");
    assert!(matches!(err, Error::ReadOnlyTransaction { .. }), "{err}");
}

#[test]
fn two_writers_of_one_key_wait_and_the_loser_conflicts_under_repeatable_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(10));
    db.put(b"x", b"0").expect("put");
    std::thread::scope(|s| {
        let mut t1 = db.begin(RR).expect("begin");
        let mut t2 = db.begin(RR).expect("begin");
        t1.put(b"x", b"1").expect("t1 writes first");
        let h = s.spawn(move || t2.put(b"x", b"2").map(|()| t2.commit()));
        // t2 now waits for t1's exclusive lock; t1's commit makes t2's write a conflict.
        while db.stats().expect("stats").locks.waiting_now == 0 {
            std::thread::yield_now();
        }
        t1.commit().expect("t1 commits");
        let err = h.join().expect("join").expect_err("t2 must lose");
        assert!(matches!(err, Error::WriteConflict { .. }), "{err}");
    });
    assert_eq!(db.get(b"x").expect("get"), Some(b"1".to_vec()));
}

#[test]
fn run_retries_a_deadlock_victim_until_it_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(10));
    db.put(b"a", b"0").expect("put");
    db.put(b"b", b"0").expect("put");
    let barrier = std::sync::Barrier::new(2);
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for (first, second) in [(b"a", b"b"), (b"b", b"a")] {
            let (db, barrier, attempts) = (&db, &barrier, &attempts);
            s.spawn(move || {
                let mut synced = false;
                db.run(SER, |txn| {
                    attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let v = txn.get(first)?.unwrap_or_default();
                    if !synced {
                        synced = true;
                        barrier.wait();
                    }
                    txn.put(second, &v)?;
                    Ok(())
                })
                .expect("run commits eventually");
            });
        }
    });
    let stats = db.stats().expect("stats");
    assert_eq!(stats.locks.deadlocks, 1, "{:?}", stats.locks);
    assert_eq!(attempts.into_inner(), 3, "one retry of the victim");
    assert_eq!(stats.txn.committed, 2);
}

#[test]
fn old_versions_are_reclaimed_once_the_last_reader_of_them_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(5));
    let value = vec![7u8; 100];
    for i in 0..2000u32 {
        db.put(format!("key{i:05}").as_bytes(), &value)
            .expect("load");
    }
    db.checkpoint().expect("checkpoint");
    let update_round = |round: u8| {
        for i in (0..2000u32).step_by(20) {
            db.put(format!("key{i:05}").as_bytes(), &[round; 100])
                .expect("update");
        }
        db.checkpoint().expect("checkpoint");
    };
    let pages = |db: &Database| db.stats().expect("stats").storage.page_count;
    // Reach a steady state: with no long reader, updates reuse freed pages.
    for round in 0..3 {
        update_round(round);
    }
    let steady = pages(&db);
    update_round(3);
    assert_eq!(
        pages(&db),
        steady,
        "without a reader, freed pages are reused"
    );
    // A long-running reader pins every page of its snapshot: updates must grow the file.
    let mut reader = db.begin_read_only().expect("begin");
    for round in 4..8 {
        update_round(round);
    }
    let grown = pages(&db);
    assert!(
        grown > steady,
        "old versions kept for the reader: {grown} vs {steady}"
    );
    assert_eq!(reader.get(b"key00000").expect("get"), Some(vec![3u8; 100]));
    drop(reader);
    // Its versions are now garbage: the next rounds reuse them instead of growing the file.
    for round in 8..16 {
        update_round(round);
    }
    let after = pages(&db);
    assert!(
        after <= steady,
        "space held for the reader was reclaimed: {after} pages now, {steady} before the reader, \
         {grown} while it read"
    );
}

#[test]
fn transactions_on_different_keys_commit_concurrently_without_waiting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::create(
        dir.path().join("db"),
        Options {
            wal_mode: lightning_db::wal::WalMode::Unified,
            ..Options::default()
        },
    )
    .expect("create");
    const THREADS: usize = 8;
    const PER_THREAD: usize = 40;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let db = &db;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let mut txn = db.begin(SER).expect("begin");
                    let key = format!("t{t}-k{i}");
                    assert_eq!(txn.get(key.as_bytes()).expect("get"), None);
                    txn.put(key.as_bytes(), b"v").expect("put");
                    txn.commit().expect("commit");
                }
            });
        }
    });
    let stats = db.stats().expect("stats");
    assert_eq!(stats.entries, (THREADS * PER_THREAD) as u64);
    assert_eq!(stats.txn.committed, (THREADS * PER_THREAD) as u64);
    assert_eq!(stats.locks.waits, 0, "disjoint keys never wait");
    assert_eq!(stats.locks.deadlocks, 0);
}

#[test]
fn after_a_crash_committed_transactions_survive_and_uncommitted_ones_leave_no_trace() {
    use lightning_db::vfs::SimVfs;
    for mode in [
        lightning_db::wal::WalMode::Standard,
        lightning_db::wal::WalMode::Unified,
    ] {
        let vfs = SimVfs::new();
        let opts = |vfs: &SimVfs| Options {
            page_size: 1024,
            cache_bytes: 64 << 10,
            wal_mode: mode,
            checkpoint_wal_bytes: 0,
            vfs: std::sync::Arc::new(vfs.clone()),
            ..Options::default()
        };
        let db = Database::create("/db", opts(&vfs)).expect("create");
        let mut open = db.begin(RR).expect("begin");
        open.put(b"uncommitted", b"x").expect("put");
        let mut done = db.begin(SER).expect("begin");
        done.put(b"committed", b"y").expect("put");
        done.delete(b"never-existed").expect("delete");
        done.commit().expect("commit");
        let mut rolled = db.begin(SER).expect("begin");
        rolled.put(b"rolled-back", b"z").expect("put");
        rolled.rollback();
        // The machine loses power with `open` still running: only durable state remains.
        let image = vfs.crash_image(11);
        drop(open);
        drop(db);
        let db = Database::open("/db", opts(&image)).expect("recovery");
        assert_eq!(
            keys(&db),
            vec![(b"committed".to_vec(), b"y".to_vec())],
            "{mode:?}"
        );
        assert!(db.check().expect("check").is_clean(), "{mode:?}");
    }
}

/// Two read-modify-writes of one key under `Serializable`, started together: with `get` both
/// take the shared lock and the upgrade deadlocks (one victim); with `get_for_update` the second
/// waits for the first, reads its result, and both commit.
#[test]
fn get_for_update_turns_an_upgrade_deadlock_into_a_wait() {
    for for_update in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(&dir, Duration::from_secs(10));
        db.put(b"n", b"0").expect("put");
        let read = |txn: &mut lightning_db::Transaction<'_>| {
            if for_update {
                txn.get_for_update(b"n")
            } else {
                txn.get(b"n")
            }
        };
        let increment = |txn: &mut lightning_db::Transaction<'_>, v: Option<Vec<u8>>| {
            let n: u64 = String::from_utf8(v.unwrap_or_default())
                .expect("utf-8")
                .parse()
                .expect("number");
            txn.put(b"n", (n + 1).to_string().as_bytes())
        };
        let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
            let mut t1 = db.begin(SER).expect("begin");
            let v1 = read(&mut t1).expect("t1 reads first");
            let db = &db;
            let (read_done, wait_read) = std::sync::mpsc::channel();
            let t2 = s.spawn(move || {
                let mut t2 = db.begin(SER).expect("begin");
                let v2 = read(&mut t2)?;
                let _ = read_done.send(());
                increment(&mut t2, v2)?;
                t2.commit().map(|_| ())
            });
            // t2 has its shared lock (under `get`), or waits for t1's exclusive one.
            if for_update {
                while db.stats().expect("stats").locks.waiting_now == 0 {
                    std::thread::yield_now();
                }
            } else {
                wait_read.recv().expect("t2 read");
            }
            let r1 = increment(&mut t1, v1).and_then(|()| t1.commit().map(|_| ()));
            vec![r1, t2.join().expect("join")]
        });
        let stats = db.stats().expect("stats");
        if for_update {
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(stats.locks.deadlocks, 0, "{:?}", stats.locks);
            assert_eq!(db.get(b"n").expect("get"), Some(b"2".to_vec()));
        } else {
            let victims = results
                .iter()
                .filter(|r| matches!(r, Err(Error::Deadlock { .. })))
                .count();
            assert_eq!(victims, 1, "{results:?}");
            assert_eq!(stats.locks.deadlocks, 1, "{:?}", stats.locks);
            assert_eq!(db.get(b"n").expect("get"), Some(b"1".to_vec()));
        }
    }
}

#[test]
fn get_for_update_conflicts_early_reads_own_writes_and_is_refused_read_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir, Duration::from_secs(5));
    db.put(b"k", b"0").expect("put");
    // Under RepeatableRead, a key committed after the snapshot fails at the read, not later.
    let mut t = db.begin(RR).expect("begin");
    db.put(b"k", b"1").expect("a later commit");
    let err = t.get_for_update(b"k").expect_err("conflict");
    assert!(matches!(err, Error::WriteConflict { .. }), "{err}");
    // Its own write, at either level; the lock stays with the transaction.
    for level in [RR, SER] {
        let mut t = db.begin(level).expect("begin");
        assert_eq!(t.get_for_update(b"k").expect("read"), Some(b"1".to_vec()));
        t.put(b"k", b"own").expect("put");
        assert_eq!(t.get_for_update(b"k").expect("read"), Some(b"own".to_vec()));
        t.rollback();
    }
    let mut ro = db.begin_read_only().expect("begin");
    let err = ro.get_for_update(b"k").expect_err("read-only");
    assert!(matches!(err, Error::ReadOnlyTransaction { .. }), "{err}");
}

//! Exclusive range locks ([`Transaction::lock_range_exclusive`]), batched writes
//! ([`Transaction::put_all`]) and the transaction's memory of the locks it holds: a range lock
//! keeps every writer and locking reader of its keys waiting, conflicts under `RepeatableRead`
//! with a commit after the snapshot, and lets writes inside it proceed without key locks; a
//! batch is recorded whole or not at all; a lock held once is not asked for again, and ends with
//! the transaction.

use std::time::Duration;

use lightning_db::{Database, Error, IsolationLevel, Options, Transaction};

const RR: IsolationLevel = IsolationLevel::RepeatableRead;
const SER: IsolationLevel = IsolationLevel::Serializable;

fn open(dir: &tempfile::TempDir) -> Database {
    Database::create(
        dir.path().join("db"),
        Options {
            lock_timeout: Duration::from_millis(30),
            ..Options::default()
        },
    )
    .expect("create")
}

fn pairs(keys: &[&[u8]], value: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    keys.iter().map(|k| (k.to_vec(), value.to_vec())).collect()
}

fn acquisitions(db: &Database) -> u64 {
    db.stats().expect("stats").locks.acquisitions
}

#[test]
fn an_exclusive_range_lock_holds_off_every_writer_and_locking_reader_of_its_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.put(b"n0", b"old").expect("put");
    let mut owner = db.begin(RR).expect("begin");
    owner.lock_range_exclusive(b"m", b"p").expect("lock");
    let before = acquisitions(&db);
    owner
        .put_all(pairs(&[b"n1", b"n2", b"o"], b"new"))
        .expect("writes inside the range");
    owner.put(b"n0", b"new").expect("put inside the range");
    assert_eq!(acquisitions(&db), before, "writes inside took key locks");

    for key in [b"n0".as_slice(), b"n9", b"m"] {
        let err = db.put(key, b"x").expect_err("a writer inside must wait");
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    }
    let mut reader = db.begin(SER).expect("begin");
    let err = reader.get(b"n0").expect_err("a locking reader must wait");
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    reader.rollback();
    db.put(b"p", b"x").expect("the end is excluded");
    db.put(b"l", b"x").expect("before the start is free");

    owner.commit().expect("commit");
    for key in [b"n0".as_slice(), b"n1", b"n2", b"o"] {
        assert_eq!(db.get(key).expect("get"), Some(b"new".to_vec()), "{key:?}");
    }
    db.put(b"n9", b"x").expect("free after the commit");
}

#[test]
fn under_repeatable_read_a_range_lock_conflicts_with_a_commit_after_the_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let mut late = db.begin(RR).expect("begin");
    assert_eq!(late.get(b"a").expect("get"), None);
    db.put(b"n", b"committed after the snapshot").expect("put");
    db.put(b"z", b"outside").expect("put");
    let mut clean = db.begin(RR).expect("begin");
    clean
        .lock_range_exclusive(b"a", b"m")
        .expect("nothing in [a, m) changed since its snapshot");
    clean.rollback();
    let err = late.lock_range_exclusive(b"m", b"p").expect_err("conflict");
    assert!(matches!(err, Error::WriteConflict { .. }), "{err}");
    let err = late.put(b"a", b"x").expect_err("rolled back");
    assert!(matches!(err, Error::TransactionAborted { .. }), "{err}");
    drop(late);
    db.put(b"n", b"free again")
        .expect("the conflict released the lock");
}

#[test]
fn put_all_records_every_pair_or_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let mut txn = db.begin(SER).expect("begin");
    txn.put_all(vec![
        (b"a".to_vec(), b"1".to_vec()),
        (b"b".to_vec(), b"1".to_vec()),
        (b"a".to_vec(), b"2".to_vec()),
    ])
    .expect("put_all");
    assert_eq!(txn.write_count(), 2);
    assert_eq!(
        txn.get(b"a").expect("get"),
        Some(b"2".to_vec()),
        "later wins"
    );

    // Another transaction holds `k`: the batch times out on it and records nothing, not even
    // the pairs before it; the transaction itself goes on.
    let mut holder = db.begin(SER).expect("begin");
    holder.put(b"k", b"held").expect("put");
    let err = txn
        .put_all(pairs(&[b"c", b"k", b"d"], b"x"))
        .expect_err("k is locked");
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert_eq!(txn.write_count(), 2);
    assert_eq!(txn.get(b"c").expect("get"), None);
    let err = txn
        .put_all(vec![(vec![], b"x".to_vec())])
        .expect_err("an empty key is refused");
    assert!(!matches!(err, Error::TransactionAborted { .. }), "{err}");
    txn.commit().expect("commit");
    holder.rollback();
    assert_eq!(db.get(b"a").expect("get"), Some(b"2".to_vec()));
    assert_eq!(db.get(b"c").expect("get"), None);

    let mut ro = db.begin_read_only().expect("begin");
    let err = ro.put_all(pairs(&[b"e"], b"x")).expect_err("read-only");
    assert!(matches!(err, Error::ReadOnlyTransaction { .. }), "{err}");
    let err = ro.lock_range_exclusive(b"a", b"b").expect_err("read-only");
    assert!(matches!(err, Error::ReadOnlyTransaction { .. }), "{err}");
}

fn write_twice(txn: &mut Transaction<'_>, key: &[u8]) {
    txn.get_for_update(key).expect("locking read");
    txn.put(key, b"1").expect("put");
    txn.put(key, b"2").expect("put again");
}

#[test]
fn a_lock_held_once_is_not_asked_for_again_and_ends_with_the_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    for level in [RR, SER] {
        let mut txn = db.begin(level).expect("begin");
        let before = acquisitions(&db);
        write_twice(&mut txn, b"k");
        txn.lock_shared(b"k")
            .expect("covered by the exclusive lock");
        assert_eq!(txn.get(b"k").expect("get"), Some(b"2".to_vec()));
        assert_eq!(
            acquisitions(&db) - before,
            1,
            "{level:?}: one lock request for k"
        );
        txn.lock_shared(b"guard").expect("guard");
        txn.lock_shared(b"guard").expect("guard again");
        assert_eq!(acquisitions(&db) - before, 2, "{level:?}");
        // A shared lock held is not an exclusive one: the write asks for the upgrade.
        txn.put(b"guard", b"w").expect("upgrade");
        assert_eq!(acquisitions(&db) - before, 3, "{level:?}");
        txn.commit().expect("commit");
        // Released at commit: another transaction takes both at once.
        let mut other = db.begin(level).expect("begin");
        write_twice(&mut other, b"k");
        other.put(b"guard", b"x").expect("put");
        other.rollback();
    }
}

//! Constraints and schema changes under concurrency, at both isolation levels: two
//! transactions inserting the same unique value — exactly one commits, the other gets
//! `UniqueViolation` (at `RepeatableRead` after one retryable write conflict when its snapshot
//! predates the winner's commit); an index build never misses a concurrent insert, and a
//! writer that waited for a DDL writes through the new definition.

use std::sync::Barrier;
use std::time::Duration;

use lightning_db::schema::ddl::{self, IndexSpec};
use lightning_db::schema::table;
use lightning_db::schema::{CatalogCache, SchemaError, TableDef, Value};
use lightning_db::{Database, IsolationLevel};

use crate::schema::{RR, SER, assert_indexes_match_rows, open, user, users};

#[derive(Debug, PartialEq)]
enum Outcome {
    Committed { retries: u32 },
    Violated { retries: u32 },
}

/// Inserts `row` in its own transaction at `level`, retrying retryable errors.
fn insert_retrying(
    db: &Database,
    cache: &CatalogCache,
    level: IsolationLevel,
    row: &[Value],
) -> Outcome {
    for retries in 0..20 {
        let attempt = (|| -> Result<(), SchemaError> {
            let mut txn = db.begin(level)?;
            let cat = cache.get(&mut txn)?;
            table::insert(&mut txn, cat.table("users")?, row)?;
            txn.commit()?;
            Ok(())
        })();
        match attempt {
            Ok(()) => return Outcome::Committed { retries },
            Err(SchemaError::UniqueViolation { index, key, .. }) => {
                assert_eq!(
                    (index.as_str(), key.as_str()),
                    ("users_email", "('same@x')")
                );
                return Outcome::Violated { retries };
            }
            Err(e) if e.is_retryable() => continue,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    panic!("no outcome after 20 attempts");
}

#[test]
fn racing_inserts_of_one_unique_value_commit_exactly_once_at_both_levels() {
    for level in [SER, RR] {
        for round in 0..15 {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = open(&dir);
            users(&db);
            let cache = CatalogCache::new();
            let barrier = Barrier::new(2);
            let outcomes: Vec<Outcome> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..2)
                    .map(|i| {
                        let (db, cache, barrier) = (&db, &cache, &barrier);
                        s.spawn(move || {
                            barrier.wait();
                            insert_retrying(db, cache, level, &user(i, Some("same@x"), 1))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            });
            let committed = outcomes
                .iter()
                .filter(|o| matches!(o, Outcome::Committed { .. }))
                .count();
            assert_eq!(committed, 1, "{level:?} round {round}: {outcomes:?}");
            if level == SER {
                // Serializable reads the winner's entry once it may: no retry is ever needed.
                assert!(
                    outcomes.iter().all(|o| matches!(
                        o,
                        Outcome::Committed { retries: 0 } | Outcome::Violated { retries: 0 }
                    )),
                    "{outcomes:?}"
                );
            }
            let def = cache_def(&db, &cache);
            assert_indexes_match_rows(&db, &def);
        }
    }
}

fn cache_def(db: &Database, cache: &CatalogCache) -> TableDef {
    let mut txn = db.begin_read_only().expect("begin");
    cache
        .get(&mut txn)
        .expect("cat")
        .table("users")
        .expect("users")
        .clone()
}

#[test]
fn the_loser_waits_for_the_winner_then_sees_the_violation_or_a_retryable_conflict() {
    // Serializable: the second insert blocks on the first's entry, then reads it.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut a = db.begin(SER).expect("begin");
    table::insert(&mut a, &def, &user(1, Some("same@x"), 1)).expect("insert");
    std::thread::scope(|s| {
        let b = s.spawn(|| {
            let mut b = db.begin(SER).expect("begin");
            table::insert(&mut b, &def, &user(2, Some("same@x"), 1))
        });
        std::thread::sleep(Duration::from_millis(50));
        a.commit().expect("commit");
        match b.join().expect("thread") {
            Err(SchemaError::UniqueViolation { index, .. }) => assert_eq!(index, "users_email"),
            other => panic!("expected UniqueViolation, got {other:?}"),
        }
    });
    // RepeatableRead: a snapshot older than the winner's commit gets a write conflict; the
    // retry (a new snapshot) gets the violation.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut a = db.begin(RR).expect("begin");
    let mut b = db.begin(RR).expect("begin");
    table::insert(&mut a, &def, &user(1, Some("same@x"), 1)).expect("insert");
    a.commit().expect("commit");
    let e = table::insert(&mut b, &def, &user(2, Some("same@x"), 1)).expect_err("conflict");
    assert!(e.is_retryable(), "{e}");
    let mut retry = db.begin(RR).expect("begin");
    let e = table::insert(&mut retry, &def, &user(2, Some("same@x"), 1)).expect_err("violation");
    assert!(matches!(e, SchemaError::UniqueViolation { .. }), "{e}");
}

#[test]
fn an_index_build_never_misses_a_concurrent_insert_at_both_levels() {
    for ddl_level in [SER, RR] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(&dir);
        let def = users(&db);
        let mut w = db.begin(RR).expect("begin");
        table::insert(&mut w, &def, &user(7, Some("w@x"), 70)).expect("insert");
        std::thread::scope(|s| {
            let d = s.spawn(|| {
                for _ in 0..20 {
                    let attempt = (|| -> Result<(), SchemaError> {
                        let mut txn = db.begin(ddl_level)?;
                        ddl::create_index(
                            &mut txn,
                            &IndexSpec {
                                name: "by_id_age".into(),
                                table: "users".into(),
                                columns: vec!["age".into(), "id".into()],
                                unique: true,
                            },
                        )?;
                        txn.commit()?;
                        Ok(())
                    })();
                    match attempt {
                        Ok(()) => return,
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
                panic!("index build never committed");
            });
            std::thread::sleep(Duration::from_millis(50));
            w.commit().expect("writer commits");
            d.join().expect("ddl thread");
        });
        let cache = CatalogCache::new();
        let def = cache_def(&db, &cache);
        assert_eq!(def.indexes.len(), 3);
        assert_indexes_match_rows(&db, &def);
    }
}

#[test]
fn a_writer_that_waited_for_a_ddl_maintains_the_new_index() {
    for level in [SER, RR] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(&dir);
        users(&db);
        let cache = CatalogCache::new();
        let mut d = db.begin(SER).expect("begin");
        ddl::create_index(
            &mut d,
            &IndexSpec {
                name: "by_age".into(),
                table: "users".into(),
                columns: vec!["age".into()],
                unique: false,
            },
        )
        .expect("create");
        std::thread::scope(|s| {
            let w = s.spawn(|| insert_retrying(&db, &cache, level, &user(3, Some("w@x"), 30)));
            std::thread::sleep(Duration::from_millis(50));
            d.commit().expect("ddl commits");
            assert!(matches!(
                w.join().expect("writer"),
                Outcome::Committed { .. }
            ));
        });
        let def = cache_def(&db, &cache);
        assert!(def.index("by_age").is_some());
        assert_indexes_match_rows(&db, &def);
    }
}

#[test]
fn lock_shared_and_check_unchanged_guard_a_key_and_a_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    // RepeatableRead: a key committed after the snapshot is a conflict for the guard.
    let mut old = db.begin(RR).expect("begin");
    db.put(b"k", b"1").expect("put");
    let e = old
        .lock_shared(b"k")
        .expect_err("committed after the snapshot");
    assert!(
        matches!(e, lightning_db::Error::WriteConflict { .. }),
        "{e}"
    );
    let mut old = db.begin(RR).expect("begin");
    db.put(b"r5", b"1").expect("put");
    old.check_unchanged(b"r0", b"r4")
        .expect("nothing committed in [r0, r4)");
    let e = old
        .check_unchanged(b"r0", b"r9")
        .expect_err("r5 committed after the snapshot");
    assert!(e.is_retryable(), "{e}");
    // A guard holds writers of the key off until its transaction ends.
    let mut guard = db.begin(SER).expect("begin");
    guard.lock_shared(b"k").expect("guard");
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut w = db.begin(SER).expect("begin");
            w.put(b"k", b"2").expect("put waits for the guard");
            w.commit().expect("commit")
        });
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            db.get(b"k").expect("get"),
            Some(b"1".to_vec()),
            "the writer waited"
        );
        guard.commit().expect("end guard");
        writer.join().expect("writer");
    });
    assert_eq!(db.get(b"k").expect("get"), Some(b"2".to_vec()));
}

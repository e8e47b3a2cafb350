//! Concurrent committers and readers.
//!
//! Regression: in `Unified` mode, committers publish their snapshot after the group fsync,
//! outside the writer lock, and dropping the previous snapshot unpins its epoch from that thread.
//! Unpinning released freed page ids and then discarded their cached images *after* dropping the
//! freelist lock — in between, the writer could allocate one of those ids again and install a new
//! page image, which the late discard threw away. The next read of that live page went to disk,
//! past the end of the file: "page lies past the end of the file", and the handle was poisoned.
//! Discarding under the freelist lock fixed it; this test runs the same shape of load.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

use lightning_db::harness::workload;
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options};

fn run(mode: WalMode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::create(
        dir.path().join("db"),
        Options {
            wal_mode: mode,
            page_size: 1024,
            cache_bytes: 256 << 10,
            checkpoint_wal_bytes: 512 << 10,
            ..Options::default()
        },
    )
    .expect("create");
    let done = AtomicBool::new(false);
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 120;
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let db = &db;
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        let n = t * 1_000_000 + i;
                        db.put(&workload::key(9, n), &workload::value(9, n))
                            .unwrap_or_else(|e| panic!("thread {t} commit {i}: {e}"));
                    }
                })
            })
            .collect();
        for r in 0..2 {
            let (db, done) = (&db, &done);
            s.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    // A snapshot scan must see a sorted, consistent prefix of the commits.
                    let snap = db.snapshot();
                    let expected = snap.entries;
                    let rows: Vec<_> = db
                        .range_at(snap, Bound::Unbounded, Bound::Unbounded, r == 1)
                        .expect("range")
                        .collect::<Result<_, _>>()
                        .expect("scan");
                    assert_eq!(
                        rows.len() as u64,
                        expected,
                        "snapshot scan saw a torn state"
                    );
                }
            });
        }
        for w in writers {
            w.join().expect("writer");
        }
        done.store(true, Ordering::Relaxed);
    });
    let mut expected = BTreeMap::new();
    for t in 0..THREADS {
        for i in 0..PER_THREAD {
            let n = t * 1_000_000 + i;
            expected.insert(workload::key(9, n).to_vec(), workload::value(9, n).to_vec());
        }
    }
    let found: BTreeMap<Vec<u8>, Vec<u8>> = db
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<_, _>>()
        .expect("scan");
    assert_eq!(found, expected);
    let report = db.check().expect("check");
    assert!(report.is_clean(), "{report}");
}

#[test]
fn concurrent_committers_and_readers_unified() {
    for _ in 0..3 {
        run(WalMode::Unified);
    }
}

#[test]
fn concurrent_committers_and_readers_standard() {
    run(WalMode::Standard);
}

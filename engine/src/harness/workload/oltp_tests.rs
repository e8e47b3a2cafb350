//! Tests of the OLTP driver: operation accounting, no lost read-modify-write updates at either
//! isolation level, deterministic operation streams, stop conditions and argument checks.

use std::collections::HashMap;
use std::ops::Bound;

use super::*;
use crate::db::Options;
use crate::harness::workload::load;
use crate::wal::WalMode;

const SEED: u64 = 0x01_7E57;
const KEYS: u64 = 2_000;

fn loaded(dir: &tempfile::TempDir, name: &str) -> Database {
    let db = Database::create(
        dir.path().join(name),
        Options {
            wal_mode: WalMode::Unified,
            ..Options::default()
        },
    )
    .expect("create");
    load(&db, SEED, 0, KEYS, 1_000).expect("load");
    db
}

fn contents(db: &Database) -> Vec<(Vec<u8>, Vec<u8>)> {
    db.range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<_>>()
        .expect("scan")
}

/// Sum over all keys of (current counter − preloaded counter): the number of read-modify-write
/// increments the database holds.
fn increments(db: &Database) -> u64 {
    let index: HashMap<Vec<u8>, u64> = (0..KEYS).map(|i| (key(SEED, i).to_vec(), i)).collect();
    let mut sum = 0u64;
    for (k, v) in contents(db) {
        let i = index[&k];
        sum = sum.wrapping_add(counter(&v).wrapping_sub(counter(&value(SEED, i))));
    }
    sum
}

#[test]
fn ycsb_a_completes_its_budget_and_changes_values_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(&dir, "db");
    let cfg = OltpConfig::ycsb_a(SEED, KEYS, 2, Stop::Ops(300));
    let r = run(&db, &cfg).expect("run");
    assert_eq!(r.ops + r.failed, 300, "seed {:#x}: {r:?}", cfg.op_seed);
    assert_eq!(r.failed, 0, "seed {:#x}: {r:?}", cfg.op_seed);
    assert_eq!(r.reads + r.updates, r.ops);
    assert_eq!(r.latency.count(), r.ops);
    assert!(
        (90..=210).contains(&r.reads),
        "seed {:#x}: {} reads of 300 at 50%",
        cfg.op_seed,
        r.reads
    );
    assert!(r.ops_per_sec() > 0.0);
    assert!(r.latency_ms(0.5) > 0.0 && r.latency_ms(0.5) <= r.latency_ms(0.99));
    // Updates overwrite preloaded keys: same key count, and some values are new.
    let now = contents(&db);
    assert_eq!(now.len() as u64, KEYS);
    let changed = (0..KEYS)
        .filter(|&i| db.get(&key(SEED, i)).expect("get").as_deref() != Some(&value(SEED, i)[..]))
        .count() as u64;
    assert!(changed > 0 && changed <= r.updates, "{changed} changed");
}

fn no_lost_updates(level: IsolationLevel, update: UpdateKind) -> OltpReport {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(&dir, "db");
    let cfg = OltpConfig {
        isolation: level,
        read_percent: 20,
        update,
        ..OltpConfig::hot_key(SEED, KEYS, 4, Stop::Ops(240))
    };
    let r = run(&db, &cfg).expect("run");
    let ctx = format!("{level} seed {:#x}: {r:?}", cfg.op_seed);
    assert_eq!(r.ops + r.failed, 240, "{ctx}");
    assert_eq!(r.failed, 0, "{ctx}");
    // Every committed read-modify-write incremented exactly one counter by one.
    assert_eq!(increments(&db), r.updates, "{ctx}");
    let hot: u64 = (0..8)
        .map(|i| {
            let v = db.get(&key(SEED, i)).expect("get").expect("present");
            counter(&v).wrapping_sub(counter(&value(SEED, i)))
        })
        .fold(0, u64::wrapping_add);
    assert_eq!(hot, r.hot_updates, "{ctx}");
    assert!(r.hot_updates > r.updates / 2, "{ctx}");
    assert!(r.locks.acquisitions >= r.updates, "{ctx}");
    r
}

#[test]
fn serializable_read_modify_write_loses_no_update() {
    no_lost_updates(IsolationLevel::Serializable, UpdateKind::ReadModifyWrite);
}

#[test]
fn snapshot_isolation_read_modify_write_loses_no_update() {
    no_lost_updates(IsolationLevel::RepeatableRead, UpdateKind::ReadModifyWrite);
}

#[test]
fn locking_read_modify_writes_lose_no_update_and_never_deadlock() {
    for level in [IsolationLevel::Serializable, IsolationLevel::RepeatableRead] {
        let r = no_lost_updates(level, UpdateKind::LockingReadModifyWrite);
        // Each update takes one key's exclusive lock before reading it: no lock is ever
        // upgraded, and single-key transactions cannot wait for each other in a cycle.
        assert_eq!(r.locks.deadlocks, 0, "{level}: {r:?}");
    }
}

#[test]
fn one_thread_replays_the_same_operations_from_the_same_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (loaded(&dir, "a"), loaded(&dir, "b"));
    let cfg = OltpConfig {
        update: UpdateKind::ReadModifyWrite,
        ..OltpConfig::ycsb_a(SEED, KEYS, 1, Stop::Ops(150))
    };
    let (ra, rb) = (run(&a, &cfg).expect("run a"), run(&b, &cfg).expect("run b"));
    assert_eq!((ra.reads, ra.updates), (rb.reads, rb.updates));
    assert_eq!(contents(&a), contents(&b), "seed {:#x}", cfg.op_seed);
    let other = OltpConfig {
        op_seed: cfg.op_seed + 1,
        ..cfg.clone()
    };
    let c = loaded(&dir, "c");
    run(&c, &other).expect("run c");
    assert_ne!(
        contents(&a),
        contents(&c),
        "a different seed, the same stream"
    );
}

#[test]
fn read_only_mixes_change_nothing_in_every_read_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(&dir, "db");
    let before = contents(&db);
    for reads in [
        ReadMode::ReadOnlyTxn,
        ReadMode::Transaction,
        ReadMode::Plain,
    ] {
        let cfg = OltpConfig {
            read_percent: 100,
            reads,
            isolation: IsolationLevel::Serializable,
            dist: KeyDist::Uniform,
            ..OltpConfig::ycsb_b(SEED, KEYS, 2, Stop::Ops(500))
        };
        let r = run(&db, &cfg).expect("run");
        assert_eq!((r.reads, r.updates, r.failed), (500, 0, 0), "{reads:?}");
        let locked = r.locks.acquisitions > 0;
        assert_eq!(locked, reads == ReadMode::Transaction, "{reads:?}: {r:?}");
    }
    assert_eq!(contents(&db), before);
}

#[test]
fn a_deadline_stops_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(&dir, "db");
    let d = Duration::from_millis(150);
    let r = run(&db, &OltpConfig::ycsb_b(SEED, KEYS, 2, Stop::After(d))).expect("run");
    assert!(r.ops > 0);
    assert!(r.elapsed >= d, "{:?}", r.elapsed);
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(&dir, "db");
    let base = OltpConfig::ycsb_a(SEED, KEYS, 1, Stop::Ops(1));
    let cases = [
        OltpConfig {
            keys: 0,
            ..base.clone()
        },
        OltpConfig {
            threads: 0,
            ..base.clone()
        },
        OltpConfig {
            read_percent: 101,
            ..base.clone()
        },
        OltpConfig {
            hot: Some(HotSpot {
                keys: KEYS + 1,
                percent: 90,
            }),
            ..base.clone()
        },
        OltpConfig {
            dist: KeyDist::Zipfian(1.0),
            ..base.clone()
        },
    ];
    for cfg in cases {
        let err = run(&db, &cfg).expect_err("refused");
        assert!(matches!(err, Error::InvalidArgument(_)), "{cfg:?}: {err}");
    }
}

#[test]
fn read_modify_write_increments_the_leading_counter() {
    let v = incremented(Some(vec![255, 0, 0, 0, 0, 0, 0, 0, 9]), SEED, 0);
    assert_eq!(v, vec![0, 1, 0, 0, 0, 0, 0, 0, 9]);
    let fresh = incremented(None, SEED, 3);
    assert_eq!(counter(&fresh), counter(&value(SEED, 3)).wrapping_add(1));
    assert_eq!(&fresh[8..], &value(SEED, 3)[8..]);
    assert_eq!(counter(&incremented(Some(vec![1]), SEED, 0)), 2);
    assert_eq!(counter(&[1, 2]), 0);
}

//! Criterion benchmarks of the whole storage core through the `Database` API, on real files.
//!
//! Workload: random 24-byte keys and 150-byte values from a fixed seed (`lightning_db::harness::workload`).
//! Groups:
//! * `fsync` — the machine's raw 4 KiB write + fdatasync (the baseline for commit latency);
//! * `commit` — one durable single-insert commit in `Standard` mode;
//! * `commit_8_threads` — 8 committing threads, `Standard` vs `Unified` (group commit);
//! * `batch_insert` — 1,000 inserts per commit;
//! * `get` — random point gets over 1M cached keys;
//! * `scan` — a forward range scan of 100k keys from cache;
//! * `bulk_load` — 1M keys in one transaction;
//! * `recovery` — reopening a database with 100 MiB of WAL to replay.
//!
//! `LDB_BENCH_KEYS` scales the 1M-key groups down for a quick run.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::harness::workload;
use lightning_db::util::rng::SplitMix64 as Rng;
use lightning_db::vfs::{OpenMode, RealVfs, Vfs};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options, WriteBatch};

const SEED: u64 = 42;

fn keys() -> u64 {
    std::env::var("LDB_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn opts(mode: WalMode, cache_mib: usize) -> Options {
    Options {
        wal_mode: mode,
        cache_bytes: cache_mib << 20,
        ..Options::default()
    }
}

fn fsync(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = RealVfs
        .open(&dir.path().join("probe"), OpenMode::CreateNew)
        .expect("create");
    let buf = vec![0x5Au8; 4096];
    let mut i = 0u64;
    c.bench_function("fsync/4k_write_fdatasync", |b| {
        b.iter(|| {
            file.write_at(&buf, (i % 16) * 4096).expect("write");
            file.sync().expect("sync");
            i += 1;
        })
    });
}

fn commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::create(dir.path().join("db"), opts(WalMode::Standard, 64)).expect("create");
    let mut i = 0u64;
    c.bench_function("commit/standard_single_insert", |b| {
        b.iter(|| {
            db.put(&workload::key(SEED, i), &workload::value(SEED, i))
                .expect("put");
            i += 1;
        })
    });
}

fn commit_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit_8_threads");
    group.sample_size(10);
    const PER_THREAD: u64 = 50;
    group.throughput(Throughput::Elements(8 * PER_THREAD));
    for (name, mode) in [
        ("standard", WalMode::Standard),
        ("unified", WalMode::Unified),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::create(dir.path().join("db"), opts(mode, 64)).expect("create");
        let mut round = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                round += 1;
                std::thread::scope(|s| {
                    for t in 0..8u64 {
                        let db = &db;
                        s.spawn(move || {
                            for i in 0..PER_THREAD {
                                let n = (round << 32) | (t << 16) | i;
                                db.put(&workload::key(SEED, n), &workload::value(SEED, n))
                                    .expect("put");
                            }
                        });
                    }
                });
            })
        });
    }
    group.finish();
}

fn batch_insert(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_insert");
    group.throughput(Throughput::Elements(1000));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::create(dir.path().join("db"), opts(WalMode::Standard, 256)).expect("create");
    let mut next = 0u64;
    group.bench_function("1000_per_commit", |b| {
        b.iter(|| {
            workload::load(&db, SEED, next, 1000, 1000).expect("load");
            next += 1000;
        })
    });
    group.finish();
}

fn loaded(dir: &Path, n: u64) -> Database {
    let db = Database::create(dir.join("db"), opts(WalMode::Unified, 1024)).expect("create");
    workload::load(&db, SEED, 0, n, 10_000).expect("load");
    db.checkpoint().expect("checkpoint");
    for entry in db
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("scan")
    {
        entry.expect("entry");
    }
    db
}

fn get_and_scan(c: &mut Criterion) {
    let n = keys();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = loaded(dir.path(), n);
    let mut rng = Rng::new(7);
    c.bench_function("get/cached_random", |b| {
        b.iter(|| {
            let i = rng.below(n);
            db.get(&workload::key(SEED, i))
                .expect("get")
                .expect("present")
        })
    });
    let mut group = c.benchmark_group("scan");
    let scan_len = 100_000.min(n);
    group.throughput(Throughput::Elements(scan_len));
    for (name, reverse) in [
        ("forward_100k_cached", false),
        ("reverse_100k_cached", true),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut count = 0u64;
                for entry in db
                    .range(Bound::Unbounded, Bound::Unbounded, reverse)
                    .expect("scan")
                    .take(scan_len as usize)
                {
                    entry.expect("entry");
                    count += 1;
                }
                count
            })
        });
    }
    group.finish();
}

fn bulk_load(c: &mut Criterion) {
    let n = keys();
    let mut group = c.benchmark_group("bulk_load");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(n));
    group.bench_function("one_transaction", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let db = Database::create(dir.path().join("db"), opts(WalMode::Standard, 64))
                    .expect("create");
                let mut batch = WriteBatch::new();
                for i in 0..n {
                    batch.put(workload::key(SEED, i), workload::value(SEED, i));
                }
                db.commit(batch).expect("commit");
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn recovery(c: &mut Criterion) {
    // 100 MiB of WAL: commits of 1,000 workload inserts (~180 KiB each), never checkpointed.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let mut o = opts(WalMode::Unified, 256);
    o.checkpoint_wal_bytes = 0;
    o.wal_segment_size = 256 << 20;
    let db = Database::create(&src, o.clone()).expect("create");
    let target_bytes = 100u64 << 20;
    let mut next = 0;
    while db.stats().expect("stats").wal.bytes < target_bytes {
        workload::load(&db, SEED, next, 1000, 1000).expect("load");
        next += 1000;
    }
    drop(db);
    let mut group = c.benchmark_group("recovery");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(target_bytes));
    group.bench_function("replay_100mib_wal", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let copy = dir.path().join("copy");
                let _ = std::fs::remove_dir_all(&copy);
                copy_dir(&src, &copy);
                let start = Instant::now();
                let db = Database::open(&copy, o.clone()).expect("recover");
                total += start.elapsed();
                assert!(db.stats().expect("stats").recovered_txns > 0);
                drop(db);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(
    quick,
    fsync,
    commit,
    commit_threads,
    batch_insert,
    get_and_scan
);
criterion_group!(slow, bulk_load, recovery);
criterion_main!(quick, slow);

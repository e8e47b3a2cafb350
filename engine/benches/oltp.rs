//! OLTP benchmarks through the transaction API, driven by `lightning_db::harness::workload::oltp`.
//!
//! For each WAL mode (`standard`: one fsync per commit; `unified`: group commit), one database
//! is preloaded with 1M seeded keys (24-byte keys, 150-byte values; `LDB_BENCH_KEYS` scales it
//! down) and then measured in these groups:
//! * `oltp/<mode>/ycsb_a/<T>t` and `ycsb_b/<T>t` — YCSB A (50% reads / 50% updates) and B
//!   (95% / 5%), zipfian 0.99 keys, T = 1, 2, 8 client threads. Each operation is a transaction:
//!   updates are blind puts in `RepeatableRead` transactions ([`Database::run`]), reads are
//!   read-only snapshot transactions. Criterion's "time per iteration" is wall time per
//!   completed operation across all threads, so its throughput line reads as ops/s;
//! * `oltp/<mode>/hot_key/8t` — 8 threads, 50% reads, 50% read-modify-write updates under
//!   `Serializable`, 90% of the updates on 8 hot keys;
//! * `oltp/point_get/*` (standard mode's database only) — a point get through a read-only
//!   snapshot transaction begun once, against a plain `Database::get` of the same keys (the
//!   target: within 1.5×), and a read-only transaction begun per get. On a shared machine
//!   these microsecond figures drift with the neighbours' load between criterion functions, so
//!   the bench also times the three *interleaved* (31 rounds of 4,096 gets each, order rotated
//!   per round) and reports the median per-round ratio to the plain get.
//!
//! Criterion measures throughput; the driver's latency histogram (p50/p95/p99 over every
//! operation of every sample, warm-up included) and the lock counters of each configuration are
//! printed to standard error and written as a markdown table to
//! `target/tmp/oltp_latency.md`.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::fmt::Write as _;
use std::hint::black_box;
use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::harness::workload;
use lightning_db::harness::workload::histogram::Histogram;
use lightning_db::harness::workload::oltp::{self, OltpConfig, OltpReport, Stop};
use lightning_db::util::rng::SplitMix64 as Rng;
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options};

const SEED: u64 = 42;

fn keys() -> u64 {
    std::env::var("LDB_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// A preloaded database with a checkpointed tree and a warm cache.
fn loaded(dir: &Path, mode: WalMode, n: u64) -> Database {
    let opts = Options {
        wal_mode: mode,
        cache_bytes: 512 << 20,
        ..Options::default()
    };
    let db = Database::create(dir.join("db"), opts).expect("create");
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

/// Everything one configuration's samples measured, merged.
#[derive(Default)]
struct Acc {
    latency: Histogram,
    ops: u64,
    secs: f64,
    lock_waits: u64,
    lock_wait_us: u64,
    deadlocks: u64,
    conflicts: u64,
    retries: u64,
    failed: u64,
}

impl Acc {
    fn add(&mut self, r: &OltpReport) {
        self.latency.merge(&r.latency);
        self.ops += r.ops;
        self.secs += r.elapsed.as_secs_f64();
        self.lock_waits += r.locks.waits;
        self.lock_wait_us += r.locks.total_wait_us;
        self.deadlocks += r.locks.deadlocks;
        self.conflicts += r.write_conflicts;
        self.retries += r.retries;
        self.failed += r.failed;
    }
}

/// The markdown table of every configuration measured so far.
struct Summary {
    rows: String,
}

impl Summary {
    fn new() -> Summary {
        Summary {
            rows: String::from(
                "| configuration | ops | ops/s | p50 ms | p95 ms | p99 ms | lock waits | \
                 lock wait ms/op | deadlocks | write conflicts | retries | failed |\n\
                 |---|---|---|---|---|---|---|---|---|---|---|---|\n",
            ),
        }
    }

    fn record(&mut self, name: &str, a: &Acc) {
        if a.ops == 0 {
            return; // filtered out by the command line
        }
        let ms = |q: f64| a.latency.quantile(q) as f64 / 1e6;
        let line = format!(
            "| {name} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {} | {:.4} | {} | {} | {} | {} |",
            a.ops,
            a.ops as f64 / a.secs.max(1e-9),
            ms(0.50),
            ms(0.95),
            ms(0.99),
            a.lock_waits,
            a.lock_wait_us as f64 / 1e3 / a.ops as f64,
            a.deadlocks,
            a.conflicts,
            a.retries,
            a.failed,
        );
        eprintln!("{line}");
        let _ = writeln!(self.rows, "{line}");
        self.write();
    }

    /// Adds a free-text line below the table.
    fn note(&mut self, line: &str) {
        eprintln!("{line}");
        let _ = writeln!(self.rows, "\n{line}");
        self.write();
    }

    fn write(&self) {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oltp_latency.md");
        if let Err(e) = std::fs::write(&path, &self.rows) {
            eprintln!("could not write {}: {e}", path.display());
        }
    }
}

/// Benchmarks `make(threads)` as operations: each criterion iteration is one operation.
fn bench_config(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    summary: &mut Summary,
    db: &Database,
    (function, threads): (&str, usize),
    make: impl Fn(Stop) -> OltpConfig,
) {
    let name = format!("{}/{function}/{threads}t", group_name(db));
    let id = BenchmarkId::new(function, format!("{threads}t"));
    let mut acc = Acc::default();
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let report = oltp::run(db, &make(Stop::Ops(iters))).expect("oltp run");
            acc.add(&report);
            report.elapsed
        })
    });
    summary.record(&name, &acc);
}

fn group_name(db: &Database) -> String {
    format!("oltp/{}", db.stats().expect("stats").wal_mode)
}

fn workloads(c: &mut Criterion, summary: &mut Summary, db: &Database, n: u64) {
    let mut group = c.benchmark_group(group_name(db));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(1));
    for threads in [1usize, 2, 8] {
        bench_config(&mut group, summary, db, ("ycsb_a", threads), |stop| {
            OltpConfig::ycsb_a(SEED, n, threads, stop)
        });
        bench_config(&mut group, summary, db, ("ycsb_b", threads), |stop| {
            OltpConfig::ycsb_b(SEED, n, threads, stop)
        });
    }
    bench_config(&mut group, summary, db, ("hot_key", 8), |stop| {
        OltpConfig::hot_key(SEED, n, 8, stop)
    });
    group.finish();
}

/// Median ratios (read-only transaction get, and begin + get) to a plain get, timed in
/// interleaved rounds over the same keys.
fn interleaved_ratios(db: &Database, keys: &[[u8; workload::KEY_LEN]]) -> (f64, f64) {
    let txn = std::cell::RefCell::new(db.begin_read_only().expect("begin"));
    let plain = || {
        for k in keys {
            black_box(db.get(k).expect("get").expect("present"));
        }
    };
    let in_txn = || {
        let mut txn = txn.borrow_mut();
        for k in keys {
            black_box(txn.get(k).expect("get").expect("present"));
        }
    };
    let begin_each = || {
        for k in keys {
            let mut t = db.begin_read_only().expect("begin");
            black_box(t.get(k).expect("get").expect("present"));
        }
    };
    let kinds: [&dyn Fn(); 3] = [&plain, &in_txn, &begin_each];
    let (mut txn_ratios, mut begin_ratios) = (Vec::new(), Vec::new());
    for round in 0..31usize {
        let mut secs = [0f64; 3];
        for j in 0..3 {
            let which = (round + j) % 3;
            let start = std::time::Instant::now();
            kinds[which]();
            secs[which] = start.elapsed().as_secs_f64();
        }
        txn_ratios.push(secs[1] / secs[0].max(1e-12));
        begin_ratios.push(secs[2] / secs[0].max(1e-12));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(txn_ratios), median(begin_ratios))
}

fn point_gets(c: &mut Criterion, summary: &mut Summary, db: &Database, n: u64) {
    let mut rng = Rng::new(7);
    let keys: Vec<[u8; workload::KEY_LEN]> = (0..4096)
        .map(|_| workload::key(SEED, rng.below(n)))
        .collect();
    let mut group = c.benchmark_group("oltp/point_get");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    let mut selected = false; // false when the command line filtered this group out
    group.bench_function("plain_db_get", |b| {
        selected = true;
        b.iter(|| {
            i = (i + 1) % keys.len();
            db.get(&keys[i]).expect("get").expect("present")
        })
    });
    let mut txn = db.begin_read_only().expect("begin");
    group.bench_function("read_only_txn_get", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            txn.get(&keys[i]).expect("get").expect("present")
        })
    });
    drop(txn);
    group.bench_function("read_only_txn_begin_get", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            let mut txn = db.begin_read_only().expect("begin");
            black_box(txn.get(&keys[i]).expect("get").expect("present"))
        })
    });
    group.finish();
    if selected {
        let (in_txn, begin_each) = interleaved_ratios(db, &keys);
        summary.note(&format!(
            "point get, interleaved (median of 31 rounds of 4,096 gets): read-only transaction \
             get = {in_txn:.2}x a plain get; begin_read_only + get = {begin_each:.2}x"
        ));
    }
}

fn oltp_benches(c: &mut Criterion) {
    let n = keys();
    let mut summary = Summary::new();
    for mode in [WalMode::Standard, WalMode::Unified] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = loaded(dir.path(), mode, n);
        if mode == WalMode::Standard {
            point_gets(c, &mut summary, &db, n);
        }
        workloads(c, &mut summary, &db, n);
        db.close().expect("close");
    }
}

criterion_group!(benches, oltp_benches);
criterion_main!(benches);

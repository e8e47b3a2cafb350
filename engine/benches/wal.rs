//! WAL benchmarks on real files in a temporary directory:
//! 1. `fsync_4k_baseline` — a raw 4 KiB positional write + fdatasync (the machine's floor);
//! 2. `commit_standard` — one single-put commit (24-byte key, 150-byte value) in Standard mode;
//! 3. `commit_unified_8_threads` — 8 threads committing concurrently in Unified mode (one
//!    iteration = 8 commits, throughput in commits/s);
//! 4. `recover_100mib` — opening a log holding 100 MiB of committed records (full redo scan).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::fs::OpenOptions;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::util::SplitMix64;
use lightning_db::vfs::RealVfs;
use lightning_db::wal::{Op, Wal, WalMode, WalOptions};
use lightning_db::{Lsn, TxnId};

const PAGE: u32 = 4096;

fn open(dir: &Path, mode: WalMode) -> Wal {
    let opts = WalOptions {
        mode,
        ..WalOptions::default()
    };
    Wal::open(Arc::new(RealVfs), dir, PAGE, Lsn(0), opts)
        .expect("open wal")
        .0
}

fn one_put(rng: &mut SplitMix64) -> Vec<Op> {
    vec![Op::Put {
        key: rng.bytes(24),
        value: rng.bytes(150),
    }]
}

fn bench_fsync(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.path().join("raw"))
        .expect("file");
    let page = vec![7u8; 4096];
    file.write_all_at(&vec![0u8; 1 << 20], 0).expect("prealloc");
    file.sync_all().expect("sync");
    let mut g = c.benchmark_group("wal");
    g.throughput(Throughput::Elements(1));
    let mut off = 0u64;
    g.bench_function("fsync_4k_baseline", |b| {
        b.iter(|| {
            file.write_all_at(&page, off).expect("write");
            file.sync_data().expect("fdatasync");
            off = (off + 4096) % (1 << 20);
        })
    });
    g.finish();
}

fn bench_commits(c: &mut Criterion) {
    let mut g = c.benchmark_group("wal");
    let dir = tempfile::tempdir().expect("tempdir");
    let wal = open(dir.path(), WalMode::Standard);
    let mut rng = SplitMix64::new(1);
    let mut txn = 0u64;
    g.throughput(Throughput::Elements(1));
    g.bench_function("commit_standard", |b| {
        b.iter(|| {
            txn += 1;
            black_box(wal.commit(TxnId(txn), &one_put(&mut rng)).expect("commit"))
        })
    });
    drop(wal);

    let dir = tempfile::tempdir().expect("tempdir");
    let wal = Arc::new(open(dir.path(), WalMode::Unified));
    g.throughput(Throughput::Elements(8));
    g.bench_function("commit_unified_8_threads", |b| {
        b.iter_custom(|iters| {
            let barrier = Arc::new(Barrier::new(9));
            let threads: Vec<_> = (0..8u64)
                .map(|t| {
                    let (wal, barrier) = (Arc::clone(&wal), Arc::clone(&barrier));
                    std::thread::spawn(move || {
                        let mut rng = SplitMix64::new(t);
                        barrier.wait();
                        for i in 0..iters {
                            let id = (i << 8) | t;
                            wal.commit(TxnId(id), &one_put(&mut rng)).expect("commit");
                        }
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            for t in threads {
                t.join().expect("committer");
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn bench_recovery(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let wal = open(dir.path(), WalMode::Unified);
        let mut rng = SplitMix64::new(3);
        let mut bytes = 0u64;
        let mut txn = 0;
        while bytes < 100 << 20 {
            txn += 1;
            let ops: Vec<Op> = (0..1000).flat_map(|_| one_put(&mut rng)).collect();
            wal.commit(TxnId(txn), &ops).expect("commit");
            bytes = wal.stats().bytes;
        }
    }
    let mut g = c.benchmark_group("wal");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(100 << 20));
    g.bench_function("recover_100mib", |b| {
        b.iter(|| {
            let (wal, txns) = Wal::open(
                Arc::new(RealVfs),
                dir.path(),
                PAGE,
                Lsn(0),
                WalOptions::default(),
            )
            .expect("recover");
            assert!(!wal.stats().truncated_at_open);
            black_box(txns.len())
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench_fsync, bench_commits, bench_recovery
}
criterion_main!(benches);

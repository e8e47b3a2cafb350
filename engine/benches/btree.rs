//! B+tree benchmarks over the in-memory [`MemStore`] (4 KiB pages, all pages cached):
//! point get on 1M keys, range scan throughput, and 1,000-insert commits.
//!
//! Workload: random 24-byte keys and 150-byte values from a fixed seed.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::ops::Bound;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::btree::{MemStore, Range, TreeWriter, get};
use lightning_db::{Lsn, PageId};

const KEYS: usize = 1_000_000;
const SEED: u64 = 0x5eed_b7ee;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn key(&mut self) -> [u8; 24] {
        let mut k = [0u8; 24];
        self.fill(&mut k);
        k
    }
}

/// Loads `KEYS` entries in commits of 10,000; returns the store, root and keys.
fn load() -> (MemStore, PageId, Vec<[u8; 24]>) {
    let store = MemStore::new(4096);
    let mut rng = Rng(SEED);
    // Keys are stored flat so that fetching the probe key costs the harness little.
    let keys: Vec<[u8; 24]> = (0..KEYS).map(|_| rng.key()).collect();
    let mut value = vec![0u8; 150];
    let mut root = PageId(0);
    for (n, chunk) in keys.chunks(10_000).enumerate() {
        let mut w = TreeWriter::new(&store, root, Lsn(n as u64 + 1));
        for k in chunk {
            rng.fill(&mut value);
            w.put(k, &value).expect("load put");
        }
        root = w.finish().expect("load finish");
        store.reclaim();
    }
    (store, root, keys)
}

fn benches(c: &mut Criterion) {
    let (store, mut root, keys) = load();
    let mut g = c.benchmark_group("btree");
    g.sample_size(30).measurement_time(Duration::from_secs(4));

    let mut i = 0usize;
    g.throughput(Throughput::Elements(1));
    g.bench_function("point_get_1m", |b| {
        b.iter(|| {
            i = (i + 7_919) % KEYS;
            black_box(get(&store, root, &keys[i]).expect("get"))
        })
    });

    const SCAN: usize = 10_000;
    let mut sorted: Vec<&[u8; 24]> = keys.iter().collect();
    sorted.sort_unstable();
    let mut j = 0usize;
    for reverse in [false, true] {
        g.throughput(Throughput::Elements(SCAN as u64));
        let name = if reverse {
            "range_scan_10k_rev"
        } else {
            "range_scan_10k"
        };
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    j = (j + 104_729) % (KEYS - SCAN);
                    (sorted[j].as_slice(), sorted[j + SCAN - 1].as_slice())
                },
                |(lo, hi)| {
                    let range = Range::new(
                        &store,
                        root,
                        Bound::Included(lo),
                        Bound::Included(hi),
                        reverse,
                    )
                    .expect("range");
                    let mut n = 0;
                    for entry in range {
                        black_box(entry.expect("entry"));
                        n += 1;
                    }
                    assert_eq!(n, SCAN);
                },
                BatchSize::SmallInput,
            )
        });
    }

    let mut rng = Rng(SEED ^ 1);
    let mut lsn = 1_000_000u64;
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("insert_batch_1000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batch: Vec<([u8; 24], Vec<u8>)> = (0..1_000)
                    .map(|_| {
                        let mut v = vec![0u8; 150];
                        rng.fill(&mut v);
                        (rng.key(), v)
                    })
                    .collect();
                lsn += 1;
                let start = Instant::now();
                let mut w = TreeWriter::new(&store, root, Lsn(lsn));
                for (k, v) in &batch {
                    w.put(k, v).expect("put");
                }
                root = w.finish().expect("finish");
                total += start.elapsed();
                store.reclaim();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(btree, benches);
criterion_main!(btree);

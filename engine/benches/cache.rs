//! Buffer-pool benchmarks: the latency of `read_page` when the page is cached (with ~250k
//! 4 KiB pages resident, the working set of a multi-million-key tree) and when it is not (a
//! verified read from the data file through a small cache).
// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lightning_db::storage::{CheckpointFields, Page, PageStore, PageType, Storage};
use lightning_db::types::PageId;
use lightning_db::vfs::{RealVfs, Vfs};

const PAGE_SIZE: usize = 4096;

/// A seeded xorshift sequence of indexes below `n`.
fn random_indexes(n: usize, count: usize, mut seed: u64) -> Vec<usize> {
    (0..count)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        })
        .collect()
}

fn load(storage: &Storage, pages: usize) -> Vec<PageId> {
    (0..pages)
        .map(|i| {
            let id = storage.allocate().expect("allocate");
            let mut page = Page::new(PAGE_SIZE, id, PageType::Leaf);
            page.body_mut()[..8].copy_from_slice(&(i as u64).to_le_bytes());
            storage.write_page(page).expect("write");
            id
        })
        .collect()
}

fn read_hit(c: &mut Criterion) {
    const PAGES: usize = 250_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let vfs: Arc<dyn Vfs> = Arc::new(RealVfs);
    let budget = (PAGES as u64 + 4096) * PAGE_SIZE as u64;
    let storage =
        Storage::create(vfs, &dir.path().join("data.ldb"), PAGE_SIZE, budget).expect("create");
    let ids = load(&storage, PAGES);
    // The random ids are laid out in lookup order so that the benchmark itself reads them
    // sequentially (no cache miss of its own): only the buffer pool's lookup is measured.
    let order: Vec<PageId> = random_indexes(PAGES, 1 << 20, 0x5EED_CAC4E)
        .into_iter()
        .map(|i| ids[i])
        .collect();
    let mut i = 0usize;
    c.bench_function("cache/read_page_hit_250k_resident", |b| {
        b.iter(|| {
            let id = order[i & ((1 << 20) - 1)];
            i = i.wrapping_add(1);
            black_box(storage.read_page(black_box(id)).expect("cached"))
        })
    });
    let stats = storage.stats().cache;
    assert_eq!(stats.misses, 0, "every lookup was a hit: {stats:?}");
    assert!(stats.current_pages >= PAGES as u64, "{stats:?}");
}

fn read_miss(c: &mut Criterion) {
    const PAGES: usize = 20_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let vfs: Arc<dyn Vfs> = Arc::new(RealVfs);
    let storage =
        Storage::create(vfs, &dir.path().join("data.ldb"), PAGE_SIZE, 1 << 20).expect("create");
    let ids = load(&storage, PAGES);
    storage
        .checkpoint(CheckpointFields::default())
        .expect("checkpoint");
    let order = random_indexes(PAGES, 1 << 16, 0x5EED_0155);
    let mut i = 0usize;
    c.bench_function("cache/read_page_miss_verified", |b| {
        b.iter(|| {
            let id = ids[order[i & ((1 << 16) - 1)]];
            i = i.wrapping_add(1);
            black_box(storage.read_page(black_box(id)).expect("read"))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = read_hit, read_miss
}
criterion_main!(benches);

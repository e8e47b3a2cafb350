//! End-to-end tests of [`Storage`] on real files in a temporary directory: open errors, meta
//! slot fallback, checksum failures on cold reads, eviction write-back, freelist persistence,
//! the reuse rule, trimming, poisoning, and the integrity report.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod faults;
mod model;

use super::header::{SLOT_LEN, Slot};
use super::*;
use crate::error::Error;
use crate::types::{Lsn, TxnId};
use crate::vfs::{RealVfs, Vfs};

const PS: usize = 1024;

fn vfs() -> Arc<dyn Vfs> {
    Arc::new(RealVfs)
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data.ldb")
}

fn leaf(id: PageId, fill: u8) -> Page {
    let mut p = Page::new(PS, id, PageType::Leaf);
    p.body_mut().fill(fill);
    p
}

/// Allocates and writes `n` leaves whose body bytes equal their id (mod 256).
fn fill(s: &Storage, n: usize) -> Vec<PageId> {
    (0..n)
        .map(|_| {
            let id = s.allocate().expect("allocate");
            s.write_page(leaf(id, id.0 as u8)).expect("write");
            id
        })
        .collect()
}

fn fields(root: PageId) -> CheckpointFields {
    CheckpointFields {
        checkpoint_lsn: Lsn(4096),
        root,
        entry_count: 12,
        next_txn_id: TxnId(5),
    }
}

fn patch(path: &Path, offset: u64, f: impl FnOnce(&mut [u8])) {
    let mut bytes = std::fs::read(path).expect("read file");
    f(&mut bytes[offset as usize..]);
    std::fs::write(path, bytes).expect("write file");
}

#[test]
fn create_checkpoint_reopen_round_trips_meta_and_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 10);
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    drop(s);
    let (s, meta) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    assert_eq!(
        (meta.seq, meta.root, meta.checkpoint_lsn, meta.page_count),
        (2, ids[0], Lsn(4096), 11)
    );
    assert_eq!((meta.entry_count, meta.next_txn_id), (12, TxnId(5)));
    for id in ids {
        let p = s.read_page(id).expect("read");
        assert!(p.body().iter().all(|&b| b == id.0 as u8), "{id} content");
    }
    assert!(matches!(
        Storage::create(vfs(), &db(&dir), PS, 1 << 20),
        Err(Error::AlreadyExists { .. })
    ));
}

#[test]
fn typed_open_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let err = Storage::open(vfs(), &path, 1 << 20).expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    std::fs::write(&path, b"just some text, not a database").expect("write");
    let err = Storage::open(vfs(), &path, 1 << 20).expect_err("foreign");
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert!(
        err.to_string().contains("data.ldb"),
        "names the file: {err}"
    );
    std::fs::remove_file(&path).expect("rm");

    let s = Storage::create(vfs(), &path, PS, 1 << 20).expect("create");
    fill(&s, 4);
    s.checkpoint(fields(PageId(1))).expect("checkpoint");
    drop(s);
    let good = std::fs::read(&path).expect("read");
    std::fs::write(&path, &good[..3 * PS]).expect("truncate");
    let err = Storage::open(vfs(), &path, 1 << 20).expect_err("truncated");
    assert!(
        matches!(err, Error::Truncated { expected, found, .. } if expected == 5 * PS as u64 && found == 3 * PS as u64),
        "{err}"
    );
    std::fs::write(&path, &good[..100]).expect("truncate into page 0");
    let err = Storage::open(vfs(), &path, 1 << 20).expect_err("truncated header");
    assert!(matches!(err, Error::Truncated { .. }), "{err}");
    std::fs::write(&path, &good).expect("restore");
    patch(&path, 8, |b| b[..4].copy_from_slice(&7u32.to_le_bytes()));
    let err = Storage::open(vfs(), &path, 1 << 20).expect_err("newer version");
    assert!(
        matches!(
            err,
            Error::UnsupportedVersion {
                found: 7,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn torn_meta_slot_falls_back_to_the_other_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 3);
    s.checkpoint(fields(ids[0])).expect("checkpoint 1"); // seq 2 → slot B
    s.checkpoint(fields(ids[1])).expect("checkpoint 2"); // seq 3 → slot A
    assert_eq!(s.meta().seq, 3);
    drop(s);
    // Tear slot A (the newest): half of its bytes become garbage.
    patch(&db(&dir), Slot::A.offset() as u64, |b| {
        b[SLOT_LEN / 2..SLOT_LEN].fill(0xAB)
    });
    let (s, meta) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    assert_eq!((meta.seq, meta.root), (2, ids[0]));
    // The next checkpoint overwrites the torn slot, never the good one.
    s.checkpoint(fields(ids[2])).expect("checkpoint 3");
    drop(s);
    let (_, meta) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("reopen");
    assert_eq!((meta.seq, meta.root), (3, ids[2]));
    // Both slots torn: corruption of page 0.
    patch(&db(&dir), Slot::A.offset() as u64, |b| b[5] ^= 1);
    patch(&db(&dir), Slot::B.offset() as u64, |b| b[5] ^= 1);
    let err = Storage::open(vfs(), &db(&dir), 1 << 20).expect_err("both torn");
    assert!(
        matches!(
            err,
            Error::Corruption {
                page: PageId(0),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_flipped_bit_anywhere_in_a_page_is_corruption_on_a_cold_read() {
    let seed: u64 = 0x5EED_0001;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 3);
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    drop(s);
    let target = ids[1];
    let base = target.0 * PS as u64;
    let mut x = seed;
    // Every byte of the page, a pseudo-random bit in each.
    for byte in 0..PS as u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bit = (x % 8) as u8;
        patch(&db(&dir), base + byte, |b| b[0] ^= 1 << bit);
        let (s, _) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
        match s.read_page(target) {
            Err(Error::Corruption { page, .. }) => assert_eq!(page, target),
            other => panic!("seed {seed:#x}: flip of byte {byte} bit {bit} gave {other:?}"),
        }
        assert!(s.read_page(ids[2]).is_ok(), "neighbour page unaffected");
        drop(s);
        patch(&db(&dir), base + byte, |b| b[0] ^= 1 << bit);
    }
    let (s, _) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    s.read_page(target).expect("restored page verifies");
}

#[test]
fn dirty_pages_evicted_from_a_small_cache_read_back_correctly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 8 * PS as u64).expect("create");
    let ids = fill(&s, 50);
    let st = s.stats();
    assert_eq!(st.cache.dirty_writebacks, 42, "{st:?}");
    assert!(st.cache.current_pages <= 8);
    for &id in ids.iter().rev() {
        let p = s.read_page(id).expect("read back");
        assert!(p.body().iter().all(|&b| b == id.0 as u8), "{id} content");
    }
    let st = s.stats();
    assert!(
        st.cache.misses >= 42 && st.cache.current_bytes <= 8 * PS as u64,
        "{st:?}"
    );
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    assert_eq!(s.stats().cache.dirty_pages, 0);
}

#[test]
fn freelist_survives_checkpoint_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    // Enough free ids to need a chain of several freelist pages.
    let ids = fill(&s, 700);
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint 1");
    let freed: Vec<PageId> = ids[1..600].to_vec();
    for &id in &freed {
        s.free(id).expect("free");
    }
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint 2");
    let live: Vec<PageId> = std::iter::once(ids[0])
        .chain(ids[600..].iter().copied())
        .collect();
    let report = s.check_integrity(&live);
    assert!(report.is_clean(), "{report:#?}");
    assert!(report.freelist_chain_pages >= 2, "{report:?}");
    let before = s.stats();
    drop(s);
    let (s, meta) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    assert_eq!(meta.page_count, before.page_count);
    let after = s.stats();
    assert_eq!(after.free_pages, before.free_pages);
    let report = s.check_integrity(&live);
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.free_pages, 599);
    // The lowest free id is handed out first.
    let first = s.allocate().expect("allocate");
    assert_eq!(first, freed[0]);
    // A further checkpoint frees the old chain pages, so they come back eventually.
    s.write_page(leaf(first, 1)).expect("write");
    s.checkpoint(fields(ids[0])).expect("checkpoint 3");
    let live2: Vec<PageId> = live.iter().copied().chain([first]).collect();
    let report = s.check_integrity(&live2);
    assert!(report.is_clean(), "{report:#?}");
}

#[test]
fn a_page_freed_from_the_checkpointed_tree_waits_for_the_next_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 4);
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    // Copy-on-write of ids[1]: a new page, the old one freed.
    let copy = s.allocate().expect("allocate");
    s.write_page(leaf(copy, 9)).expect("write");
    s.free(ids[1]).expect("free");
    s.publish();
    let next = s.allocate().expect("allocate");
    assert_ne!(
        next, ids[1],
        "checkpointed page reused before the next checkpoint"
    );
    assert_eq!(next.0, 6, "the file grows instead");
    // A page allocated since the checkpoint is reusable once its freeing commit is published.
    s.write_page(leaf(next, 3)).expect("write");
    s.free(next).expect("free");
    assert_ne!(
        s.allocate().expect("allocate"),
        next,
        "not before publication"
    );
    s.publish();
    assert_eq!(s.allocate().expect("allocate"), next);
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    assert_eq!(
        s.allocate().expect("allocate"),
        ids[1],
        "reusable after the checkpoint"
    );
    s.write_page(leaf(ids[1], 77)).expect("write");
    assert_eq!(s.read_page(ids[1]).expect("read").body()[0], 77);
}

#[test]
fn pinned_snapshots_delay_reuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    s.checkpoint(fields(PageId(0))).expect("checkpoint");
    let a = fill(&s, 1)[0];
    let epoch = s.publish();
    s.pin(epoch);
    s.free(a).expect("free");
    s.publish();
    assert_ne!(
        s.allocate().expect("allocate"),
        a,
        "a reader of {epoch} still reaches it"
    );
    s.unpin(epoch);
    assert_eq!(s.allocate().expect("allocate"), a);
}

#[test]
fn trailing_free_pages_are_trimmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 100);
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    assert_eq!(s.stats().file_bytes, 101 * PS as u64);
    for &id in &ids[10..] {
        s.free(id).expect("free");
    }
    s.publish();
    // Checkpoint 2 makes the freed pages reusable; its freelist page lands at the end of the
    // file, so it takes two more checkpoints (that page is freed, then trimmed) to shrink fully.
    for _ in 0..3 {
        s.checkpoint(fields(ids[0])).expect("checkpoint");
    }
    let st = s.stats();
    // 10 live pages + page 0 + the freelist chain page and the previous one awaiting reuse.
    assert!(st.page_count <= 13, "{st:?}");
    assert_eq!(st.file_bytes, st.page_count * PS as u64);
    assert!(s.check_integrity(&ids[..10]).is_clean());
    drop(s);
    let (s, meta) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    assert_eq!(meta.page_count, st.page_count);
    assert!(s.check_integrity(&ids[..10]).is_clean());
}

#[test]
fn integrity_report_collects_every_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 8);
    s.publish();
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    s.free(ids[7]).expect("free");
    drop(s);
    // Corrupt two tree pages on disk.
    for id in [ids[1], ids[2]] {
        patch(&db(&dir), id.0 * PS as u64 + 100, |b| b[0] ^= 0x10);
    }
    let (s, _) = Storage::open(vfs(), &db(&dir), 1 << 20).expect("open");
    s.free(ids[7]).expect("free");
    // The tree claims ids 0..5 plus a free page twice, plus an out-of-range id; 5 and 6 leak.
    let reachable = vec![
        ids[0],
        ids[1],
        ids[2],
        ids[3],
        ids[4],
        ids[4],
        ids[7],
        PageId(999),
    ];
    let r = s.check_integrity(&reachable);
    let problems: Vec<(PageId, &str)> = r
        .findings
        .iter()
        .map(|f| (f.page, f.problem.as_str()))
        .collect();
    let has =
        |page: PageId, text: &str| problems.iter().any(|(p, m)| *p == page && m.contains(text));
    assert!(has(ids[1], "checksum"), "{problems:?}");
    assert!(has(ids[2], "checksum"), "{problems:?}");
    assert!(has(ids[4], "twice"), "{problems:?}");
    assert!(has(ids[7], "both free and in the tree"), "{problems:?}");
    assert!(has(PageId(999), "outside"), "{problems:?}");
    assert_eq!(r.leaked, vec![ids[5], ids[6]]);
    assert!(!r.is_clean());
}

#[test]
fn concurrent_readers_see_correct_pages_through_a_small_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Arc::new(Storage::create(vfs(), &db(&dir), PS, 64 * PS as u64).expect("create"));
    let ids = Arc::new(fill(&s, 2_000));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let (s, ids) = (Arc::clone(&s), Arc::clone(&ids));
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9 ^ (t + 1);
                for _ in 0..5_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let id = ids[(x % ids.len() as u64) as usize];
                    let p = s.read_page(id).expect("read");
                    assert_eq!(p.id(), id);
                    assert!(
                        p.body().iter().all(|&b| b == id.0 as u8),
                        "thread {t}: {id}"
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("reader thread");
    }
    let st = s.stats().cache;
    assert_eq!(st.hits + st.misses, 20_000, "{st:?}");
    assert!(st.current_pages <= 64, "{st:?}");
}

#[test]
fn integrity_check_covers_pages_not_yet_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 5);
    assert_eq!(s.stats().cache.dirty_pages, 5);
    let r = s.check_integrity(&ids);
    assert!(r.is_clean(), "{r:#?}");
    assert_eq!((r.pages_verified, r.reachable_pages), (5, 5));
    let r = s.check_integrity(&ids[..3]);
    assert_eq!(r.leaked, ids[3..].to_vec());
}

#[test]
fn cache_budget_holds_while_loading_far_more_pages_than_fit() {
    // About the page footprint of a 1M-key load (24-byte keys, 150-byte values, 4 KiB pages)
    // through a 64 MiB cache.
    const BIG: usize = 4096;
    const BUDGET: u64 = 64 << 20;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Storage::create(vfs(), &db(&dir), BIG, BUDGET).expect("create");
    let mut ids = Vec::new();
    for i in 0..48_000u64 {
        let id = s.allocate().expect("allocate");
        let mut p = Page::new(BIG, id, PageType::Leaf);
        p.body_mut()[..8].copy_from_slice(&i.to_le_bytes());
        s.write_page(p).expect("write");
        ids.push(id);
        if i % 4096 == 0 {
            let st = s.stats().cache;
            assert!(
                st.current_bytes <= BUDGET,
                "over budget after {i} pages: {st:?}"
            );
        }
    }
    let st = s.stats().cache;
    assert!(
        st.current_bytes <= BUDGET && st.current_bytes > BUDGET / 2,
        "{st:?}"
    );
    assert!(st.evictions >= 48_000 - 16_384, "{st:?}");
    for (i, &id) in ids.iter().enumerate().step_by(997) {
        let p = s.read_page(id).expect("read");
        assert_eq!(p.body()[..8], (i as u64).to_le_bytes(), "{id}");
    }
    assert!(s.stats().cache.current_bytes <= BUDGET);
}

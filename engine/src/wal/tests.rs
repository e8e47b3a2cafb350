//! WAL tests on the simulated disk: round trips, roll-over and recycling, group commit
//! durability, torn tails, bit flips, stale bytes, poisoning after EIO, and a crash loop.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::format::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};
use super::*;
use crate::error::Error;
use crate::util::SplitMix64;
use crate::vfs::{OpenMode, SimVfs, Vfs};

const PAGE: u32 = 4096;
const SEG: u64 = 8192;

fn dir() -> PathBuf {
    PathBuf::from("/db/wal")
}

fn opts(mode: WalMode) -> WalOptions {
    WalOptions {
        mode,
        segment_size: SEG,
        archive: None,
        ..WalOptions::default()
    }
}

fn open(vfs: &SimVfs, checkpoint: Lsn, mode: WalMode) -> (Wal, Vec<RecoveredTxn>) {
    Wal::open(Arc::new(vfs.clone()), &dir(), PAGE, checkpoint, opts(mode)).expect("open wal")
}

fn txn_ops(i: u64, value_len: usize) -> Vec<Op> {
    let mut ops = vec![Op::Put {
        key: format!("key-{i:05}").into_bytes(),
        value: vec![(i % 251) as u8; value_len],
    }];
    if i.is_multiple_of(3) {
        ops.push(Op::Delete {
            key: format!("gone-{i}").into_bytes(),
        });
    }
    ops
}

fn ids(txns: &[RecoveredTxn]) -> Vec<u64> {
    txns.iter().map(|t| t.txn.0).collect()
}

fn segment_files(vfs: &SimVfs) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = vfs
        .read_dir(&dir())
        .expect("ls")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip_and_checkpoint_filter() {
    let vfs = SimVfs::new();
    let (wal, rec) = open(&vfs, Lsn(0), WalMode::Standard);
    assert!(rec.is_empty());
    let mut lsns = Vec::new();
    for i in 1..=10 {
        lsns.push(wal.commit(TxnId(i), &txn_ops(i, 40)).expect("commit"));
    }
    assert!(lsns.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(wal.durable_lsn(), lsns[9]);
    let st = wal.stats();
    assert_eq!((st.commits, st.batches), (10, 10));
    drop(wal);
    let (_, rec) = open(&vfs, Lsn(0), WalMode::Standard);
    assert_eq!(ids(&rec), (1..=10).collect::<Vec<_>>());
    for (t, lsn) in rec.iter().zip(&lsns) {
        assert_eq!(t.lsn, *lsn);
        assert_eq!(t.ops, txn_ops(t.txn.0, 40));
    }
    let (_, rec) = open(&vfs, lsns[3], WalMode::Standard);
    assert_eq!(ids(&rec), (5..=10).collect::<Vec<_>>());
}

#[test]
fn reopen_append_reopen() {
    let vfs = SimVfs::new();
    for round in 0..4u64 {
        let (wal, rec) = open(&vfs, Lsn(0), WalMode::Unified);
        assert_eq!(
            ids(&rec),
            (1..=round * 5).collect::<Vec<_>>(),
            "round {round}"
        );
        for i in 1..=5 {
            wal.commit(TxnId(round * 5 + i), &txn_ops(round * 5 + i, 100))
                .expect("commit");
        }
    }
}

#[test]
fn large_transactions_are_chunked_across_segments() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Standard);
    let big: Vec<Op> = (0..5)
        .map(|i| Op::Put {
            key: vec![i; 10],
            value: SplitMix64::new(u64::from(i)).bytes(7000),
        })
        .collect();
    wal.commit(TxnId(1), &txn_ops(1, 10)).expect("small");
    let lsn = wal.commit(TxnId(2), &big).expect("big");
    wal.commit(TxnId(3), &txn_ops(3, 10)).expect("small");
    assert!(wal.stats().records > 5, "the big transaction was split");
    assert!(
        segment_files(&vfs).len() >= 4,
        "records rolled over segments"
    );
    drop(wal);
    let (_, rec) = open(&vfs, Lsn(0), WalMode::Standard);
    assert_eq!(ids(&rec), vec![1, 2, 3]);
    assert_eq!(rec[1].ops, big);
    assert_eq!(rec[1].lsn, lsn);
}

#[test]
fn segments_are_preallocated_and_recycled() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Standard);
    let mut lsns = Vec::new();
    for i in 1..=60 {
        lsns.push(wal.commit(TxnId(i), &txn_ops(i, 300)).expect("commit"));
    }
    let files = segment_files(&vfs);
    assert!(files.len() >= 3, "{} segments", files.len());
    for f in &files {
        assert_eq!(vfs.durable_bytes(f).expect("durable").len() as u64, SEG);
    }
    let checkpoint = lsns[39];
    wal.recycle_before(checkpoint).expect("recycle");
    let left = segment_files(&vfs);
    assert!(left.len() < files.len());
    assert!(wal.stats().segments_recycled > 0);
    // Every remaining segment but the first starts after the checkpoint... and the first holds it.
    let first = left[0].file_stem().and_then(|s| s.to_str()).expect("name");
    assert!(u64::from_str_radix(first, 16).expect("hex") <= checkpoint.0);
    for f in &files[..files.len() - left.len()] {
        assert!(
            vfs.durable_bytes(f).is_none(),
            "{} deleted durably",
            f.display()
        );
    }
    drop(wal);
    let (_, rec) = open(&vfs, checkpoint, WalMode::Standard);
    assert_eq!(ids(&rec), (41..=60).collect::<Vec<_>>());
    // Opening with a checkpoint before the recycled segments reports the missing segments.
    let err = Wal::open(
        Arc::new(vfs.clone()),
        &dir(),
        PAGE,
        Lsn(0),
        opts(WalMode::Standard),
    );
    assert!(
        matches!(&err, Err(Error::WalDamaged(d)) if d.kind == super::DamageKind::MissingSegment),
        "{err:?}"
    );
}

#[test]
fn unified_many_threads_every_returned_commit_is_durable() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Unified);
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (wal, vfs) = (Arc::clone(&wal), vfs.clone());
            std::thread::spawn(move || {
                for i in 0..40u64 {
                    let id = t * 1000 + i + 1;
                    let lsn = wal.commit(TxnId(id), &txn_ops(id, 300)).expect("commit");
                    if i % 10 == 9 {
                        let seed = id;
                        let img = vfs.crash_image(seed);
                        let (_, rec) = open(&img, Lsn(0), WalMode::Unified);
                        let found = rec.iter().find(|r| r.txn.0 == id);
                        assert_eq!(
                            found.map(|r| r.lsn),
                            Some(lsn),
                            "seed {seed}: txn {id} lost"
                        );
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let st = wal.stats();
    assert_eq!(st.commits, 320);
    assert_eq!(st.batched_commits, 320);
    assert!(
        st.segments_created > 5,
        "commits rolled over segments under concurrency"
    );
    let (_, rec) = open(&vfs.crash_image(99), Lsn(0), WalMode::Unified);
    assert_eq!(rec.len(), 320);
    for r in &rec {
        assert_eq!(r.ops, txn_ops(r.txn.0, 300));
    }
}

#[test]
fn concurrent_standard_commits_are_all_recovered() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Standard);
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                for i in 0..50u64 {
                    let id = t * 1000 + i + 1;
                    wal.commit(TxnId(id), &txn_ops(id, 90)).expect("commit");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    // A roll-over fsyncs the new segment and the closed one; the first segment was created at
    // open; every other fsync is a commit's.
    let st = wal.stats();
    assert_eq!(
        st.fsyncs,
        st.segments_created + (st.segments_created - 1) + 200,
        "one fsync per commit"
    );
    let (_, rec) = open(&vfs.crash_image(5), Lsn(0), WalMode::Standard);
    let mut got = ids(&rec);
    got.sort_unstable();
    let mut want: Vec<u64> = (0..4u64)
        .flat_map(|t| (1..=50).map(move |i| t * 1000 + i))
        .collect();
    want.sort_unstable();
    assert_eq!(got, want);
    for r in &rec {
        assert_eq!(r.ops, txn_ops(r.txn.0, 90));
    }
}

/// Builds a disk holding one WAL segment with exactly `bytes`, durably.
fn disk_with_segment(name: &Path, bytes: &[u8]) -> SimVfs {
    let vfs = SimVfs::new();
    vfs.create_dir_all(&dir()).expect("mkdir");
    let f = vfs.open(name, OpenMode::CreateNew).expect("create");
    f.write_at(bytes, 0).expect("write");
    f.sync().expect("sync");
    vfs.sync_dir(&dir()).expect("sync dir");
    vfs
}

/// Commits `n` transactions and returns the disk, the segment path, its bytes and the LSNs.
fn written_log(n: u64) -> (SimVfs, PathBuf, Vec<u8>, Vec<Lsn>) {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Standard);
    let lsns: Vec<Lsn> = (1..=n)
        .map(|i| wal.commit(TxnId(i), &txn_ops(i, 60)).expect("commit"))
        .collect();
    let path = segment_files(&vfs).pop().expect("a segment");
    let bytes = vfs.durable_bytes(&path).expect("durable");
    (vfs, path, bytes, lsns)
}

fn offset_of(lsn: Lsn) -> usize {
    (SEGMENT_HEADER_LEN + lsn.0) as usize
}

#[test]
fn torn_tail_at_every_byte_is_truncated_and_never_applied() {
    let (_, path, bytes, lsns) = written_log(4);
    let start = offset_of(lsns[2]);
    let end = offset_of(lsns[3]);
    let seed = 0x7041_u64;
    let mut rng = SplitMix64::new(seed);
    for cut in 0..(end - start) {
        for garbage in [false, true] {
            let mut img = bytes.clone();
            for b in &mut img[start + cut..end] {
                *b = if garbage { rng.next_u64() as u8 } else { 0 };
            }
            // The record ends with its commit time, whose high bytes are zero: zeroing only
            // those leaves the record intact, and then it must be kept.
            let intact = img[start..end] == bytes[start..end];
            let want: Vec<u64> = if intact {
                vec![1, 2, 3, 4]
            } else {
                vec![1, 2, 3]
            };
            let vfs = disk_with_segment(&path, &img);
            let (wal, rec) = open(&vfs, Lsn(0), WalMode::Standard);
            assert_eq!(ids(&rec), want, "seed {seed} cut {cut} garbage {garbage}");
            // The tail was zeroed: a new shorter commit followed by reopen never resurrects it.
            wal.commit(TxnId(9), &[Op::Delete { key: b"k".to_vec() }])
                .expect("append");
            drop(wal);
            let (_, rec) = open(&vfs, Lsn(0), WalMode::Standard);
            let want: Vec<u64> = want.into_iter().chain([9]).collect();
            assert_eq!(ids(&rec), want, "seed {seed} cut {cut} garbage {garbage}");
        }
    }
}

#[test]
fn flipped_bit_in_a_middle_record_is_damage_and_salvage_keeps_what_precedes_it() {
    let (_, path, bytes, lsns) = written_log(6);
    let rec_start = offset_of(lsns[1]); // record of txn 3
    let rec_len = offset_of(lsns[2]) - rec_start;
    for byte in [0, 5, 9, RECORD_HEADER_LEN, rec_len - 1] {
        let vfs = disk_with_segment(&path, &bytes);
        vfs.flip_bit(&path, (rec_start + byte) as u64, 2)
            .expect("flip");
        let damaged = vfs.durable_bytes(&path).expect("bytes");
        // Records 4..6 were written after record 3 was durable: this is no torn tail.
        let err = Wal::open(
            Arc::new(vfs.clone()),
            &dir(),
            PAGE,
            Lsn(0),
            opts(WalMode::Standard),
        )
        .map(|_| ())
        .expect_err("damage refused");
        let Error::WalDamaged(d) = &err else {
            panic!("flip in byte {byte}: {err}");
        };
        assert_eq!(d.kind, super::DamageKind::Record, "byte {byte}");
        assert_eq!(d.lsn, lsns[1], "byte {byte}");
        assert_eq!(d.commits_before, 2, "byte {byte}");
        assert_eq!(d.records_after, 3, "byte {byte}: records of txns 4..6");
        assert_eq!(d.last_lsn_after, Some(lsns[5]), "byte {byte}");
        assert_eq!(
            vfs.durable_bytes(&path),
            Some(damaged.clone()),
            "nothing changed"
        );
        // Salvage keeps transactions 1 and 2, and the damaged segment aside.
        let salvage = WalOptions {
            recovery: WalRecovery::Salvage,
            ..opts(WalMode::Standard)
        };
        let (wal, rec) =
            Wal::open(Arc::new(vfs.clone()), &dir(), PAGE, Lsn(0), salvage).expect("salvage");
        assert_eq!(ids(&rec), vec![1, 2], "flip in byte {byte} of record 3");
        assert!(wal.stats().salvaged_at_open);
        drop(wal);
        let aside = salvage_dirs(&vfs);
        assert_eq!(aside.len(), 1, "{aside:?}");
        let copy = aside[0].join(path.file_name().expect("name"));
        assert_eq!(vfs.durable_bytes(&copy), Some(damaged), "forensic copy");
        assert!(vfs.exists(&aside[0].join("SALVAGE.txt")));
        let (_, rec) = open(&vfs, Lsn(0), WalMode::Standard);
        assert_eq!(ids(&rec), vec![1, 2], "the salvaged log opens strictly");
    }
}

/// The `salvage-*` folders in the log directory.
fn salvage_dirs(vfs: &SimVfs) -> Vec<PathBuf> {
    vfs.read_dir(&dir())
        .expect("ls")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("salvage-"))
        })
        .collect()
}

#[test]
fn stale_record_from_another_position_is_not_replayed() {
    let (_, path, bytes, lsns) = written_log(3);
    // Copy record 1 (a valid record, CRC and all) to the log end, as a recycled segment would hold.
    let first = offset_of(Lsn(0))..offset_of(lsns[0]);
    let mut img = bytes.clone();
    let at = offset_of(lsns[2]);
    let stale = bytes[first.clone()].to_vec();
    img[at..at + stale.len()].copy_from_slice(&stale);
    let vfs = disk_with_segment(&path, &img);
    let (wal, rec) = open(&vfs, Lsn(0), WalMode::Standard);
    assert_eq!(ids(&rec), vec![1, 2, 3]);
    assert!(wal.stats().truncated_at_open, "stale bytes are cut off");
    assert_eq!(wal.durable_lsn(), lsns[2]);
}

#[test]
fn torn_segment_header_is_dropped() {
    let (vfs, _, _, lsns) = written_log(2);
    // A crash while creating the next segment leaves a file with a zero header (named after
    // the closing record the roll-over would have appended).
    let next = dir().join(segment_name(Lsn(lsns[1].0 + RECORD_HEADER_LEN as u64)));
    let f = vfs.open(&next, OpenMode::CreateNew).expect("create");
    f.set_len(SEG).expect("len");
    f.sync().expect("sync");
    vfs.sync_dir(&dir()).expect("dir");
    let (wal, rec) = open(&vfs, Lsn(0), WalMode::Standard);
    assert_eq!(ids(&rec), vec![1, 2]);
    assert!(!vfs.exists(&next));
    assert!(wal.stats().truncated_at_open);
}

#[test]
fn wrong_page_size_is_an_error() {
    let (vfs, _, _, _) = written_log(1);
    let err = Wal::open(Arc::new(vfs), &dir(), 8192, Lsn(0), opts(WalMode::Standard));
    assert!(matches!(err, Err(Error::WalCorruption { .. })), "{err:?}");
}

#[test]
fn failed_fsync_poisons_standard_log() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Standard);
    wal.commit(TxnId(1), &txn_ops(1, 10)).expect("first commit");
    vfs.fail_next_syncs(1);
    let err = wal
        .commit(TxnId(2), &txn_ops(2, 10))
        .expect_err("fsync failed");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(matches!(
        wal.commit(TxnId(3), &txn_ops(3, 10)),
        Err(Error::Poisoned { .. })
    ));
    assert!(matches!(wal.flush(), Err(Error::Poisoned { .. })));
    assert!(matches!(
        wal.recycle_before(Lsn(0)),
        Err(Error::Poisoned { .. })
    ));
}

#[test]
fn failed_write_poisons_log() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Unified);
    vfs.fail_writes_after(0);
    assert!(matches!(
        wal.commit(TxnId(1), &txn_ops(1, 10)),
        Err(Error::Io { .. })
    ));
    vfs.clear_faults();
    assert!(matches!(
        wal.commit(TxnId(2), &txn_ops(2, 10)),
        Err(Error::Poisoned { .. })
    ));
}

#[test]
fn failed_fsync_wakes_every_unified_waiter_with_an_error() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Unified);
    let wal = Arc::new(wal);
    vfs.fail_sync_matching(".wal");
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                (0..10u64)
                    .map(|i| wal.commit(TxnId(t * 100 + i + 1), &txn_ops(i, 20)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for res in t.join().expect("thread") {
            assert!(
                res.is_err(),
                "a commit reported success after a failed fsync"
            );
        }
    }
    assert_eq!(wal.durable_lsn(), Lsn(0));
}

fn crash_value_len(i: u64) -> usize {
    20 + (i as usize * 37) % 500
}

/// The crash-loop workload: 80 commits; after commit 40, a checkpoint at commit 30 is assumed
/// durable and the segments before it are recycled. Returns the commits that returned.
fn crash_workload(vfs: &SimVfs, mode: WalMode) -> Vec<(u64, Lsn)> {
    let mut done = Vec::new();
    let Ok((wal, _)) = Wal::open(Arc::new(vfs.clone()), &dir(), PAGE, Lsn(0), opts(mode)) else {
        return done;
    };
    for i in 1..=80u64 {
        match wal.commit(TxnId(i), &txn_ops(i, crash_value_len(i))) {
            Ok(lsn) => done.push((i, lsn)),
            Err(_) => break,
        }
        if i == 40 && wal.recycle_before(done[29].1).is_err() {
            break;
        }
    }
    done
}

/// Crashes the workload at every one of its I/O operations, in both modes, and checks two crash
/// images per point: recovery yields a prefix of the workload (after the checkpoint, once commit
/// 30 returned) containing every commit that returned, with its exact LSN and ops.
#[test]
fn crash_at_every_io_keeps_every_returned_commit() {
    for mode in [WalMode::Standard, WalMode::Unified] {
        let total = {
            let vfs = SimVfs::new();
            assert_eq!(crash_workload(&vfs, mode).len(), 80);
            vfs.stats().ops
        };
        assert!(total > 150, "workload has {total} ops");
        for crash in 1..=total {
            let vfs = SimVfs::new();
            vfs.crash_at(crash);
            let done = crash_workload(&vfs, mode);
            let (checkpoint, first) = match done.get(29) {
                Some((_, lsn)) => (*lsn, 31),
                None => (Lsn(0), 1),
            };
            for seed in [crash, crash ^ 0xDEAD] {
                let ctx = format!("{mode:?} crash point {crash} seed {seed}");
                let img = vfs.crash_image(seed);
                let (_, rec) = Wal::open(Arc::new(img), &dir(), PAGE, checkpoint, opts(mode))
                    .unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
                let got = ids(&rec);
                assert!(
                    got.iter()
                        .enumerate()
                        .all(|(k, id)| *id == k as u64 + first),
                    "{ctx}: not a prefix: {got:?}"
                );
                let expected: Vec<&(u64, Lsn)> =
                    done.iter().filter(|(id, _)| *id >= first).collect();
                assert!(got.len() >= expected.len(), "{ctx}: lost a commit");
                for ((id, lsn), r) in expected.into_iter().zip(&rec) {
                    assert_eq!((r.txn.0, r.lsn), (*id, *lsn), "{ctx}");
                    assert_eq!(r.ops, txn_ops(*id, crash_value_len(*id)), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn flush_returns_the_durable_end() {
    let vfs = SimVfs::new();
    let (wal, _) = open(&vfs, Lsn(0), WalMode::Unified);
    assert_eq!(wal.flush().expect("empty flush"), Lsn(0));
    let lsn = wal.commit(TxnId(1), &txn_ops(1, 10)).expect("commit");
    assert_eq!(wal.flush().expect("flush"), lsn);
    assert_eq!(wal.stats().durable_lsn, lsn);
    wal.recycle_before(lsn).expect("recycle");
    assert_eq!(
        segment_files(&vfs).len(),
        1,
        "the current segment is never recycled"
    );
}

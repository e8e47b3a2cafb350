//! Media damage in the log is refused, never cut silently; salvage keeps what precedes it.
//!
//! The bug these tests pin down: recovery used to treat *any* unreadable byte as the end of the
//! log. One flipped byte in a segment header made it delete that segment and every later one,
//! so every durable commit since the checkpoint vanished and the integrity check then reported
//! "clean"; a missing, renamed or emptied segment did the same, and a damaged record in the
//! middle of the log dropped everything after it. Only a torn tail — the last, never
//! acknowledged write of a crashed process — may be cut. Everything else must fail the open
//! with [`Error::WalDamaged`], change nothing on disk, and leave salvage as an explicit choice.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::format::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, prepare_txn};
use super::*;
use crate::error::Error;
use crate::vfs::{OpenMode, SimVfs, Vfs};

const PAGE: u32 = 4096;
const SEG: u64 = 8192;

fn dir() -> PathBuf {
    PathBuf::from("/db/wal")
}

fn opts(recovery: WalRecovery) -> WalOptions {
    WalOptions {
        segment_size: SEG,
        recovery,
        log_required: true,
        ..WalOptions::default()
    }
}

fn ops(i: u64) -> Vec<Op> {
    vec![Op::Put {
        key: format!("key-{i:05}").into_bytes(),
        value: vec![(i % 251) as u8; 900],
    }]
}

fn segments(vfs: &SimVfs) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = vfs
        .read_dir(&dir())
        .expect("ls")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

/// Every durable file under the log directory, by path (salvage folders included).
fn snapshot(vfs: &SimVfs) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir()];
    while let Some(d) = todo.pop() {
        for p in vfs.read_dir(&d).unwrap_or_default() {
            match vfs.durable_bytes(&p) {
                Some(b) => {
                    out.insert(p, Some(b));
                }
                None if vfs.read_dir(&p).is_ok() => todo.push(p),
                None => {
                    out.insert(p, None);
                }
            }
        }
    }
    out
}

/// A log of `n` commits over several segments; returns the disk and the commit LSNs.
fn log(n: u64) -> (SimVfs, Vec<Lsn>) {
    let vfs = SimVfs::new();
    let (wal, _) = Wal::open(
        Arc::new(vfs.clone()),
        &dir(),
        PAGE,
        Lsn(0),
        WalOptions {
            log_required: false,
            ..opts(WalRecovery::Strict)
        },
    )
    .expect("open");
    let lsns = (1..=n)
        .map(|i| wal.commit(TxnId(i), &ops(i)).expect("commit"))
        .collect();
    (vfs, lsns)
}

fn open(vfs: &SimVfs, recovery: WalRecovery) -> Result<(Wal, Vec<RecoveredTxn>), Error> {
    Wal::open(Arc::new(vfs.clone()), &dir(), PAGE, Lsn(0), opts(recovery))
}

fn ids(txns: &[RecoveredTxn]) -> Vec<u64> {
    txns.iter().map(|t| t.txn.0).collect()
}

/// Opens strictly and expects damage of `kind`, with nothing on disk changed.
fn refused(vfs: &SimVfs, kind: DamageKind, ctx: &str) -> WalDamage {
    let before = snapshot(vfs);
    let err = match open(vfs, WalRecovery::Strict) {
        Ok((_, rec)) => panic!("{ctx}: opened with {} commits", rec.len()),
        Err(e) => e,
    };
    let Error::WalDamaged(d) = err else {
        panic!("{ctx}: {err}");
    };
    assert_eq!(d.kind, kind, "{ctx}: {d}");
    assert_eq!(
        snapshot(vfs),
        before,
        "{ctx}: a refused open changed the disk"
    );
    *d
}

/// The commits whose records lie wholly in segments before `first` (a segment's first LSN).
fn commits_before(lsns: &[Lsn], first: Lsn) -> Vec<u64> {
    (1..=lsns.len() as u64)
        .filter(|i| lsns[*i as usize - 1] <= first)
        .collect()
}

#[test]
fn damage_at_every_byte_of_every_segment_header_is_refused() {
    let (vfs, lsns) = log(24);
    let segs = segments(&vfs);
    assert!(segs.len() >= 3, "{segs:?}");
    for (k, seg) in segs.iter().enumerate() {
        let first = parse_segment_name(seg).expect("name");
        for byte in 0..SEGMENT_HEADER_LEN {
            let disk = vfs.crash_image(0);
            disk.flip_bit(seg, byte, (byte % 8) as u8).expect("flip");
            let ctx = format!("segment {k} header byte {byte}");
            let d = refused(&disk, DamageKind::Header, &ctx);
            let kept = commits_before(&lsns, first);
            assert_eq!(d.commits_before, kept.len() as u64, "{ctx}");
            assert_eq!(d.later_segments, (segs.len() - k - 1) as u64, "{ctx}");
            if byte == 3 {
                // The records behind the damaged header still read at the LSNs the segment's
                // name gives: salvage rebuilds the header and keeps every commit.
                let (wal, rec) = open(&disk, WalRecovery::Salvage).expect("salvage");
                assert_eq!(ids(&rec), (1..=24).collect::<Vec<_>>(), "{ctx}");
                let next = wal
                    .commit(TxnId(99), &ops(99))
                    .expect("commit after salvage");
                drop(wal);
                let (_, rec) = open(&disk, WalRecovery::Strict).expect("reopen");
                assert_eq!(rec.len(), 25, "{ctx}");
                assert_eq!(rec.last().map(|t| t.lsn), Some(next), "{ctx}");
                let aside: Vec<_> = snapshot(&disk)
                    .into_iter()
                    .filter(|(p, _)| p.to_string_lossy().contains("/salvage-"))
                    .collect();
                assert_eq!(aside.len(), 2, "{ctx}: the segment's copy and SALVAGE.txt");
                let damaged = vfs.crash_image(0);
                damaged.flip_bit(seg, byte, 3).expect("flip");
                assert!(
                    aside.iter().any(|(_, b)| *b == damaged.durable_bytes(seg)),
                    "{ctx}: the forensic copy holds the damaged bytes"
                );
            }
        }
        // A header and the first record both unreadable: salvage keeps the commits before this
        // segment and moves it, and every later one, aside.
        let disk = vfs.crash_image(0);
        let f = disk.open(seg, OpenMode::Existing).expect("open");
        f.write_at(&[0xEE; 200], 0).expect("damage");
        f.sync().expect("sync");
        let kept = commits_before(&lsns, first);
        let (_, rec) = open(&disk, WalRecovery::Salvage).expect("salvage");
        assert_eq!(ids(&rec), kept, "segment {k} unreadable");
        let (_, rec) = open(&disk, WalRecovery::Strict).expect("reopen");
        assert_eq!(
            ids(&rec),
            kept,
            "segment {k}: the salvaged log opens strictly"
        );
        let moved = snapshot(&disk)
            .into_keys()
            .filter(|p| p.to_string_lossy().contains("/salvage-"))
            .count();
        assert_eq!(
            moved,
            segs.len() - k + 1,
            "segment {k}: moved segments and SALVAGE.txt"
        );
    }
}

#[test]
fn damage_at_every_byte_of_a_middle_record_is_refused() {
    let (vfs, lsns) = log(5);
    let seg = segments(&vfs)[0].clone();
    // Record 3 lies between LSNs lsns[1] and lsns[2] in the first segment.
    let (start, end) = (
        lsns[1].0 + SEGMENT_HEADER_LEN,
        lsns[2].0 + SEGMENT_HEADER_LEN,
    );
    assert!(end <= SEG, "record 3 is in the first segment");
    for at in start..end {
        let disk = vfs.crash_image(0);
        disk.flip_bit(&seg, at, (at % 8) as u8).expect("flip");
        let ctx = format!("record byte {}", at - start);
        let d = refused(&disk, DamageKind::Record, &ctx);
        assert_eq!(d.lsn, lsns[1], "{ctx}");
        assert_eq!(d.commits_before, 2, "{ctx}");
        assert!(d.records_after >= 2, "{ctx}: {d}");
        assert_eq!(d.last_lsn_after, Some(lsns[4]), "{ctx}");
    }
}

#[test]
fn missing_renamed_or_emptied_segments_are_refused() {
    let (vfs, lsns) = log(24);
    let segs = segments(&vfs);
    let n = segs.len();
    for (k, seg) in segs.iter().enumerate() {
        let first = parse_segment_name(seg).expect("name");
        // Removed outright, renamed out of the log's names, or truncated to nothing.
        for how in ["removed", "renamed", "emptied"] {
            let disk = vfs.crash_image(0);
            match how {
                "removed" => disk.remove_file(seg).expect("rm"),
                "renamed" => disk.rename(seg, &seg.with_extension("bak")).expect("mv"),
                _ => {
                    let f = disk.open(seg, OpenMode::Existing).expect("open");
                    f.set_len(0).expect("truncate");
                    f.sync().expect("sync");
                }
            }
            disk.sync_dir(&dir()).expect("sync dir");
            let ctx = format!("segment {k} of {n} {how}");
            let kind = if how == "emptied" {
                DamageKind::Header
            } else {
                DamageKind::MissingSegment
            };
            let d = refused(&disk, kind, &ctx);
            assert_eq!(
                d.commits_before,
                commits_before(&lsns, first).len() as u64,
                "{ctx}: {d}"
            );
        }
    }
}

#[test]
fn a_segment_cut_short_is_refused_and_salvage_restores_its_size() {
    let (vfs, lsns) = log(24);
    let seg = segments(&vfs).pop().expect("last segment");
    let first = parse_segment_name(&seg).expect("name");
    // Cut the last segment in the middle of its second record.
    let inside: Vec<&Lsn> = lsns.iter().filter(|l| **l > first).collect();
    let cut = inside[0].0 - first.0 + SEGMENT_HEADER_LEN + 100;
    let f = vfs.open(&seg, OpenMode::Existing).expect("open");
    f.set_len(cut).expect("truncate");
    f.sync().expect("sync");
    let d = refused(&vfs, DamageKind::Truncated, "truncated");
    assert_eq!(d.lsn, *inside[0]);
    let (_, rec) = open(&vfs, WalRecovery::Salvage).expect("salvage");
    assert_eq!(rec.last().map(|t| t.lsn), Some(*inside[0]));
    assert_eq!(vfs.durable_bytes(&seg).map(|b| b.len() as u64), Some(SEG));
    open(&vfs, WalRecovery::Strict).expect("the salvaged log opens strictly");
}

#[test]
fn no_log_at_all_is_refused_once_the_database_has_checkpointed() {
    let vfs = SimVfs::new();
    vfs.create_dir_all(&dir()).expect("mkdir");
    let d = refused(&vfs, DamageKind::MissingSegment, "empty log directory");
    assert_eq!(d.segment, dir());
    // A database that never checkpointed may be opening its log for the first time.
    let fresh = WalOptions {
        log_required: false,
        ..opts(WalRecovery::Strict)
    };
    let (wal, rec) = Wal::open(Arc::new(vfs.clone()), &dir(), PAGE, Lsn(0), fresh).expect("new");
    assert!(rec.is_empty());
    assert_eq!(wal.stats().segments, 1);
}

/// Frames commits `ids` at `at` as one unsynced group flush would: every durable mark is the
/// log's durable LSN before the batch, `durable`.
fn batch(at: Lsn, durable: Lsn, ids: &[u64]) -> (Vec<u8>, Vec<Lsn>) {
    let mut buf = Vec::new();
    let mut lsn = at;
    let mut ends = Vec::new();
    for &i in ids {
        for mut rec in prepare_txn(TxnId(i), &ops(i), 1 << 20) {
            rec.stamp_commit(1, durable);
            rec.frame_into(lsn, &mut buf);
            lsn = Lsn(lsn.0 + rec.framed_len());
        }
        ends.push(lsn);
    }
    (buf, ends)
}

#[test]
fn a_bad_record_followed_only_by_its_own_unsynced_batch_is_a_torn_tail() {
    // A group flush of three commits torn so that its first sector is lost but later ones
    // survive: the survivors carry durable marks below the damage, so none of them was
    // acknowledged and the tail is cut.
    let (vfs, lsns) = log(2);
    let seg = segments(&vfs)[0].clone();
    let (buf, _) = batch(lsns[1], lsns[1], &[3, 4, 5]);
    let f = vfs.open(&seg, OpenMode::Existing).expect("open");
    f.write_at(&buf, lsns[1].0 + SEGMENT_HEADER_LEN)
        .expect("write");
    f.write_at(&[0xAA; 8], lsns[1].0 + SEGMENT_HEADER_LEN + 4)
        .expect("tear");
    f.sync().expect("sync");
    let (wal, rec) = open(&vfs, WalRecovery::Strict).expect("a torn tail opens");
    assert_eq!(ids(&rec), vec![1, 2]);
    assert!(wal.stats().truncated_at_open);
    assert!(!wal.stats().salvaged_at_open);
    // The same bytes, but the survivors were framed after the damaged one was durable.
    let (vfs, lsns) = log(2);
    let (buf, _) = batch(lsns[1], Lsn(lsns[1].0 + 1000), &[3, 4, 5]);
    let f = vfs.open(&seg, OpenMode::Existing).expect("open");
    f.write_at(&buf, lsns[1].0 + SEGMENT_HEADER_LEN)
        .expect("write");
    f.write_at(&[0xAA; 8], lsns[1].0 + SEGMENT_HEADER_LEN + 4)
        .expect("tear");
    f.sync().expect("sync");
    let d = refused(&vfs, DamageKind::Record, "proved durable");
    assert_eq!(d.records_after, 2);
}

#[test]
fn an_unfinished_roll_over_is_undone_and_the_log_goes_on() {
    let (vfs, lsns) = log(3);
    let last = *lsns.last().expect("lsn");
    // The next segment was created (valid header, no records) but the current one never got
    // its closing record: the crash came between the two steps of a roll-over.
    let next = dir().join(segment_name(Lsn(last.0 + RECORD_HEADER_LEN as u64)));
    let f = vfs.open(&next, OpenMode::CreateNew).expect("create");
    f.write_at(&vec![0u8; SEG as usize], 0).expect("fill");
    let header = format::SegmentHeader::new(PAGE, Lsn(last.0 + RECORD_HEADER_LEN as u64), SEG);
    f.write_at(&header.encode(), 0).expect("header");
    f.sync().expect("sync");
    vfs.sync_dir(&dir()).expect("dir");
    let (wal, rec) = open(&vfs, WalRecovery::Strict).expect("open");
    assert_eq!(ids(&rec), vec![1, 2, 3]);
    assert!(!vfs.exists(&next), "the empty segment is removed");
    let more: Vec<Lsn> = (4..=30)
        .map(|i| wal.commit(TxnId(i), &ops(i)).expect("commit"))
        .collect();
    drop(wal);
    let (_, rec) = open(&vfs, WalRecovery::Strict).expect("reopen");
    assert_eq!(rec.len(), 30);
    assert_eq!(rec.last().map(|t| t.lsn), more.last().copied());
    // Records in such a segment prove the roll-over finished: then the missing closing record
    // is damage.
    let (vfs, lsns) = log(3);
    let last = *lsns.last().expect("lsn");
    let first = Lsn(last.0 + RECORD_HEADER_LEN as u64);
    let next = dir().join(segment_name(first));
    let f = vfs.open(&next, OpenMode::CreateNew).expect("create");
    f.write_at(&vec![0u8; SEG as usize], 0).expect("fill");
    f.write_at(&format::SegmentHeader::new(PAGE, first, SEG).encode(), 0)
        .expect("header");
    let (buf, _) = batch(first, first, &[4]);
    f.write_at(&buf, SEGMENT_HEADER_LEN).expect("records");
    f.sync().expect("sync");
    vfs.sync_dir(&dir()).expect("dir");
    refused(
        &vfs,
        DamageKind::Record,
        "records after an unclosed segment",
    );
}

#[test]
fn the_only_segment_emptied_is_refused_even_at_the_checkpoint() {
    // Commits after a checkpoint at LSN 0 live in the first segment; emptying it must not pass
    // for an unfinished creation once the database has checkpointed.
    let (vfs, _) = log(2);
    let seg = segments(&vfs)[0].clone();
    let f = vfs.open(&seg, OpenMode::Existing).expect("open");
    f.set_len(0).expect("truncate");
    f.sync().expect("sync");
    let d = refused(&vfs, DamageKind::Header, "emptied only segment");
    assert_eq!(d.lsn, Lsn(0));
}

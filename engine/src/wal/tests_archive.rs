//! WAL archiving and the format-version-2 commit time, on the simulated disk: closed segments
//! are archived before they are recycled and the archive replays the same transactions; a failed
//! archive copy or a conflicting archived file stops recycling with an error; version-1
//! segments are still read, and new commits then go to a version-2 segment.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::format::{SEGMENT_HEADER_LEN, SegmentHeader, prepare_txn};
use super::*;
use crate::error::Error;
use crate::vfs::{OpenMode, SimVfs, Vfs};

const PAGE: u32 = 4096;
const SEG: u64 = 8192;

fn wal_dir() -> PathBuf {
    PathBuf::from("/db/wal")
}

fn archive_dir() -> PathBuf {
    PathBuf::from("/archive")
}

fn opts(archive: bool) -> WalOptions {
    WalOptions {
        mode: WalMode::Standard,
        segment_size: SEG,
        archive: archive.then(archive_dir),
        ..WalOptions::default()
    }
}

fn open_at(vfs: &SimVfs, dir: &Path, checkpoint: Lsn, o: WalOptions) -> (Wal, Vec<RecoveredTxn>) {
    Wal::open(Arc::new(vfs.clone()), dir, PAGE, checkpoint, o).expect("open wal")
}

fn ops(i: u64) -> Vec<Op> {
    vec![Op::Put {
        key: format!("key-{i:05}").into_bytes(),
        value: vec![(i % 251) as u8; 700],
    }]
}

fn wal_files(vfs: &SimVfs, dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = vfs
        .read_dir(dir)
        .expect("ls")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

/// Commits `n` transactions (enough to fill several 8 KiB segments); returns their LSNs.
fn fill(wal: &Wal, n: u64) -> Vec<Lsn> {
    (1..=n)
        .map(|i| wal.commit(TxnId(i), &ops(i)).expect("commit"))
        .collect()
}

#[test]
fn closed_segments_are_archived_before_recycling_and_replay_the_same_commits() {
    let vfs = SimVfs::new();
    let (wal, _) = open_at(&vfs, &wal_dir(), Lsn(0), opts(true));
    let lsns = fill(&wal, 40);
    let live_before = wal_files(&vfs, &wal_dir());
    assert!(live_before.len() >= 3, "several segments: {live_before:?}");
    wal.recycle_before(*lsns.last().expect("commits"))
        .expect("recycle");
    let archived = wal_files(&vfs, &archive_dir());
    // Every closed segment (all but the current one) is in the archive, and gone from the log.
    assert_eq!(archived.len(), live_before.len() - 1);
    assert_eq!(wal_files(&vfs, &wal_dir()).len(), 1);
    assert_eq!(wal.stats().segments_archived, archived.len() as u64);
    // A second pass finds nothing new to copy.
    assert_eq!(wal.archive_closed().expect("archive"), 0);
    // The archived segments, followed by the live one, replay every commit with its time (as a
    // point-in-time restore lays them out: each copy back at its created size).
    let replay = PathBuf::from("/replay");
    vfs.create_dir_all(&replay).expect("mkdir");
    for f in archived.iter().chain(wal_files(&vfs, &wal_dir()).iter()) {
        let bytes = vfs.durable_bytes(f).expect("bytes");
        let out = vfs
            .open(
                &replay.join(f.file_name().expect("name")),
                OpenMode::CreateNew,
            )
            .expect("create");
        out.write_at(&bytes, 0).expect("write");
        out.set_len(SEG).expect("size");
        out.sync().expect("sync");
    }
    let (_, rec) = open_at(&vfs, &replay, Lsn(0), opts(false));
    assert_eq!(rec.iter().map(|t| t.lsn).collect::<Vec<_>>(), lsns);
    assert!(rec.iter().all(|t| t.commit_time.is_some()));
    assert!(rec.windows(2).all(|w| w[0].commit_time <= w[1].commit_time));
    for t in &rec {
        assert_eq!(t.ops, ops(t.txn.0));
    }
}

#[test]
fn archiving_stays_on_for_a_handle_opened_without_the_option() {
    let vfs = SimVfs::new();
    let (wal, _) = open_at(&vfs, &wal_dir(), Lsn(0), opts(true));
    drop(wal);
    let marker = wal_dir().join(archive::ARCHIVE_MARKER);
    assert!(vfs.exists(&marker), "the archive is recorded");
    let (wal, _) = open_at(&vfs, &wal_dir(), Lsn(0), opts(false));
    let lsns = fill(&wal, 40);
    wal.recycle_before(*lsns.last().expect("commits"))
        .expect("recycle");
    assert!(wal.stats().segments_archived >= 2);
    assert_eq!(
        wal_files(&vfs, &archive_dir()).len() + 1,
        wal_files(&vfs, &wal_dir()).len() + wal.stats().segments_recycled as usize,
        "every recycled segment was archived"
    );
    // A damaged record of the archive path is an error, not a silent stop of archiving.
    drop(wal);
    let f = vfs.open(&marker, OpenMode::Existing).expect("open marker");
    f.write_at(&[0xff], 0).expect("write");
    f.sync().expect("sync");
    drop(f);
    let err = Wal::open(Arc::new(vfs.clone()), &wal_dir(), PAGE, Lsn(0), opts(false))
        .expect_err("bad marker");
    assert!(matches!(err, Error::WalArchive { .. }), "{err}");
}

#[test]
fn a_failed_archive_copy_is_an_error_and_nothing_is_recycled() {
    let vfs = SimVfs::new();
    let (wal, _) = open_at(&vfs, &wal_dir(), Lsn(0), opts(true));
    let lsns = fill(&wal, 40);
    let live = wal_files(&vfs, &wal_dir());
    vfs.fail_sync_matching("/archive/");
    let err = wal
        .recycle_before(*lsns.last().expect("commits"))
        .expect_err("archive sync fails");
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("archive"), "{err}");
    assert_eq!(wal_files(&vfs, &wal_dir()), live, "nothing recycled");
    vfs.clear_faults();
    // The log itself is fine: the next pass archives and recycles.
    wal.recycle_before(*lsns.last().expect("commits"))
        .expect("recycle after the fault");
    assert_eq!(wal_files(&vfs, &wal_dir()).len(), 1);
}

#[test]
fn a_conflicting_archived_segment_is_refused_not_overwritten() {
    let vfs = SimVfs::new();
    let (wal, _) = open_at(&vfs, &wal_dir(), Lsn(0), opts(true));
    let lsns = fill(&wal, 40);
    let live = wal_files(&vfs, &wal_dir());
    let first_name = live[0].file_name().expect("name").to_owned();
    let planted = archive_dir().join(&first_name);
    let f = vfs.open(&planted, OpenMode::CreateNew).expect("plant");
    f.write_at(b"another database's segment", 0).expect("write");
    f.sync().expect("sync");
    drop(f);
    let err = wal
        .recycle_before(*lsns.last().expect("commits"))
        .expect_err("conflict");
    assert!(matches!(err, Error::WalArchive { .. }), "{err}");
    assert_eq!(wal_files(&vfs, &wal_dir()), live, "nothing recycled");
    let f = vfs.open(&planted, OpenMode::Existing).expect("open");
    let mut b = vec![0u8; b"another database's segment".len()];
    f.read_at(&mut b, 0).expect("read");
    assert_eq!(&b, b"another database's segment", "not overwritten");
}

/// Writes a format-version-1 segment at LSN 0 holding transactions 1..=n (no commit times).
fn write_v1_segment(vfs: &SimVfs, n: u64) -> Lsn {
    vfs.create_dir_all(&wal_dir()).expect("mkdir");
    let path = wal_dir().join(segment_name(Lsn(0)));
    let f = vfs.open(&path, OpenMode::CreateNew).expect("create");
    f.write_at(&vec![0u8; SEG as usize], 0).expect("zeros");
    let header = SegmentHeader {
        version: 1,
        ..SegmentHeader::new(PAGE, Lsn(0), 0)
    };
    f.write_at(&header.encode(), 0).expect("header");
    let mut buf = Vec::new();
    let mut lsn = Lsn(0);
    for i in 1..=n {
        for rec in prepare_txn(TxnId(i), &ops(i), 1 << 20) {
            rec.frame_into(lsn, &mut buf);
            lsn = Lsn(lsn.0 + rec.framed_len());
        }
    }
    f.write_at(&buf, SEGMENT_HEADER_LEN).expect("records");
    f.sync().expect("sync");
    lsn
}

#[test]
fn version_1_segments_are_read_and_new_commits_go_to_a_version_2_segment() {
    let vfs = SimVfs::new();
    let end = write_v1_segment(&vfs, 3);
    let (wal, rec) = open_at(&vfs, &wal_dir(), Lsn(0), opts(false));
    assert_eq!(rec.len(), 3);
    assert!(rec.iter().all(|t| t.commit_time.is_none()));
    assert_eq!(rec.last().map(|t| t.lsn), Some(end));
    let files = wal_files(&vfs, &wal_dir());
    assert_eq!(
        files.len(),
        2,
        "a new segment at the old one's end: {files:?}"
    );
    assert_eq!(parse_segment_name(&files[1]), Some(end));
    let lsn = wal.commit(TxnId(4), &ops(4)).expect("commit");
    drop(wal);
    let (_, rec) = open_at(&vfs, &wal_dir(), Lsn(0), opts(false));
    assert_eq!(
        rec.iter().map(|t| t.txn.0).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(rec[3].lsn, lsn);
    assert!(rec[3].commit_time.is_some_and(|t| t > 0));
    for t in &rec {
        assert_eq!(t.ops, ops(t.txn.0));
    }
}

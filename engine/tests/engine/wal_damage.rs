//! Media damage in the write-ahead log, at the level of the `Database` API.
//!
//! Regression for the loss of durable commits: a database checkpointed, then written to; one
//! damaged byte in its WAL segment used to make recovery delete the segment and open with the
//! checkpoint's contents only (every later commit gone, the integrity check "clean"). Now, for
//! damage at every byte of the segment header and of a record in the middle of the log, a
//! writable open and a read-only open both refuse with `Error::WalDamaged` and leave every file
//! as it was; salvage keeps exactly the commits before the damage, with the damaged segment kept
//! aside; and the read-only view of an undamaged database shows what recovery would redo
//! without writing a byte.

use std::collections::BTreeMap;
use std::ops::Bound::Unbounded;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lightning_db::vfs::{OpenMode, SimVfs, Vfs};
use lightning_db::wal::{DamageKind, WalRecovery};
use lightning_db::{Database, Error, Options, ReadOnlyDatabase};

const DIR: &str = "/db";

fn opts(vfs: &SimVfs) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 64 << 10,
        wal_segment_size: 1 << 20,
        checkpoint_wal_bytes: 0,
        vfs: Arc::new(vfs.clone()),
        ..Options::default()
    }
}

fn salvage(vfs: &SimVfs) -> Options {
    Options {
        wal_recovery: WalRecovery::Salvage,
        ..opts(vfs)
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

/// 20 keys checkpointed, then 30 more committed (only in the log); returns the disk and the
/// segment holding them.
fn database() -> (SimVfs, PathBuf) {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs)).expect("create");
    for i in 0..20 {
        db.put(&key(i), b"checkpointed").expect("put");
    }
    db.checkpoint().expect("checkpoint");
    for i in 20..50 {
        db.put(&key(i), b"logged").expect("put");
    }
    drop(db); // no checkpoint: keys 20..50 live only in the log
    let wal = Path::new(DIR).join("wal");
    let mut segs: Vec<PathBuf> = vfs.read_dir(&wal).expect("ls");
    segs.sort();
    assert_eq!(segs.len(), 1, "{segs:?}");
    (vfs, segs.remove(0))
}

/// Every durable file of the database, by path.
fn files(vfs: &SimVfs) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![PathBuf::from(DIR)];
    while let Some(d) = todo.pop() {
        for p in vfs.read_dir(&d).unwrap_or_default() {
            match vfs.durable_bytes(&p) {
                Some(b) => {
                    out.insert(p, b);
                }
                None => todo.push(p),
            }
        }
    }
    out
}

fn keys(db: &Database) -> usize {
    db.range(
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        false,
    )
    .expect("range")
    .count()
}

/// Both opens refuse with damage of `kind`, and nothing changes on disk.
fn refused(vfs: &SimVfs, kind: DamageKind, ctx: &str) {
    let before = files(vfs);
    match Database::open(DIR, opts(vfs)) {
        Err(Error::WalDamaged(d)) => assert_eq!(d.kind, kind, "{ctx}: {d}"),
        Err(e) => panic!("{ctx}: {e}"),
        Ok(db) => panic!("{ctx}: opened with {} keys", keys(&db)),
    }
    match ReadOnlyDatabase::open(DIR, opts(vfs)) {
        Err(Error::WalDamaged(d)) => assert_eq!(d.kind, kind, "{ctx} (read-only): {d}"),
        Err(e) => panic!("{ctx} (read-only): {e}"),
        Ok(db) => panic!("{ctx} (read-only): opened with {:?} keys", db.entries()),
    }
    assert!(files(vfs) == before, "{ctx}: a refused open changed a file");
}

#[test]
fn damage_at_every_byte_of_the_segment_header_is_refused_and_salvage_rebuilds_it() {
    let (vfs, seg) = database();
    for byte in 0..64 {
        let disk = vfs.crash_image(0);
        disk.flip_bit(&seg, byte, (byte % 8) as u8).expect("flip");
        refused(&disk, DamageKind::Header, &format!("header byte {byte}"));
        if byte == 3 {
            // The records behind the damaged header still read: salvage rebuilds the header,
            // keeps all 50 keys, and keeps the damaged segment aside, byte for byte.
            let damaged = disk.durable_bytes(&seg).expect("bytes");
            let db = Database::open(DIR, salvage(&disk)).expect("salvage");
            assert_eq!(keys(&db), 50);
            assert!(db.stats().expect("stats").wal.salvaged_at_open);
            drop(db);
            let kept: Vec<_> = files(&disk)
                .into_iter()
                .filter(|(p, _)| p.to_string_lossy().contains("/salvage-"))
                .collect();
            assert_eq!(kept.len(), 2, "segment and SALVAGE.txt: {kept:?}");
            assert!(kept.iter().any(|(_, b)| *b == damaged));
            let db = Database::open(DIR, opts(&disk)).expect("reopen after salvage");
            assert_eq!(keys(&db), 50);
        }
    }
    // The header and every record unreadable: salvage keeps the checkpoint's 20 keys and moves
    // the segment aside whole.
    let disk = vfs.crash_image(0);
    let written = vfs
        .durable_bytes(&seg)
        .expect("bytes")
        .iter()
        .rposition(|&b| b != 0)
        .expect("records");
    let f = disk.open(&seg, OpenMode::Existing).expect("open");
    f.write_at(&vec![0xEE; written + 1], 0).expect("damage");
    f.sync().expect("sync");
    refused(&disk, DamageKind::Header, "header and records");
    let db = Database::open(DIR, salvage(&disk)).expect("salvage");
    assert_eq!(keys(&db), 20);
    assert!(!disk.exists(&seg), "the unreadable segment was moved aside");
}

#[test]
fn damage_at_every_byte_of_a_middle_record_is_refused_and_salvage_keeps_what_precedes_it() {
    let (vfs, seg) = database();
    let bytes = vfs.durable_bytes(&seg).expect("bytes");
    // Find the record of the 10th commit after the checkpoint: walk the frames from the
    // checkpoint's position with the record lengths.
    let db = ReadOnlyDatabase::open(DIR, opts(&vfs)).expect("read-only");
    assert_eq!(db.pending_recovery().replay_commits, 30);
    drop(db);
    let mut records = Vec::new();
    let mut at = 64usize;
    while let Some(h) = bytes.get(at..at + 17) {
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len == 0 {
            break;
        }
        records.push((at, 17 + len));
        at += 17 + len;
    }
    assert_eq!(records.len(), 50, "one record per commit");
    let (start, len) = records[30];
    for off in 0..len {
        let disk = vfs.crash_image(0);
        disk.flip_bit(&seg, (start + off) as u64, (off % 8) as u8)
            .expect("flip");
        refused(&disk, DamageKind::Record, &format!("record byte {off}"));
    }
    let disk = vfs.crash_image(0);
    disk.flip_bit(&seg, (start + 20) as u64, 1).expect("flip");
    let db = Database::open(DIR, salvage(&disk)).expect("salvage");
    assert_eq!(
        keys(&db),
        30,
        "the checkpoint's 20 and the 10 commits before the damage"
    );
    assert_eq!(db.get(&key(29)).expect("get"), Some(b"logged".to_vec()));
    assert_eq!(db.get(&key(30)).expect("get"), None);
}

#[test]
fn a_missing_or_emptied_segment_is_refused() {
    let (vfs, seg) = database();
    let disk = vfs.crash_image(0);
    disk.remove_file(&seg).expect("rm");
    disk.sync_dir(seg.parent().expect("dir")).expect("sync");
    refused(&disk, DamageKind::MissingSegment, "removed");
    let disk = vfs.crash_image(0);
    let f = disk.open(&seg, OpenMode::Existing).expect("open");
    f.set_len(0).expect("truncate");
    f.sync().expect("sync");
    refused(&disk, DamageKind::Header, "emptied");
}

#[test]
fn read_only_view_sees_the_log_and_writes_nothing() {
    let (vfs, _) = database();
    let before = files(&vfs);
    let db = ReadOnlyDatabase::open(DIR, opts(&vfs)).expect("read-only");
    let pending = db.pending_recovery().clone();
    assert!(pending.is_needed());
    assert_eq!(pending.replay_commits, 30);
    assert_eq!(db.entries().expect("entries"), 50);
    assert_eq!(db.get(&key(45)).expect("get"), Some(b"logged".to_vec()));
    assert_eq!(
        db.get(&key(5)).expect("get"),
        Some(b"checkpointed".to_vec())
    );
    let scanned: Vec<Vec<u8>> = db
        .range(
            std::ops::Bound::Included(key(18).as_slice()),
            std::ops::Bound::Excluded(key(22).as_slice()),
            true,
        )
        .expect("range")
        .map(|r| r.expect("entry").0)
        .collect();
    assert_eq!(scanned, vec![key(21), key(20), key(19), key(18)]);
    assert!(db.check().expect("check").is_clean());
    // A writable handle excludes the view (its pages may change underneath).
    drop(db);
    assert!(
        files(&vfs) == before,
        "the read-only view wrote to the disk"
    );
    let writer = Database::open(DIR, opts(&vfs)).expect("recover");
    assert!(matches!(
        ReadOnlyDatabase::open(DIR, opts(&vfs)),
        Err(Error::Locked { .. })
    ));
    writer.close().expect("close");
    let db = ReadOnlyDatabase::open(DIR, opts(&vfs)).expect("read-only after recovery");
    assert!(!db.pending_recovery().is_needed());
    assert_eq!(db.entries().expect("entries"), 50);
}

#[test]
fn read_only_view_of_deletes_and_overwrites_in_the_log() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs)).expect("create");
    for i in 0..10 {
        db.put(&key(i), b"old").expect("put");
    }
    db.checkpoint().expect("checkpoint");
    db.delete(&key(3)).expect("delete");
    db.put(&key(4), b"new").expect("put");
    db.put(&key(20), b"added").expect("put");
    drop(db);
    let view = ReadOnlyDatabase::open(DIR, opts(&vfs)).expect("read-only");
    assert_eq!(view.entries().expect("entries"), 10);
    assert_eq!(view.get(&key(3)).expect("get"), None);
    let all = [false, true].map(|reverse| rows(view.range(Unbounded, Unbounded, reverse)));
    drop(view);
    let db = Database::open(DIR, opts(&vfs)).expect("open");
    let want = [false, true].map(|reverse| rows(db.range(Unbounded, Unbounded, reverse)));
    assert_eq!(
        all, want,
        "the view equals what recovery produces, both ways"
    );
}

/// Every entry of a range, in its order.
fn rows<I: Iterator<Item = lightning_db::Result<(Vec<u8>, Vec<u8>)>>>(
    range: lightning_db::Result<I>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    range.expect("range").map(|r| r.expect("entry")).collect()
}

//! Fault injection through the simulated disk, at the level of the `Database` API:
//! EIO on a WAL or data-file fsync and on a write surfaces as an error — never as a reported
//! success — and poisons the handle; a reopen recovers every acknowledged commit. Every bit flip
//! in a written page is caught on read. A torn WAL tail is cut on recovery and never applied.
//! A create that fails on a full disk leaves nothing behind.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use lightning_db::vfs::{SimVfs, Vfs};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Error, Options, WriteBatch};

const DIR: &str = "/db";

fn opts(vfs: &SimVfs, mode: WalMode) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 64 << 10,
        wal_mode: mode,
        wal_segment_size: 64 << 10,
        checkpoint_wal_bytes: 0,
        wal_archive: None,
        vfs: Arc::new(vfs.clone()),
        lock_timeout: std::time::Duration::from_secs(10),
        ..Options::default()
    }
}

fn all(db: &Database) -> Vec<(Vec<u8>, Vec<u8>)> {
    db.range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<_, _>>()
        .expect("scan")
}

#[test]
fn failed_wal_fsync_is_an_error_and_poisons_for_both_modes() {
    for mode in [WalMode::Standard, WalMode::Unified] {
        let vfs = SimVfs::new();
        let db = Database::create(DIR, opts(&vfs, mode)).expect("create");
        db.put(b"a", b"1").expect("first commit");
        vfs.fail_sync_matching("/wal/");
        let err = db
            .put(b"b", b"2")
            .expect_err("a commit whose fsync failed must not succeed");
        assert!(matches!(err, Error::Io { .. }), "{mode:?}: {err}");
        assert!(
            matches!(db.put(b"c", b"3"), Err(Error::Poisoned { .. })),
            "{mode:?}: later commits must be refused"
        );
        assert!(matches!(db.get(b"a"), Err(Error::Poisoned { .. })));
        drop(db);
        // After the failure, the machine "reboots": only durable state remains.
        let image = vfs.crash_image(7);
        let db = Database::open(DIR, opts(&image, mode)).expect("recovery");
        assert_eq!(db.get(b"a").expect("get"), Some(b"1".to_vec()), "{mode:?}");
        assert_eq!(
            db.get(b"c").expect("get"),
            None,
            "{mode:?}: refused commit visible"
        );
        assert!(db.check().expect("check").is_clean());
    }
}

#[test]
fn failed_checkpoint_fsync_keeps_every_commit() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs, WalMode::Standard)).expect("create");
    for i in 0..50u32 {
        db.put(format!("k{i:03}").as_bytes(), &[b'v'; 100])
            .expect("commit");
    }
    vfs.fail_sync_matching("data.ldb");
    assert!(
        db.checkpoint().is_err(),
        "checkpoint with a failing fsync must fail"
    );
    assert!(matches!(db.put(b"x", b"y"), Err(Error::Poisoned { .. })));
    drop(db);
    let image = vfs.crash_image(3);
    let db = Database::open(DIR, opts(&image, WalMode::Standard)).expect("recovery");
    assert_eq!(
        all(&db).len(),
        50,
        "every acknowledged commit is recovered from the WAL"
    );
    assert!(db.check().expect("check").is_clean());
}

#[test]
fn failed_write_is_an_error_never_a_success() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs, WalMode::Standard)).expect("create");
    db.put(b"a", b"1").expect("commit");
    vfs.fail_writes_after(0);
    assert!(db.put(b"b", b"2").is_err());
    drop(db);
    vfs.clear_faults();
    let image = vfs.crash_image(11);
    let db = Database::open(DIR, opts(&image, WalMode::Standard)).expect("recovery");
    assert_eq!(all(&db), vec![(b"a".to_vec(), b"1".to_vec())]);
}

#[test]
fn every_bit_flip_in_a_written_page_is_detected_on_read() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs, WalMode::Standard)).expect("create");
    let mut batch = WriteBatch::new();
    for i in 0..40u32 {
        batch.put(format!("key{i:03}").into_bytes(), vec![i as u8; 60]);
    }
    db.commit(batch).expect("commit");
    db.close().expect("close");
    let data = Path::new(DIR).join("data.ldb");
    let page_size = 1024u64;
    let len = vfs.durable_bytes(&data).expect("data file").len() as u64;
    assert!(len >= 3 * page_size, "the tree spans several pages");
    // Every bit of page 1 (a tree page), and a sample of bits of every other page.
    let mut flips = 0;
    for offset in page_size..len {
        let bits: &[u8] = if offset < 2 * page_size {
            &[0, 1, 2, 3, 4, 5, 6, 7]
        } else {
            &[3]
        };
        for &bit in bits {
            if offset >= 2 * page_size && offset % 97 != 0 {
                continue;
            }
            let disk = vfs.crash_image(0);
            disk.flip_bit(&data, offset, bit).expect("flip");
            let db = match Database::open(DIR, opts(&disk, WalMode::Standard)) {
                Ok(db) => db,
                // A flip in a freelist page is caught at open: also a detection.
                Err(Error::Corruption { .. }) => {
                    flips += 1;
                    continue;
                }
                Err(e) => panic!("byte {offset} bit {bit}: unexpected error {e}"),
            };
            let report = db.check().expect("check runs");
            let scan: Result<Vec<_>, _> = db
                .range(Bound::Unbounded, Bound::Unbounded, false)
                .and_then(|r| r.collect());
            assert!(
                !report.is_clean() || scan.is_err(),
                "flip of byte {offset} bit {bit} went unnoticed"
            );
            flips += 1;
        }
    }
    assert!(flips > 8 * page_size as usize, "only {flips} flips tested");
}

#[test]
fn torn_wal_tail_is_cut_and_later_commits_land_after_it() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs, WalMode::Standard)).expect("create");
    db.put(b"durable", b"yes").expect("commit");
    let before = vfs.stats().ops;
    // The next commit's WAL write succeeds (volatile) and its fsync crashes: in the crash image
    // the unsynced write is dropped, applied, or torn, depending on the seed.
    vfs.crash_at(before + 2);
    let mut big = WriteBatch::new();
    for i in 0..30u32 {
        big.put(format!("torn{i:02}").into_bytes(), vec![7u8; 200]);
    }
    assert!(db.commit(big).is_err());
    drop(db);
    let (mut applied, mut cut) = (0, 0);
    for seed in 0..20 {
        let image = vfs.crash_image(seed);
        let db = Database::open(DIR, opts(&image, WalMode::Standard))
            .unwrap_or_else(|e| panic!("seed {seed}: recovery failed: {e}"));
        let rows = all(&db);
        assert!(
            rows == vec![(b"durable".to_vec(), b"yes".to_vec())] || rows.len() == 31,
            "seed {seed}: a partial commit was applied ({} rows)",
            rows.len()
        );
        if rows.len() == 31 {
            applied += 1;
        } else {
            cut += 1;
        }
        db.put(b"after", b"tail").expect("commit after a cut tail");
        drop(db);
        let db = Database::open(DIR, opts(&image, WalMode::Standard)).expect("second recovery");
        assert_eq!(
            db.get(b"after").expect("get"),
            Some(b"tail".to_vec()),
            "seed {seed}"
        );
        assert_eq!(
            db.get(b"durable").expect("get"),
            Some(b"yes".to_vec()),
            "seed {seed}"
        );
    }
    assert!(
        applied > 0 && cut > 0,
        "both outcomes must occur: {applied} applied, {cut} cut"
    );
}

#[test]
fn second_handle_is_locked_out() {
    let vfs = SimVfs::new();
    let db = Database::create(DIR, opts(&vfs, WalMode::Standard)).expect("create");
    match Database::open(DIR, opts(&vfs, WalMode::Standard)) {
        Err(Error::Locked { .. }) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(db);
    Database::open(DIR, opts(&vfs, WalMode::Standard)).expect("open after the first handle closed");
}

/// A create that fails — here on a disk that fills up after 0, 1, 2, … writes — removes what it
/// made: the directory it created (or, if the directory was there before, everything it put in
/// it), so that no half-made database is left for the next create to refuse; the retry succeeds.
#[test]
fn a_create_failing_on_a_full_disk_leaves_nothing_and_a_retry_succeeds() {
    for dir_was_there in [false, true] {
        let mut failures = 0;
        for n in 0.. {
            assert!(n < 10_000, "create never succeeded");
            let vfs = SimVfs::new();
            if dir_was_there {
                vfs.create_dir_all(Path::new(DIR)).expect("mkdir");
            }
            vfs.disk_full_after(n);
            let err = match Database::create(DIR, opts(&vfs, WalMode::Standard)) {
                // Created: complete (a close that fails on the full disk is another test's).
                Ok(db) => match db.close() {
                    Ok(()) => break,
                    Err(_) => continue,
                },
                Err(e) => e,
            };
            failures += 1;
            let what = format!("disk full after {n} writes (directory there: {dir_was_there})");
            assert!(
                err.to_string().contains("No space left on device"),
                "{what}: {err}"
            );
            assert_eq!(vfs.exists(Path::new(DIR)), dir_was_there, "{what}");
            if dir_was_there {
                let left = vfs.read_dir(Path::new(DIR)).expect("list");
                assert!(left.is_empty(), "{what}: left {left:?}");
            }
            vfs.clear_faults();
            let db = Database::create(DIR, opts(&vfs, WalMode::Standard))
                .unwrap_or_else(|e| panic!("{what}: the retry failed: {e}"));
            db.put(b"k", b"v").expect("commit");
            db.close().expect("close");
            let db = Database::open(DIR, opts(&vfs, WalMode::Standard)).expect("reopen");
            assert_eq!(db.get(b"k").expect("get"), Some(b"v".to_vec()), "{what}");
        }
        assert!(failures > 2, "the disk never filled during create");
    }
}

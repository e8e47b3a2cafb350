//! Backups and verified restores, end to end through the public API: a backup taken while a
//! writer keeps committing restores to exactly one committed state; every changed, truncated or
//! extended byte of a backup is refused before anything is written; a restore interrupted at any
//! I/O operation (simulated crash or injected write failure) leaves the target without a
//! database, and a later restore succeeds. A failed restore leaves no temporary directory; those
//! of killed backups and restores are removed by the next run.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use lightning_db::backup::{self, MANIFEST_FILE, Manifest, PAGES_FILE};
use lightning_db::harness::snapshot;
use lightning_db::util::SplitMix64;
use lightning_db::vfs::{SimVfs, Vfs};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Error, Options, WriteBatch};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn all(db: &Database) -> Model {
    db.range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<Model, _>>()
        .expect("scan")
}

fn small_opts() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 256 << 10,
        checkpoint_wal_bytes: 256 << 10,
        wal_segment_size: 256 << 10,
        ..Options::default()
    }
}

/// A database of `keys` seeded keys (some values large enough for overflow pages), and its
/// contents.
fn seeded_db(dir: &Path, keys: u64, seed: u64) -> (Database, Model) {
    let db = Database::create(dir, small_opts()).expect("create");
    let mut rng = SplitMix64::new(seed);
    let mut model = Model::new();
    let mut batch = WriteBatch::new();
    for i in 0..keys {
        let key = format!("key{:06}", rng.below(keys * 4)).into_bytes();
        let len = if i % 50 == 0 { 3000 } else { 40 };
        let value = rng.bytes(len);
        batch.put(key.clone(), value.clone());
        model.insert(key, value);
        if i % 100 == 99 {
            db.commit(std::mem::take(&mut batch)).expect("commit");
        }
    }
    db.commit(batch).expect("commit");
    (db, model)
}

#[test]
fn backup_under_concurrent_writes_restores_exactly_one_committed_state() {
    let seed = 0xB4C4_0001u64;
    println!("seed {seed}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, initial) = seeded_db(&tmp.path().join("db"), 3000, seed);
    let db = Arc::new(db);
    // Every committed state, by the LSN of the commit that produced it.
    let states: Arc<Mutex<BTreeMap<u64, Model>>> = Arc::new(Mutex::new(BTreeMap::new()));
    states
        .lock()
        .expect("lock")
        .insert(db.stats().expect("stats").last_commit_lsn, initial.clone());
    let backup_done = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Barrier::new(2));
    let writer = {
        let (db, states, done, started) = (
            Arc::clone(&db),
            Arc::clone(&states),
            Arc::clone(&backup_done),
            Arc::clone(&started),
        );
        std::thread::spawn(move || {
            let mut rng = SplitMix64::new(seed ^ 1);
            let mut model = initial;
            let mut after = 0;
            let mut i = 0u64;
            started.wait();
            while after < 20 {
                let mut batch = WriteBatch::new();
                for _ in 0..1 + rng.below(8) {
                    let key = format!("key{:06}", rng.below(12_000)).into_bytes();
                    if rng.chance(1, 4) {
                        batch.delete(key.clone());
                        model.remove(&key);
                    } else {
                        let value = format!("commit {i}").into_bytes();
                        batch.put(key.clone(), value.clone());
                        model.insert(key, value);
                    }
                }
                let info = db.commit(batch).expect("commit");
                states
                    .lock()
                    .expect("lock")
                    .insert(info.lsn.0, model.clone());
                i += 1;
                if done.load(Ordering::Acquire) {
                    after += 1;
                }
            }
            i
        })
    };
    started.wait();
    let dest = tmp.path().join("backup");
    let report = db.backup(&dest).expect("backup");
    backup_done.store(true, Ordering::Release);
    let commits = writer.join().expect("writer");
    let lsn = report.manifest.source_lsn;
    let states = states.lock().expect("lock");
    let expected = states
        .get(&lsn)
        .unwrap_or_else(|| panic!("seed {seed}: backup lsn {lsn} is no commit's lsn"));
    let target = tmp.path().join("restored");
    backup::restore(&dest, &target, &Options::default(), false).expect("restore");
    let restored = Database::open(&target, Options::default()).expect("open restored");
    let got = all(&restored);
    assert_eq!(got.len() as u64, report.manifest.entry_count, "seed {seed}");
    assert!(
        got == *expected,
        "seed {seed}: restored state differs from the committed state at lsn {lsn}"
    );
    let last = states.keys().next_back().copied().expect("states");
    assert!(
        last > lsn,
        "seed {seed}: {commits} commits, none after the backup"
    );
    assert!(restored.check().expect("check").is_clean());
    // The restored database takes new commits, after the backup's LSN.
    let info = restored.put(b"after-restore", b"1").expect("commit");
    assert!(info.lsn.0 > lsn);
    restored.close().expect("close");
}

fn make_backup(dir: &Path) -> (PathBuf, Model) {
    let (db, model) = seeded_db(&dir.join("src"), 400, 7);
    let dest = dir.join("bk");
    db.backup(&dest).expect("backup");
    db.close().expect("close");
    (dest, model)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for name in [MANIFEST_FILE, PAGES_FILE] {
        std::fs::copy(from.join(name), to.join(name)).expect("copy");
    }
}

/// Restores `bk` over a target that must stay as it is: absent, or an existing database.
fn assert_refused(bk: &Path, target: &Path, what: &str) -> Error {
    let before = std::fs::read(target.join("data.ldb")).ok();
    let err = backup::restore(bk, target, &small_opts(), true)
        .err()
        .unwrap_or_else(|| panic!("{what}: a damaged backup was restored"));
    assert_eq!(
        std::fs::read(target.join("data.ldb")).ok(),
        before,
        "{what}: target changed"
    );
    err
}

#[test]
fn every_changed_byte_truncation_or_wrong_version_is_refused() {
    let seed = 0xB4C4_0002u64;
    println!("seed {seed}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (bk, model) = make_backup(tmp.path());
    // An existing database at the target must survive every refused restore.
    let target = tmp.path().join("target");
    {
        let db = Database::create(&target, small_opts()).expect("create");
        db.put(b"old", b"database").expect("put");
        db.close().expect("close");
    }
    let work = tmp.path().join("work");
    let mut rng = SplitMix64::new(seed);
    for name in [MANIFEST_FILE, PAGES_FILE] {
        let original = std::fs::read(bk.join(name)).expect("read");
        // Every byte of the manifest; a seeded sample (plus both ends) of the page stream.
        let offsets: Vec<usize> = if name == MANIFEST_FILE || original.len() <= 2048 {
            (0..original.len()).collect()
        } else {
            let n = original.len();
            (0..64)
                .chain(n - 64..n)
                .chain((0..512).map(|_| rng.below(n as u64) as usize))
                .collect()
        };
        for &at in &offsets {
            let _ = std::fs::remove_dir_all(&work);
            copy_dir(&bk, &work);
            let mut bytes = original.clone();
            bytes[at] ^= 1 + rng.below(255) as u8;
            std::fs::write(work.join(name), &bytes).expect("write");
            let what = format!("seed {seed}: {name} byte {at}");
            let err = assert_refused(&work, &target, &what);
            assert!(matches!(err, Error::InvalidBackup { .. }), "{what}: {err}");
        }
        for cut in [1usize, original.len() / 2, original.len()] {
            let _ = std::fs::remove_dir_all(&work);
            copy_dir(&bk, &work);
            std::fs::write(work.join(name), &original[..original.len() - cut]).expect("write");
            assert_refused(&work, &target, &format!("{name} cut by {cut}"));
        }
        let _ = std::fs::remove_dir_all(&work);
        copy_dir(&bk, &work);
        let mut longer = original.clone();
        longer.push(0);
        std::fs::write(work.join(name), &longer).expect("write");
        assert_refused(&work, &target, &format!("{name} extended"));
    }
    // A well-formed manifest of another format version.
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&bk, &work);
    let mpath = work.join(MANIFEST_FILE);
    let mut m = Manifest::decode(&mpath, &std::fs::read(&mpath).expect("read")).expect("decode");
    m.format_version = 2;
    std::fs::write(&mpath, m.encode().expect("encode")).expect("write");
    let err = assert_refused(&work, &target, "version 2");
    assert!(
        err.to_string()
            .contains("backup format version 2 is not supported (this build reads version 1)"),
        "a sentence, not a debug dump: {err}"
    );
    assert!(!err.to_string().contains("Some("), "{err}");
    // A missing file.
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&bk, &work);
    std::fs::remove_file(work.join(PAGES_FILE)).expect("rm");
    assert_refused(&work, &target, "missing stream");
    // Without --force an existing database is refused too, and the intact backup restores.
    assert!(matches!(
        backup::restore(&bk, &target, &small_opts(), false),
        Err(Error::AlreadyExists { .. })
    ));
    let db = Database::open(&target, small_opts()).expect("old target still opens");
    assert_eq!(db.get(b"old").expect("get"), Some(b"database".to_vec()));
    drop(db);
    backup::restore(&bk, &target, &small_opts(), true).expect("forced restore");
    let db = Database::open(&target, small_opts()).expect("open");
    assert!(all(&db) == model, "restored contents differ");
}

#[test]
fn a_consistently_re_signed_but_damaged_stream_is_refused_by_page_checks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (bk, _) = make_backup(tmp.path());
    let raw = zstd::decode_all(&std::fs::read(bk.join(PAGES_FILE)).expect("read")[..])
        .expect("decompress");
    let mut raw = raw;
    let at = 32 + 1024 + 500; // inside the second page's body
    raw[at] ^= 0x40;
    let packed = zstd::encode_all(&raw[..], 1).expect("compress");
    std::fs::write(bk.join(PAGES_FILE), &packed).expect("write");
    // Re-sign the manifest for the altered stream, as a careless tool (or attacker) would.
    let mpath = bk.join(MANIFEST_FILE);
    let mut m = Manifest::decode(&mpath, &std::fs::read(&mpath).expect("read")).expect("decode");
    let file = m.files.first_mut().expect("one file");
    file.bytes = packed.len() as u64;
    file.sha256 = lightning_db::backup::manifest::hex(&sha256(&packed));
    std::fs::write(&mpath, m.encode().expect("encode")).expect("write");
    assert!(backup::verify_backup(&bk).is_ok(), "hashes now match");
    let target = tmp.path().join("t");
    let err = assert_refused(&bk, &target, "damaged page");
    assert!(err.to_string().contains("verification"), "{err}");
    assert!(!target.exists(), "target created by a refused restore");
    assert_eq!(
        names_in(tmp.path()),
        ["bk", "src"],
        "the failed restore left its temporary directory behind"
    );
}

/// The names in directory `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A backup whose pages are all intact but whose (re-signed) manifest counts a key more than the
/// tree holds: the restored database fails its integrity check, and the refusal lists the
/// finding as a sentence, not as a debug dump of the report.
#[test]
fn a_restore_failing_its_integrity_check_names_the_findings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (bk, model) = make_backup(tmp.path());
    let mpath = bk.join(MANIFEST_FILE);
    let mut m = Manifest::decode(&mpath, &std::fs::read(&mpath).expect("read")).expect("decode");
    m.entry_count += 1;
    std::fs::write(&mpath, m.encode().expect("encode")).expect("write");
    let target = tmp.path().join("t");
    let err = assert_refused(&bk, &target, "entry count").to_string();
    let expected = format!(
        "restored database fails the integrity check (1 finding): database: page 0: the tree \
         holds {} keys but the database counts {}",
        model.len(),
        model.len() + 1
    );
    assert!(err.contains(&expected), "{err}");
    assert!(!err.contains("IntegrityReport"), "{err}");
    assert_eq!(names_in(tmp.path()), ["bk", "src"], "nothing left behind");
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn sim_opts(vfs: &SimVfs) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 64 << 10,
        wal_mode: WalMode::Standard,
        wal_segment_size: 64 << 10,
        checkpoint_wal_bytes: 0,
        wal_archive: None,
        vfs: Arc::new(vfs.clone()),
        lock_timeout: std::time::Duration::from_secs(10),
        ..Options::default()
    }
}

/// After an interrupted restore the target either holds no database or (crash after the final
/// rename became durable) the complete restored one; a new restore then succeeds.
fn check_after_interrupt(image: &SimVfs, bk: &Path, model: &Model, what: &str) {
    let target = Path::new("/restore/target");
    match Database::open(target, sim_opts(image)) {
        Err(Error::NotFound { .. }) => {}
        Ok(db) => {
            assert!(all(&db) == *model, "{what}: a partial restore is visible");
            assert!(db.check().expect("check").is_clean(), "{what}");
            return;
        }
        Err(e) => panic!("{what}: target is damaged: {e}"),
    }
    backup::restore(bk, target, &sim_opts(image), false)
        .unwrap_or_else(|e| panic!("{what}: restore after the interruption failed: {e}"));
    let db = Database::open(target, sim_opts(image)).expect("open");
    assert!(all(&db) == *model, "{what}: contents differ after a retry");
}

#[test]
fn an_interrupted_restore_leaves_the_target_without_a_partial_database() {
    let seed = 0xB4C4_0003u64;
    println!("seed {seed}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (bk, model) = make_backup(tmp.path());
    let target = Path::new("/restore/target");
    // How many I/O operations a full restore takes on the simulated disk.
    let full = SimVfs::new();
    backup::restore(&bk, target, &sim_opts(&full), false).expect("restore on the simulated disk");
    let total = full.stats().ops;
    let writes = full.stats().writes;
    assert!(total > 20, "only {total} operations");
    let mut rng = SplitMix64::new(seed);
    let mut points: Vec<u64> = (1..=10).chain(total - 10..=total).collect();
    points.extend((0..40).map(|_| 1 + rng.below(total)));
    for n in points {
        let vfs = SimVfs::new();
        vfs.crash_at(n);
        let r = backup::restore(&bk, target, &sim_opts(&vfs), false);
        assert!(
            r.is_err() || n > total,
            "crash point {n} of {total}: restore reported success"
        );
        let image = vfs.crash_image(seed ^ n);
        check_after_interrupt(
            &image,
            &bk,
            &model,
            &format!("seed {seed}: crash at op {n}/{total}"),
        );
    }
    for n in [0u64, 1, 5, writes / 2, writes - 1] {
        let vfs = SimVfs::new();
        vfs.fail_writes_after(n);
        let r = backup::restore(&bk, target, &sim_opts(&vfs), false);
        let what = format!("write failure after {n} writes");
        assert!(r.is_err(), "{what}: restore reported success");
        assert!(
            !vfs.exists(&target.join("data.ldb")),
            "{what}: data file in the target"
        );
        let left = vfs.read_dir(Path::new("/restore")).unwrap_or_default();
        assert!(left.is_empty(), "{what}: the failed restore left {left:?}");
        vfs.clear_faults();
        check_after_interrupt(&vfs, &bk, &model, &what);
    }
}

#[test]
fn same_seed_snapshots_have_identical_content_and_restore_to_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = snapshot::create_snapshot(&tmp.path().join("a"), 11, 3000, &small_opts()).expect("a");
    let b =
        snapshot::create_snapshot(&tmp.path().join("b"), 11, 3000, &Options::default()).expect("b");
    let c = snapshot::create_snapshot(&tmp.path().join("c"), 12, 3000, &small_opts()).expect("c");
    // Different page sizes, same seed: the same logical content.
    assert_eq!(a.content_sha256, b.content_sha256);
    assert_eq!(a.entries, 3000);
    assert_ne!(
        a.content_sha256, c.content_sha256,
        "a different seed gave the same content"
    );
    let target = tmp.path().join("restored");
    backup::restore(&a.backup, &target, &Options::default(), false).expect("restore");
    let db = Database::open(&target, Options::default()).expect("open");
    assert_eq!(
        snapshot::content_digest(&db).expect("digest"),
        (a.entries, a.content_sha256)
    );
    assert!(snapshot::create_snapshot(&tmp.path().join("a"), 11, 10, &small_opts()).is_err());
}

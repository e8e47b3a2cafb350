//! WAL archiving and point-in-time restore, end to end on real files: a database with an
//! archive and small segments commits a seeded workload, a backup is taken midway, and restores
//! rolled forward to seeded LSNs, to a time, and to the end land exactly on the last commit at or
//! before the target (compared with a model of every committed transaction). A missing or
//! damaged archived segment, a target past the end of the log and a time before the backup are
//! refused before anything is written, and an existing target is left untouched.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lightning_db::backup::{self, PitrOptions, RestoreTarget};
use lightning_db::util::SplitMix64;
use lightning_db::wal::parse_segment_name;
use lightning_db::{Database, Error, Lsn, Options, WriteBatch};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// One acknowledged commit: its LSN and the contents right after it.
struct Committed {
    lsn: Lsn,
    state: Model,
}

fn all(db: &Database) -> Model {
    db.range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<Result<Model, _>>()
        .expect("scan")
}

fn opts(archive: &Path) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 256 << 10,
        wal_segment_size: 16 << 10,
        checkpoint_wal_bytes: 24 << 10,
        wal_archive: Some(archive.to_path_buf()),
        ..Options::default()
    }
}

fn plain() -> Options {
    Options {
        page_size: 1024,
        ..Options::default()
    }
}

/// Commits `n` seeded batches of puts and deletes over a small key space, recording each.
fn commit_batches(
    db: &Database,
    rng: &mut SplitMix64,
    model: &mut Model,
    n: usize,
) -> Vec<Committed> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut batch = WriteBatch::new();
        for _ in 0..rng.range_inclusive(1, 6) {
            let key = format!("k{:04}", rng.below(300)).into_bytes();
            if rng.chance(1, 4) {
                batch.delete(key.clone());
                model.remove(&key);
            } else {
                let len = rng.range_inclusive(1, 400) as usize;
                let value = rng.bytes(len);
                batch.put(key.clone(), value.clone());
                model.insert(key, value);
            }
        }
        let info = db.commit(batch).expect("commit");
        out.push(Committed {
            lsn: info.lsn,
            state: model.clone(),
        });
    }
    out
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    archive: PathBuf,
    backup: PathBuf,
    backup_lsn: Lsn,
    /// Commits after the backup, in order.
    after: Vec<Committed>,
    /// Contents at the backup.
    at_backup: Model,
}

impl Fixture {
    fn wal_dir(&self) -> PathBuf {
        self.root.join("db").join("wal")
    }

    fn pitr(&self, target: RestoreTarget, live: bool) -> PitrOptions {
        PitrOptions {
            archive: self.archive.clone(),
            live_wal: live.then(|| self.wal_dir()),
            target,
        }
    }

    /// The expected contents and LSN for a restore to LSN `l`.
    fn expected_at(&self, l: Lsn) -> (Lsn, &Model) {
        self.after
            .iter()
            .rev()
            .find(|c| c.lsn <= l)
            .map_or((self.backup_lsn, &self.at_backup), |c| (c.lsn, &c.state))
    }

    fn archived_segments(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.archive)
            .expect("ls archive")
            .map(|e| e.expect("entry").path())
            .filter(|p| parse_segment_name(p).is_some())
            .collect();
        v.sort();
        v
    }
}

/// A database with an archive: 60 commits, a backup, 150 more commits, then dropped (not
/// closed: the live log holds commits no checkpoint or archive has seen).
fn fixture(seed: u64) -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let archive = root.join("archive");
    let db = Database::create(root.join("db"), opts(&archive)).expect("create");
    let mut rng = SplitMix64::new(seed);
    let mut model = Model::new();
    commit_batches(&db, &mut rng, &mut model, 60);
    let backup = root.join("backup");
    let report = db.backup(&backup).expect("backup");
    let backup_lsn = Lsn(report.manifest.source_lsn);
    let at_backup = model.clone();
    let after = commit_batches(&db, &mut rng, &mut model, 150);
    assert_eq!(all(&db), model);
    drop(db);
    let f = Fixture {
        _tmp: tmp,
        root,
        archive,
        backup,
        backup_lsn,
        after,
        at_backup,
    };
    assert!(
        f.archived_segments().len() >= 4,
        "the workload must archive several segments"
    );
    f
}

fn restored(target: &Path) -> (Model, Lsn) {
    let db = Database::open(target, plain()).expect("open restored");
    assert!(db.check().expect("check").is_clean());
    let lsn = Lsn(db.stats().expect("stats").last_commit_lsn);
    (all(&db), lsn)
}

#[test]
fn restore_lands_exactly_on_the_last_commit_at_or_before_the_requested_lsn() {
    let seed = 0x9171;
    let f = fixture(seed);
    let mut rng = SplitMix64::new(seed ^ 1);
    let last = f.after.last().expect("commits").lsn;
    // Exact commit LSNs, LSNs between commits, the backup's own LSN and the last commit.
    let mut targets = vec![f.backup_lsn, last, Lsn(f.backup_lsn.0 + 1)];
    for _ in 0..6 {
        let c = &f.after[rng.below(f.after.len() as u64) as usize];
        targets.push(c.lsn);
        targets.push(Lsn(c.lsn.0 - 1));
    }
    for (i, l) in targets.into_iter().enumerate() {
        let target = f.root.join(format!("r{i}"));
        let report = backup::restore_pitr(
            &f.backup,
            &target,
            &plain(),
            false,
            &f.pitr(RestoreTarget::Lsn(l), true),
        )
        .unwrap_or_else(|e| panic!("seed {seed} target {l}: {e}"));
        let (want_lsn, want) = f.expected_at(l);
        let roll = report.roll_forward.expect("rolled forward");
        assert_eq!(roll.landed_lsn, want_lsn, "seed {seed} target {l}");
        let (got, got_lsn) = restored(&target);
        assert_eq!(got_lsn, want_lsn, "seed {seed} target {l}");
        assert!(&got == want, "seed {seed} target {l}: contents differ");
    }
}

#[test]
fn latest_reaches_the_last_commit_with_the_live_log_and_the_archived_end_without_it() {
    let seed = 0x1A7E;
    let f = fixture(seed);
    let last = f.after.last().expect("commits");
    let with_live = f.root.join("with-live");
    let r = backup::restore_pitr(
        &f.backup,
        &with_live,
        &plain(),
        false,
        &f.pitr(RestoreTarget::Latest, true),
    )
    .expect("restore to the end");
    assert_eq!(r.roll_forward.map(|x| x.landed_lsn), Some(last.lsn));
    assert_eq!(restored(&with_live), (last.state.clone(), last.lsn));
    // The archive alone ends at a segment boundary: some commit after the backup, not the last.
    let archive_only = f.root.join("archive-only");
    let r = backup::restore_pitr(
        &f.backup,
        &archive_only,
        &plain(),
        false,
        &f.pitr(RestoreTarget::Latest, false),
    )
    .expect("restore to the archive's end");
    let landed = r.roll_forward.expect("rolled").landed_lsn;
    assert!(
        landed > f.backup_lsn && landed < last.lsn,
        "landed at {landed}"
    );
    let (want_lsn, want) = f.expected_at(landed);
    assert_eq!(want_lsn, landed, "the archive ends on a commit boundary");
    assert_eq!(restored(&archive_only), (want.clone(), landed));
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as u64
}

#[test]
fn restore_to_a_time_lands_on_the_last_commit_made_at_or_before_it() {
    let seed = 0x7133;
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = tmp.path().join("archive");
    let db = Database::create(tmp.path().join("db"), opts(&archive)).expect("create");
    let mut rng = SplitMix64::new(seed);
    let mut model = Model::new();
    commit_batches(&db, &mut rng, &mut model, 40);
    let bk = tmp.path().join("backup");
    db.backup(&bk).expect("backup");
    std::thread::sleep(Duration::from_millis(20));
    let mut marks = Vec::new();
    for _ in 0..3 {
        let done = commit_batches(&db, &mut rng, &mut model, 50);
        std::thread::sleep(Duration::from_millis(20));
        marks.push((now_us(), done.last().expect("commits").lsn, model.clone()));
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(db);
    for (i, (t, lsn, state)) in marks.iter().enumerate() {
        let target = tmp.path().join(format!("t{i}"));
        let pitr = PitrOptions {
            archive: archive.clone(),
            live_wal: Some(tmp.path().join("db").join("wal")),
            target: RestoreTarget::Time(*t),
        };
        let r = backup::restore_pitr(&bk, &target, &plain(), false, &pitr)
            .unwrap_or_else(|e| panic!("seed {seed} mark {i}: {e}"));
        let roll = r.roll_forward.expect("rolled");
        assert_eq!(roll.landed_lsn, *lsn, "seed {seed} mark {i}");
        assert!(roll.landed_time.is_some_and(|at| at <= *t));
        assert_eq!(
            restored(&target),
            (state.clone(), *lsn),
            "seed {seed} mark {i}"
        );
    }
    // A time before the backup's last commit cannot be reached from this backup.
    let early = PitrOptions {
        archive: archive.clone(),
        live_wal: Some(tmp.path().join("db").join("wal")),
        target: RestoreTarget::Time(marks[0].0 - 10_000_000),
    };
    let err = backup::restore_pitr(&bk, &tmp.path().join("early"), &plain(), false, &early)
        .expect_err("time before the backup");
    assert!(err.to_string().contains("older backup"), "{err}");
    assert!(!tmp.path().join("early").exists());
}

/// Asserts the restore was refused with a WAL-archive error containing `needle`, and that
/// neither the target nor a temporary directory next to it was written.
fn assert_refused(f: &Fixture, target: RestoreTarget, live: bool, needle: &str) {
    let dest = f.root.join("refused");
    let err = backup::restore_pitr(&f.backup, &dest, &plain(), false, &f.pitr(target, live))
        .expect_err("refused");
    assert!(matches!(err, Error::WalArchive { .. }), "{err}");
    assert!(err.to_string().contains(needle), "{err}");
    assert!(!dest.exists(), "target untouched");
    let temp: Vec<_> = std::fs::read_dir(&f.root)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("restore-tmp"))
        .collect();
    assert!(temp.is_empty(), "nothing written: {temp:?}");
}

#[test]
fn a_missing_archived_segment_is_a_gap_error_not_a_shorter_restore() {
    let f = fixture(0x6A9);
    let segs = f.archived_segments();
    // A segment after the one holding the backup's LSN.
    let victim = segs
        .iter()
        .find(|p| parse_segment_name(p).is_some_and(|l| l > f.backup_lsn))
        .expect("a segment after the backup")
        .clone();
    std::fs::remove_file(&victim).expect("remove");
    let last = f.after.last().expect("commits").lsn;
    assert_refused(&f, RestoreTarget::Lsn(last), true, "missing");
    assert_refused(&f, RestoreTarget::Latest, true, "missing");
    assert_refused(&f, RestoreTarget::Latest, false, "missing");
}

#[test]
fn a_damaged_archived_segment_is_refused_and_an_existing_target_is_untouched() {
    let f = fixture(0xDA3);
    let victim = f
        .archived_segments()
        .into_iter()
        .rfind(|p| parse_segment_name(p).is_some_and(|l| l > f.backup_lsn))
        .expect("a segment after the backup");
    let mut bytes = std::fs::read(&victim).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(&victim, &bytes).expect("write");
    let last = f.after.last().expect("commits").lsn;
    assert_refused(&f, RestoreTarget::Lsn(last), true, "damaged");
    // Over an existing database with --force: refused, and the old database is intact.
    let existing = f.root.join("existing");
    backup::restore(&f.backup, &existing, &plain(), false).expect("plain restore");
    let before = restored(&existing);
    let err = backup::restore_pitr(
        &f.backup,
        &existing,
        &plain(),
        true,
        &f.pitr(RestoreTarget::Latest, true),
    )
    .expect_err("refused");
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(restored(&existing), before);
    // A header flip is refused too (it is not a torn tail of the live log).
    bytes[at] ^= 0x10;
    bytes[3] ^= 0x01;
    std::fs::write(&victim, &bytes).expect("write");
    assert_refused(&f, RestoreTarget::Latest, true, "magic");
}

#[test]
fn a_target_past_the_available_log_is_refused() {
    let f = fixture(0x9A57);
    let last = f.after.last().expect("commits").lsn;
    assert_refused(
        &f,
        RestoreTarget::Lsn(Lsn(last.0 + 1_000_000)),
        true,
        "past the end",
    );
    // Without the live log the archive ends earlier than the last commit.
    assert_refused(&f, RestoreTarget::Lsn(last), false, "past the end");
}

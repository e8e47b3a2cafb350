//! `ldb restore --until` end to end: a backup rolled forward through the WAL archive and the
//! live log lands exactly on the commit asked for; a bad `--until` is named. (The library's
//! point-in-time restore is tested in `engine/tests/pitr.rs`; the fixture here is a copy of the
//! part of its fixture this test needs.)

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use lightning_db::util::SplitMix64;
use lightning_db::{Database, Lsn, Options, WriteBatch};

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
    /// Commits after the backup, in order.
    after: Vec<Committed>,
}

impl Fixture {
    fn wal_dir(&self) -> PathBuf {
        self.root.join("db").join("wal")
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
    db.backup(&backup).expect("backup");
    let after = commit_batches(&db, &mut rng, &mut model, 150);
    assert_eq!(all(&db), model);
    drop(db);
    Fixture {
        _tmp: tmp,
        root,
        archive,
        backup,
        after,
    }
}

fn restored(target: &Path) -> (Model, Lsn) {
    let db = Database::open(
        target,
        Options {
            page_size: 1024,
            ..Options::default()
        },
    )
    .expect("open restored");
    assert!(db.check().expect("check").is_clean());
    let lsn = Lsn(db.stats().expect("stats").last_commit_lsn);
    (all(&db), lsn)
}

fn ldb(args: &[&OsStr]) -> std::process::Output {
    crate::common::ldb_os(args)
}

#[test]
fn ldb_restore_until_rolls_forward_and_names_bad_input() {
    let f = fixture(0xC11);
    let c = &f.after[f.after.len() / 2];
    let target = f.root.join("cli");
    let until = c.lsn.0.to_string();
    let wal_dir = f.wal_dir();
    let restore = |extra: &[&OsStr]| -> String {
        let mut args: Vec<&OsStr> = vec![
            "restore".as_ref(),
            f.backup.as_os_str(),
            target.as_os_str(),
            "--wal-archive".as_ref(),
            f.archive.as_os_str(),
            "--wal-dir".as_ref(),
            wal_dir.as_os_str(),
            "--until".as_ref(),
            until.as_ref(),
        ];
        args.extend_from_slice(extra);
        let out = ldb(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(&format!("to lsn {}", c.lsn.0)), "{stdout}");
        stdout
    };
    // --verify-only checks the backup and the log up to the target, and writes nothing.
    restore(&["--verify-only".as_ref()]);
    assert!(!target.exists(), "verify-only wrote nothing");
    restore(&[]);
    assert_eq!(restored(&target), (c.state.clone(), c.lsn));
    // A value that is neither an LSN nor an RFC 3339 time.
    let out = ldb(&[
        "restore".as_ref(),
        f.backup.as_os_str(),
        f.root.join("bad").as_os_str(),
        "--wal-archive".as_ref(),
        f.archive.as_os_str(),
        "--until".as_ref(),
        "yesterday".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--until yesterday") && stderr.contains("RFC 3339"),
        "{stderr}"
    );
    assert!(!f.root.join("bad").exists());
}

//! `ldb backup` and `ldb restore` end to end: refusals and exit codes (a second backup into the
//! same place, a restore over a database, a tampered stream), and the removal of what killed
//! runs left behind.

use std::path::{Path, PathBuf};

use lightning_db::backup::PAGES_FILE;
use lightning_db::util::SplitMix64;
use lightning_db::{Database, Options, WriteBatch};

use crate::common::{ldb, s};

/// A database of `keys` seeded keys (some values large enough for overflow pages), as
/// `engine/tests/backup.rs` makes them.
fn seeded_db(dir: &Path, keys: u64, seed: u64) -> Database {
    let opts = Options {
        page_size: 1024,
        cache_bytes: 256 << 10,
        checkpoint_wal_bytes: 256 << 10,
        wal_segment_size: 256 << 10,
        ..Options::default()
    };
    let db = Database::create(dir, opts).expect("create");
    let mut rng = SplitMix64::new(seed);
    let mut batch = WriteBatch::new();
    for i in 0..keys {
        let key = format!("key{:06}", rng.below(keys * 4)).into_bytes();
        let len = if i % 50 == 0 { 3000 } else { 40 };
        batch.put(key, rng.bytes(len));
        if i % 100 == 99 {
            db.commit(std::mem::take(&mut batch)).expect("commit");
        }
    }
    db.commit(batch).expect("commit");
    db
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn cli_backup_restore_refusals_and_exit_codes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, bk, r) = (
        tmp.path().join("db"),
        tmp.path().join("bk"),
        tmp.path().join("r"),
    );
    let (db, bk, r) = (s(&db), s(&bk), s(&r));
    for args in [
        vec!["init", &db],
        vec!["put", &db, "k", "v"],
        vec!["backup", &db, &bk],
        vec!["restore", &bk, &r],
    ] {
        let out = ldb(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = ldb(&["get", &r, "k"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "v\n");
    // A second backup into the same place, and a restore over a database without --force.
    let out = ldb(&["backup", &db, &bk]);
    assert_eq!(out.status.code(), Some(2));
    let out = ldb(&["restore", &bk, &r]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // A tampered stream: refused, naming the file, target untouched.
    let bk = PathBuf::from(bk);
    let stream = bk.join(PAGES_FILE);
    let mut bytes = std::fs::read(&stream).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&stream, &bytes).expect("write");
    let r2 = tmp.path().join("r2");
    let out = ldb(&["restore", &s(&bk), &s(&r2)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("pages.zst") && err.contains("sha256"), "{err}");
    assert!(!r2.exists());
    let out = ldb(&["restore", &s(&bk), &s(&r2), "--verify-only"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Leftovers of killed runs: a backup's `.<dest>.tmp-<pid>` and a restore's
/// `.<target>.restore-tmp-<pid>` whose process is gone are removed by the next backup or restore
/// (which says so); one whose process is alive, or holding files a backup does not write, stays.
#[test]
fn cli_backup_and_restore_remove_what_killed_runs_left() {
    if !Path::new("/proc/self").exists() {
        return; // Without /proc no process counts as gone: nothing would be removed.
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let db = seeded_db(&root.join("db"), 50, 3);
    db.close().expect("close");
    // 2,000,000,000 is above every Linux pid_max: that process is certainly gone.
    let dead = 2_000_000_000u32;
    let alive = std::process::id();
    let make = |dir: &str, files: &[&str]| {
        for f in files {
            let p = root.join(dir).join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, b"partial").expect("write");
        }
    };
    make(&format!(".old.tmp-{dead}"), &[PAGES_FILE]);
    make(&format!(".older.tmp-{dead}"), &[]);
    make(
        &format!(".r.restore-tmp-{dead}"),
        &["data.ldb", "LOCK", "wal/0000000000000000.wal"],
    );
    make(&format!(".running.tmp-{alive}"), &[PAGES_FILE]);
    make(&format!(".notours.tmp-{dead}"), &["notes.txt"]);
    make(".r2.restore-tmp", &["data.ldb"]);
    std::fs::create_dir_all(root.join(format!(".older.tmp-{dead}"))).expect("mkdir");
    let out = ldb(&["backup", &s(&root.join("db")), &s(&root.join("bk"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for gone in [
        format!(".old.tmp-{dead}"),
        format!(".older.tmp-{dead}"),
        format!(".r.restore-tmp-{dead}"),
    ] {
        assert!(!root.join(&gone).exists(), "{gone} is still there");
        assert!(
            err.contains(&format!("ldb: removed {}", root.join(&gone).display())),
            "{gone} not reported: {err}"
        );
    }
    // A run still in progress, and a directory with files a backup does not write, stay.
    for kept in [
        format!(".running.tmp-{alive}"),
        format!(".notours.tmp-{dead}"),
    ] {
        assert!(root.join(&kept).exists(), "{kept} was removed");
    }
    // An older build's `.<target>.restore-tmp` goes with the next restore into that target.
    assert!(root.join(".r2.restore-tmp").exists());
    let out = ldb(&["restore", &s(&root.join("bk")), &s(&root.join("r2"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!root.join(".r2.restore-tmp").exists(), "{err}");
    assert!(err.contains("ldb: removed"), "{err}");
    assert_eq!(
        names_in(root),
        [
            format!(".notours.tmp-{dead}"),
            format!(".running.tmp-{alive}"),
            "bk".into(),
            "db".into(),
            "r2".into()
        ]
    );
}

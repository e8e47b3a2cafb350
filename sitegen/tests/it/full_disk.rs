//! A disk that fills while `sitegen` writes: on a small tmpfs holding the whole repository, a
//! build or a run that runs out of space fails with an error naming the file system's
//! complaint (status 1, never a panic), leaves no half-written version or run behind, and
//! keeps every earlier version and the ledger intact. Mounting needs root; elsewhere the test
//! says it is skipped.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Fixture, sitegen_cmd as sitegen};

/// A tmpfs mounted on a fresh folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the file system under `dir` (a ballast file) until a write fails; returns it.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("ballast");
    let mut f = std::fs::File::create(&path).expect("ballast");
    let chunk = vec![0xA5u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

/// Every file under `dir` (the ledger's lock file aside) with the SHA-256 of its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    use sha2::Digest;
    let mut v: Vec<(PathBuf, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() != ".lock")
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("read");
            let hash = sha2::Sha256::digest(&bytes);
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            (e.path().to_path_buf(), hex)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_disk_leaves_no_half_written_version_or_run_and_keeps_the_earlier_ones() {
    let Some(fs) = Tmpfs::mount(64) else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    };
    let f = Fixture::new_in(fs.path());
    f.run(&["metrics", "junit"]);
    let ok = sitegen(f.root(), &["build", "--version", "v1"])
        .output()
        .expect("build v1");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let v1 = files_under(&f.root().join("site").join("v1"));
    let ledger = files_under(&f.evidence());
    assert!(!v1.is_empty());

    let ballast = fill(fs.path());
    let build = sitegen(f.root(), &["build", "--version", "v2"])
        .output()
        .expect("build v2");
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert_eq!(
        build.status.code(),
        Some(1),
        "build on a full disk: {stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !f.root().join("site").join("v2").exists(),
        "a half-written version was left"
    );
    let run = sitegen(f.root(), &["run", "--only", "metrics"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0), "a run on a full disk: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        files_under(&f.root().join("site").join("v1")),
        v1,
        "version v1 changed"
    );
    let after = files_under(&f.evidence());
    assert!(
        after == ledger,
        "the ledger changed: {:?}",
        after
            .iter()
            .filter(|e| !ledger.contains(e))
            .map(|e| &e.0)
            .collect::<Vec<_>>()
    );

    // With space again, everything works and nothing of the failed attempts is in the way.
    std::fs::remove_file(ballast).expect("free space");
    let verify = sitegen(f.root(), &["verify"]).output().expect("verify");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let again = sitegen(f.root(), &["build", "--version", "v2"])
        .output()
        .expect("build v2 again");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(f.root().join("site").join("v2").join("index.html").exists());
}

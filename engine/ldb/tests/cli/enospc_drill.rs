//! `ldb drill enospc` end to end: on a tmpfs it mounts (as root), both WAL modes fill the disk
//! at a checkpoint and in the log, and every acknowledged commit survives; where no tmpfs can
//! be mounted the drill says so and reports no figures at all.

use std::process::Command;

use crate::common::metrics;

#[test]
fn a_full_disk_loses_no_acknowledged_commit_in_either_mode() {
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["drill", "enospc", "--rounds", "2", "--json"])
        .output()
        .expect("run ldb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let m = metrics(&out.stdout);
    if stderr.contains("drill enospc skipped") {
        assert!(m.is_empty(), "a skipped drill reports nothing: {m:?}");
        eprintln!("skipped here: {stderr}");
        return;
    }
    assert_eq!(m["enospc.drill.committed_lost"], 0.0, "{stderr}");
    assert_eq!(m["enospc.drill.partial_visible"], 0.0, "{stderr}");
    assert_eq!(m["enospc.drill.failures"], 0.0, "{stderr}");
    assert!(m["enospc.drill.commits_before_full"] > 100.0, "{stderr}");
    // Fill 0 fills during a checkpoint, fill 1 in the log (no checkpoints), in both modes.
    assert!(stderr.matches("writing a page of").count() >= 2, "{stderr}");
    assert_eq!(stderr.matches("WAL segment").count(), 2, "{stderr}");
    assert_eq!(m["enospc.drill.reopen_needed_more_space"], 2.0, "{stderr}");
}

#[test]
fn a_directory_that_never_fills_is_an_error_not_a_pass() {
    // /dev/shm or the temp dir is far larger than the drill's commit budget allows.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["drill", "enospc", "--rounds", "1", "--ballast-mib", "1"])
        .args(["--max-commits", "50", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run ldb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the disk is not full"), "{stderr}");
}

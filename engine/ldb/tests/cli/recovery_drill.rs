//! `ldb drill recovery` end to end: a short crash loop over real files (a writer process
//! SIGKILLed at seeded points) survives every crash, loses no acknowledged commit, shows no
//! partial transaction, and reports its figures as metrics JSON.

use std::process::Command;

use crate::common::metrics;

#[test]
fn a_short_drill_survives_every_crash_without_losing_a_commit() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args([
            "drill",
            "recovery",
            "--seed",
            "7",
            "--seeds",
            "2",
            "--crashes",
            "3",
        ])
        .args(["--max-acks", "12", "--json", "--dir"])
        .arg(scratch.path())
        .output()
        .expect("run ldb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "seed 7: {stderr}");
    let m = metrics(&out.stdout);
    assert_eq!(m["recovery.drill.crashes"], 6.0, "seed 7: {m:?}");
    assert_eq!(m["recovery.drill.failures"], 0.0, "seed 7: {m:?}");
    assert_eq!(m["recovery.drill.committed_lost"], 0.0, "seed 7: {m:?}");
    assert_eq!(m["recovery.drill.partial_visible"], 0.0, "seed 7: {m:?}");
    // Every crash waited for at least one acknowledgement.
    assert!(m["recovery.drill.acknowledged_commits"] >= 6.0, "{m:?}");
    let (p50, p95) = (
        m["recovery.drill.recovery_p50_ms"],
        m["recovery.drill.recovery_p95_ms"],
    );
    assert!(p50 > 0.0 && p95 >= p50, "{m:?}");
    // The scratch directory is cleaned up.
    assert_eq!(std::fs::read_dir(scratch.path()).expect("ls").count(), 0);
}

#[test]
fn the_writer_refuses_a_database_it_cannot_open() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let not_a_db = scratch.path().join("db");
    std::fs::create_dir(&not_a_db).expect("mkdir");
    std::fs::write(not_a_db.join("data.ldb"), b"not a database").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["drill-writer", "--start", "0"])
        .arg(&not_a_db)
        .output()
        .expect("run ldb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("data.ldb") || stderr.contains(&*not_a_db.to_string_lossy()),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing acknowledged");
}

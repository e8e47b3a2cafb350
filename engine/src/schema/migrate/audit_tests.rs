//! The audit on the demo migrations (every expectation holds) and on folders with a planted
//! fault: a down that does not reverse its up, a migration whose SQL fails, a folder with a
//! gap — each must make its count non-zero.

use std::path::{Path, PathBuf};

use super::audit::{AuditReport, audit};
use super::test_engine::write;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo/migrations")
}

fn run(dir: &Path) -> AuditReport {
    let scratch = tempfile::tempdir().expect("scratch");
    audit(dir, scratch.path()).expect("audit")
}

/// A copy of the demo folder in `to`, for planting faults.
fn demo_copy(to: &Path) {
    for entry in std::fs::read_dir(demo()).expect("demo folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn the_demo_migrations_pass_every_expectation() {
    let r = run(&demo());
    assert!(r.is_clean(), "{:#?}", r.checks);
    assert_eq!(r.migrations, 4);
    let names: Vec<&str> = r.checks.iter().map(|c| c.name).collect();
    for want in [
        "idempotent-rerun",
        "deterministic-order",
        "same-result-on-a-second-database",
        "checksum-up",
        "checksum-down",
        "gap",
        "out-of-order",
        "history-entry-without-file",
        "rollback-simulation",
        "orphan-scan",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}

#[test]
fn a_down_that_does_not_reverse_its_up_is_a_rollback_failure() {
    let dir = tempfile::tempdir().expect("dir");
    demo_copy(dir.path());
    // Reverting the status column leaves it in place.
    write(
        dir.path(),
        "0003_add_status_column.down.sql",
        "UPDATE accounts SET status = 'open';\n",
    );
    let r = run(dir.path());
    assert!(r.rollback_sim_failures() >= 1, "{:#?}", r.checks);
    assert_eq!(r.audit_failures(), 0, "{:#?}", r.checks);
    assert_eq!(r.orphaned(), 0);
}

#[test]
fn a_failing_migration_fails_the_audit_and_leaves_orphans() {
    let dir = tempfile::tempdir().expect("dir");
    demo_copy(dir.path());
    write(
        dir.path(),
        "0003_add_status_column.up.sql",
        "ALTER TABLE no_such_table ADD COLUMN status TEXT;\n",
    );
    let r = run(dir.path());
    assert!(r.audit_failures() >= 1, "{:#?}", r.checks);
    // Versions 3 and 4 were never applied by `up`.
    assert_eq!(r.orphaned(), 2, "{:?}", r.orphans);
    assert!(r.orphans.iter().any(|o| o.contains("version 3")));
    assert!(r.rollback_sim_failures() >= 1);
}

#[test]
fn a_folder_with_a_gap_fails_the_audit() {
    let dir = tempfile::tempdir().expect("dir");
    demo_copy(dir.path());
    for half in ["up", "down"] {
        std::fs::rename(
            dir.path().join(format!("0004_create_transfers.{half}.sql")),
            dir.path().join(format!("0006_create_transfers.{half}.sql")),
        )
        .expect("rename");
    }
    let r = run(dir.path());
    let rerun = r
        .checks
        .iter()
        .find(|c| c.name == "idempotent-rerun")
        .expect("rerun check");
    assert!(!rerun.ok, "{rerun:?}");
    assert!(r.audit_failures() >= 1);
}

//! `ldb fuzz` end to end: every target runs its budget over a fresh corpus without a crash,
//! figures as metrics JSON, and bad arguments are errors naming what was expected.

use crate::common::{ldb, metric};

#[test]
fn every_target_runs_its_budget_without_a_crash() {
    let out = ldb(&["fuzz", "--executions", "300", "--seed", "11", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json = String::from_utf8_lossy(&out.stdout);
    let value = |name: &str| metric(&json, name);
    assert_eq!(value("fuzz.executions"), 13.0 * 300.0);
    assert_eq!(value("fuzz.crashes"), 0.0);
    for t in ["page", "wal_payload", "chunk", "sql", "backup_manifest"] {
        assert_eq!(value(&format!("fuzz.{t}.executions")), 300.0);
        assert!(value(&format!("fuzz.{t}.distinct_refusals")) > 0.0, "{t}");
    }
}

#[test]
fn one_target_by_name_and_bad_arguments() {
    let out = ldb(&[
        "fuzz",
        "--target",
        "wal_header",
        "--executions",
        "50",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("fuzz.wal_header.executions") && !text.contains("fuzz.page."),
        "{text}"
    );
    let bad = ldb(&["fuzz", "--target", "pages"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown target is a usage error"
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("unknown fuzz target `pages` (expected one of: page,")
    );
    let bad = ldb(&["fuzz", "--seconds", "0"]);
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--seconds must be a positive number"));
}

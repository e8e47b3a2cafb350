//! `ldb drill sql-diff` end to end: a seeded stream of statements agrees with SQLite, the
//! figures are metrics JSON, and a bad argument is an error.

use crate::common::{ldb, metric};

#[test]
fn a_short_differential_run_agrees_with_sqlite() {
    let out = ldb(&[
        "drill",
        "sql-diff",
        "--seed",
        "7",
        "--seeds",
        "2",
        "--statements",
        "400",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json = String::from_utf8_lossy(&out.stdout);
    let value = |name: &str| metric(&json, name);
    assert_eq!(value("sqldiff.statements_compared"), 800.0);
    assert_eq!(value("sqldiff.mismatches"), 0.0);
    assert!(value("sqldiff.nonempty_results") > 100.0);
    assert!(value("sqldiff.both_refused") > 0.0);
}

#[test]
fn a_bad_argument_is_an_error() {
    let out = ldb(&["drill", "sql-diff", "--statements", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--statements"));
}

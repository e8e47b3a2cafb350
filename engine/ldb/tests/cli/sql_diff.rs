//! `ldb drill sql-diff` end to end: a seeded stream of statements agrees with SQLite, the
//! figures are metrics JSON, and a bad argument is an error.

use std::process::Command;

#[test]
fn a_short_differential_run_agrees_with_sqlite() {
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args([
            "drill",
            "sql-diff",
            "--seed",
            "7",
            "--seeds",
            "2",
            "--statements",
            "400",
            "--json",
        ])
        .output()
        .expect("run ldb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metrics JSON");
    let value = |name: &str| {
        doc["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(value("sqldiff.statements_compared"), 800.0);
    assert_eq!(value("sqldiff.mismatches"), 0.0);
    assert!(value("sqldiff.nonempty_results") > 100.0);
    assert!(value("sqldiff.both_refused") > 0.0);
}

#[test]
fn a_bad_argument_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["drill", "sql-diff", "--statements", "many"])
        .output()
        .expect("run ldb");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--statements"));
}

//! Helpers shared by the `ldb` command-line tests: run the binary, or run it and require success.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `ldb` with `args`.
pub fn ldb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(args)
        .output()
        .expect("ldb runs")
}

/// Runs `ldb` with arguments that need not be UTF-8 (paths).
pub fn ldb_os(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(args)
        .output()
        .expect("ldb runs")
}

/// Runs `ldb` with `args`, requires exit code 0 and returns its standard output.
pub fn ok(args: &[&str]) -> String {
    let out = ldb(args);
    assert!(
        out.status.success(),
        "ldb {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The value of metric `name` in the metrics JSON `json` (panics, naming it, if absent).
pub fn metric(json: &str, name: &str) -> f64 {
    let doc: serde_json::Value = serde_json::from_str(json).expect("metrics JSON");
    doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["value"].as_f64())
        .unwrap_or_else(|| panic!("no metric {name} in {json}"))
}

/// Every metric of the metrics JSON on `stdout` (format version 1), by name.
pub fn metrics(stdout: &[u8]) -> HashMap<String, f64> {
    let doc: serde_json::Value = serde_json::from_slice(stdout).expect("metrics JSON");
    assert_eq!(doc["format_version"], 1);
    doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_string(),
                m["value"].as_f64().expect("value"),
            )
        })
        .collect()
}

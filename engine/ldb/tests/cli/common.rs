//! Helpers shared by the `ldb` command-line tests: run the binary, or run it and require success.

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

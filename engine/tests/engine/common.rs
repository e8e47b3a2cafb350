//! Helpers shared by the modules of this test binary (a copy of the `ldb` runner in
//! `tests/common`, which the command-line test binaries use).

use std::process::{Command, Output};

/// Runs `ldb` with `args`.
pub fn ldb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(args)
        .output()
        .expect("ldb runs")
}

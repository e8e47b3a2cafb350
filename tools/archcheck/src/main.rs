//! `archcheck`: checks that the workspace's imports and dependencies follow
//! `docs/ARCHITECTURE.md`.
//!
//! Steps: read the map (`doc`) → read the workspace manifests (`workspace`) → walk each crate's
//! module tree from its roots and scan every non-test file (`lexer`, `items`) → resolve every
//! import to a listed module and compare layers (`check`). Prints one line per violation, naming
//! the file and line, and exits 1 if there is any.
//!
//! Usage: `cargo run -p archcheck [-- <workspace root>]` (default: the current directory).

mod check;
mod doc;
mod items;
mod lexer;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    match check::run(&root) {
        Ok(report) if report.violations.is_empty() => {
            println!(
                "archcheck: {} crates, {} modules, {} imports follow docs/ARCHITECTURE.md",
                report.crates, report.modules, report.imports
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for violation in &report.violations {
                eprintln!("{violation}");
            }
            eprintln!(
                "archcheck: {} violation(s) of docs/ARCHITECTURE.md",
                report.violations.len()
            );
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("archcheck: {error}");
            ExitCode::from(2)
        }
    }
}

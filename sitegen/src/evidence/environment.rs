//! Capturing the environment a run happens in: git commit and dirty flag (git2), rustc
//! version, Cargo.lock sha256, OS, CPU model and core count.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::evidence::hash;
use crate::evidence::record::Environment;

/// The current commit of the repository containing `root`, and whether the work tree differs
/// from it (untracked files count; ignored files do not).
pub fn git_state(root: &Path) -> Result<(String, bool)> {
    let repo = git2::Repository::discover(root)
        .with_context(|| format!("{}: not inside a git repository", root.display()))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .with_context(|| format!("{}: the repository has no commit at HEAD", root.display()))?;
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false);
    let dirty = !repo
        .statuses(Some(&mut opts))
        .with_context(|| format!("{}: while reading git status", root.display()))?
        .is_empty();
    Ok((head.id().to_string(), dirty))
}

fn first_line_of_command(root: &Path, program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_default()
}

fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
    match pretty {
        Some(p) => format!("{} ({p})", std::env::consts::OS),
        None => std::env::consts::OS.to_string(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Captures the environment of the repository at `root`.
pub fn capture(root: &Path) -> Result<Environment> {
    let (git_commit, dirty) = git_state(root)?;
    let lock = root.join("Cargo.lock");
    let cargo_lock_sha256 = if lock.exists() {
        Some(hash::file(&lock)?.0)
    } else {
        None
    };
    Ok(Environment {
        git_commit,
        dirty,
        rustc: first_line_of_command(root, "rustc", &["--version"]),
        cargo_lock_sha256,
        os: os_description(),
        cpu: cpu_model(),
        cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
    })
}

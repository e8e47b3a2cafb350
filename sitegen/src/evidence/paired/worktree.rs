//! The baseline's tree: a detached git worktree of the baseline commit at
//! `target/paired/<commit>/` (first 8 hex digits), created once and reused while it is at that
//! commit and clean. Steps: resolve the revision to a commit → reuse the folder when present
//! (refuse a dirty or moved one, naming it) → otherwise `git worktree add --detach`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::ids::short_commit;

/// Where baseline worktrees live, relative to the repository root.
pub const PAIRED_DIR: &str = "target/paired";

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .with_context(|| {
            format!(
                "while running `git {}` in {}",
                args.join(" "),
                dir.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "`git {}` in {} failed: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The full commit id `rev` names in the repository at `root`.
pub fn resolve(root: &Path, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("--baseline `{rev}` is not a revision");
    }
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .with_context(|| format!("--baseline `{rev}` names no commit"))
}

/// The worktree of `commit` under `root`/[`PAIRED_DIR`], created if absent; an existing one
/// is reused only when it is at `commit` and has no changes (ignored files, such as its own
/// `target/`, do not count).
pub fn prepare(root: &Path, commit: &str) -> Result<PathBuf> {
    let dir = root.join(PAIRED_DIR).join(short_commit(commit));
    if dir.join(".git").exists() {
        let head = git(&dir, &["rev-parse", "HEAD"])?;
        let status = git(&dir, &["status", "--porcelain"])?;
        if head != commit || !status.is_empty() {
            bail!(
                "{}: the baseline worktree is {}; remove it (`git worktree remove --force {}`) \
                 and run again",
                dir.display(),
                if head != commit {
                    format!(
                        "at {} instead of {}",
                        short_commit(&head),
                        short_commit(commit)
                    )
                } else {
                    format!("not clean ({} changed paths)", status.lines().count())
                },
                dir.display()
            );
        }
        return Ok(dir);
    }
    if dir.exists() {
        bail!(
            "{}: exists but is not a git worktree; remove it and run again",
            dir.display()
        );
    }
    std::fs::create_dir_all(root.join(PAIRED_DIR))
        .with_context(|| format!("while creating {}", root.join(PAIRED_DIR).display()))?;
    // A worktree folder deleted by hand leaves a registration behind that blocks `add`.
    git(root, &["worktree", "prune"])?;
    let dir_text = dir.to_string_lossy().to_string();
    git(root, &["worktree", "add", "--detach", &dir_text, commit])?;
    Ok(dir)
}

//! The chain head committed at git `HEAD`: the anchor a working tree's ledger is compared with.
//!
//! The ledger's own chain proves that no run inside it was changed, but not that its newest
//! runs are all there: removing them and rewriting `chain-head.json` to name the new newest
//! run leaves a chain that verifies. Git history cannot be rewritten that quietly, so `verify`
//! reads `evidence/chain-head.json` as committed at `HEAD` (and the run folders committed
//! there) and requires the working tree's ledger to hold that head — see
//! [`crate::evidence::verify::check_anchor`].

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use crate::evidence::ledger::{CHAIN_HEAD, ChainHead, parse_json, parse_run_id};

/// What `HEAD` commits of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Nothing to anchor to, and why: no repository, no commits, the evidence folder outside
    /// the work tree, or no chain head committed at `HEAD`.
    Unanchored(String),
    /// `HEAD` commits a chain head.
    Head {
        /// `HEAD`'s commit id, abbreviated to 8 hex digits.
        commit: String,
        /// The committed `chain-head.json`.
        head: ChainHead,
        /// The run folders committed at `HEAD`, in id order.
        runs: Vec<String>,
    },
}

/// The ledger in `evidence` (a folder of the repository at `root`) as committed at `HEAD`.
/// Errors only when the repository or a committed chain head cannot be read.
pub fn committed(root: &Path, evidence: &Path) -> Result<Committed> {
    let repo = match git2::Repository::discover(root) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Ok(Committed::Unanchored(format!(
                "{} is not in a git repository",
                root.display()
            )));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!("while opening the git repository at {}", root.display())
            });
        }
    };
    let Some(rel) = repo.workdir().and_then(|work| relative_to(work, evidence)) else {
        return Ok(Committed::Unanchored(format!(
            "{} is not inside the git work tree",
            evidence.display()
        )));
    };
    let Some(head) = crate::util::git::head(&repo)? else {
        return Ok(Committed::Unanchored(
            "the git repository has no commits yet".into(),
        ));
    };
    let commit = head
        .peel_to_commit()
        .context("while reading the commit at git HEAD")?;
    let id = commit.id().to_string();
    let short = crate::util::ids::short_commit(&id).to_string();
    let tree = commit
        .tree()
        .with_context(|| format!("while reading the tree of commit {short}"))?;
    let head_rel = rel.join(CHAIN_HEAD);
    let label = format!("HEAD ({short}):{}", slashed(&head_rel));
    let entry = match tree.get_path(&head_rel) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Ok(Committed::Unanchored(format!(
                "HEAD ({short}) commits no {}",
                slashed(&head_rel)
            )));
        }
        Err(e) => return Err(e).with_context(|| format!("while looking up {label}")),
    };
    let blob = entry
        .to_object(&repo)
        .and_then(|o| o.peel_to_blob())
        .with_context(|| format!("while reading {label}"))?;
    let head: ChainHead = parse_json(Path::new(&label), blob.content())?;
    let mut runs = Vec::new();
    if let Ok(dir) = tree.get_path(&rel)
        && let Ok(object) = dir.to_object(&repo)
        && let Some(dir) = object.as_tree()
    {
        for e in dir.iter() {
            if e.kind() == Some(git2::ObjectType::Tree)
                && let Some(name) = e.name()
                && parse_run_id(name).is_ok()
            {
                runs.push(name.to_string());
            }
        }
    }
    runs.sort();
    Ok(Committed::Head {
        commit: short,
        head,
        runs,
    })
}

/// `path` relative to the work tree `work`, both made absolute (the path itself may not exist
/// yet: then its parent is resolved); `None` when it lies outside.
fn relative_to(work: &Path, path: &Path) -> Option<PathBuf> {
    let work = work.canonicalize().ok()?;
    let path = match path.canonicalize() {
        Ok(p) => p,
        Err(_) => path.parent()?.canonicalize().ok()?.join(path.file_name()?),
    };
    let rel = path.strip_prefix(&work).ok()?;
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| rel.to_path_buf())
}

/// A relative path with `/` separators, as git names it.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_repository_and_no_commits_are_unanchored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let evidence = dir.path().join("evidence");
        let c = committed(dir.path(), &evidence).expect("reads");
        assert!(
            matches!(&c, Committed::Unanchored(why) if why.contains("not in a git repository")),
            "{c:?}"
        );
        git2::Repository::init(dir.path()).expect("init");
        let c = committed(dir.path(), &evidence).expect("reads");
        assert!(
            matches!(&c, Committed::Unanchored(why) if why.contains("no commits")),
            "{c:?}"
        );
    }
}

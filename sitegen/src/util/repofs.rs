//! Reading the repository's input files, with one rule for every input the build and the gate
//! read (`sitegen.toml`, the plan and sign-offs, `content/`, `adr/`, `templates/`, the evidence
//! ledger, `benchmark_results/`, artifacts named by the plan):
//!
//! **a path that resolves outside the repository is an error** naming the path, what it points
//! to and that this is outside the repository; a symbolic link that resolves inside the
//! repository is followed like the file or folder it points to, in every folder alike.
//!
//! [`Repo::check`] is that rule for one path; [`Repo::files`] lists a folder's files under it
//! (following inside links, refusing outside ones), and [`Repo::check_tree`] applies it to a
//! whole folder. Paths that do not exist are not this module's business: callers decide whether
//! a missing file is an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A repository root, canonicalised once.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
    canonical: PathBuf,
}

impl Repo {
    /// The repository at `root`. A root that cannot be resolved (it does not exist) is kept as
    /// given; nothing under it exists either, so every [`Repo::check`] passes.
    pub fn open(root: &Path) -> Repo {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Repo {
            root: root.to_path_buf(),
            canonical,
        }
    }

    /// The root as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The rule: `path` (absolute, or relative to the working directory) must not resolve
    /// outside the repository. A missing path passes; a symbolic link that points nowhere is an
    /// error naming it.
    pub fn check(&self, path: &Path) -> Result<()> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("while reading {}", path.display())),
        };
        let link = meta
            .file_type()
            .is_symlink()
            .then(|| std::fs::read_link(path).ok())
            .flatten();
        let resolved = match std::fs::canonicalize(path) {
            Ok(resolved) => resolved,
            Err(e) => match &link {
                Some(target) => bail!(
                    "{}: is a symbolic link to `{}`, which cannot be followed ({e})",
                    path.display(),
                    target.display()
                ),
                None => {
                    return Err(e).with_context(|| format!("while resolving {}", path.display()));
                }
            },
        };
        if resolved.starts_with(&self.canonical) {
            return Ok(());
        }
        match link {
            Some(target) => bail!(
                "{}: is a symbolic link to `{}` ({}), which is outside the repository {}; \
                 inputs must be files of the repository",
                path.display(),
                target.display(),
                resolved.display(),
                self.root.display()
            ),
            None => bail!(
                "{}: resolves through a symbolic link to {}, which is outside the repository \
                 {}; inputs must be files of the repository",
                path.display(),
                resolved.display(),
                self.root.display()
            ),
        }
    }

    /// Reads a file after [`Repo::check`].
    pub fn read(&self, path: &Path) -> Result<Vec<u8>> {
        self.check(path)?;
        std::fs::read(path).with_context(|| format!("while reading {}", path.display()))
    }

    /// Reads a text file after [`Repo::check`].
    pub fn read_to_string(&self, path: &Path) -> Result<String> {
        self.check(path)?;
        std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))
    }

    /// Every file under `dir` (only its own entries unless `recursive`), sorted by path, as
    /// paths under `dir` (a file reached through a link is named through the link). Every
    /// entry, not only the files returned, is held to [`Repo::check`]; links inside the
    /// repository are followed, a link that leads back to a folder already listed is listed
    /// once. A missing `dir` has no files.
    pub fn files(&self, dir: &Path, recursive: bool) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.check(dir)?;
        if dir.is_dir() {
            self.walk(dir, recursive, &mut seen, &mut out)?;
        }
        out.sort();
        Ok(out)
    }

    /// Applies [`Repo::check`] to `path` and, when it is a folder, to everything under it.
    pub fn check_tree(&self, path: &Path) -> Result<()> {
        self.files(path, true).map(drop)
    }

    fn walk(
        &self,
        dir: &Path,
        recursive: bool,
        seen: &mut HashSet<PathBuf>,
        out: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let canonical = std::fs::canonicalize(dir)
            .with_context(|| format!("while resolving {}", dir.display()))?;
        if !seen.insert(canonical) {
            return Ok(());
        }
        let depth = if recursive { usize::MAX } else { 1 };
        for entry in walkdir::WalkDir::new(dir)
            .min_depth(1)
            .max_depth(depth)
            .sort_by_file_name()
        {
            let entry = entry.with_context(|| format!("while listing {}", dir.display()))?;
            let path = entry.path();
            let is_file = if entry.path_is_symlink() {
                self.check(path)?;
                if path.is_dir() {
                    if recursive {
                        self.walk(path, recursive, seen, out)?;
                    }
                    continue;
                }
                path.is_file()
            } else {
                entry.file_type().is_file()
            };
            if is_file {
                out.push(path.to_path_buf());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_are_followed_and_links_outside_are_errors() {
        let repo_dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let root = repo_dir.path();
        std::fs::create_dir_all(root.join("a/sub")).expect("mkdir");
        std::fs::write(root.join("a/one.md"), "1").expect("write");
        std::fs::write(root.join("a/sub/two.md"), "2").expect("write");
        std::fs::create_dir_all(root.join("b")).expect("mkdir");
        std::os::unix::fs::symlink("../a/one.md", root.join("b/link.md")).expect("link");
        std::os::unix::fs::symlink("../a/sub", root.join("b/dir")).expect("link");
        std::os::unix::fs::symlink("..", root.join("b/loop")).expect("link");
        let repo = Repo::open(root);
        let files = repo.files(&root.join("b"), true).expect("inside links");
        let names: Vec<_> = files
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect();
        assert!(names.contains(&"b/link.md".to_string()), "{names:?}");
        assert!(names.contains(&"b/dir/two.md".to_string()), "{names:?}");
        assert_eq!(repo.files(&root.join("b"), false).expect("flat").len(), 1);
        assert_eq!(
            repo.read_to_string(&root.join("b/link.md")).expect("read"),
            "1"
        );
        assert!(
            repo.files(&root.join("missing"), true)
                .expect("none")
                .is_empty()
        );

        std::fs::write(outside.path().join("secret"), "s").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("b/out.md"))
            .expect("link");
        let err = repo.files(&root.join("b"), true).expect_err("outside");
        let msg = format!("{err:#}");
        assert!(msg.contains("b/out.md"), "{msg}");
        assert!(msg.contains("secret"), "{msg}");
        assert!(msg.contains("outside the repository"), "{msg}");
        assert!(repo.read(&root.join("b/out.md")).is_err());
        std::fs::remove_file(root.join("b/out.md")).expect("rm");

        std::os::unix::fs::symlink(outside.path(), root.join("c")).expect("link");
        let msg = format!(
            "{:#}",
            repo.check(&root.join("c/secret")).expect_err("parent")
        );
        assert!(msg.contains("outside the repository"), "{msg}");
        std::os::unix::fs::symlink("nowhere", root.join("b/dangling")).expect("link");
        let msg = format!(
            "{:#}",
            repo.check_tree(&root.join("b")).expect_err("dangling")
        );
        assert!(
            msg.contains("b/dangling") && msg.contains("nowhere"),
            "{msg}"
        );
    }
}

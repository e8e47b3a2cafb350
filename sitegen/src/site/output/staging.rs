//! The staging tree: the version's files written under `target/sitegen-cache/staging/<V>-<pid>/` while
//! the build renders (steps 1 and 2 of [`crate::site::output`]).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::site::incremental::reuse::ReuseFailed;
use crate::site::job::PageJob;
use crate::site::load::Loaded;

/// The folder, under the build's state folder ([`crate::project::CACHE_DIR`]), holding the temporary trees of a build: the
/// staging tree of the version being built, a replaced version moved aside and the new
/// `latest` link, each named `<what>-<pid>`. (The version lists and the root redirect are
/// replaced by [`crate::util::atomic::replace`], through `site/.tmp-<name>-<pid>`.)
pub const STAGING: &str = "staging";

/// `<cache>/staging/` for the build's state folder `cache`.
pub fn staging_dir(cache: &Path) -> PathBuf {
    cache.join(STAGING)
}

/// The version's tree while it is being written; removed when dropped unpublished.
#[derive(Debug)]
pub struct Staging {
    pub(super) dir: PathBuf,
    /// The staging folder ([`staging_dir`]) `dir` is in: where publishing puts its other
    /// temporary trees.
    pub(super) root: PathBuf,
    files: HashSet<String>,
    /// `files` and the evidence store's files as pages link to them (`../evidence/…`): what
    /// the link checker may find.
    linkable: HashSet<String>,
    pub(super) published: bool,
}

/// The file `name` of the page at `path`, relative to the version root.
pub fn page_file(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

impl Staging {
    /// Step 1: the temporary tree for `jobs` and the template assets. `evidence` lists the
    /// evidence store's files as pages link to them ([`super::evidence::link_target`]): they
    /// are not part of the version (the store is beside it), but links to them are checked.
    pub fn create(
        site_dir: &Path,
        cache: &Path,
        force: bool,
        loaded: &Loaded,
        jobs: &[PageJob],
        evidence: impl IntoIterator<Item = String>,
    ) -> Result<Staging> {
        let version = &loaded.version;
        if !force {
            refuse_existing(site_dir, version)?;
        }
        let mut files: HashSet<String> = HashSet::with_capacity(jobs.len() * 2 + 4);
        let mut count = 0;
        for job in jobs {
            files.insert(page_file(&job.path, "index.html"));
            files.insert(page_file(&job.path, "data.json"));
            count += 2;
        }
        for (name, _) in &loaded.templates.assets {
            files.insert(format!("assets/{name}"));
            count += 1;
        }
        if files.len() != count {
            bail!("two pages would be written to the same path; check content page names");
        }
        let staging_root = staging_dir(cache);
        std::fs::create_dir_all(&staging_root)
            .with_context(|| format!("while creating {}", staging_root.display()))?;
        let dir = staging_root.join(format!("{version}-{}", std::process::id()));
        remove_if_exists(&dir)?;
        let mut linkable = files.clone();
        linkable.extend(evidence);
        let staging = Staging {
            dir,
            root: staging_root,
            files,
            linkable,
            published: false,
        };
        create_dirs(&staging.dir, &staging.files)?;
        for (name, text) in &loaded.templates.assets {
            let path = staging.dir.join("assets").join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("while writing {}", path.display()))?;
        }
        Ok(staging)
    }

    /// Writes a file that belongs to no page (`search-index.js`, `pages.js`) at `rel` under the
    /// version root, which must not be taken by a page or an asset.
    pub fn add_file(&mut self, rel: &str, text: &str) -> Result<()> {
        if !self.files.insert(rel.to_string()) {
            bail!("{rel} would be written twice");
        }
        self.linkable.insert(rel.to_string());
        let path = self.dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("while writing {}", path.display()))
    }

    /// Every file of the version, relative to its root.
    pub fn files(&self) -> &HashSet<String> {
        &self.files
    }

    /// Every file a page may link to: the version's, and the evidence store's as
    /// `../evidence/…`.
    pub fn linkable(&self) -> &HashSet<String> {
        &self.linkable
    }

    /// The staging folder this tree is in (where other temporary files of the build go).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes the two files of the page at `path`.
    pub fn write_page(&self, path: &str, html: &str, data: &str) -> Result<()> {
        for (name, bytes) in [("index.html", html), ("data.json", data)] {
            let file = self.dir.join(page_file(path, name));
            std::fs::write(&file, bytes)
                .with_context(|| format!("while writing {}", file.display()))?;
        }
        Ok(())
    }

    /// Shares the two files of the page at `path` with the previous version in `from`: hard
    /// links, or copies where linking fails; a [`ReuseFailed`] error when neither works.
    pub fn share_page(&self, path: &str, from: &Path) -> Result<()> {
        for name in ["index.html", "data.json"] {
            let rel = page_file(path, name);
            let (source, target) = (from.join(&rel), self.dir.join(&rel));
            if std::fs::hard_link(&source, &target).is_err() {
                std::fs::copy(&source, &target).map_err(|error| {
                    anyhow::Error::new(ReuseFailed {
                        file: source.clone(),
                        error,
                    })
                })?;
            }
        }
        Ok(())
    }

    /// The HTML written for the page at `path`.
    pub fn read_html(&self, path: &str) -> Result<String> {
        let file = self.dir.join(page_file(path, "index.html"));
        std::fs::read_to_string(&file).with_context(|| format!("while reading {}", file.display()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Fails when `<site_dir>/<version>/` is already published: versions are immutable unless the
/// build is forced.
pub fn refuse_existing(site_dir: &Path, version: &str) -> Result<()> {
    let dir = site_dir.join(version);
    if dir.exists() {
        bail!(
            "{} already exists: published versions are immutable (pass --force to replace it, \
             or --version to name this build differently)",
            dir.display()
        );
    }
    Ok(())
}

/// Creates every directory `files` needs under `dir`, once each.
pub(super) fn create_dirs(dir: &Path, files: &HashSet<String>) -> Result<()> {
    // Every folder a file needs, by depth and then by parent: each level is created once the
    // level above it exists, its parents in parallel and each parent's children by one thread
    // (creating an entry locks its parent folder, so threads sharing a parent would only wait
    // for each other). One `mkdir` per folder, no `create_dir_all` probing.
    let mut levels: Vec<BTreeMap<&str, Vec<&str>>> = Vec::new();
    for name in files {
        let mut end = 0;
        let mut depth = 0;
        while let Some(slash) = name[end..].find('/') {
            let parent = name.get(..end.saturating_sub(1)).unwrap_or_default();
            end += slash;
            if levels.len() <= depth {
                levels.push(BTreeMap::new());
            }
            levels[depth].entry(parent).or_default().push(&name[..end]);
            end += 1;
            depth += 1;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("while creating {}", dir.display()))?;
    for level in levels {
        level.par_iter().try_for_each(|(_, children)| {
            let mut children = children.clone();
            children.sort_unstable();
            children.dedup();
            children.iter().try_for_each(|rel| {
                let path = dir.join(rel);
                match std::fs::create_dir(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        Err(e).with_context(|| format!("while creating {}", path.display()))
                    }
                    _ => Ok(()),
                }
            })
        })?;
    }
    Ok(())
}

/// Removes the tree `dir` when it exists.
pub(super) fn remove_if_exists(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("while removing {}", dir.display()))?;
    }
    Ok(())
}

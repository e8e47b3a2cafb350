//! The write phase: publish one version of the site without ever exposing a half-written tree.
//!
//! Steps, in order:
//! 1. ([`Staging::create`], before rendering) refuse if `site/<V>/` exists (published versions
//!    are immutable) unless `--force`; lay out the version's files (known from the page jobs)
//!    and create the temporary directory `site/.cache/staging/<V>-<pid>/` with every folder
//!    and the assets. Staging lives under `site/.cache/` — never among the published versions,
//!    on the same file system so that the final rename is atomic — and so does every other
//!    temporary file or tree of a build ([`STAGING`]); a build first removes what builds that
//!    were killed left there ([`remove_leftovers`]);
//! 2. (render phase) each page is written there as soon as it is rendered
//!    ([`Staging::write_page`]) — or hard-linked from the previous version when it is shared
//!    ([`Staging::share_page`]) — so no more than a page per thread is held in memory, and its
//!    links are scanned ([`links::scan`]);
//! 3. ([`check`], its own build phase) every anchor the pages link to must exist; nothing is
//!    published if a link is broken; the error names the page and the link;
//! 4. ([`publish`] from here on) rename the temporary tree to `site/<V>/` (with `--force`, the
//!    old tree is first renamed aside, then removed); a build that fails earlier removes it;
//! 5. point `site/latest` at the newest version: a relative symbolic link (`latest -> <V>`),
//!    replaced atomically by creating it under a temporary name and renaming it over the old
//!    one — two system calls however large the site. Where symbolic links are not available, a
//!    full copy (hard links where possible) is made instead, by the same
//!    write-aside-and-rename. Deploy steps that upload the tree dereference the link (e.g.
//!    `tar --dereference`), so static hosts get a plain copy;
//! 6. write `site/versions.json`, `site/versions.js`, `site/versions.html` and the root
//!    redirect `site/index.html`, each through a temporary file and a rename.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::reuse::{PageRecord, Previous, ReuseFailed};
use super::{BuildOptions, Loaded, PageJob, RenderedPage, links, versions};

/// The folder, under `site/.cache/`, holding every temporary file and tree of a build: the
/// staging tree of the version being built, a replaced version moved aside, the new `latest`
/// link and the new `versions.json`, each named `<what>-<pid>`.
pub const STAGING: &str = "staging";

/// `site/.cache/staging/` for the site folder `site_dir`.
pub fn staging_dir(site_dir: &Path) -> PathBuf {
    site_dir.join(".cache").join(STAGING)
}

/// Whether process `pid` is running: `/proc/<pid>` exists. Without `/proc` (not Linux) it
/// cannot be told, and the answer is yes (nothing is removed on a guess).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// The pid a temporary name ends with (`<what>-<pid>`, `<name>.tmp-<pid>`).
fn leftover_pid(name: &str) -> Option<u32> {
    let (_, pid) = name.rsplit_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Removes what builds that did not finish (killed, or the machine went down) left behind:
/// every entry of `site/.cache/staging/` whose pid is no longer running, and — from builds
/// before staging moved there — `site/.tmp-*-<pid>`, `site/.old-*-<pid>` and
/// `site/*.tmp-<pid>` entries of dead pids. Returns what was removed. Called by a build while
/// it holds the site lock, so no other build is using them.
pub fn remove_leftovers(site_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let candidates = |dir: &Path, legacy: bool| -> Result<Vec<(PathBuf, u32)>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("while listing {}", dir.display())),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("while listing {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().to_string();
            // Version names never start with `.`; the temporary lists were files.
            let ours = !legacy
                || name.starts_with(".tmp-")
                || name.starts_with(".old-")
                || (["versions.tmp-", "index.tmp-"]
                    .iter()
                    .any(|p| name.starts_with(p))
                    && entry.file_type().is_ok_and(|t| t.is_file()));
            if let Some(pid) = leftover_pid(&name).filter(|_| ours) {
                out.push((entry.path(), pid));
            }
        }
        Ok(out)
    };
    let mut found = candidates(&staging_dir(site_dir), false)?;
    found.extend(candidates(site_dir, true)?);
    for (path, pid) in found {
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        let result = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "while removing {}, left by a build that did not finish",
                        path.display()
                    )
                });
            }
        }
    }
    Ok(removed)
}

/// The version's tree while it is being written; removed when dropped unpublished.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    files: HashSet<String>,
    published: bool,
}

fn page_file(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

impl Staging {
    /// Step 1: the temporary tree for `jobs` and the template assets.
    pub fn create(options: &BuildOptions, loaded: &Loaded, jobs: &[PageJob]) -> Result<Staging> {
        let site_dir = options.root.join("site");
        let version = &loaded.version;
        if !options.force {
            refuse_existing(options, version)?;
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
        let staging_root = staging_dir(&site_dir);
        std::fs::create_dir_all(&staging_root)
            .with_context(|| format!("while creating {}", staging_root.display()))?;
        let dir = staging_root.join(format!("{version}-{}", std::process::id()));
        remove_if_exists(&dir)?;
        let staging = Staging {
            dir,
            files,
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

    /// Every file of the version, relative to its root.
    pub fn files(&self) -> &HashSet<String> {
        &self.files
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

/// Step 3: checks every fragment the rendered pages link to, and the links of shared pages
/// (see `reuse.rs`); returns what the next build needs to share this version's pages.
pub fn check(
    pages: &[RenderedPage],
    staging: &Staging,
    previous: Option<&Previous>,
) -> Result<BTreeMap<String, PageRecord>> {
    let files: Vec<String> = pages
        .iter()
        .map(|p| page_file(&p.path, "index.html"))
        .collect();
    let mut broken: Vec<String> = pages
        .iter()
        .flat_map(|p| p.broken.iter().cloned())
        .collect();
    let mut owned: HashMap<String, HashSet<String>> = HashMap::new();
    let any_shared = pages.iter().any(|p| p.shared);
    if any_shared {
        let Some(prev) = previous else {
            bail!("internal error: pages marked as shared without a previous version");
        };
        let page_paths: HashSet<&str> = pages.iter().map(|p| p.path.as_str()).collect();
        let fresh: HashMap<&str, HashSet<String>> = pages
            .iter()
            .filter(|p| !p.shared)
            .map(|p| (p.path.as_str(), p.ids.clone()))
            .collect();
        if prev.still_reachable(&page_paths, &fresh) {
            for (page, file) in pages.iter().zip(&files).filter(|(p, _)| p.shared) {
                let ids = prev.ids(&page.path).unwrap_or_default();
                owned.insert(file.clone(), ids.iter().cloned().collect());
            }
        } else {
            // Something a shared page may link to is gone: scan the shared pages too.
            let scanned: Vec<(String, links::PageLinks)> = pages
                .par_iter()
                .zip(&files)
                .filter(|(p, _)| p.shared)
                .map(|(p, file)| {
                    let html = staging.read_html(&p.path)?;
                    Ok((file.clone(), links::scan(file, &html, staging.files())))
                })
                .collect::<Result<_>>()?;
            let mut fragments = Vec::new();
            for (file, s) in scanned {
                broken.extend(s.broken);
                fragments.push((file.clone(), s.fragments));
                owned.insert(file, s.ids);
            }
            let anchors = anchors_of(pages, &files, &owned);
            for (file, f) in &fragments {
                broken.extend(links::check_fragments(file, f, &anchors));
            }
        }
    }
    let anchors = anchors_of(pages, &files, &owned);
    for (page, file) in pages.iter().zip(&files) {
        broken.extend(links::check_fragments(file, &page.fragments, &anchors));
    }
    links::report(broken)?;
    let mut record = BTreeMap::new();
    for (page, file) in pages.iter().zip(&files) {
        let Some(key) = &page.key else { continue };
        let mut ids: Vec<String> = anchors
            .get(file.as_str())
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        record.insert(
            page.path.clone(),
            PageRecord {
                key: key.clone(),
                ids,
                body: page.body_key.clone(),
            },
        );
    }
    Ok(record)
}

/// The anchors of every page by file: rendered pages' own, shared pages' from `owned`.
fn anchors_of<'a>(
    pages: &'a [RenderedPage],
    files: &'a [String],
    owned: &'a HashMap<String, HashSet<String>>,
) -> HashMap<&'a str, &'a HashSet<String>> {
    let mut anchors: HashMap<&str, &HashSet<String>> = pages
        .iter()
        .zip(files)
        .filter(|(p, _)| !p.shared)
        .map(|(p, f)| (f.as_str(), &p.ids))
        .collect();
    for (file, ids) in owned {
        anchors.insert(file.as_str(), ids);
    }
    anchors
}

/// Publishes the staged tree as `site/<version>/` (steps 4–6) and returns that directory.
pub fn publish(options: &BuildOptions, loaded: &Loaded, mut staging: Staging) -> Result<PathBuf> {
    let site_dir = options.root.join("site");
    let version = &loaded.version;
    let final_dir = site_dir.join(version);
    if !options.force {
        refuse_existing(options, version)?;
    }
    // 4. Move into place.
    swap_into_place(&staging.dir, &final_dir, &site_dir, version)?;
    staging.published = true;

    // 5. latest -> <version>.
    point_latest(&site_dir, version, &staging.files)?;

    // 6. versions.json, versions.js, versions.html, root redirect.
    let list = versions::with_new(&loaded.versions, version, version);
    let (json, js) = versions::render_files(&list)?;
    write_atomic(&site_dir, "versions.json", json.as_bytes())?;
    write_atomic(&site_dir, "versions.js", js.as_bytes())?;
    write_atomic(
        &site_dir,
        "versions.html",
        versions::render_page(&list).as_bytes(),
    )?;
    write_atomic(&site_dir, "index.html", redirect_page(version).as_bytes())?;
    Ok(final_dir)
}

/// Creates every directory `files` needs under `dir`, once each.
fn create_dirs(dir: &Path, files: &HashSet<String>) -> Result<()> {
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

/// Makes `to` a copy of the published tree `from` (which holds exactly `files`): hard links,
/// falling back to copying where linking is not supported.
fn link_tree(from: &Path, to: &Path, files: &HashSet<String>) -> Result<()> {
    create_dirs(to, files)?;
    files.par_iter().try_for_each(|name| {
        let (source, target) = (from.join(name), to.join(name));
        if std::fs::hard_link(&source, &target).is_ok() {
            return Ok(());
        }
        std::fs::copy(&source, &target)
            .map(|_| ())
            .with_context(|| format!("while copying {} to {}", source.display(), target.display()))
    })
}

/// Fails when `site/<version>/` is already published: versions are immutable unless the build
/// is forced.
pub fn refuse_existing(options: &BuildOptions, version: &str) -> Result<()> {
    let dir = options.root.join("site").join(version);
    if dir.exists() {
        bail!(
            "{} already exists: published versions are immutable (pass --force to replace it, \
             or --version to name this build differently)",
            dir.display()
        );
    }
    Ok(())
}

/// A page that sends the browser to `<version>/index.html`, with and without JavaScript.
pub fn redirect_page(version: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Redirecting to {version}</title>\n\
         <meta http-equiv=\"refresh\" content=\"0; url={version}/index.html\">\n\
         <link rel=\"canonical\" href=\"{version}/index.html\">\n</head>\n<body>\n\
         <p>The newest version is <a href=\"{version}/index.html\">{version}</a>.</p>\n\
         </body>\n</html>\n"
    )
}

/// Makes `site/latest` name `version` (step 5): a symbolic link swapped in atomically, or,
/// where the platform or file system has no symbolic links, a copy of the published tree.
fn point_latest(site_dir: &Path, version: &str, files: &HashSet<String>) -> Result<()> {
    let latest = site_dir.join(versions::LATEST);
    let staging = staging_dir(site_dir);
    let link_tmp = staging.join(format!("latest-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link_tmp);
    if symlink_dir(Path::new(version), &link_tmp).is_ok() {
        // rename() replaces an existing symbolic link (or file) atomically, but not a
        // directory: a `latest/` copy left by an older build is moved aside first.
        let is_real_dir = std::fs::symlink_metadata(&latest).is_ok_and(|m| m.is_dir());
        if is_real_dir {
            let aside = staging.join(format!("old-latest-{}", std::process::id()));
            remove_if_exists(&aside)?;
            std::fs::rename(&latest, &aside)
                .with_context(|| format!("while moving {} aside", latest.display()))?;
            std::fs::remove_dir_all(&aside)
                .with_context(|| format!("while removing {}", aside.display()))?;
        }
        return std::fs::rename(&link_tmp, &latest).with_context(|| {
            format!(
                "while moving {} to {}",
                link_tmp.display(),
                latest.display()
            )
        });
    }
    // No symbolic links: a copy (hard links where the file system allows: published files
    // are never modified in place, so sharing them is safe).
    let latest_tmp = staging.join(format!("latest-{}", std::process::id()));
    remove_if_exists(&latest_tmp)?;
    link_tree(&site_dir.join(version), &latest_tmp, files)?;
    if std::fs::symlink_metadata(&latest).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&latest)
            .with_context(|| format!("while removing {}", latest.display()))?;
    }
    swap_into_place(&latest_tmp, &latest, site_dir, "latest")
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

#[cfg(not(any(unix, windows)))]
fn symlink_dir(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Renames `new` to `target`; an existing `target` is renamed aside (into the staging folder)
/// first and removed after.
fn swap_into_place(new: &Path, target: &Path, site_dir: &Path, label: &str) -> Result<()> {
    if target.exists() {
        let aside = staging_dir(site_dir).join(format!("old-{label}-{}", std::process::id()));
        remove_if_exists(&aside)?;
        std::fs::rename(target, &aside).with_context(|| {
            format!(
                "while moving {} aside to {}",
                target.display(),
                aside.display()
            )
        })?;
        std::fs::rename(new, target)
            .with_context(|| format!("while moving {} to {}", new.display(), target.display()))?;
        std::fs::remove_dir_all(&aside)
            .with_context(|| format!("while removing {}", aside.display()))?;
    } else {
        std::fs::rename(new, target)
            .with_context(|| format!("while moving {} to {}", new.display(), target.display()))?;
    }
    Ok(())
}

/// Replaces `site_dir/name` with `bytes`: written in the staging folder, then renamed.
fn write_atomic(site_dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = site_dir.join(name);
    let path = path.as_path();
    let tmp = staging_dir(site_dir).join(format!("{name}-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("while writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("while moving {} to {}", tmp.display(), path.display()))
}

fn remove_if_exists(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("while removing {}", dir.display()))?;
    }
    Ok(())
}

//! The write phase: publish one version of the site without ever exposing a half-written tree.
//!
//! Steps, in order:
//! 1. ([`check`], its own build phase) lay out the files and check every internal link and
//!    anchor of the rendered pages — nothing is written if one is broken; the error names the
//!    page and the link;
//! 2. ([`write`] from here on) refuse if `site/<V>/` exists (published versions are immutable)
//!    unless `--force`;
//! 3. write pages (`<path>/index.html` + `<path>/data.json`) and assets into a temporary
//!    directory `site/.tmp-<V>-<pid>/`;
//! 4. rename it to `site/<V>/` (with `--force`, the old tree is first renamed aside, then
//!    removed);
//! 5. point `site/latest` at the newest version: a relative symbolic link (`latest -> <V>`),
//!    replaced atomically by creating it under a temporary name and renaming it over the old
//!    one — two system calls however large the site. Where symbolic links are not available, a
//!    full copy (hard links where possible) is made instead, by the same
//!    write-aside-and-rename. Deploy steps that upload the tree dereference the link (e.g.
//!    `tar --dereference`), so static hosts get a plain copy;
//! 6. write `site/versions.json`, `site/versions.js` and the root redirect `site/index.html`, each
//!    through a temporary file and a rename.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::reuse::{PageRecord, Previous, ReuseFailed};
use super::{BuildOptions, Loaded, RenderedPage, links, versions};

/// Where the bytes of one file of the version come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Rendered by this build.
    Bytes(&'a [u8]),
    /// The same file of the previous version (a page shared with it).
    Previous,
}

/// The files of one version, link-checked and ready to publish.
#[derive(Debug)]
pub struct Checked<'a> {
    /// `(path under the version root, contents)` of every file.
    files: Vec<(String, Source<'a>)>,
    /// The previous version's folder, when files are shared with it.
    previous: Option<PathBuf>,
    /// What the next build needs to share this version's pages.
    record: BTreeMap<String, PageRecord>,
}

impl Checked<'_> {
    /// Number of files (pages, their data, assets).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The key and anchors of every shareable page, for [`super::reuse::save`].
    pub fn record(&self) -> &BTreeMap<String, PageRecord> {
        &self.record
    }
}

fn page_file(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

/// Lays out the version's files and checks every internal link and anchor among them (step 1);
/// nothing is written. Pages shared with `previous` are checked as `reuse.rs` describes.
pub fn check<'a>(
    loaded: &'a Loaded,
    pages: &'a [RenderedPage],
    previous: Option<&Previous>,
) -> Result<Checked<'a>> {
    let mut files: Vec<(String, Source<'a>)> = Vec::with_capacity(pages.len() * 2 + 2);
    for page in pages {
        let (html, data) = match &page.files {
            Some(f) => (
                Source::Bytes(f.html.as_bytes()),
                Source::Bytes(f.data.as_bytes()),
            ),
            None => (Source::Previous, Source::Previous),
        };
        files.push((page_file(&page.path, "index.html"), html));
        files.push((page_file(&page.path, "data.json"), data));
    }
    for (name, text) in &loaded.templates.assets {
        files.push((format!("assets/{name}"), Source::Bytes(text.as_bytes())));
    }
    let all: HashSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if all.len() != files.len() {
        bail!("two pages would be written to the same path; check content page names");
    }
    // (page, its index.html path, its HTML) of every page rendered by this build.
    let fresh: Vec<(&RenderedPage, &str, &str)> = pages
        .iter()
        .zip(files.iter().step_by(2))
        .filter_map(|(page, (name, _))| {
            let html = page.files.as_ref()?.html.as_str();
            Some((page, name.as_str(), html))
        })
        .collect();
    let fresh_ids: Vec<HashSet<String>> = fresh
        .par_iter()
        .map(|(_, _, html)| links::anchors(html))
        .collect();
    let fresh_html: Vec<(&str, &str)> = fresh.iter().map(|(_, n, h)| (*n, *h)).collect();
    let mut anchors: HashMap<&str, HashSet<String>> = fresh
        .iter()
        .zip(&fresh_ids)
        .map(|((_, name, _), ids)| (*name, ids.clone()))
        .collect();
    let shared: Vec<(&RenderedPage, &str)> = pages
        .iter()
        .zip(files.iter().step_by(2))
        .filter(|(page, _)| page.files.is_none())
        .map(|(page, (name, _))| (page, name.as_str()))
        .collect();
    let mut record = BTreeMap::new();
    match (shared.is_empty(), previous) {
        (true, _) => links::check_links(&all, &fresh_html, &anchors)?,
        (false, None) => bail!("internal error: pages marked as shared without a previous version"),
        (false, Some(prev)) => {
            let page_paths: HashSet<&str> = pages.iter().map(|p| p.path.as_str()).collect();
            let fresh_by_path: HashMap<&str, HashSet<String>> = fresh
                .iter()
                .zip(&fresh_ids)
                .map(|((page, _, _), ids)| (page.path.as_str(), ids.clone()))
                .collect();
            if prev.still_reachable(&page_paths, &fresh_by_path) {
                for (page, name) in &shared {
                    let ids = prev.ids(&page.path).unwrap_or_default();
                    anchors.insert(name, ids.iter().cloned().collect());
                }
                links::check_links(&all, &fresh_html, &anchors)?;
            } else {
                // Something a shared page may link to is gone: check every page, reading the
                // shared ones back from the previous version.
                let old: Vec<(&str, String)> = shared
                    .par_iter()
                    .map(|(_, name)| {
                        let file = prev.dir.join(name);
                        std::fs::read_to_string(&file)
                            .map(|html| (*name, html))
                            .map_err(|error| anyhow::Error::new(ReuseFailed { file, error }))
                    })
                    .collect::<Result<_>>()?;
                let mut every: Vec<(&str, &str)> = fresh_html.clone();
                every.extend(old.iter().map(|(n, h)| (*n, h.as_str())));
                links::check(&all, &every)?;
                for (name, html) in &old {
                    anchors.insert(name, links::anchors(html));
                }
            }
        }
    }
    for (page, name) in pages.iter().zip(files.iter().step_by(2).map(|(n, _)| n)) {
        let Some(key) = &page.key else { continue };
        let mut ids: Vec<String> = anchors
            .get(name.as_str())
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
    Ok(Checked {
        files,
        previous: previous.map(|p| p.dir.clone()),
        record,
    })
}

/// Publishes the checked files as `site/<version>/` (steps 1 and 3–6) and returns that
/// directory.
pub fn write(options: &BuildOptions, loaded: &Loaded, checked: &Checked<'_>) -> Result<PathBuf> {
    let site_dir = options.root.join("site");
    let version = &loaded.version;
    let final_dir = site_dir.join(version);
    if !options.force {
        refuse_existing(options, version)?;
    }
    let files = &checked.files;

    // 3. Temporary tree.
    std::fs::create_dir_all(&site_dir)
        .with_context(|| format!("while creating {}", site_dir.display()))?;
    let tmp_dir = site_dir.join(format!(".tmp-{version}-{}", std::process::id()));
    remove_if_exists(&tmp_dir)?;
    let result = write_tree(&tmp_dir, files, checked.previous.as_deref()).and_then(|()| {
        // 4. Move into place.
        swap_into_place(&tmp_dir, &final_dir, &site_dir, version)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp_dir);
    }
    result?;

    // 5. latest -> <version>.
    point_latest(&site_dir, version, files)?;

    // 6. versions.json, versions.js, root redirect.
    let list = versions::with_new(&loaded.versions, version, version);
    let (json, js) = versions::render_files(&list)?;
    write_atomic(&site_dir.join("versions.json"), json.as_bytes())?;
    write_atomic(&site_dir.join("versions.js"), js.as_bytes())?;
    write_atomic(
        &site_dir.join("versions.html"),
        versions::render_page(&list).as_bytes(),
    )?;
    write_atomic(
        &site_dir.join("index.html"),
        redirect_page(version).as_bytes(),
    )?;
    Ok(final_dir)
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
fn point_latest(site_dir: &Path, version: &str, files: &[(String, Source<'_>)]) -> Result<()> {
    let latest = site_dir.join(versions::LATEST);
    let link_tmp = site_dir.join(format!(".tmp-latest-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link_tmp);
    if symlink_dir(Path::new(version), &link_tmp).is_ok() {
        // rename() replaces an existing symbolic link (or file) atomically, but not a
        // directory: a `latest/` copy left by an older build is moved aside first.
        let is_real_dir = std::fs::symlink_metadata(&latest).is_ok_and(|m| m.is_dir());
        if is_real_dir {
            let aside = site_dir.join(format!(".old-latest-{}", std::process::id()));
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
    let latest_tmp = site_dir.join(format!(".tmp-latest-{}", std::process::id()));
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

/// Creates every directory `files` needs under `dir`, once each.
fn create_dirs(dir: &Path, files: &[(String, Source<'_>)]) -> Result<()> {
    let parents: std::collections::BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|(name, _)| dir.join(name).parent().map(Path::to_path_buf))
        .collect();
    for parent in parents {
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("while creating {}", parent.display()))?;
    }
    Ok(())
}

/// Writes `files` under `dir`, in parallel; files shared with the previous version (in
/// `previous`) are hard-linked from it, or copied where linking fails.
fn write_tree(dir: &Path, files: &[(String, Source<'_>)], previous: Option<&Path>) -> Result<()> {
    create_dirs(dir, files)?;
    files.par_iter().try_for_each(|(name, source)| {
        let path = dir.join(name);
        match (source, previous) {
            (Source::Bytes(bytes), _) => std::fs::write(&path, bytes)
                .with_context(|| format!("while writing {}", path.display())),
            (Source::Previous, Some(previous)) => {
                let from = previous.join(name);
                if std::fs::hard_link(&from, &path).is_ok() {
                    return Ok(());
                }
                std::fs::copy(&from, &path)
                    .map(|_| ())
                    .map_err(|error| anyhow::Error::new(ReuseFailed { file: from, error }))
            }
            (Source::Previous, None) => {
                bail!("internal error: {name} is shared but there is no previous version")
            }
        }
    })
}

/// Makes `to` a copy of the published tree `from` (which holds exactly `files`): hard links,
/// falling back to copying where linking is not supported.
fn link_tree(from: &Path, to: &Path, files: &[(String, Source<'_>)]) -> Result<()> {
    create_dirs(to, files)?;
    files.par_iter().try_for_each(|(name, _)| {
        let (source, target) = (from.join(name), to.join(name));
        if std::fs::hard_link(&source, &target).is_ok() {
            return Ok(());
        }
        std::fs::copy(&source, &target)
            .map(|_| ())
            .with_context(|| format!("while copying {} to {}", source.display(), target.display()))
    })
}

/// Renames `new` to `target`; an existing `target` is renamed aside first and removed after.
fn swap_into_place(new: &Path, target: &Path, site_dir: &Path, label: &str) -> Result<()> {
    if target.exists() {
        let aside = site_dir.join(format!(".old-{label}-{}", std::process::id()));
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

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
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

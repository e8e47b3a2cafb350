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

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::{BuildOptions, Loaded, RenderedPage, links, versions};

/// The files of one version, link-checked and ready to publish.
#[derive(Debug)]
pub struct Checked<'a> {
    /// `(path under the version root, contents)` of every file.
    files: Vec<(String, &'a [u8])>,
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
}

/// Lays out the version's files and checks every internal link and anchor among them (step 2);
/// nothing touches the disk.
pub fn check<'a>(loaded: &'a Loaded, pages: &'a [RenderedPage]) -> Result<Checked<'a>> {
    let mut files: Vec<(String, &[u8])> = Vec::with_capacity(pages.len() * 2 + 2);
    for page in pages {
        let prefix = if page.path.is_empty() {
            String::new()
        } else {
            format!("{}/", page.path)
        };
        files.push((format!("{prefix}index.html"), page.html.as_bytes()));
        files.push((format!("{prefix}data.json"), page.data.as_bytes()));
    }
    for (name, text) in &loaded.templates.assets {
        files.push((format!("assets/{name}"), text.as_bytes()));
    }
    let all: HashSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if all.len() != files.len() {
        bail!("two pages would be written to the same path; check content page names");
    }
    let html: Vec<(&str, &str)> = pages
        .iter()
        .zip(files.iter().step_by(2))
        .map(|(page, (name, _))| (name.as_str(), page.html.as_str()))
        .collect();
    links::check(&all, &html)?;
    Ok(Checked { files })
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
    let result = write_tree(&tmp_dir, files).and_then(|()| {
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
fn point_latest(site_dir: &Path, version: &str, files: &[(String, &[u8])]) -> Result<()> {
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
fn create_dirs(dir: &Path, files: &[(String, &[u8])]) -> Result<()> {
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

/// Writes `files` under `dir`, in parallel.
fn write_tree(dir: &Path, files: &[(String, &[u8])]) -> Result<()> {
    create_dirs(dir, files)?;
    files.par_iter().try_for_each(|(name, bytes)| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("while writing {}", path.display()))
    })
}

/// Makes `to` a copy of the published tree `from` (which holds exactly `files`): hard links,
/// falling back to writing the bytes where linking is not supported.
fn link_tree(from: &Path, to: &Path, files: &[(String, &[u8])]) -> Result<()> {
    create_dirs(to, files)?;
    files.par_iter().try_for_each(|(name, bytes)| {
        let target = to.join(name);
        if std::fs::hard_link(from.join(name), &target).is_ok() {
            return Ok(());
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("while writing {}", target.display()))
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

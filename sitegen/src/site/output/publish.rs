//! The write phase (steps 4 to 6 of [`crate::site::output`]): the staged tree becomes
//! `site/<version>/`, then `site/latest`, the version lists and the root redirect follow.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::staging::{Staging, create_dirs, refuse_existing, remove_if_exists};
use crate::model::site::LatestMode;
use crate::site::load::Loaded;
use crate::site::versions;
use crate::util::atomic;

/// Publishes the staged tree as `site/<version>/` (steps 4–6) and returns that directory.
pub fn publish(
    site_dir: &Path,
    force: bool,
    loaded: &Loaded,
    mut staging: Staging,
) -> Result<PathBuf> {
    let site_dir = site_dir.to_path_buf();
    let version = &loaded.version;
    let final_dir = site_dir.join(version);
    if !force {
        refuse_existing(&site_dir, version)?;
    }
    // 4. Move into place.
    let staging_root = staging.root.clone();
    swap_into_place(&staging.dir, &final_dir, &staging_root, version)?;
    staging.published = true;

    // 5. latest -> <version>.
    point_latest(
        &site_dir,
        &staging_root,
        version,
        staging.files(),
        loaded.site.latest,
    )?;

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

/// Makes `site/latest` name `version` (step 5), as `mode` says: a symbolic link swapped in
/// atomically (or, where the platform or file system has no symbolic links, a copy of the
/// published tree); a copy; or a tree of redirect pages ([`super::latest`]).
fn point_latest(
    site_dir: &Path,
    staging: &Path,
    version: &str,
    files: &HashSet<String>,
    mode: LatestMode,
) -> Result<()> {
    let latest = site_dir.join(versions::LATEST);
    let link_tmp = staging.join(format!("latest-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link_tmp);
    if mode == LatestMode::Symlink && symlink_dir(Path::new(version), &link_tmp).is_ok() {
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
    match mode {
        LatestMode::Redirect => super::latest::write_tree(&latest_tmp, version, files)?,
        LatestMode::Symlink | LatestMode::Copy => {
            link_tree(&site_dir.join(version), &latest_tmp, files)?
        }
    }
    if std::fs::symlink_metadata(&latest).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&latest)
            .with_context(|| format!("while removing {}", latest.display()))?;
    }
    swap_into_place(&latest_tmp, &latest, staging, "latest")
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
fn swap_into_place(new: &Path, target: &Path, staging: &Path, label: &str) -> Result<()> {
    if target.exists() {
        let aside = staging.join(format!("old-{label}-{}", std::process::id()));
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

/// Replaces `site_dir/name` with `bytes` ([`atomic::replace`]).
fn write_atomic(site_dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    atomic::replace(&site_dir.join(name), bytes)
}

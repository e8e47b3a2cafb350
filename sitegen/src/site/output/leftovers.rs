//! What builds that did not finish left behind, removed by the next build.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::staging::staging_dir;

/// The state folder builds used to keep inside the site folder.
pub const LEGACY_CACHE: &str = ".cache";

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
/// `site/.cache/` (the state folder of older builds), every entry of `<cache>/staging/` whose pid is no longer running, and — from builds
/// before staging moved there — `site/.tmp-*-<pid>`, `site/.old-*-<pid>` and
/// `site/*.tmp-<pid>` entries of dead pids. Returns what was removed. Called by a build while
/// it holds the site lock, so no other build is using them.
pub fn remove_leftovers(site_dir: &Path, cache: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    // Builds before the state folder moved out of the site kept it in `site/.cache/`, inside
    // what a deploy uploads; it is build state only (the lock is under `cache` now).
    let legacy = site_dir.join(LEGACY_CACHE);
    if legacy.is_dir() {
        std::fs::remove_dir_all(&legacy)
            .with_context(|| format!("while removing {}", legacy.display()))?;
        removed.push(legacy);
    }
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
    let mut found = candidates(&staging_dir(cache), false)?;
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

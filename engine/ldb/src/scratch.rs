//! Scratch directories for the benchmarks and drills: a fresh `ldb-<what>-<pid>-<nanos>` folder
//! under `--dir` (default: the system temp dir), removed when the work is done, whatever its
//! outcome.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates a fresh scratch directory `ldb-<what>-<pid>-<nanos>` under `base` (default: the
/// system temp dir); the caller removes it.
fn scratch_dir(base: Option<&Path>, what: &str) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = base
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("ldb-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;
    Ok(dir)
}

/// Runs `work` in a fresh scratch directory (see [`scratch_dir`]) and removes the directory
/// afterwards, also when `work` failed.
pub fn in_scratch<T>(
    base: Option<&Path>,
    what: &str,
    work: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let dir = scratch_dir(base, what)?;
    let result = work(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

//! Replacing a file atomically: readers see the old contents or the new, never a part.
//!
//! Steps of [`replace`]: write the bytes to a temporary file in the same folder
//! (`.tmp-<name>-<pid>`, so the rename cannot cross file systems, and so the leftover of a
//! process that died is recognised: the ledger and the site build remove `.tmp-` entries of
//! dead processes) → fsync it → rename it over the target → fsync the folder, so the rename
//! itself survives a crash.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The prefix of every temporary file [`replace`] writes.
pub const TMP_PREFIX: &str = ".tmp-";

/// The temporary file [`replace`] writes for `path`: `.tmp-<name>-<pid>` beside it.
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{TMP_PREFIX}{name}-{}", std::process::id()))
}

/// Replaces `path` with `bytes` atomically and durably (see the module docs). On an error the
/// temporary file is removed and `path` is left as it was.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let written = write_synced(&tmp, bytes).and_then(|()| {
        std::fs::rename(&tmp, path)
            .with_context(|| format!("while renaming {} to {}", tmp.display(), path.display()))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Creates (or truncates) `path`, writes `bytes` and fsyncs the file.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).with_context(|| format!("while creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("while writing {}", path.display()))?;
    f.sync_all()
        .with_context(|| format!("while syncing {}", path.display()))
}

/// fsyncs the folder `path`, making the entries created or renamed in it durable.
pub fn sync_dir(path: &Path) -> Result<()> {
    let dir = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("while syncing folder {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("a.json");
        replace(&path, b"old").expect("first");
        replace(&path, b"new").expect("second");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    #[test]
    fn a_failed_replace_keeps_the_old_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("missing-folder").join("a.json");
        let err = format!("{:#}", replace(&path, b"x").expect_err("no folder"));
        assert!(err.contains("while creating"), "{err}");
        assert!(tmp_path(&path).to_string_lossy().contains(".tmp-a.json-"));
    }
}

//! Temporary directories that a killed or failed backup or restore left behind, and their
//! removal by the next one.
//!
//! A backup writes `.<dest>.tmp-<pid>` next to its destination, a restore builds the database
//! in `.<target>.restore-tmp-<pid>` next to its target (`<pid>` is the process writing it);
//! both remove it themselves when they fail. A process killed meanwhile cannot, so the next
//! backup or restore ([`remove_stale_temp_dirs`]) removes, in the directory it writes into,
//! every such directory that is recognisably one of these — by its name **and** its contents
//! (only the files a backup or a restore writes there) — and whose process is gone. A process
//! counts as gone only when that is certain: on Linux, when `/proc/<pid>` does not exist;
//! without `/proc` nothing pid-named is removed. The `.<target>.restore-tmp` of older builds
//! (no pid) is removed by the next restore into the same target, as those builds did.
//! `.<target>.replaced` (the previous database during a forced restore) is never touched.

use std::path::{Path, PathBuf};

use crate::backup::create::parent_of;
use crate::backup::{MANIFEST_FILE, PAGES_FILE};
use crate::db::{DATA_FILE, LOCK_FILE, WAL_DIR};
use crate::error::{Error, Result};
use crate::vfs::Vfs;

/// The suffix of a backup's temporary directory, before the pid.
pub(crate) const BACKUP_TMP: &str = "tmp-";
/// The suffix of a restore's temporary directory, before the pid.
pub(crate) const RESTORE_TMP: &str = "restore-tmp";

/// Which operation a temporary directory belongs to, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Backup,
    Restore,
}

/// `(kind, pid)` of a temporary directory name `.<name>.tmp-<pid>` or
/// `.<name>.restore-tmp-<pid>`; `pid` is `None` for an older build's `.<name>.restore-tmp`.
fn parse(file_name: &str) -> Option<(Kind, Option<u32>)> {
    let rest = file_name.strip_prefix('.')?;
    let pid = |digits: &str| -> Option<u32> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    if let Some((name, digits)) = rest.rsplit_once(&format!(".{RESTORE_TMP}-")) {
        return (!name.is_empty()).then_some((Kind::Restore, Some(pid(digits)?)));
    }
    if let Some(name) = rest.strip_suffix(&format!(".{RESTORE_TMP}")) {
        return (!name.is_empty()).then_some((Kind::Restore, None));
    }
    let (name, digits) = rest.rsplit_once(&format!(".{BACKUP_TMP}"))?;
    (!name.is_empty()).then_some((Kind::Backup, Some(pid(digits)?)))
}

/// Whether process `pid` has certainly exited: its `/proc` entry is gone while `/proc` is
/// there. Never true for this process, nor where there is no `/proc` to ask.
pub fn process_is_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    pid != std::process::id() && proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// The entries of `dir` if it is a directory (`None` for a file or an unreadable entry).
fn entries(vfs: &dyn Vfs, dir: &Path) -> Option<Vec<PathBuf>> {
    if !vfs.exists(dir) {
        return None;
    }
    vfs.read_dir(dir).ok()
}

/// Whether `dir` holds only what a backup (or a restore) of this build writes into its
/// temporary directory: then it is safe to remove; anything else there is not ours.
fn holds_only_our_files(vfs: &dyn Vfs, dir: &Path, kind: Kind) -> bool {
    let Some(list) = entries(vfs, dir) else {
        return false;
    };
    list.iter().all(|p| {
        let name = file_name(p);
        let is_dir = entries(vfs, p).is_some();
        match kind {
            Kind::Backup => !is_dir && (name == PAGES_FILE || name == MANIFEST_FILE),
            Kind::Restore if name == WAL_DIR => {
                entries(vfs, p).is_some_and(|wal| wal.iter().all(|f| entries(vfs, f).is_none()))
            }
            Kind::Restore => {
                !is_dir && (name == DATA_FILE || name == LOCK_FILE || name == "data.ldb.tmp")
            }
        }
    })
}

/// Removes `dir`: its files, those of its one level of subdirectories, and the directories.
pub(crate) fn remove_dir_files(vfs: &dyn Vfs, dir: &Path) -> Result<()> {
    if !vfs.exists(dir) {
        return Ok(());
    }
    let list = vfs
        .read_dir(dir)
        .map_err(|e| Error::io("listing", dir, e))?;
    for p in list {
        if let Some(inner) = entries(vfs, &p) {
            for f in inner {
                vfs.remove_file(&f)
                    .map_err(|e| Error::io("removing", &f, e))?;
            }
            vfs.remove_dir(&p)
                .map_err(|e| Error::io("removing directory", &p, e))?;
        } else {
            vfs.remove_file(&p)
                .map_err(|e| Error::io("removing", &p, e))?;
        }
    }
    vfs.remove_dir(dir)
        .map_err(|e| Error::io("removing directory", dir, e))
}

/// Removes the temporary directories that killed backups and restores left next to `path` (a
/// backup's destination or a restore's target) — see the module docs for which ones — and
/// returns the ones removed, so that the caller can say so.
pub fn remove_stale_temp_dirs(vfs: &dyn Vfs, path: &Path) -> Result<Vec<PathBuf>> {
    let parent = parent_of(path);
    let own_legacy = format!(".{}.{RESTORE_TMP}", file_name(path));
    let Ok(list) = vfs.read_dir(&parent) else {
        // Nothing to clean where nothing can be listed (the directory is created later).
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for dir in list {
        let name = file_name(&dir);
        let Some((kind, pid)) = parse(name) else {
            continue;
        };
        let stale = match pid {
            Some(pid) => process_is_gone(pid),
            None => name == own_legacy,
        };
        if stale && holds_only_our_files(vfs, &dir, kind) {
            remove_dir_files(vfs, &dir)?;
            removed.push(dir);
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised_exactly() {
        assert_eq!(parse(".bk.tmp-123"), Some((Kind::Backup, Some(123))));
        assert_eq!(parse(".a.b.tmp-7"), Some((Kind::Backup, Some(7))));
        assert_eq!(parse(".t.restore-tmp-42"), Some((Kind::Restore, Some(42))));
        assert_eq!(parse(".t.restore-tmp"), Some((Kind::Restore, None)));
        for other in [
            "bk.tmp-1",
            ".tmp-1",
            ".bk.tmp-",
            ".bk.tmp-12a",
            ".bk.tmp-99999999999",
            ".bk.restore-tmp-x",
            ".bk.replaced",
            ".restore-tmp",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn only_gone_processes_count_as_gone() {
        assert!(!process_is_gone(std::process::id()));
        if Path::new("/proc/self").exists() {
            assert!(!process_is_gone(1), "pid 1 is alive");
            // Above every Linux pid_max (at most 2^22).
            assert!(process_is_gone(2_000_000_000));
        }
    }
}

//! Removing what a failed [`Database::create`](super::Database::create) made, so that a failed
//! create (a full disk, an I/O error) leaves either no database or — when it succeeded — a
//! complete one, never a half-made directory that the next create refuses.

use std::path::{Path, PathBuf};

use super::{DATA_FILE, Database, LOCK_FILE, Options, WAL_DIR};

/// What existed in a database directory before a create began.
#[derive(Debug)]
pub(super) struct Before {
    dir: bool,
    lock: bool,
    wal: bool,
}

impl Before {
    /// Looks at `path` before a create touches it.
    pub(super) fn survey(opts: &Options, path: &Path) -> Self {
        let vfs = &opts.vfs;
        Before {
            dir: vfs.exists(path),
            lock: vfs.exists(&path.join(LOCK_FILE)),
            wal: vfs.exists(&path.join(WAL_DIR)),
        }
    }

    /// Best effort, after a create that failed past taking the lock: removes the data file (and
    /// its temporary), and the log directory, lock file and directory if the create made them.
    /// Only under the directory's lock — if another process holds it, nothing is touched.
    pub(super) fn remove_created(&self, opts: &Options, path: &Path) {
        let vfs = &opts.vfs;
        let lock_path = path.join(LOCK_FILE);
        if !vfs.exists(&lock_path) {
            // The create failed before making its lock file: it made nothing else either.
            if !self.dir {
                let _ = vfs.remove_dir(path);
            }
            return;
        }
        let Ok(lock) = Database::lock(opts, path) else {
            return;
        };
        let mut files: Vec<PathBuf> =
            vec![path.join(format!("{DATA_FILE}.tmp")), path.join(DATA_FILE)];
        let wal = path.join(WAL_DIR);
        if !self.wal {
            files.extend(vfs.read_dir(&wal).unwrap_or_default());
        }
        for f in files.iter().filter(|f| vfs.exists(f)) {
            let _ = vfs.remove_file(f);
        }
        if !self.wal && vfs.exists(&wal) {
            let _ = vfs.remove_dir(&wal);
        }
        if !self.lock {
            let _ = vfs.remove_file(&lock_path);
        }
        drop(lock);
        if !self.dir {
            let _ = vfs.remove_dir(path);
        }
        let _ = vfs.sync_dir(path);
    }
}

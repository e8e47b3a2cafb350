//! Advisory file locks that serialise `sitegen` processes (and threads) working on one
//! repository, so that concurrent commands never lose a version or a run and never see a
//! ledger half-way through an append.
//!
//! Two locks (see `docs/publishing.md`, "Concurrent commands"):
//! - the **ledger lock**, `evidence/.lock`: held exclusively while a run is appended
//!   ([`crate::evidence::ledger::write::append`]), shared while the ledger is read to be verified,
//!   gated or shown (`verify`, `gate`, the site build's evidence phase);
//! - the **site lock**, `target/sitegen-cache/site.lock`: held exclusively by a site build from start
//!   to end (it reads `site/versions.json`, writes the new version and the list back, and owns
//!   the caches and the staging folder).
//!
//! A process that finds a lock taken says once, on standard error, `waiting for another
//! sitegen process (pid N) holding <lock file>` and waits. An exclusive holder writes its pid
//! into the file (and empties it when done); for shared holders the pid is looked up in
//! `/proc/locks` where there is one. Locks are `flock`-style ([`File::lock`]): released by the
//! system when the process ends, however it ends, so a killed command never leaves one behind.
//! Locks are always taken in the same order — site, then ledger — so waiting never deadlocks.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
    exclusive: bool,
}

impl LockGuard {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.exclusive {
            // The pid is only meaningful while the lock is held.
            let _ = self.file.set_len(0);
        }
        let _ = self.file.unlock();
    }
}

/// Takes the lock `path` exclusively, creating the file (not its folder) if needed; waits for
/// other holders, saying so once.
pub fn exclusive(path: &Path) -> Result<LockGuard> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("while opening the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            say_waiting(&mut file, path);
            file.lock()
                .with_context(|| format!("while waiting for the lock {}", path.display()))?;
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("while locking {}", path.display()));
        }
    }
    // Best effort: the pid is for the messages of processes that wait.
    let _ = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| write!(file, "{}", std::process::id()));
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
        exclusive: true,
    })
}

/// Takes the lock `path` shared (other readers may hold it too; an exclusive holder is waited
/// for, saying so once). Creates the file when it is missing and its folder is writable.
/// Returns `None` when the folder does not exist (there is nothing to read under the lock) or
/// the file cannot be created because the folder is read-only (no one can be writing there).
pub fn shared(path: &Path) -> Result<Option<LockGuard>> {
    let opened = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .or_else(|_| File::open(path));
    let mut file = match opened {
        Ok(file) => file,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::PermissionDenied
                    | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("while opening the lock file {}", path.display()));
        }
    };
    match file.try_lock_shared() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            say_waiting(&mut file, path);
            file.lock_shared()
                .with_context(|| format!("while waiting for the lock {}", path.display()))?;
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("while locking {}", path.display()));
        }
    }
    Ok(Some(LockGuard {
        file,
        path: path.to_path_buf(),
        exclusive: false,
    }))
}

fn say_waiting(file: &mut File, path: &Path) {
    let holder = pid_in_file(file).or_else(|| pid_in_proc_locks(file));
    match holder {
        Some(pid) => crate::errln!(
            "waiting for another sitegen process (pid {pid}) holding {}",
            path.display()
        ),
        None => crate::errln!(
            "waiting for another sitegen process holding {}",
            path.display()
        ),
    }
}

/// The pid an exclusive holder wrote into the lock file.
fn pid_in_file(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim()
        .parse()
        .ok()
        .filter(|&p| p != std::process::id())
}

/// The pid of a process holding a lock on `file`, from Linux's `/proc/locks`
/// (`1: FLOCK  ADVISORY  READ 1234 08:02:131090 0 EOF`; waiters are marked `->`).
#[cfg(target_os = "linux")]
fn pid_in_proc_locks(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let key = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&"->") || fields.get(5) != Some(&key.as_str()) {
            return None;
        }
        fields
            .get(4)?
            .parse()
            .ok()
            .filter(|&p| p != std::process::id())
    })
}

#[cfg(not(target_os = "linux"))]
fn pid_in_proc_locks(_file: &File) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn an_exclusive_lock_excludes_everyone_until_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.lock");
        let held = exclusive(&path).expect("locks");
        assert_eq!(
            std::fs::read_to_string(&path).expect("lock file"),
            std::process::id().to_string()
        );
        let released = AtomicBool::new(false);
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let guard = shared(&path).expect("shared").expect("lock file exists");
                assert!(released.load(Ordering::SeqCst), "read while written");
                drop(guard);
            });
            let writer = s.spawn(|| {
                let _guard = exclusive(&path).expect("exclusive");
                assert!(released.load(Ordering::SeqCst), "two writers at once");
            });
            std::thread::sleep(std::time::Duration::from_millis(200));
            released.store(true, Ordering::SeqCst);
            drop(held);
            reader.join().expect("reader");
            writer.join().expect("writer");
        });
        assert_eq!(
            std::fs::read_to_string(&path).expect("lock file"),
            "",
            "no pid is left behind"
        );
    }

    #[test]
    fn shared_locks_coexist_and_need_no_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.lock");
        let a = shared(&path).expect("shared").expect("created");
        let b = shared(&path).expect("shared").expect("opened");
        assert_eq!(a.path(), b.path());
        assert!(
            shared(&dir.path().join("missing/x.lock"))
                .expect("no folder is no error")
                .is_none()
        );
    }
}

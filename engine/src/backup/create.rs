//! [`Database::backup`]: an online, consistent backup of the latest durable commit.
//!
//! Steps: refuse an existing destination; pin the current durable snapshot (a short hold of the
//! writer lock, never longer); stream every page its tree reaches into `pages.zst` inside a
//! temporary sibling directory (walk and compression on two threads at background priority, so
//! a busy machine serves commits first); write `manifest.json`; fsync both files and the directory;
//! rename the directory to the destination and fsync its parent. Writers keep committing
//! throughout: the pinned snapshot keeps its pages from being reused until the walk is done.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::backup::leftovers;
use crate::backup::manifest::{FileEntry, Manifest};
use crate::backup::stream::StreamWriter;
use crate::backup::{FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, PAGES_FILE, walk};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::storage::PageStore;

/// What [`Database::backup`] produced.
#[derive(Clone, Debug)]
pub struct BackupReport {
    /// The backup directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Bytes of the compressed page stream.
    pub compressed_bytes: u64,
    /// Wall time of the whole backup.
    pub elapsed: Duration,
}

/// Fsyncs directory `dir` so that entries created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing directory", dir, e))
}

/// The parent directory of `path` (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A sibling of `path` named `.<name>.<suffix>`.
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    parent_of(path).join(format!(".{name}.{suffix}"))
}

/// Lowers the calling thread to the lowest scheduling priority of its policy (a nice value of
/// 19 on Linux). Best effort: where it is not permitted the thread keeps its priority — a
/// backup is never refused for that.
pub(crate) fn background_priority() {
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
}

impl Database {
    /// Writes a consistent backup of the latest durable commit into directory `dest`, which
    /// must not exist. Runs alongside writers; see [`crate::backup`] for the format. A failed
    /// backup removes its temporary directory; those of killed backups next to `dest` are
    /// removed first ([`crate::backup::remove_stale_temp_dirs`]).
    pub fn backup(&self, dest: impl AsRef<Path>) -> Result<BackupReport> {
        let start = Instant::now();
        let dest = dest.as_ref();
        if dest.exists() {
            return Err(Error::AlreadyExists {
                path: dest.to_path_buf(),
            });
        }
        // Best effort: leftovers of killed backups are not this backup's business.
        let _ = leftovers::remove_stale_temp_dirs(&crate::vfs::RealVfs, dest);
        let tmp = sibling(
            dest,
            &format!("{}{}", leftovers::BACKUP_TMP, std::process::id()),
        );
        if tmp.exists() {
            fs::remove_dir_all(&tmp)
                .map_err(|e| Error::io("removing leftover backup directory", &tmp, e))?;
        }
        fs::create_dir_all(&tmp).map_err(|e| Error::io("creating directory", &tmp, e))?;
        let result = self.backup_into(&tmp, dest, start);
        if result.is_err() {
            // Best effort: the temporary directory is not a backup and nothing refers to it.
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }

    fn backup_into(&self, tmp: &Path, dest: &Path, start: Instant) -> Result<BackupReport> {
        let (snap, next_txn) = self.backup_point()?;
        let storage = self.storage();
        let page_size = storage.page_size();
        let page_limit = storage.stats().page_count;
        let pages_path = tmp.join(PAGES_FILE);
        let mut out = StreamWriter::create(&pages_path, page_size, snap.root, snap.lsn)?;
        let mut max_id = 0u64;
        // The walk runs on a thread of its own at background priority (as does the compressor),
        // so that on a busy machine the committing threads win the CPU and a backup does not
        // stretch their latency; with idle cores the backup still runs at full speed.
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("backup-walk".into())
                .spawn_scoped(s, || {
                    background_priority();
                    walk::for_each_page(&walk::Uncached(storage), snap.root, page_limit, |page| {
                        max_id = max_id.max(page.id().0);
                        out.write_page(page)
                    })
                })
                .map_err(|e| Error::io("starting the backup thread for", tmp, e))?
                .join()
                .unwrap_or_else(|_| {
                    Err(Error::io(
                        "walking the pages of the backup into",
                        tmp,
                        std::io::Error::other("the backup thread panicked"),
                    ))
                })
        })?;
        let (pages, compressed_bytes, sha256) = out.finish()?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let manifest = Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            created_at: chrono::DateTime::<chrono::Utc>::from(SystemTime::now())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            created_unix_ms: now.as_millis() as u64,
            source_lsn: snap.lsn.0,
            page_size: page_size as u32,
            entry_count: snap.entries,
            root: snap.root.0,
            next_txn_id: next_txn.0,
            source_page_count: max_id + 1,
            pages,
            source_bytes: pages * page_size as u64,
            files: vec![FileEntry {
                name: PAGES_FILE.into(),
                bytes: compressed_bytes,
                sha256,
            }],
            checksum: String::new(),
        };
        drop(snap);
        let text = manifest.encode()?;
        let mpath = tmp.join(MANIFEST_FILE);
        let write = |p: &Path| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = File::options().write(true).create_new(true).open(p)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        };
        write(&mpath).map_err(|e| Error::io("writing manifest", &mpath, e))?;
        sync_dir(tmp)?;
        fs::rename(tmp, dest).map_err(|e| Error::io("renaming backup into place at", dest, e))?;
        sync_dir(&parent_of(dest))?;
        let manifest = Manifest::decode(&dest.join(MANIFEST_FILE), text.as_bytes())?;
        Ok(BackupReport {
            dir: dest.to_path_buf(),
            manifest,
            compressed_bytes,
            elapsed: start.elapsed(),
        })
    }
}

//! A cache of file hashes keyed by what `stat` says about each file, so a site build does not
//! re-hash a ledger it verified on the previous build (about 36 MB at 1,000 runs).
//!
//! The trust rule: a file's recorded sha256 is reused only while its size, modification time,
//! status-change time (ctime, which no user-level call can set back), inode and device are
//! exactly those seen when it was hashed; anything else — a rewrite, a `touch`, a copy, a
//! restore from backup — hashes the file again. A file whose times were younger than the file
//! system's timestamp granularity when it was hashed is not recorded: it could still change
//! without its times moving (git's "racy clean" problem). Times with a sub-second part come
//! from a file system with fine timestamps (Linux file systems stamp from a clock that ticks
//! every few milliseconds): such a file must be [`RACY_WINDOW_FINE`] old; times in whole
//! seconds may come from a file system that keeps only seconds (or two: FAT): [`RACY_WINDOW`].
//! `sitegen verify` never uses the cache; it always hashes every byte. The cache lives in
//! `site/.cache/hashes.json`, holds only the entries the last build used, and can be deleted at
//! any time; an unreadable or malformed cache is ignored (it only costs time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::hash;

/// How old a file's times must be for its hash to be recorded, when they are whole seconds.
pub const RACY_WINDOW: Duration = Duration::from_secs(3);

/// How old a file's times must be for its hash to be recorded, when they have a sub-second part.
pub const RACY_WINDOW_FINE: Duration = Duration::from_millis(100);

/// The cache file's format version.
const FORMAT_VERSION: u32 = 1;

/// What `stat` says about a file: the key its hash is recorded under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    stat: Stat,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format_version: u32,
    files: HashMap<PathBuf, Entry>,
}

/// Recorded hashes, safe to share between threads. [`HashCache::disabled`] hashes every time.
#[derive(Debug)]
pub struct HashCache {
    file: Option<PathBuf>,
    entries: HashMap<PathBuf, Entry>,
    fresh: Mutex<HashMap<PathBuf, Entry>>,
    hits: std::sync::atomic::AtomicUsize,
}

impl HashCache {
    /// A cache that records nothing: every file is hashed.
    pub fn disabled() -> HashCache {
        HashCache {
            file: None,
            entries: HashMap::new(),
            fresh: Mutex::new(HashMap::new()),
            hits: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The cache stored in `file` (empty when it does not exist or cannot be read).
    pub fn open(file: &Path) -> HashCache {
        let entries = std::fs::read(file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|c| c.format_version == FORMAT_VERSION)
            .map(|c| c.files)
            .unwrap_or_default();
        HashCache {
            file: Some(file.to_path_buf()),
            entries,
            fresh: Mutex::new(HashMap::new()),
            hits: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// sha256 (lowercase hex) and size of the file at `path`, from the cache when its `stat`
    /// is unchanged, else read and hashed.
    pub fn file(&self, path: &Path) -> Result<(String, u64)> {
        let before = match self.lookup(path) {
            Some((stat, Some(sha))) => return Ok((sha, stat.len)),
            Some((stat, None)) => Some(stat),
            None => None,
        };
        let (sha, len) = hash::file(path)?;
        // Recorded only if nothing changed the file while it was read.
        if let Some(before) = before
            && stat(path) == Some(before)
        {
            self.record(path, before, &sha);
        }
        Ok((sha, len))
    }

    /// sha256 of `bytes`, just read from `path`: from the cache when the file's `stat` is
    /// unchanged since it was hashed (then the bytes read are the bytes hashed: any change
    /// since would have moved the ctime), else computed. Not recorded: the file's `stat`
    /// before the read is not known here ([`HashCache::file`] records).
    pub fn bytes(&self, path: &Path, bytes: &[u8]) -> String {
        if let Some((stat, Some(sha))) = self.lookup(path)
            && stat.len == bytes.len() as u64
        {
            return sha;
        }
        hash::bytes(bytes)
    }

    /// The recorded sha256 of `path` when its `stat` is unchanged since it was hashed, without
    /// reading it; `None` otherwise (and always for a disabled cache).
    pub fn known(&self, path: &Path) -> Option<String> {
        self.lookup(path).and_then(|(_, sha)| sha)
    }

    /// How many hashes came from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes the entries used since [`HashCache::open`] (through a temporary file and a
    /// rename). Failing to write is not an error: the next build hashes again.
    pub fn save(&self) {
        let Some(file) = &self.file else { return };
        let Ok(fresh) = self.fresh.lock() else { return };
        let cache = CacheFile {
            format_version: FORMAT_VERSION,
            files: fresh.clone(),
        };
        let Ok(bytes) = serde_json::to_vec(&cache) else {
            return;
        };
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// The file's stat, and its recorded hash when the stat matches the record (which then
    /// stays in the cache).
    fn lookup(&self, path: &Path) -> Option<(Stat, Option<String>)> {
        self.file.as_ref()?;
        let stat = stat(path)?;
        let entry = self.entries.get(path).filter(|e| e.stat == stat);
        if let Some(e) = entry {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut fresh) = self.fresh.lock() {
                fresh.insert(path.to_path_buf(), e.clone());
            }
        }
        Some((stat, entry.map(|e| e.sha256.clone())))
    }

    /// Records `sha256` for `path`, whose bytes hashed had `stat` before and after the read,
    /// when the file's times are older than the racy window.
    fn record(&self, path: &Path, stat: Stat, sha256: &str) {
        if self.file.is_none() {
            return;
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        let second = 1_000_000_000;
        let window = if stat.mtime_ns % second != 0 || stat.ctime_ns % second != 0 {
            RACY_WINDOW_FINE
        } else {
            RACY_WINDOW
        }
        .as_nanos() as i128;
        if now - stat.mtime_ns < window || now - stat.ctime_ns < window {
            return;
        }
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.insert(
                path.to_path_buf(),
                Entry {
                    stat,
                    sha256: sha256.to_string(),
                },
            );
        }
    }
}

#[cfg(unix)]
fn stat(path: &Path) -> Option<Stat> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    Some(Stat {
        len: m.len(),
        mtime_ns: ns(m.mtime(), m.mtime_nsec()),
        ctime_ns: ns(m.ctime(), m.ctime_nsec()),
        ino: m.ino(),
        dev: m.dev(),
    })
}

/// Without a ctime the rule cannot hold: nothing is cached.
#[cfg(not(unix))]
fn stat(_path: &Path) -> Option<Stat> {
    None
}

/// Paths in `cache` that were answered from it (for tests).
#[cfg(test)]
fn used(cache: &HashCache) -> std::collections::HashSet<PathBuf> {
    cache
        .fresh
        .lock()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets a file's modification time into the past, which also moves its ctime to now.
    fn age(path: &Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        let f = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("opens");
        f.set_modified(old).expect("sets mtime");
    }

    #[test]
    fn unchanged_files_hit_and_any_change_hashes_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("record.json");
        let store = dir.path().join("cache/hashes.json");
        std::fs::write(&data, b"one").expect("writes");
        age(&data);
        // ctime is "now": too fresh to record.
        let c = HashCache::open(&store);
        assert_eq!(c.file(&data).expect("hashes").0, hash::bytes(b"one"));
        assert!(
            used(&c).is_empty(),
            "a file changed just now is not recorded"
        );
        c.save();

        // Seen again once its times are older than the window: recorded, then hit.
        std::thread::sleep(RACY_WINDOW_FINE + Duration::from_millis(50));
        let c = HashCache::open(&store);
        c.file(&data).expect("hashes");
        assert_eq!(c.hits(), 0);
        c.save();
        let c = HashCache::open(&store);
        assert_eq!(c.file(&data).expect("hashes").0, hash::bytes(b"one"));
        assert_eq!(c.bytes(&data, b"one"), hash::bytes(b"one"));
        assert_eq!(c.hits(), 2);
        c.save();

        // Same size, mtime put back: the ctime still moved, so the new bytes are hashed.
        let before = std::fs::metadata(&data)
            .expect("stat")
            .modified()
            .expect("mtime");
        std::fs::write(&data, b"two").expect("writes");
        std::fs::File::options()
            .write(true)
            .open(&data)
            .expect("opens")
            .set_modified(before)
            .expect("sets mtime");
        let c = HashCache::open(&store);
        assert_eq!(c.file(&data).expect("hashes").0, hash::bytes(b"two"));
        assert_eq!(
            c.hits(),
            0,
            "a rewritten file is never answered from the cache"
        );
    }

    #[test]
    fn disabled_and_corrupt_caches_always_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("f");
        std::fs::write(&data, b"x").expect("writes");
        let store = dir.path().join("hashes.json");
        std::fs::write(&store, b"{ not json").expect("writes");
        for c in [HashCache::disabled(), HashCache::open(&store)] {
            assert_eq!(c.file(&data).expect("hashes").0, hash::bytes(b"x"));
            assert_eq!(c.hits(), 0);
        }
        // A missing file is an error naming it, as without the cache.
        let err = HashCache::open(&store)
            .file(&dir.path().join("gone"))
            .expect_err("missing");
        assert!(format!("{err:#}").contains("gone"));
    }
}

//! The render cache that makes rebuilds incremental: expensive, pure outputs (a page body
//! rendered from its template and context, a chart, a markdown document) are stored under
//! `site/.cache/<kind>/<sha256 of the inputs>` and reused when the same inputs come again.
//!
//! Steps of [`Cache::get_or`]: hash the kind, the cache format version and the inputs → read
//! the entry if it exists (a hit) → otherwise compute, then write the entry through a temporary
//! file and a rename (a miss). Entries are never trusted beyond being the output for that hash:
//! an unreadable entry is recomputed and rewritten. The cache can be deleted at any time.
//! After a build, [`Cache::prune`] removes the entries that build did not use, so the cache
//! holds one build's outputs and does not grow with every version.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Bumped whenever what a cached output depends on changes outside its inputs (e.g. how
/// charts or markdown are rendered), so old entries are not reused.
const CACHE_VERSION: &str = concat!("sitegen-cache-1-", env!("CARGO_PKG_VERSION"));

/// A content-addressed cache directory, safe to share between threads.
#[derive(Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    used: Mutex<HashSet<(String, String)>>,
}

/// Hit and miss counts, per build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Outputs reused.
    pub hits: usize,
    /// Outputs computed.
    pub misses: usize,
}

impl Cache {
    /// A cache stored in `dir` (created on first write).
    pub fn new(dir: &Path) -> Cache {
        Cache {
            dir: Some(dir.to_path_buf()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            used: Mutex::new(HashSet::new()),
        }
    }

    /// A cache that stores nothing (every lookup computes).
    pub fn disabled() -> Cache {
        Cache {
            dir: None,
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            used: Mutex::new(HashSet::new()),
        }
    }

    /// The entry key for `kind` and `inputs`.
    pub fn key(kind: &str, inputs: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(CACHE_VERSION.as_bytes());
        h.update([0]);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(inputs);
        crate::hash::hex(&h.finalize())
    }

    /// The cached output for (`kind`, `inputs`), computing and storing it with `f` on a miss.
    pub fn get_or(
        &self,
        kind: &str,
        inputs: &[u8],
        f: impl FnOnce() -> Result<String>,
    ) -> Result<String> {
        if self.dir.is_none() {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return f();
        }
        self.get_or_keyed(kind, &Self::key(kind, inputs), f)
    }

    /// Like [`Cache::get_or`] with the entry key already computed by [`Cache::key`].
    pub fn get_or_keyed(
        &self,
        kind: &str,
        key: &str,
        f: impl FnOnce() -> Result<String>,
    ) -> Result<String> {
        let Some(dir) = &self.dir else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return f();
        };
        let key = key.to_string();
        let path = dir.join(kind).join(&key);
        if let Ok(mut used) = self.used.lock() {
            used.insert((kind.to_string(), key.clone()));
        }
        if let Ok(text) = std::fs::read_to_string(&path) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(text);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let out = f()?;
        let parent = dir.join(kind);
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("while creating the cache folder {}", parent.display()))?;
        let tmp = parent.join(format!(
            ".tmp-{key}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&tmp, &out)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("while writing the cache entry {}", path.display()))?;
        Ok(out)
    }

    /// Keeps the entry `key` of `kind` through [`Cache::prune`] without reading it (its output
    /// was not needed this time, e.g. a page shared with the previous version).
    pub fn keep(&self, kind: &str, key: &str) {
        if self.dir.is_some()
            && let Ok(mut used) = self.used.lock()
        {
            used.insert((kind.to_string(), key.to_string()));
        }
    }

    /// The cache folder, when the cache is on.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Removes every entry of the cache folder this cache did not use; returns how many.
    /// Unreadable folders are left alone (the cache is an optimisation, never an error).
    pub fn prune(&self) -> usize {
        let (Some(dir), Ok(used)) = (&self.dir, self.used.lock()) else {
            return 0;
        };
        let Ok(kinds) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut removed = 0;
        for kind in kinds.flatten() {
            let kind_name = kind.file_name().to_string_lossy().into_owned();
            let Ok(entries) = std::fs::read_dir(kind.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !used.contains(&(kind_name.clone(), name))
                    && std::fs::remove_file(entry.path()).is_ok()
                {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lookup_hits_and_different_inputs_miss() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cache = Cache::new(tmp.path());
        let mut calls = 0;
        let mut get = |inputs: &[u8]| {
            cache
                .get_or("k", inputs, || {
                    calls += 1;
                    Ok(format!("out-{}", inputs.len()))
                })
                .expect("computes")
        };
        assert_eq!(get(b"a"), "out-1");
        assert_eq!(get(b"a"), "out-1");
        assert_eq!(get(b"bb"), "out-2");
        assert_eq!(calls, 2);
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 2 });
        // A later cache over the same folder that uses only one entry prunes the other.
        let later = Cache::new(tmp.path());
        later
            .get_or("k", b"a", || Ok("unused".into()))
            .expect("hit");
        assert_eq!(later.prune(), 1);
        let again = Cache::new(tmp.path());
        let mut recomputed = false;
        again
            .get_or("k", b"bb", || {
                recomputed = true;
                Ok("out-2".into())
            })
            .expect("computes");
        assert!(recomputed, "the pruned entry is gone");
    }

    #[test]
    fn disabled_cache_always_computes() {
        let cache = Cache::disabled();
        for _ in 0..2 {
            cache
                .get_or("k", b"x", || Ok("y".into()))
                .expect("computes");
        }
        assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 2 });
    }
}

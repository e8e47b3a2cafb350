//! The render cache that makes rebuilds incremental: expensive, pure outputs (a page body
//! rendered from its template and context, a markdown document) are stored by a sha256 of
//! their kind and inputs and reused when the same inputs come again.
//!
//! Storage is one append-only pack file and an index, not a file per entry (a cold build of a
//! 2,400-page site would otherwise create ~2,700 small files, and each later build delete and
//! create dozens — the file system's slowest operations):
//!
//! ```text
//! target/sitegen-cache/render.lock        held (advisory lock) by the build using the cache
//! target/sitegen-cache/render-<g>.pack    entry bytes, back to back
//! target/sitegen-cache/render.json        {format_version, pack, entries: {"<kind>/<key>": [offset, len, sha256]}}
//! ```
//!
//! Steps of [`Cache::get_or`]: hash the kind, the cache version and the inputs → look the key
//! up in the index → read the entry's bytes and check their sha256 (a hit) → otherwise compute,
//! append to the pack (a miss). [`Cache::finish`] writes the index of the entries this build
//! used — so the cache holds one build's outputs and does not grow with every version — through
//! a temporary file and a rename; when less than half of the pack is still referenced, the live
//! entries are first copied into a new pack generation, which the new index names (the old pack
//! is removed after the rename). Nothing in the cache is trusted: an entry whose bytes do not
//! match its sha256, or whose range lies outside the pack, is recomputed; an unreadable index
//! is an empty cache; a build that cannot take the lock (another build is using the cache)
//! builds without it. The folder can be deleted at any time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever what a cached output depends on changes outside its inputs (e.g. how
/// markdown is rendered), so old entries are not reused; part of every page key too
/// ([`super::reuse::chrome_digest`]), so no page rendered by older rules is shared. 2: links
/// and images with unsafe URL schemes are no longer rendered. 4: evidence links point to the
/// site's shared evidence store (`../evidence/…` from a version's root).
pub const CACHE_VERSION: &str = concat!("sitegen-cache-4-", env!("CARGO_PKG_VERSION"));

/// The index file's format version.
const FORMAT_VERSION: u32 = 1;
/// The index, in the cache folder.
const INDEX: &str = "render.json";
/// The lock file, in the cache folder.
const LOCK: &str = "render.lock";
/// Folders of the earlier one-file-per-entry layout, removed by [`Cache::finish`].
const LEGACY_DIRS: [&str; 3] = ["body", "chart", "markdown"];

/// Where one entry's bytes are: offset and length in the pack, sha256 of the bytes.
type Location = (u64, u64, String);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    format_version: u32,
    /// The pack file's name (`render-<generation>.pack`).
    pack: String,
    /// `<kind>/<key>` → location.
    entries: HashMap<String, Location>,
}

/// The pack being read and appended to.
#[derive(Debug)]
struct Pack {
    file: File,
    len: u64,
    /// Set when writing failed: no more appends this build (the cache is an optimisation).
    broken: bool,
}

/// A content-addressed cache, safe to share between threads.
#[derive(Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
    /// Held for the cache's lifetime; `None` when the cache is off.
    lock: Option<File>,
    index: Index,
    pack: Mutex<Option<Pack>>,
    /// Entries used or added by this build.
    live: Mutex<HashMap<String, Location>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// Hit and miss counts, per build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Outputs reused.
    pub hits: usize,
    /// Outputs computed.
    pub misses: usize,
}

fn entry_name(kind: &str, key: &str) -> String {
    format!("{kind}/{key}")
}

impl Cache {
    /// The cache stored in `dir` (created on first write). Without the folder's lock (another
    /// build holds it) or when the folder cannot be created, a cache that stores nothing.
    pub fn new(dir: &Path) -> Cache {
        let lock = std::fs::create_dir_all(dir)
            .and_then(|()| {
                File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(dir.join(LOCK))
            })
            .ok()
            .filter(|f| f.try_lock().is_ok());
        let Some(lock) = lock else {
            return Cache {
                dir: Some(dir.to_path_buf()),
                ..Cache::disabled()
            };
        };
        let index = std::fs::read(dir.join(INDEX))
            .ok()
            .and_then(|b| serde_json::from_slice::<Index>(&b).ok())
            .filter(|i| i.format_version == FORMAT_VERSION && valid_pack_name(&i.pack))
            .unwrap_or_default();
        let pack = (!index.pack.is_empty())
            .then(|| {
                let file = File::options()
                    .read(true)
                    .append(true)
                    .open(dir.join(&index.pack))
                    .ok()?;
                let len = file.metadata().ok()?.len();
                Some(Pack {
                    file,
                    len,
                    broken: false,
                })
            })
            .flatten();
        let index = if pack.is_some() {
            index
        } else {
            Index::default()
        };
        Cache {
            dir: Some(dir.to_path_buf()),
            lock: Some(lock),
            index,
            pack: Mutex::new(pack),
            live: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// A cache that stores nothing (every lookup computes).
    pub fn disabled() -> Cache {
        Cache {
            dir: None,
            lock: None,
            index: Index::default(),
            pack: Mutex::new(None),
            live: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// Whether outputs are stored and reused.
    fn enabled(&self) -> bool {
        self.lock.is_some()
    }

    /// The entry key for `kind` and `inputs`.
    pub fn key(kind: &str, inputs: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(CACHE_VERSION.as_bytes());
        h.update([0]);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(inputs);
        crate::evidence::hash::hex(&h.finalize())
    }

    /// The cached output for (`kind`, `inputs`), computing and storing it with `f` on a miss.
    pub fn get_or(
        &self,
        kind: &str,
        inputs: &[u8],
        f: impl FnOnce() -> Result<String>,
    ) -> Result<String> {
        if !self.enabled() {
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
        if !self.enabled() {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return f();
        }
        let name = entry_name(kind, key);
        if let Some(text) = self.read(&name) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(text);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let out = f()?;
        self.append(name, &out);
        Ok(out)
    }

    /// Keeps the entry `key` of `kind` through [`Cache::finish`] without reading it (its output
    /// was not needed this time, e.g. a page shared with the previous version).
    pub fn keep(&self, kind: &str, key: &str) {
        let name = entry_name(kind, key);
        if let Some(loc) = self.index.entries.get(&name)
            && let Ok(mut live) = self.live.lock()
        {
            live.insert(name, loc.clone());
        }
    }

    /// The cache folder, when the cache is on (even if another build holds its lock).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The entry's bytes when the index has it and they match its sha256.
    fn read(&self, name: &str) -> Option<String> {
        let (offset, len, sha) = self.index.entries.get(name)?.clone();
        let bytes = {
            let mut guard = self.pack.lock().ok()?;
            let pack = guard.as_mut()?;
            if offset.checked_add(len)? > pack.len {
                return None;
            }
            let mut buf = vec![0u8; usize::try_from(len).ok()?];
            pack.file.seek(SeekFrom::Start(offset)).ok()?;
            pack.file.read_exact(&mut buf).ok()?;
            buf
        };
        if crate::evidence::hash::bytes(&bytes) != sha {
            return None;
        }
        let text = String::from_utf8(bytes).ok()?;
        if let Ok(mut live) = self.live.lock() {
            live.insert(name.to_string(), (offset, len, sha));
        }
        Some(text)
    }

    /// Appends `text` to the pack (creating the first one) and records it as live.
    fn append(&self, name: String, text: &str) {
        let (Some(dir), Ok(mut guard)) = (&self.dir, self.pack.lock()) else {
            return;
        };
        if guard.is_none() {
            let file = File::options()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(dir.join(pack_name(0)));
            let Ok(file) = file else { return };
            *guard = Some(Pack {
                file,
                len: 0,
                broken: false,
            });
        }
        let Some(pack) = guard.as_mut() else { return };
        if pack.broken {
            return;
        }
        let offset = pack.len;
        let written = pack
            .file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| pack.file.write_all(text.as_bytes()));
        if written.is_err() {
            pack.broken = true;
            return;
        }
        pack.len += text.len() as u64;
        drop(guard);
        if let Ok(mut live) = self.live.lock() {
            live.insert(
                name,
                (
                    offset,
                    text.len() as u64,
                    crate::evidence::hash::bytes(text.as_bytes()),
                ),
            );
        }
    }

    /// Writes the index of the entries this build used or added (compacting the pack when
    /// less than half of it is live) and releases the cache. Failing to write is not an error:
    /// the next build recomputes what it cannot read.
    pub fn finish(self) {
        let Some(dir) = self.dir.clone() else { return };
        if !self.enabled() {
            return;
        }
        for legacy in LEGACY_DIRS {
            let _ = std::fs::remove_dir_all(dir.join(legacy));
        }
        let Ok(live) = self.live.into_inner() else {
            return;
        };
        let Ok(Some(mut pack)) = self.pack.into_inner() else {
            let _ = std::fs::remove_file(dir.join(INDEX));
            return;
        };
        if pack.broken {
            let _ = std::fs::remove_file(dir.join(INDEX));
            return;
        }
        let current = if self.index.pack.is_empty() {
            pack_name(0)
        } else {
            self.index.pack.clone()
        };
        let live_bytes: u64 = live.values().map(|(_, len, _)| len).sum();
        let (pack_file, entries) = if live_bytes * 2 < pack.len {
            match compact(&dir, &current, &mut pack.file, &live) {
                Ok(compacted) => compacted,
                Err(_) => (current.clone(), live),
            }
        } else {
            (current.clone(), live)
        };
        let index = Index {
            format_version: FORMAT_VERSION,
            pack: pack_file.clone(),
            entries,
        };
        let written = serde_json::to_vec(&index)
            .map_err(anyhow::Error::from)
            .and_then(|b| crate::util::atomic::replace(&dir.join(INDEX), &b));
        if written.is_ok() && pack_file != current {
            let _ = std::fs::remove_file(dir.join(&current));
        }
    }
}

/// `render-<generation>.pack`.
fn pack_name(generation: u64) -> String {
    format!("render-{generation}.pack")
}

/// Whether `name` is a pack name this cache writes (never a path elsewhere).
fn valid_pack_name(name: &str) -> bool {
    name.strip_prefix("render-")
        .and_then(|n| n.strip_suffix(".pack"))
        .is_some_and(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Copies the `live` entries of `current` into the next pack generation; returns its name and
/// the entries' new locations.
fn compact(
    dir: &Path,
    current: &str,
    from: &mut File,
    live: &HashMap<String, Location>,
) -> Result<(String, HashMap<String, Location>)> {
    let generation = current
        .strip_prefix("render-")
        .and_then(|n| n.strip_suffix(".pack"))
        .and_then(|g| g.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    let name = pack_name(generation);
    let path = dir.join(&name);
    let mut out = std::io::BufWriter::new(
        File::create(&path).with_context(|| format!("while creating {}", path.display()))?,
    );
    let mut entries = HashMap::with_capacity(live.len());
    let mut offset = 0u64;
    let mut sorted: Vec<(&String, &Location)> = live.iter().collect();
    sorted.sort_by_key(|(_, (o, _, _))| *o);
    let mut buf = Vec::new();
    for (entry, (at, len, sha)) in sorted {
        buf.resize(usize::try_from(*len)?, 0);
        from.seek(SeekFrom::Start(*at))?;
        from.read_exact(&mut buf)?;
        out.write_all(&buf)?;
        entries.insert(entry.clone(), (offset, *len, sha.clone()));
        offset += len;
    }
    out.flush()?;
    Ok((name, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(cache: &Cache, inputs: &[u8], calls: &mut usize) -> String {
        cache
            .get_or("k", inputs, || {
                *calls += 1;
                Ok(format!("out-{}", inputs.len()))
            })
            .expect("computes")
    }

    #[test]
    fn second_lookup_hits_and_unused_entries_are_dropped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut calls = 0;
        let cache = Cache::new(tmp.path());
        assert_eq!(get(&cache, b"a", &mut calls), "out-1");
        assert_eq!(get(&cache, b"bb", &mut calls), "out-2");
        assert_eq!(calls, 2);
        assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 2 });
        cache.finish();

        // A later build hits both, and uses only `a`.
        let later = Cache::new(tmp.path());
        assert_eq!(get(&later, b"a", &mut calls), "out-1");
        assert_eq!(later.stats(), CacheStats { hits: 1, misses: 0 });
        later.finish();

        // `bb` was not used by the last build: gone.
        let again = Cache::new(tmp.path());
        assert_eq!(get(&again, b"bb", &mut calls), "out-2");
        assert_eq!(calls, 3, "the dropped entry is recomputed");
        assert_eq!(get(&again, b"a", &mut calls), "out-1");
        assert_eq!(calls, 3);
        again.finish();
        // No file per entry.
        let files = std::fs::read_dir(tmp.path()).expect("lists").count();
        assert!(files <= 3, "pack, index and lock only: {files}");
    }

    #[test]
    fn kept_entries_survive_and_dead_space_is_compacted() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut calls = 0;
        let big = vec![b'x'; 1000];
        let cache = Cache::new(tmp.path());
        get(&cache, b"keep-me", &mut calls);
        for i in 0..10u8 {
            get(&cache, &[&big[..], &[i]].concat(), &mut calls);
        }
        cache.finish();
        let pack = |dir: &Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .expect("lists")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".pack"))
                .collect()
        };
        assert_eq!(pack(tmp.path()), vec!["render-0.pack"]);

        // Only `keep-me` is kept (not even read): most of the pack is dead → a new generation.
        let later = Cache::new(tmp.path());
        later.keep("k", &Cache::key("k", b"keep-me"));
        later.finish();
        assert_eq!(pack(tmp.path()), vec!["render-1.pack"]);
        let len = std::fs::metadata(tmp.path().join("render-1.pack"))
            .expect("pack")
            .len();
        assert_eq!(len, "out-7".len() as u64);
        let again = Cache::new(tmp.path());
        let before = calls;
        assert_eq!(get(&again, b"keep-me", &mut calls), "out-7");
        assert_eq!(calls, before, "read from the compacted pack");
    }

    #[test]
    fn corrupt_entries_and_index_are_recomputed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut calls = 0;
        let cache = Cache::new(tmp.path());
        get(&cache, b"a", &mut calls);
        cache.finish();
        // Flip a byte of the entry: its sha256 no longer matches.
        let pack = tmp.path().join("render-0.pack");
        let mut bytes = std::fs::read(&pack).expect("pack");
        bytes[0] ^= 1;
        std::fs::write(&pack, bytes).expect("writes");
        let later = Cache::new(tmp.path());
        assert_eq!(get(&later, b"a", &mut calls), "out-1");
        assert_eq!(calls, 2);
        later.finish();
        // An index that is not JSON, or names a file outside the cache, is an empty cache.
        for index in [
            "{ nope",
            r#"{"format_version":1,"pack":"../x","entries":{}}"#,
        ] {
            std::fs::write(tmp.path().join(INDEX), index).expect("writes");
            let c = Cache::new(tmp.path());
            let before = calls;
            get(&c, b"a", &mut calls);
            assert_eq!(calls, before + 1);
            c.finish();
        }
        // An entry past the end of the pack is a miss, not a panic.
        let c = Cache::new(tmp.path());
        c.finish();
        let text = std::fs::read_to_string(tmp.path().join(INDEX)).expect("index");
        let mut index: Index = serde_json::from_str(&text).expect("index");
        for loc in index.entries.values_mut() {
            loc.0 = 1 << 40;
        }
        std::fs::write(
            tmp.path().join(INDEX),
            serde_json::to_vec(&index).expect("json"),
        )
        .expect("writes");
        let c = Cache::new(tmp.path());
        let before = calls;
        get(&c, b"a", &mut calls);
        assert_eq!(calls, before + 1);
    }

    #[test]
    fn a_second_build_at_once_and_a_disabled_cache_compute_everything() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut calls = 0;
        let first = Cache::new(tmp.path());
        get(&first, b"a", &mut calls);
        let second = Cache::new(tmp.path());
        get(&second, b"a", &mut calls);
        get(&second, b"a", &mut calls);
        assert_eq!(
            calls, 3,
            "the second cache stores nothing while the first holds the lock"
        );
        second.finish();
        first.finish();
        let disabled = Cache::disabled();
        get(&disabled, b"a", &mut calls);
        get(&disabled, b"a", &mut calls);
        assert_eq!(disabled.stats(), CacheStats { hits: 0, misses: 2 });
        assert!(disabled.dir().is_none());
    }

    #[test]
    fn legacy_entry_folders_are_removed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("body")).expect("mkdir");
        std::fs::write(tmp.path().join("body/abc"), "old").expect("writes");
        let mut calls = 0;
        let cache = Cache::new(tmp.path());
        get(&cache, b"a", &mut calls);
        cache.finish();
        assert!(!tmp.path().join("body").exists());
    }
}

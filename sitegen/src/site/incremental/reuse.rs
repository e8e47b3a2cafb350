//! Sharing unchanged pages with the previous version, so a new version costs only what changed.
//!
//! Pages carry no version name (the layout leaves it to `site.js`), so a page whose inputs are
//! unchanged is byte-identical to the one the previous build published. Each build records, in
//! `target/sitegen-cache/pages.json`, the version it published and for every page a key (a hash of
//! everything its two files are made from: template set, template, context, sidebar, assets)
//! and the `id`s the page holds. The next build:
//!
//! 1. ([`Previous::load`]) reads that record, if the cache is on and the recorded version's
//!    folder still exists; anything unreadable or oversized means no reuse (the record is an
//!    optimisation, never an error);
//! 2. (render phase) computes each page's key; a page whose key equals the recorded one is not
//!    rendered at all ([`Previous::unchanged`]);
//! 3. (check phase) checks the links of rendered pages only, taking the anchors of reused pages
//!    from the record — valid because a reused page passed the previous check and every file
//!    and anchor it could reach is still there ([`Previous::still_reachable`]); otherwise the
//!    reused pages are read back from disk and checked too;
//! 4. (write phase) hard-links both files of each reused page from the previous version (a
//!    copy where linking fails; published files are never modified in place, so sharing their
//!    bytes is safe); if a file is gone, the build starts over without reuse;
//! 5. ([`save`]) records the new version's keys and anchors for the next build.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the record under the cache folder.
const RECORD: &str = "pages.json";
/// Format of the record; a different one is ignored.
const FORMAT: u32 = 1;
/// A record larger than this is not read (a site of 100,000 pages needs about 20 MB).
const MAX_RECORD_BYTES: u64 = 256 << 20;

/// What the record keeps about one page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageRecord {
    /// The page key (see the module docs).
    pub key: String,
    /// Every `id` on the page, sorted.
    pub ids: Vec<String>,
    /// The render-cache key of the page's body, kept in the cache while the page is shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The record of one build.
#[derive(Debug, Deserialize)]
struct Record {
    format: u32,
    version: String,
    pages: BTreeMap<String, PageRecord>,
}

/// [`Record`] as written, borrowing the pages.
#[derive(Serialize)]
struct RecordRef<'a> {
    format: u32,
    version: &'a str,
    pages: &'a BTreeMap<String, PageRecord>,
}

/// The previous build, whose pages this build may share.
#[derive(Debug)]
pub struct Previous {
    /// `site/<previous version>/`.
    pub dir: PathBuf,
    pages: BTreeMap<String, PageRecord>,
}

/// Raised by the write phase when a page recorded as reusable can no longer be linked or
/// copied from the previous version; the build then starts over without reuse.
#[derive(Debug)]
pub struct ReuseFailed {
    /// The file that could not be shared.
    pub file: PathBuf,
    /// Why.
    pub error: std::io::Error,
}

impl std::fmt::Display for ReuseFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not reuse {} from the previous version: {}",
            self.file.display(),
            self.error
        )
    }
}

impl std::error::Error for ReuseFailed {}

impl Previous {
    /// Reads the record in `cache_dir` (step 1); `None` when there is nothing usable.
    pub fn load(cache_dir: &Path, site_dir: &Path) -> Option<Previous> {
        let record: Record = serde_json::from_slice(&read_record(cache_dir)?).ok()?;
        if record.format != FORMAT || crate::site::versions::validate_name(&record.version).is_err()
        {
            return None;
        }
        let dir = site_dir.join(&record.version);
        if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            return None;
        }
        Some(Previous {
            dir,
            pages: record.pages,
        })
    }

    /// Whether the page at `path` was published by the previous build with this `key`.
    pub fn unchanged(&self, path: &str, key: &str) -> bool {
        self.pages.get(path).is_some_and(|p| p.key == key)
    }

    /// The recorded render-cache key of the body of the page at `path`.
    pub fn body_key(&self, path: &str) -> Option<&str> {
        self.pages.get(path)?.body.as_deref()
    }

    /// The recorded anchors of the page at `path`.
    pub fn ids(&self, path: &str) -> Option<&[String]> {
        self.pages.get(path).map(|p| p.ids.as_slice())
    }

    /// Whether every link a reused page held in the previous version still resolves (step 3):
    /// every previous page is still published (assets are checked by the caller), and every
    /// re-rendered page that existed before still has all the anchors it had.
    /// `pages` holds the path of every page of the new version, `fresh` the anchors of every
    /// page rendered anew.
    pub fn still_reachable(
        &self,
        pages: &HashSet<&str>,
        fresh: &HashMap<&str, HashSet<String>>,
    ) -> bool {
        self.pages.iter().all(|(path, old)| {
            pages.contains(path.as_str())
                && match fresh.get(path.as_str()) {
                    Some(ids) => old.ids.iter().all(|id| ids.contains(id)),
                    None => true,
                }
        })
    }
}

/// The part of every page key that is the same for all pages of a build: the rendering rules
/// ([`super::cache::CACHE_VERSION`]), the template set, the sidebar and the static assets.
pub fn chrome_digest(
    templates: &crate::site::render::templates::Templates,
    nav: &serde_json::Value,
) -> Result<String> {
    let mut h = Sha256::new();
    h.update(super::cache::CACHE_VERSION.as_bytes());
    h.update([0]);
    h.update(templates.fingerprint().as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(nav).context("while serialising the sidebar")?);
    for (name, text) in &templates.assets {
        h.update([0]);
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
    }
    Ok(crate::evidence::hash::hex(&h.finalize()))
}

/// The key of a page from its body's cache key and the build's [`chrome_digest`].
pub fn page_key(body_key: &str, chrome: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"page\0");
    h.update(body_key.as_bytes());
    h.update([0]);
    h.update(chrome.as_bytes());
    crate::evidence::hash::hex(&h.finalize())
}

/// The key of a page whose context is a pure function of `inputs` (bytes the page's producer
/// derives cheaply from everything the context is built from, e.g. the hashes of the evidence
/// it shows), so it can be shared without building its context.
pub fn input_page_key(chrome: &str, template: &str, path: &str, inputs: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"inputs\0");
    h.update(chrome.as_bytes());
    h.update([0]);
    h.update(template.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(inputs);
    crate::evidence::hash::hex(&h.finalize())
}

/// Writes the record of the build that published `version` (step 5), through a temporary file
/// and a rename.
pub fn save(cache_dir: &Path, version: &str, pages: &BTreeMap<String, PageRecord>) -> Result<()> {
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("while creating {}", cache_dir.display()))?;
    let record = RecordRef {
        format: FORMAT,
        version,
        pages,
    };
    let path = cache_dir.join(RECORD);
    let bytes = serde_json::to_vec(&record).context("while serialising the page record")?;
    crate::util::atomic::replace(&path, &bytes)
        .with_context(|| format!("while writing {}", path.display()))
}

/// Removes the record, so the next build shares nothing (used when a build fails after the
/// record could have gone stale).
pub fn forget(cache_dir: &Path) {
    let _ = std::fs::remove_file(cache_dir.join(RECORD));
}

/// Removes the record if it describes `version` (which a build without the cache has just
/// replaced).
pub fn forget_version(cache_dir: &Path, version: &str) {
    let recorded = read_record(cache_dir)
        .and_then(|bytes| serde_json::from_slice::<RecordVersion>(&bytes).ok());
    if recorded.is_some_and(|r| r.version == version) {
        forget(cache_dir);
    }
}

/// The record's bytes, unless it is missing, unreadable or larger than [`MAX_RECORD_BYTES`].
fn read_record(cache_dir: &Path) -> Option<Vec<u8>> {
    let path = cache_dir.join(RECORD);
    if std::fs::metadata(&path).ok()?.len() > MAX_RECORD_BYTES {
        return None;
    }
    std::fs::read(&path).ok()
}

/// Just the version of a record.
#[derive(Deserialize)]
struct RecordVersion {
    version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_bad_records_are_ignored() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cache = tmp.path().join(".cache");
        let mut pages = BTreeMap::new();
        pages.insert(
            "a".to_string(),
            PageRecord {
                key: "k1".into(),
                ids: vec!["x".into(), "y".into()],
                body: Some("b1".into()),
            },
        );
        save(&cache, "v1", &pages).expect("save");
        // The version's folder does not exist: nothing to share.
        assert!(Previous::load(&cache, tmp.path()).is_none());
        std::fs::create_dir(tmp.path().join("v1")).expect("mkdir");
        let prev = Previous::load(&cache, tmp.path()).expect("usable");
        assert!(prev.unchanged("a", "k1"));
        assert!(!prev.unchanged("a", "k2"));
        assert!(!prev.unchanged("b", "k1"));
        assert_eq!(prev.ids("a"), Some(&["x".to_string(), "y".to_string()][..]));
        assert_eq!(prev.body_key("a"), Some("b1"));

        let mut fresh: HashMap<&str, HashSet<String>> = HashMap::new();
        let both: HashSet<&str> = ["a", "b"].into_iter().collect();
        assert!(prev.still_reachable(&both, &fresh), "`a` reused");
        fresh.insert("a", ["x", "y", "z"].iter().map(|s| s.to_string()).collect());
        assert!(prev.still_reachable(&both, &fresh));
        let without_a: HashSet<&str> = ["b"].into_iter().collect();
        assert!(
            !prev.still_reachable(&without_a, &fresh),
            "page `a` is gone"
        );
        fresh.insert("a", ["x"].iter().map(|s| s.to_string()).collect());
        assert!(
            !prev.still_reachable(&both, &fresh),
            "anchor `y` disappeared"
        );

        for bad in ["{", "{\"format\": 1}", "[]"] {
            std::fs::write(cache.join(RECORD), bad).expect("write");
            assert!(Previous::load(&cache, tmp.path()).is_none(), "{bad}");
        }
        let wrong = r#"{"format": 1, "version": "../etc", "pages": {}}"#;
        std::fs::write(cache.join(RECORD), wrong).expect("write");
        assert!(Previous::load(&cache, tmp.path()).is_none());
        save(&cache, "v1", &BTreeMap::new()).expect("save");
        forget_version(&cache, "v2");
        assert!(
            cache.join(RECORD).exists(),
            "v2 is not the recorded version"
        );
        forget_version(&cache, "v1");
        assert!(!cache.join(RECORD).exists());
    }

    #[test]
    fn page_key_depends_on_body_and_chrome() {
        let a = page_key("body", "chrome");
        assert_eq!(a, page_key("body", "chrome"));
        assert_ne!(a, page_key("body2", "chrome"));
        assert_ne!(a, page_key("body", "chrome2"));
        let i = input_page_key("c", "run.html", "runs/x", b"in");
        assert_ne!(i, input_page_key("c2", "run.html", "runs/x", b"in"));
        assert_ne!(i, input_page_key("c", "run2.html", "runs/x", b"in"));
        assert_ne!(i, input_page_key("c", "run.html", "runs/y", b"in"));
        assert_ne!(i, input_page_key("c", "run.html", "runs/x", b"in2"));
    }
}

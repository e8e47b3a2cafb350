//! Everything a build keeps between builds, in one place, all under `target/sitegen-cache/`:
//!
//! 1. the render cache ([`cache`]): markdown documents and page bodies by a hash of their
//!    inputs, in one pack file;
//! 2. page sharing ([`reuse`]): the record of the pages the previous version published, by
//!    page key, so an unchanged page is hard-linked instead of rendered;
//! 3. and 4. the evidence hash cache (`hashes.json`, by file `stat`) and the parsed record cache
//!    (`records.bin`) of earlier builds: either could be edited to make a build show evidence it
//!    did not verify, so builds no longer read them, and delete them ([`remove_stale`]).

pub mod cache;
pub mod reuse;

use std::path::Path;

/// Files under `target/sitegen-cache/` in which earlier builds kept evidence hashes (by file `stat`) and
/// parsed records. Either could be edited to make a build show evidence it did not verify, so
/// builds no longer read them, and delete them.
pub const STALE_EVIDENCE_CACHES: [&str; 2] = ["hashes.json", "records.bin"];

/// Deletes the [`STALE_EVIDENCE_CACHES`] in `cache_dir`, if any.
pub fn remove_stale(cache_dir: &Path) {
    for stale in STALE_EVIDENCE_CACHES {
        let _ = std::fs::remove_file(cache_dir.join(stale));
    }
}

//! Seeded snapshots (the plan's Phase 0): a deterministic dataset, its compressed backup, and a
//! digest of its logical content.
//!
//! [`create_snapshot`], in order: create `<out>/db` and load `keys` keys of the standard seeded
//! workload ([`crate::harness::workload`]); back it up into `<out>/backup`; compute the content digest;
//! write `<out>/snapshot.json`. The same seed and key count always give the same digest.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::backup::manifest::hex;
use crate::db::{Database, Options};
use crate::error::{Error, Result};
use crate::harness::workload;

/// Keys per commit while loading a snapshot's dataset.
pub const LOAD_BATCH: u64 = 1000;

/// What [`create_snapshot`] wrote (also the contents of `snapshot.json`).
#[derive(Clone, Debug, Serialize)]
pub struct SnapshotReport {
    /// Workload seed.
    pub seed: u64,
    /// Keys loaded.
    pub keys: u64,
    /// The database directory.
    pub db: PathBuf,
    /// The backup directory.
    pub backup: PathBuf,
    /// Keys in the database (fewer than `keys` only if the workload repeated a key).
    pub entries: u64,
    /// [`content_digest`] of the database.
    pub content_sha256: String,
    /// The backup manifest's checksum.
    pub backup_manifest_checksum: String,
    /// Bytes of source data in the backup.
    pub source_bytes: u64,
    /// Bytes of the compressed page stream.
    pub compressed_bytes: u64,
}

/// sha256 over every `(key, value)` of the latest commit in key order, each framed as
/// `key_len u32 LE | key | value_len u32 LE | value`; returns `(entries, hex digest)`.
/// Independent of page size, tree shape and history: equal digests mean equal contents.
pub fn content_digest(db: &Database) -> Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    for kv in db.range(
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        false,
    )? {
        let (k, v) = kv?;
        h.update((k.len() as u32).to_le_bytes());
        h.update(&k);
        h.update((v.len() as u32).to_le_bytes());
        h.update(&v);
        n += 1;
    }
    Ok((n, hex(&h.finalize())))
}

/// Creates the snapshot directory `out` (which must not exist); see the module doc.
pub fn create_snapshot(out: &Path, seed: u64, keys: u64, opts: &Options) -> Result<SnapshotReport> {
    if out.exists() {
        return Err(Error::AlreadyExists {
            path: out.to_path_buf(),
        });
    }
    let db_dir = out.join("db");
    let bk_dir = out.join("backup");
    let db = Database::create(&db_dir, opts.clone())?;
    workload::load(&db, seed, 0, keys, LOAD_BATCH)?;
    let backup = db.backup(&bk_dir)?;
    let (entries, content_sha256) = content_digest(&db)?;
    db.close()?;
    let report = SnapshotReport {
        seed,
        keys,
        db: db_dir,
        backup: bk_dir,
        entries,
        content_sha256,
        backup_manifest_checksum: backup.manifest.checksum.clone(),
        source_bytes: backup.manifest.source_bytes,
        compressed_bytes: backup.compressed_bytes,
    };
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::InvalidArgument(format!("encoding snapshot.json: {e}")))?;
    let path = out.join("snapshot.json");
    std::fs::write(&path, json + "\n").map_err(|e| Error::io("writing", &path, e))?;
    Ok(report)
}

//! Reading the ledger back: every run with its records, in id (= time) order, in parallel.
//!
//! Loading parses and hashes what it reads but does not judge the chain; `verify` does that.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::hash;
use crate::hash_cache::HashCache;
use crate::ledger::record_cache::RecordCache;
use crate::ledger::{
    CHAIN_HEAD, ChainHead, FORMAT_VERSION, MANIFEST, Manifest, RECORDS, RUN_INFO, RunInfo, RunKind,
    TMP_PREFIX, parse_json, parse_run_id,
};
use crate::record::{self, EvidenceRecord};

/// A record as loaded, with where it came from and its hash.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    /// The record.
    pub record: EvidenceRecord,
    /// Path relative to the evidence folder, e.g. `<run-id>/records/engine-tests.json`.
    pub path: String,
    /// sha256 of the file's bytes.
    pub sha256: String,
}

/// One run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The run id (folder name).
    pub id: String,
    /// The run folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub info: RunInfo,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// sha256 of `manifest.json`.
    pub manifest_sha256: String,
    /// The records, sorted by check id.
    pub records: Vec<LoadedRecord>,
}

impl Run {
    /// The record of check `id`, if this run has one.
    pub fn record(&self, id: &str) -> Option<&LoadedRecord> {
        self.records.iter().find(|r| r.record.check_id == id)
    }
}

/// Run ids in `evidence`, sorted; skips `.tmp-` folders; a folder that is not a run id is an error.
pub fn list_run_ids(evidence: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    if !evidence.exists() {
        return Ok(ids);
    }
    for entry in std::fs::read_dir(evidence)
        .with_context(|| format!("while listing {}", evidence.display()))?
    {
        let entry = entry.with_context(|| format!("while listing {}", evidence.display()))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(TMP_PREFIX) || !entry.path().is_dir() {
            continue;
        }
        parse_run_id(&name).with_context(|| format!("{}", entry.path().display()))?;
        ids.push(name);
    }
    ids.sort();
    Ok(ids)
}

/// Reads `chain-head.json`, if present.
pub fn read_chain_head(evidence: &Path) -> Result<Option<ChainHead>> {
    let path = evidence.join(CHAIN_HEAD);
    if !path.exists() {
        return Ok(None);
    }
    let bytes =
        std::fs::read(&path).with_context(|| format!("while reading {}", path.display()))?;
    Ok(Some(parse_json(&path, &bytes)?))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("while reading {}", path.display()))
}

/// Loads one run folder.
pub fn load_run(evidence: &Path, id: &str) -> Result<Run> {
    load_run_with(evidence, id, &HashCache::disabled())
}

/// Like [`load_run`], taking record hashes from `hashes` when a record's `stat` is unchanged
/// (see [`crate::hash_cache`]).
pub fn load_run_with(evidence: &Path, id: &str, hashes: &HashCache) -> Result<Run> {
    load_run_cached(evidence, id, hashes, None)
}

/// Like [`load_run_with`], taking a record from `records` instead of reading and parsing it
/// when `hashes` knows the file's sha256 without reading it and that equals the sha256 the
/// manifest names (see [`RecordCache`]); save the cache with the loaded runs afterwards.
pub fn load_run_cached(
    evidence: &Path,
    id: &str,
    hashes: &HashCache,
    cache: Option<&RecordCache>,
) -> Result<Run> {
    let dir = evidence.join(id);
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = read(&manifest_path)?;
    let manifest: Manifest = parse_json(&manifest_path, &manifest_bytes)?;
    let info_path = dir.join(RUN_INFO);
    let info: RunInfo = parse_json(&info_path, &read(&info_path)?)?;
    for (path, version, run_id) in [
        (&manifest_path, manifest.format_version, &manifest.run_id),
        (&info_path, info.format_version, &info.run_id),
    ] {
        if version != FORMAT_VERSION {
            bail!(
                "{}: format_version {version} is not supported",
                path.display()
            );
        }
        if run_id != id {
            bail!(
                "{}: names run `{run_id}` but lives in folder `{id}`",
                path.display()
            );
        }
    }
    let mut records = Vec::new();
    for (rel, expected) in &manifest.files {
        if !rel.starts_with(&format!("{RECORDS}/")) {
            continue;
        }
        let path = dir.join(rel);
        if let Some(cache) = cache
            && hashes.known(&path).as_ref() == Some(expected)
            && let Some(record) = cache.take(expected)
        {
            records.push(LoadedRecord {
                record,
                path: format!("{id}/{rel}"),
                sha256: expected.clone(),
            });
            continue;
        }
        let bytes = read(&path)?;
        let record: EvidenceRecord = parse_json(&path, &bytes)?;
        if record.format_version != record::FORMAT_VERSION {
            bail!(
                "{}: format_version {} is not supported",
                path.display(),
                record.format_version
            );
        }
        crate::metrics::validate(&path.display().to_string(), &record.metrics)?;
        let sha256 = hashes.bytes(&path, &bytes);
        if let Some(cache) = cache {
            cache.note_parsed();
        }
        records.push(LoadedRecord {
            record,
            path: format!("{id}/{rel}"),
            sha256,
        });
    }
    records.sort_by(|a, b| a.record.check_id.cmp(&b.record.check_id));
    Ok(Run {
        id: id.to_string(),
        dir,
        info,
        manifest,
        manifest_sha256: hash::bytes(&manifest_bytes),
        records,
    })
}

/// Loads every run in `evidence`, oldest first.
pub fn load_runs(evidence: &Path) -> Result<Vec<Run>> {
    load_runs_with(evidence, &HashCache::disabled())
}

/// Like [`load_runs`], with record hashes from `hashes` where the rule allows
/// (see [`crate::hash_cache`]).
pub fn load_runs_with(evidence: &Path, hashes: &HashCache) -> Result<Vec<Run>> {
    load_runs_cached(evidence, hashes, None)
}

/// Like [`load_runs_with`], with parsed records from `records` where allowed
/// (see [`load_run_cached`]).
pub fn load_runs_cached(
    evidence: &Path,
    hashes: &HashCache,
    records: Option<&RecordCache>,
) -> Result<Vec<Run>> {
    let ids = list_run_ids(evidence)?;
    ids.par_iter()
        .map(|id| load_run_cached(evidence, id, hashes, records))
        .collect()
}

/// The baseline in force: the run named by the newest `baseline` run, if any.
pub fn current_baseline(runs: &[Run]) -> Option<&str> {
    runs.iter()
        .rev()
        .find(|r| r.info.kind == RunKind::Baseline)
        .and_then(|r| r.info.baseline.as_deref())
}

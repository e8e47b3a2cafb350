//! Reading the ledger back: every run with its records, in id (= time) order, in parallel.
//!
//! Loading parses and hashes what it reads but does not judge the chain; `verify` does that
//! (and [`crate::evidence::verify::verify_and_load`] does both in one pass over the files).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::evidence::hash;
use crate::evidence::ledger::{
    CHAIN_HEAD, ChainHead, FORMAT_VERSION, MANIFEST, Manifest, RECORDS, RUN_INFO, RunInfo, RunKind,
    TMP_PREFIX, parse_json, parse_run_id,
};
use crate::evidence::record::{self, EvidenceRecord};

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
    let dir = evidence.join(id);
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = read(&manifest_path)?;
    let manifest: Manifest = parse_json(&manifest_path, &manifest_bytes)?;
    let info_bytes = read(&dir.join(RUN_INFO))?;
    let mut records = Vec::new();
    for rel in manifest.files.keys() {
        if !rel.starts_with(&format!("{RECORDS}/")) {
            continue;
        }
        let path = dir.join(rel);
        let bytes = read(&path)?;
        records.push(LoadedRecord {
            record: parse_record(&path, &bytes)?,
            path: format!("{id}/{rel}"),
            sha256: hash::bytes(&bytes),
        });
    }
    let manifest_sha256 = hash::bytes(&manifest_bytes);
    assemble(
        evidence,
        id,
        manifest,
        manifest_sha256,
        &info_bytes,
        records,
    )
}

/// Parses and validates an evidence record read from `path` (format version, metrics).
pub fn parse_record(path: &Path, bytes: &[u8]) -> Result<EvidenceRecord> {
    let record: EvidenceRecord = parse_json(path, bytes)?;
    if record.format_version != record::FORMAT_VERSION {
        bail!(
            "{}: format_version {} is not supported",
            path.display(),
            record.format_version
        );
    }
    crate::evidence::metrics::validate(&path.display().to_string(), &record.metrics)?;
    Ok(record)
}

/// The run `id` from its parsed manifest (whose bytes have sha256 `manifest_sha256`), the
/// bytes of its `run.json` and its records: checks both files' format version and run id,
/// and sorts the records by check id.
pub fn assemble(
    evidence: &Path,
    id: &str,
    manifest: Manifest,
    manifest_sha256: String,
    info_bytes: &[u8],
    mut records: Vec<LoadedRecord>,
) -> Result<Run> {
    let dir = evidence.join(id);
    let manifest_path = dir.join(MANIFEST);
    let info_path = dir.join(RUN_INFO);
    let info: RunInfo = parse_json(&info_path, info_bytes)?;
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
    records.sort_by(|a, b| a.record.check_id.cmp(&b.record.check_id));
    Ok(Run {
        id: id.to_string(),
        dir,
        info,
        manifest,
        manifest_sha256,
        records,
    })
}

/// Loads every run in `evidence`, oldest first. (The site build loads through
/// [`crate::evidence::verify::verify_and_load`] instead, which verifies what it returns.)
pub fn load_runs(evidence: &Path) -> Result<Vec<Run>> {
    let ids = list_run_ids(evidence)?;
    ids.par_iter().map(|id| load_run(evidence, id)).collect()
}

/// One entry of the baseline history: a `baseline` run of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BaselineEntry {
    /// The ledger entry's own run id.
    pub entry: String,
    /// When it was recorded (RFC 3339 UTC).
    pub set_at: String,
    /// The check run it made the baseline.
    pub baseline: String,
    /// The baseline it replaced: the one the previous entry set (derived from the ledger, so
    /// it holds for entries recorded before the audit fields existed too).
    pub previous: Option<String>,
    /// The reason, author and ADR, for entries recorded with them.
    pub change: Option<crate::evidence::ledger::BaselineChange>,
}

/// Every baseline change in the ledger, oldest first.
pub fn baseline_history(runs: &[Run]) -> Vec<BaselineEntry> {
    let mut previous: Option<String> = None;
    let mut out = Vec::new();
    for run in runs.iter().filter(|r| r.info.kind == RunKind::Baseline) {
        let Some(baseline) = run.info.baseline.clone() else {
            continue;
        };
        out.push(BaselineEntry {
            entry: run.id.clone(),
            set_at: run.info.started_at.clone(),
            baseline: baseline.clone(),
            previous: previous.replace(baseline),
            change: run.info.baseline_change.clone(),
        });
    }
    out
}

/// The baseline in force: the run named by the newest `baseline` run, if any.
pub fn current_baseline(runs: &[Run]) -> Option<&str> {
    runs.iter()
        .rev()
        .find(|r| r.info.kind == RunKind::Baseline)
        .and_then(|r| r.info.baseline.as_deref())
}

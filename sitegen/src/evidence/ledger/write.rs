//! Appending a run to the ledger, atomically.
//!
//! Steps: take the ledger lock (`evidence/.lock`, exclusive) → remove leftovers of an
//! interrupted append → refuse to extend a chain whose head file disagrees with its newest run → pick a run
//! id later than every existing one → write `run.json`, the records and the manifest (linked to
//! the newest manifest's sha256) into `evidence/.tmp-<id>/`, fsyncing every file and folder →
//! rename the folder into place → fsync `evidence/` → replace `chain-head.json` the same way.
//! A crash before the rename leaves only a `.tmp-` folder, which is never read as a run and is
//! removed by the next append.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::evidence::hash;
use crate::evidence::ledger::load::{list_run_ids, read_chain_head};
use crate::evidence::ledger::{
    BaselineChange, CHAIN_HEAD, ChainHead, FORMAT_VERSION, Link, MANIFEST, Manifest, RECORDS,
    RUN_INFO, RunInfo, RunKind, TMP_PREFIX, parse_run_id, run_id,
};
use crate::evidence::record::{Environment, EvidenceRecord};
use crate::util::atomic::{self, sync_dir, write_synced};

/// A run to append.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// What it records.
    pub kind: RunKind,
    /// Profile, for check runs.
    pub profile: Option<String>,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time.
    pub finished_at: DateTime<Utc>,
    /// Where it ran.
    pub environment: Environment,
    /// For baseline runs: the run marked.
    pub baseline: Option<String>,
    /// For baseline runs: why, by whom, replacing what.
    pub baseline_change: Option<BaselineChange>,
    /// The records, one per check.
    pub records: Vec<EvidenceRecord>,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(value).context("while encoding JSON")?;
    v.push(b'\n');
    Ok(v)
}

/// Removes `.tmp-*` folders and files left by an interrupted append (called under the ledger
/// lock: no append in progress owns them).
fn remove_stale_tmp(evidence: &Path) -> Result<()> {
    for entry in std::fs::read_dir(evidence)
        .with_context(|| format!("while listing {}", evidence.display()))?
    {
        let entry = entry.with_context(|| format!("while listing {}", evidence.display()))?;
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            let path = entry.path();
            let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| format!("while removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Replaces `chain-head.json` atomically.
pub fn write_chain_head(evidence: &Path, head: &ChainHead) -> Result<()> {
    atomic::replace(&evidence.join(CHAIN_HEAD), &to_json(head)?)
}

/// Appends `run` to the ledger in `evidence` and returns its id. Holds the ledger lock
/// exclusively throughout (waiting for another append or a reader to finish), so concurrent
/// appends each land, one after the other.
pub fn append(evidence: &Path, run: NewRun) -> Result<String> {
    let _lock = crate::evidence::ledger::lock_for_append(evidence)?;
    remove_stale_tmp(evidence)?;
    let ids = list_run_ids(evidence)?;
    let previous = match ids.last() {
        None => None,
        Some(last) => {
            let path = evidence.join(last).join(MANIFEST);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("while reading {}", path.display()))?;
            Some(Link {
                run_id: last.clone(),
                manifest_sha256: hash::bytes(&bytes),
            })
        }
    };
    let head = read_chain_head(evidence)?;
    match (&head, &previous) {
        (None, None) => {}
        (Some(h), Some(p)) if h.run_id == p.run_id && h.manifest_sha256 == p.manifest_sha256 => {}
        _ => bail!(
            "{}: the chain head does not match the newest run ({}); run `sitegen verify` and \
             repair the ledger before appending",
            evidence.join(CHAIN_HEAD).display(),
            previous
                .as_ref()
                .map(|p| p.run_id.as_str())
                .unwrap_or("none")
        ),
    }
    let mut time = run.started_at;
    if let Some(last) = ids.last() {
        let last_time = parse_run_id(last)
            .with_context(|| format!("in {}", evidence.display()))?
            .and_utc();
        if time.timestamp() <= last_time.timestamp() {
            time = last_time + chrono::Duration::seconds(1);
        }
    }
    let id = run_id(time, &run.environment.git_commit);

    let mut seen = BTreeMap::new();
    for r in &run.records {
        if seen.insert(r.check_id.clone(), ()).is_some() {
            bail!("two records for check `{}` in one run", r.check_id);
        }
    }
    let info = RunInfo {
        format_version: FORMAT_VERSION,
        run_id: id.clone(),
        kind: run.kind,
        profile: run.profile,
        started_at: run
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finished_at: run
            .finished_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        environment: run.environment,
        checks: run.records.iter().map(|r| r.check_id.clone()).collect(),
        baseline: run.baseline,
        baseline_change: run.baseline_change,
    };
    let tmp = evidence.join(format!("{TMP_PREFIX}{id}"));
    // A failure on the way (a full disk, say) leaves nothing behind: the temporary folder is
    // removed, and a run already renamed into place is removed again when the chain head
    // cannot be written, so the ledger is exactly what it was.
    let manifest_bytes = match stage(&tmp, &info, &run.records, &id, previous) {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let dest = evidence.join(&id);
    if let Err(e) = std::fs::rename(&tmp, &dest) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e)
            .with_context(|| format!("while renaming {} to {}", tmp.display(), dest.display()));
    }
    let head = ChainHead {
        format_version: FORMAT_VERSION,
        run_id: id.clone(),
        manifest_sha256: hash::bytes(&manifest_bytes),
    };
    if let Err(e) = sync_dir(evidence).and_then(|()| write_chain_head(evidence, &head)) {
        let _ = std::fs::remove_dir_all(&dest);
        let _ = sync_dir(evidence);
        return Err(e.context(format!("the run {id} was not recorded")));
    }
    Ok(id)
}

/// Writes run `id` into the temporary folder `tmp` (its info, records and manifest, each
/// synced); returns the manifest's bytes.
fn stage(
    tmp: &Path,
    info: &RunInfo,
    records: &[EvidenceRecord],
    id: &str,
    previous: Option<Link>,
) -> Result<Vec<u8>> {
    std::fs::create_dir_all(tmp.join(RECORDS))
        .with_context(|| format!("while creating {}", tmp.display()))?;
    let mut files = BTreeMap::new();
    let info_bytes = to_json(info)?;
    write_synced(&tmp.join(RUN_INFO), &info_bytes)?;
    files.insert(RUN_INFO.to_string(), hash::bytes(&info_bytes));
    for r in records {
        let bytes = to_json(r)?;
        let rel = format!("{RECORDS}/{}.json", r.check_id);
        write_synced(&tmp.join(&rel), &bytes)?;
        files.insert(rel, hash::bytes(&bytes));
    }
    sync_dir(&tmp.join(RECORDS))?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        run_id: id.to_string(),
        previous,
        files,
    };
    let manifest_bytes = to_json(&manifest)?;
    write_synced(&tmp.join(MANIFEST), &manifest_bytes)?;
    sync_dir(tmp)?;
    Ok(manifest_bytes)
}

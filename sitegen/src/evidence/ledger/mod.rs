//! The evidence ledger: `evidence/<run-id>/` folders chained by manifest hashes.
//!
//! Layout of one run (documented in `docs/formats/run-manifest.md`):
//! ```text
//! evidence/
//!   chain-head.json                 id and manifest sha256 of the newest run
//!   20261125T210455Z-4cec030/
//!     run.json                      what ran, when, where (RunInfo)
//!     records/<check-id>.json       one evidence record per check
//!     manifest.json                 sha256 of every other file + link to the previous manifest
//! ```
//! Runs are append-only: [`write::append`] builds a run in a temporary folder and renames it
//! into place; [`load::load_runs`] reads them back; `verify` recomputes every hash. Appending
//! holds the ledger lock (`evidence/.lock`) exclusively, reading it shared
//! ([`lock_for_append`], [`lock_for_reading`]), so a reader never sees a run without its chain
//! head and two appends never race for the same place in the chain. [`anchor`] compares the
//! chain head with the one committed at git `HEAD`.

pub mod anchor;
pub mod load;
pub mod write;

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::evidence::record::Environment;

/// The run manifest / run info / chain head format version.
pub const FORMAT_VERSION: u32 = 1;
/// A run's manifest file name.
pub const MANIFEST: &str = "manifest.json";
/// A run's info file name.
pub const RUN_INFO: &str = "run.json";
/// The folder of records inside a run.
pub const RECORDS: &str = "records";
/// The chain head file at the top of the evidence folder.
pub const CHAIN_HEAD: &str = "chain-head.json";
/// Prefix of temporary run folders (never part of the ledger).
pub const TMP_PREFIX: &str = ".tmp-";
/// The ledger lock at the top of the evidence folder (never part of the ledger; empty while
/// no one appends): see [`lock_for_append`] and [`lock_for_reading`].
pub const LOCK: &str = ".lock";

/// Takes the ledger lock `evidence/.lock` exclusively (waiting for other holders), as an
/// append must: no other append, and no reader, sees the ledger until the new run and the
/// chain head are both in place. Creates the evidence folder if needed.
pub fn lock_for_append(evidence: &std::path::Path) -> Result<crate::util::lock::LockGuard> {
    std::fs::create_dir_all(evidence)
        .map_err(|e| anyhow::anyhow!("while creating {}: {e}", evidence.display()))?;
    crate::util::lock::exclusive(&evidence.join(LOCK))
}

/// Takes the ledger lock shared (waiting for an append in progress), as anything that reads
/// the ledger to verify, gate or show it must; `None` when there is no evidence folder yet (or
/// it is read-only, so no one can be appending).
pub fn lock_for_reading(
    evidence: &std::path::Path,
) -> Result<Option<crate::util::lock::LockGuard>> {
    crate::util::lock::shared(&evidence.join(LOCK))
}

/// What a run records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// Check results.
    Checks,
    /// Marks an earlier run as the Phase 0 baseline.
    Baseline,
    /// A paired measurement (`sitegen pair`): per check, the baseline commit and the current
    /// tree run alternately; each record carries its pairs and verdicts.
    Paired,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The run's id (equals its folder name).
    pub run_id: String,
    /// What the run records.
    pub kind: RunKind,
    /// The profile run (`checks` runs).
    #[serde(default)]
    pub profile: Option<String>,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// Where it ran.
    pub environment: Environment,
    /// Check ids, in the order they were scheduled.
    #[serde(default)]
    pub checks: Vec<String>,
    /// For `baseline` runs: the run marked as baseline.
    #[serde(default)]
    pub baseline: Option<String>,
    /// For `baseline` runs set with a reason: why, by whom, with which ADR, replacing what.
    /// Absent from entries recorded before reasons were required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_change: Option<BaselineChange>,
}

/// The audit trail of one baseline change (`sitegen baseline set RUN --reason … [--adr …]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineChange {
    /// Why the baseline moved (never empty).
    pub reason: String,
    /// The ADR recording the decision, e.g. `ADR-0010`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adr: Option<String>,
    /// Who set it: git's `user.name <user.email>` of the repository, else `$USER`.
    pub set_by: String,
    /// The baseline in force before this entry, if there was one.
    #[serde(default)]
    pub previous: Option<String>,
}

/// The link from a manifest to its predecessor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The previous run's id.
    pub run_id: String,
    /// sha256 of the previous run's `manifest.json` bytes.
    pub manifest_sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The run's id.
    pub run_id: String,
    /// The previous run, or `null` for the first link.
    pub previous: Option<Link>,
    /// Every other file of the run (path relative to the run folder, `/`-separated) → sha256.
    pub files: BTreeMap<String, String>,
}

/// `chain-head.json`: the newest run, so that deleting it is detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The newest run's id.
    pub run_id: String,
    /// sha256 of its `manifest.json`.
    pub manifest_sha256: String,
}

/// Checks that `id` has the shape `YYYYMMDDTHHMMSSZ-<hex commit>`, which sorts by time.
pub fn parse_run_id(id: &str) -> Result<chrono::NaiveDateTime> {
    let Some((stamp, commit)) = id.split_once('-') else {
        bail!("run id `{id}` should look like 20261125T210455Z-4cec030");
    };
    if commit.len() < 7 || !commit.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("run id `{id}`: `{commit}` is not an abbreviated commit id");
    }
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .map_err(|_| anyhow::anyhow!("run id `{id}`: `{stamp}` is not a YYYYMMDDTHHMMSSZ time"))
}

/// The run id for `time` and `commit` (abbreviated to 7 hex digits).
pub fn run_id(time: chrono::DateTime<chrono::Utc>, commit: &str) -> String {
    let short = crate::util::ids::short(commit, crate::util::ids::RUN_ID_COMMIT_LEN);
    format!("{}-{short}", time.format("%Y%m%dT%H%M%SZ"))
}

/// Parses JSON `text` read from `path` into `T`; errors name the path and line.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    bytes: &[u8],
) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), e.line().max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_name_the_commit() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-25T21:04:55Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let id = run_id(t, "4cec030abcdef");
        assert_eq!(id, "20261125T210455Z-4cec030");
        assert!(parse_run_id(&id).is_ok());
        assert!(parse_run_id("20261125-4cec030").is_err());
        assert!(parse_run_id("20261125T210455Z-xyz").is_err());
        let later = run_id(t + chrono::Duration::seconds(1), "0000000");
        assert!(later > id);
    }
}

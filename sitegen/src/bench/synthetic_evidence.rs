//! The evidence part of the synthetic repository: `sitegen.toml`, `content/plan.toml` (nine
//! phases whose criteria are the ones the synthetic ADRs claim, each reading one metric) and
//! `runs` evidence runs of one record with `metrics` metrics (20 samples each), chained by
//! manifest hashes exactly as the ledger writes them, spread over the synthetic commits.
//!
//! Files are written without fsync (this is benchmark input, not evidence anyone relies on);
//! the ledger verifies clean.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::synthetic::SyntheticSpec;
use crate::evidence::hash;
use crate::evidence::ledger::{self, ChainHead, Link, Manifest, RunInfo, RunKind};
use crate::evidence::metrics::{Direction, Metric};
use crate::evidence::record::{Captured, Environment, EvidenceRecord, Status};

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("while creating {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("while writing {}", path.display()))
}

/// Writes config, plan and ledger into `root`; `commits` are the synthetic commit ids, oldest
/// first.
pub fn generate(root: &Path, spec: &SyntheticSpec, commits: &[String]) -> Result<()> {
    write(
        &root.join("sitegen.toml"),
        b"[[check]]\nid = \"bench\"\ncommand = [\"true\"]\n\n[profiles.quick]\nchecks = [\"bench\"]\n",
    )?;
    let mut plan = String::from("format_version = 1\ntitle = \"Synthetic plan\"\n");
    for p in 0..9u32 {
        let _ = write!(
            plan,
            "\n[[phase]]\nid = {p}\ntitle = \"Phase {p}\"\nowner = \"Owner\"\neta = \"1 week\"\n{}",
            if p > 0 {
                format!("depends_on = [{}]\n", p - 1)
            } else {
                String::new()
            }
        );
        for n in (1..=spec.adrs).filter(|n| n % 9 == p as usize) {
            let _ = write!(
                plan,
                "\n[[phase.criterion]]\nid = \"P{p}.criterion-{n}\"\ntext = \"Criterion {n}\"\nmetric = \"metric_{} <= {}\"\n",
                n % spec.metrics.max(1),
                100 + n % 20
            );
        }
    }
    write(&root.join("content/plan.toml"), plan.as_bytes())?;
    let evidence = root.join("evidence");
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .context("fixed start time")?
        .with_timezone(&chrono::Utc);
    let mut previous: Option<Link> = None;
    for r in 0..spec.runs {
        let commit = commits
            .get(r * commits.len() / spec.runs)
            .cloned()
            .unwrap_or_else(|| "0".repeat(40));
        // Commits are 600 s apart from 2026-01-01; runs follow their commit.
        let c = r * commits.len() / spec.runs;
        let time = start + chrono::Duration::seconds(c as i64 * 600 + 60 + r as i64);
        previous = Some(write_run(
            &evidence,
            r,
            spec.metrics,
            time,
            commit,
            previous,
        )?);
    }
    if let Some(last) = previous {
        write_head(&evidence, last)?;
    }
    Ok(())
}

/// Appends one more synthetic run (number `r`, one hour after the newest) to the ledger of a
/// synthetic repository, as a new check run would; returns its id.
pub fn add_run(root: &Path, r: usize, metrics: usize) -> Result<String> {
    let evidence = root.join("evidence");
    let head = ledger::load::read_chain_head(&evidence)?
        .context("the synthetic ledger has no chain head")?;
    let newest = ledger::load::load_run(&evidence, &head.run_id)?;
    let time = crate::site::load::evidence::parse_time(&newest.info.started_at)
        .context("the newest run has no valid start time")?
        + chrono::Duration::seconds(3600);
    let link = write_run(
        &evidence,
        r,
        metrics,
        time,
        newest.info.environment.git_commit.clone(),
        Some(Link {
            run_id: head.run_id,
            manifest_sha256: head.manifest_sha256,
        }),
    )?;
    let id = link.run_id.clone();
    write_head(&evidence, link)?;
    Ok(id)
}

fn write_head(evidence: &Path, last: Link) -> Result<()> {
    let head = ChainHead {
        format_version: ledger::FORMAT_VERSION,
        run_id: last.run_id,
        manifest_sha256: last.manifest_sha256,
    };
    write(
        &evidence.join(ledger::CHAIN_HEAD),
        &serde_json::to_vec_pretty(&head)?,
    )
}

/// Writes run number `r` at `time` measuring `commit`, linked to `previous`.
fn write_run(
    evidence: &Path,
    r: usize,
    metric_count: usize,
    time: chrono::DateTime<chrono::Utc>,
    commit: String,
    previous: Option<Link>,
) -> Result<Link> {
    let id = ledger::run_id(time, &commit);
    let env = Environment {
        git_commit: commit,
        dirty: false,
        rustc: "rustc 1.95.0".into(),
        cargo_lock_sha256: None,
        os: "linux".into(),
        cpu: "synthetic".into(),
        cores: 2,
        ..Environment::default()
    };
    let metrics: Vec<Metric> = (0..metric_count)
        .map(|m| {
            let base = 90.0 + (m % 10) as f64 + ((r * 7 + m) % 13) as f64;
            let mut metric =
                Metric::new(format!("metric_{m}"), base, "us", Direction::LowerIsBetter);
            metric.samples = (0..20)
                .map(|s| base + ((s * 3 + r) % 7) as f64 - 3.0)
                .collect();
            metric
        })
        .collect();
    let record = EvidenceRecord {
        format_version: crate::evidence::record::FORMAT_VERSION,
        check_id: "bench".into(),
        phase: Some(3),
        status: Status::Pass,
        command: vec!["true".into()],
        workdir: ".".into(),
        started_at: time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: 1000 + r as u64 % 100,
        exit_code: Some(0),
        message: None,
        metrics,
        artifacts: Vec::new(),
        stdout: Captured {
            text: format!("run {r}\n"),
            bytes: format!("run {r}\n").len() as u64,
            truncated: false,
            sha256: hash::bytes(format!("run {r}\n").as_bytes()),
        },
        stderr: Captured::default(),
        environment: env.clone(),
        conditions: None,
        paired: None,
    };
    let dir = evidence.join(&id);
    let mut files = BTreeMap::new();
    let bytes = serde_json::to_vec_pretty(&record)?;
    write(&dir.join("records/bench.json"), &bytes)?;
    files.insert("records/bench.json".to_string(), hash::bytes(&bytes));
    let stamp = time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let info = RunInfo {
        format_version: ledger::FORMAT_VERSION,
        run_id: id.clone(),
        kind: RunKind::Checks,
        profile: Some("quick".into()),
        started_at: stamp.clone(),
        finished_at: stamp,
        environment: env,
        checks: vec!["bench".into()],
        baseline: None,
        baseline_change: None,
    };
    let bytes = serde_json::to_vec_pretty(&info)?;
    write(&dir.join("run.json"), &bytes)?;
    files.insert("run.json".to_string(), hash::bytes(&bytes));
    let manifest = Manifest {
        format_version: ledger::FORMAT_VERSION,
        run_id: id.clone(),
        previous,
        files,
    };
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    write(&dir.join("manifest.json"), &bytes)?;
    Ok(Link {
        run_id: id,
        manifest_sha256: hash::bytes(&bytes),
    })
}

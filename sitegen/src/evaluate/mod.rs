//! Evaluation: from loaded evidence to verdicts.
//!
//! Steps: index the newest evidence per metric and per check → find the baseline run (the
//! `--baseline` override, else the newest `baseline set` entry) → decide every criterion of the
//! plan ([`criteria`]) and apply ADR waivers → roll criteria up into phase status → compare
//! every current metric with the baseline ([`regression`]). Every verdict names the evidence
//! that decided it (run id, file, sha256) and says why; each kind of missing evidence (no
//! measurement, no baseline, not comparable, stale) is a verdict of its own, never a pass.
//!
//! Before deciding, [`emitter_warnings`] reports every metric criterion that names a metric no
//! configured check emits (the union of the metric names the runs of each configured check
//! recorded), so a criterion that can never be decided says so when the project loads.
//!
//! A paired measurement against the baseline commit ([`paired`]) decides the relative
//! comparisons and regression verdicts of the metrics it measured at the current commit.

pub mod criteria;
pub mod index;
pub mod paired;
pub mod regression;
pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::evidence::ledger::RunKind;
use crate::evidence::ledger::load::{Run, current_baseline};
use crate::evidence::testbed::{Testbed, testbed};
use crate::model::adr::Adr;
use crate::model::config::Config;
use crate::model::plan::expr::Bound;
use crate::model::plan::{Decider, Plan};
use crate::model::signoff::Signoffs;

pub use criteria::{ComparisonOutcome, CriterionVerdict, Verdict};
pub use regression::{Method, RegressionState, RegressionVerdict};

/// Where a verdict's deciding evidence lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// The evidence run, when the evidence is a record in the ledger.
    pub run_id: Option<String>,
    /// The record (relative to the evidence folder) or the repository file that decided.
    pub path: String,
    /// sha256 of that file.
    pub sha256: String,
    /// For a repository file: the commit whose tree holds it exactly as it was read (git
    /// `HEAD`, when the file is committed and unchanged in the working tree) and its path from
    /// the repository's top folder; `None` for a ledger record, or a file that is untracked or
    /// changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<crate::util::git::AtCommit>,
}

/// Roll-up state of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    /// Every criterion met or waived.
    Complete,
    /// Some criterion met or waived, not all.
    InProgress,
    /// No criterion met or waived.
    NotStarted,
}

/// A phase's status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseStatus {
    /// Phase number.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Owner.
    pub owner: String,
    /// ETA as planned.
    pub eta: String,
    /// Phases it depends on.
    pub depends_on: Vec<u32>,
    /// Roll-up state.
    pub state: PhaseState,
    /// Criteria met.
    pub met: usize,
    /// Criteria waived.
    pub waived: usize,
    /// Criteria not met.
    pub not_met: usize,
    /// Criteria undecided: no measurement, no baseline, not comparable or stale.
    pub undecided: usize,
    /// Dependencies that are not complete.
    pub blocked_by: Vec<u32>,
}

/// Everything decided.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The newest check run, if any.
    pub latest_run: Option<String>,
    /// The baseline run compared against, if any.
    pub baseline: Option<String>,
    /// The newest check run's testbed.
    pub latest_testbed: Option<Testbed>,
    /// The baseline run's testbed.
    pub baseline_testbed: Option<Testbed>,
    /// One verdict per criterion, plan order.
    pub criteria: Vec<CriterionVerdict>,
    /// One status per phase, plan order.
    pub phases: Vec<PhaseStatus>,
    /// One verdict per metric measured both now and in the baseline, by name.
    pub regressions: Vec<RegressionVerdict>,
    /// Load-time warnings ([`emitter_warnings`]), plan order.
    pub warnings: Vec<String>,
}

impl Evaluation {
    /// Blocking criteria that do not pass: every state but met and waived.
    pub fn failed_blocking_criteria(&self) -> Vec<&CriterionVerdict> {
        self.criteria
            .iter()
            .filter(|c| c.blocking && !c.verdict.passes())
            .collect()
    }

    /// How many criteria are in state `v`.
    pub fn count(&self, v: Verdict) -> usize {
        self.criteria.iter().filter(|c| c.verdict == v).count()
    }

    /// Regressions beyond threshold and noise.
    pub fn regressed(&self) -> Vec<&RegressionVerdict> {
        self.regressions
            .iter()
            .filter(|r| r.state == RegressionState::Regressed)
            .collect()
    }

    /// Whether the gate passes under `config` (no failed blocking criterion, and no regression
    /// when regressions block).
    pub fn gate_passes(&self, config: &Config) -> bool {
        self.failed_blocking_criteria().is_empty()
            && (!config.regression.blocking || self.regressed().is_empty())
    }
}

/// What evaluation reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Repository root (artifact paths are relative to it).
    pub root: &'a Path,
    /// The configuration.
    pub config: &'a Config,
    /// The plan.
    pub plan: &'a Plan,
    /// The ADRs.
    pub adrs: &'a [Adr],
    /// Recorded sign-offs.
    pub signoffs: &'a Signoffs,
    /// Where the sign-offs were read from (relative to the root).
    pub signoffs_path: &'a str,
    /// The runs, oldest first.
    pub runs: &'a [Run],
    /// Baseline run override.
    pub baseline: Option<&'a str>,
}

/// Checks ADR claims against the plan: every criterion an ADR claims or waives must exist.
pub fn check_adr_claims(plan: &Plan, adrs: &[Adr]) -> Result<()> {
    for a in adrs {
        for (what, ids) in [
            ("claims", &a.meta.claims.criteria),
            ("waives", &a.meta.claims.waives),
        ] {
            for id in ids {
                if plan.criterion(id).is_none() {
                    bail!(
                        "{}: {} {what} criterion `{id}`, which plan.toml does not define",
                        a.path.display(),
                        a.meta.id
                    );
                }
            }
        }
    }
    Ok(())
}

/// The metric names a criterion's expression reads (compared metrics and metric bounds).
fn metric_names(decider: &Decider) -> Vec<&str> {
    let Decider::Metric(expr) = decider else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for c in expr.comparisons() {
        names.push(c.metric.as_str());
        if let Bound::Metric(other, _) = &c.bound {
            names.push(other.as_str());
        }
    }
    names
}

/// Load-time warnings, by criterion id: each metric criterion naming a metric that no check
/// configured in `sitegen.toml` emits — the union of the metric names recorded by any run's
/// record of a configured check — as ``P2.integrity-check: no check emits `integrity.x` ``.
/// Without any check run nothing is known about what checks emit, and nothing is reported.
pub fn emitter_warnings(
    plan: &Plan,
    config: &Config,
    runs: &[Run],
) -> Result<BTreeMap<String, String>> {
    let configured: BTreeSet<&str> = config.checks.iter().map(|c| c.id.as_str()).collect();
    let checks: Vec<&Run> = runs
        .iter()
        .filter(|r| r.info.kind == RunKind::Checks)
        .collect();
    let mut out = BTreeMap::new();
    if checks.is_empty() {
        return Ok(out);
    }
    let emitted: BTreeSet<&str> = checks
        .iter()
        .flat_map(|r| r.records.iter())
        .filter(|r| configured.contains(r.record.check_id.as_str()))
        .flat_map(|r| r.record.metrics.iter().map(|m| m.name.as_str()))
        .collect();
    for (_, c) in plan.criteria() {
        let decider = c.decider()?;
        let mut missing: Vec<&str> = metric_names(&decider)
            .into_iter()
            .filter(|m| !emitted.contains(m))
            .collect();
        missing.dedup();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            out.insert(
                c.id.clone(),
                format!("{}: no check emits {}", c.id, list.join(", ")),
            );
        }
    }
    Ok(out)
}

/// Evaluates everything.
pub fn evaluate(inputs: &Inputs<'_>) -> Result<Evaluation> {
    check_adr_claims(inputs.plan, inputs.adrs)?;
    let baseline_id = match inputs.baseline {
        Some(b) => Some(b),
        None => current_baseline(inputs.runs),
    };
    let baseline_run = match baseline_id {
        Some(id) => match inputs.runs.iter().find(|r| r.id == id) {
            Some(r) if r.info.kind == RunKind::Checks => Some(r),
            Some(_) => bail!("baseline `{id}` is not a check run"),
            None => bail!("baseline run `{id}` is not in the ledger"),
        },
        None => None,
    };
    let current = index::Index::build(inputs.runs);
    let base = index::Index::build(baseline_run);
    let pairs = paired::PairedIndex::build(
        inputs.runs,
        baseline_run.map(|r| r.info.environment.git_commit.as_str()),
    );
    let warnings = emitter_warnings(inputs.plan, inputs.config, inputs.runs)?;
    let criteria = criteria::decide_all(
        inputs,
        &current,
        &base,
        &pairs,
        baseline_run.map(|r| r.id.as_str()),
        &warnings,
    )?;
    let phases = phase_status(inputs.plan, &criteria);
    let regressions = regression::compare(
        &inputs.config.regression,
        &current,
        &base,
        baseline_run.map(|r| r.id.as_str()),
        &pairs,
    );
    let latest = inputs
        .runs
        .iter()
        .rev()
        .find(|r| r.info.kind == RunKind::Checks);
    Ok(Evaluation {
        latest_run: latest.map(|r| r.id.clone()),
        baseline: baseline_run.map(|r| r.id.clone()),
        latest_testbed: latest.map(|r| testbed(&r.info.environment)),
        baseline_testbed: baseline_run.map(|r| testbed(&r.info.environment)),
        warnings: criteria.iter().filter_map(|c| c.warning.clone()).collect(),
        criteria,
        phases,
        regressions,
    })
}

fn phase_status(plan: &Plan, criteria: &[CriterionVerdict]) -> Vec<PhaseStatus> {
    let mut out: Vec<PhaseStatus> = plan
        .phases
        .iter()
        .map(|p| {
            let mine: Vec<_> = criteria.iter().filter(|c| c.phase == Some(p.id)).collect();
            let count = |v: Verdict| mine.iter().filter(|c| c.verdict == v).count();
            let (met, waived) = (count(Verdict::Met), count(Verdict::Waived));
            let state = if met + waived == mine.len() {
                PhaseState::Complete
            } else if met + waived > 0 {
                PhaseState::InProgress
            } else {
                PhaseState::NotStarted
            };
            PhaseStatus {
                id: p.id,
                title: p.title.clone(),
                owner: p.owner.clone(),
                eta: p.eta.clone(),
                depends_on: p.depends_on.clone(),
                state,
                met,
                waived,
                not_met: count(Verdict::NotMet),
                undecided: mine.iter().filter(|c| !c.verdict.passes()).count()
                    - count(Verdict::NotMet),
                blocked_by: Vec::new(),
            }
        })
        .collect();
    let complete: Vec<u32> = out
        .iter()
        .filter(|p| p.state == PhaseState::Complete)
        .map(|p| p.id)
        .collect();
    for p in &mut out {
        p.blocked_by = p
            .depends_on
            .iter()
            .copied()
            .filter(|d| !complete.contains(d))
            .collect();
    }
    out
}

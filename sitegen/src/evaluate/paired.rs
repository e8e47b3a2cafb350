//! Paired evidence in evaluation: what `sitegen pair` measured decides the relative criteria
//! and the regression verdicts it covers.
//!
//! A paired measurement (the baseline commit and the current tree run alternately in one
//! sitting, see `docs/paired-baselines.md`) answers "how does this commit compare with the
//! baseline" on one machine at one time, which is what a relative criterion and a regression
//! verdict ask. It stands in for the comparison of two recorded runs only when it measured the
//! same two things:
//!
//! - its baseline side is the commit of the baseline run the evaluation compares against;
//! - its current side is the commit of the current value's evidence, and neither tree was
//!   dirty (a dirty tree's content is not named by its commit);
//! - the check was pairable (a `not pairable` record decides nothing).
//!
//! Among several such measurements of a metric the newest decides.

use std::collections::HashMap;

use serde::Serialize;

use crate::evaluate::EvidenceRef;
use crate::evidence::ledger::RunKind;
use crate::evidence::ledger::load::Run;
use crate::evidence::record::{Environment, PairedMetric, PairedVerdict};

/// One metric's paired measurement, as a verdict cites it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedRef {
    /// Geometric mean of the ratios current / baseline.
    pub ratio: f64,
    /// Lower bound of its 95 % confidence interval.
    pub ci_lower: f64,
    /// Upper bound of its 95 % confidence interval.
    pub ci_upper: f64,
    /// Pairs measured.
    pub pairs: u32,
    /// The threshold the paired verdict applied.
    pub threshold: f64,
    /// The paired verdict.
    pub verdict: PairedVerdict,
    /// The baseline commit measured.
    pub baseline_commit: String,
    /// The current commit measured.
    pub current_commit: String,
    /// The paired record.
    pub evidence: EvidenceRef,
}

impl PairedRef {
    /// `ratio 1.032 (95 % 1.011–1.054, 5 pairs, paired run R)`.
    pub fn describe(&self) -> String {
        format!(
            "ratio {:.3} (95 % {:.3}–{:.3}, {} pairs, paired run {})",
            self.ratio,
            self.ci_lower,
            self.ci_upper,
            self.pairs,
            self.evidence.run_id.as_deref().unwrap_or("?")
        )
    }
}

/// The newest usable paired measurement per (metric, current commit).
#[derive(Debug, Default)]
pub struct PairedIndex {
    by_metric: HashMap<(String, String), PairedRef>,
}

impl PairedIndex {
    /// Indexes the paired runs among `runs` (oldest first) whose baseline side is
    /// `baseline_commit`; nothing without a baseline commit.
    pub fn build(runs: &[Run], baseline_commit: Option<&str>) -> PairedIndex {
        let mut idx = PairedIndex::default();
        let Some(base) = baseline_commit else {
            return idx;
        };
        for run in runs.iter().filter(|r| r.info.kind == RunKind::Paired) {
            for rec in &run.records {
                let Some(p) = &rec.record.paired else {
                    continue;
                };
                if p.not_pairable.is_some()
                    || p.baseline.commit != base
                    || p.baseline.dirty
                    || p.current.dirty
                {
                    continue;
                }
                let evidence = EvidenceRef {
                    run_id: Some(run.id.clone()),
                    path: rec.path.clone(),
                    sha256: rec.sha256.clone(),
                    commit: None,
                };
                for m in &p.metrics {
                    idx.by_metric.insert(
                        (m.name.clone(), p.current.commit.clone()),
                        paired_ref(m, &p.baseline.commit, &p.current.commit, &evidence),
                    );
                }
            }
        }
        idx
    }

    /// The paired measurement of `metric` at the commit of `current` (the environment of the
    /// current value's evidence), unless that tree was dirty.
    pub fn get(&self, metric: &str, current: &Environment) -> Option<&PairedRef> {
        if current.dirty {
            return None;
        }
        self.by_metric
            .get(&(metric.to_string(), current.git_commit.clone()))
    }
}

fn paired_ref(m: &PairedMetric, base: &str, cur: &str, evidence: &EvidenceRef) -> PairedRef {
    PairedRef {
        ratio: m.ratio,
        ci_lower: m.ci_lower,
        ci_upper: m.ci_upper,
        pairs: m.pairs,
        threshold: m.threshold,
        verdict: m.verdict,
        baseline_commit: base.to_string(),
        current_commit: cur.to_string(),
        evidence: evidence.clone(),
    }
}

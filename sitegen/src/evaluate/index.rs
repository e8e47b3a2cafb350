//! An index over loaded runs: for every metric and every check, its newest evidence, the
//! check and environment of that evidence, and whether it is stale.
//!
//! **Stale**: a metric's newest measurement is stale when it comes from an older run than the
//! newest run that ran the same check — that run ran the check and did not record the metric
//! (it failed early, or no longer emits it), so the older value no longer describes the code.

use std::collections::HashMap;

use crate::evaluate::EvidenceRef;
use crate::evidence::ledger::RunKind;
use crate::evidence::ledger::load::Run;
use crate::evidence::metrics::Metric;
use crate::evidence::record::{Environment, Status};

/// A metric value with where it was measured.
#[derive(Debug, Clone)]
pub struct MetricEvidence<'a> {
    /// The metric.
    pub metric: &'a Metric,
    /// The record holding it.
    pub evidence: EvidenceRef,
    /// The check whose record holds it.
    pub check_id: &'a str,
    /// Where that record was made.
    pub environment: &'a Environment,
}

/// Newest evidence per metric name and per check id.
#[derive(Debug, Default)]
pub struct Index<'a> {
    metrics: HashMap<&'a str, MetricEvidence<'a>>,
    checks: HashMap<&'a str, (Status, EvidenceRef)>,
}

impl<'a> Index<'a> {
    /// Indexes `runs` (oldest first): later runs replace earlier evidence.
    pub fn build(runs: impl IntoIterator<Item = &'a Run>) -> Index<'a> {
        let mut idx = Index::default();
        for run in runs {
            if run.info.kind != RunKind::Checks {
                continue;
            }
            for rec in &run.records {
                let evidence = EvidenceRef {
                    run_id: Some(run.id.clone()),
                    path: rec.path.clone(),
                    sha256: rec.sha256.clone(),
                    commit: None,
                };
                idx.checks.insert(
                    rec.record.check_id.as_str(),
                    (rec.record.status, evidence.clone()),
                );
                for m in &rec.record.metrics {
                    idx.metrics.insert(
                        m.name.as_str(),
                        MetricEvidence {
                            metric: m,
                            evidence: evidence.clone(),
                            check_id: rec.record.check_id.as_str(),
                            environment: &rec.record.environment,
                        },
                    );
                }
            }
        }
        idx
    }

    /// Newest evidence of metric `name`.
    pub fn metric(&self, name: &str) -> Option<&MetricEvidence<'a>> {
        self.metrics.get(name)
    }

    /// Why the newest measurement of `name` is stale (see the module head), or `None` when it
    /// is not (or there is none).
    pub fn stale(&self, name: &str) -> Option<String> {
        let m = self.metrics.get(name)?;
        let (_, newest) = self.checks.get(m.check_id)?;
        let (then, now) = (m.evidence.run_id.as_deref()?, newest.run_id.as_deref()?);
        (then != now).then(|| {
            format!(
                "stale: `{name}` was last measured in run {then}; the newer run {now} ran check \
                 `{}` without recording it",
                m.check_id
            )
        })
    }

    /// Newest status of check `id`.
    pub fn check(&self, id: &str) -> Option<&(Status, EvidenceRef)> {
        self.checks.get(id)
    }

    /// Every indexed metric, sorted by name.
    pub fn metrics_sorted(&self) -> Vec<&MetricEvidence<'a>> {
        let mut v: Vec<_> = self.metrics.values().collect();
        v.sort_by(|a, b| a.metric.name.cmp(&b.metric.name));
        v
    }
}

//! An index over loaded runs: for every metric and every check, its newest evidence.

use std::collections::HashMap;

use crate::evaluate::EvidenceRef;
use crate::evidence::ledger::RunKind;
use crate::evidence::ledger::load::Run;
use crate::evidence::metrics::Metric;
use crate::evidence::record::Status;

/// A metric value with where it was measured.
#[derive(Debug, Clone)]
pub struct MetricEvidence<'a> {
    /// The metric.
    pub metric: &'a Metric,
    /// The record holding it.
    pub evidence: EvidenceRef,
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

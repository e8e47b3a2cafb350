//! Noise-aware regression verdicts: current metrics against the baseline run.
//!
//! Per metric measured both now and in the baseline: relative change in the worse direction →
//! with at least `min_samples` samples on both sides, a Mann–Whitney U test; the metric regressed
//! only when the change exceeds the threshold AND the difference is significant at `alpha` →
//! without samples, the plain threshold decides. The judgement is the workspace's shared one,
//! [`lightning_metrics::judge`], the same `ldb bench compare` makes.

use serde::Serialize;

use crate::evaluate::EvidenceRef;
use crate::evaluate::index::Index;
use crate::evidence::metrics::Direction;
use crate::model::config::RegressionConfig;
pub use lightning_metrics::compare::{Method, RegressionState};
use lightning_metrics::compare::{Rule, judge};

/// Relative change from `baseline` to `current` as a fraction (0.12 = 12% more, -0.25 = 25%
/// less), whichever way is better; `None` when the baseline is 0.
pub fn relative_change(baseline: f64, current: f64) -> Option<f64> {
    (baseline != 0.0).then(|| (current - baseline) / baseline.abs())
}

/// One metric compared with its baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionVerdict {
    /// Metric name.
    pub metric: String,
    /// Unit.
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// Baseline value.
    pub baseline_value: f64,
    /// Current value.
    pub current_value: f64,
    /// Relative change in the worse direction (0.12 = 12% worse; negative = better); `None`
    /// when the baseline value is 0.
    pub worse_by: Option<f64>,
    /// Threshold applied.
    pub threshold: f64,
    /// Outcome.
    pub state: RegressionState,
    /// How it was decided.
    pub method: Method,
    /// Current evidence.
    pub evidence: EvidenceRef,
    /// Baseline evidence.
    pub baseline_evidence: EvidenceRef,
}

/// Compares every metric of `cur` that `base` also has, skipping ignored metrics and metrics
/// whose newest evidence is the baseline run itself.
pub fn compare(
    cfg: &RegressionConfig,
    cur: &Index<'_>,
    base: &Index<'_>,
    baseline_run: Option<&str>,
) -> Vec<RegressionVerdict> {
    let mut out = Vec::new();
    for now in cur.metrics_sorted() {
        let m = now.metric;
        if cfg.is_ignored(&m.name) {
            continue;
        }
        let Some(b) = base.metric(&m.name) else {
            continue;
        };
        if now.evidence.run_id.as_deref() == baseline_run {
            continue;
        }
        let threshold = cfg.overrides.get(&m.name).copied().unwrap_or(cfg.threshold);
        let rule = Rule {
            threshold,
            min_samples: cfg.min_samples,
            alpha: cfg.alpha,
        };
        let judgement = judge(m, b.metric, &rule);
        let bv = b.metric.value;
        out.push(RegressionVerdict {
            metric: m.name.clone(),
            unit: m.unit.clone(),
            direction: m.direction,
            baseline_value: bv,
            current_value: m.value,
            worse_by: judgement.worse_by,
            threshold,
            state: judgement.state,
            method: judgement.method,
            evidence: now.evidence.clone(),
            baseline_evidence: b.evidence.clone(),
        });
    }
    out
}

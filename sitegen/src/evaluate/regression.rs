//! Noise-aware regression verdicts: current metrics against the baseline run.
//!
//! Per metric measured both now and in the baseline: relative change in the worse direction →
//! with at least `min_samples` samples on both sides, a Mann–Whitney U test; the metric regressed
//! only when the change exceeds the threshold AND the difference is significant at `alpha` →
//! without samples, the plain threshold decides.

use serde::Serialize;

use crate::evaluate::EvidenceRef;
use crate::evaluate::index::Index;
use crate::evaluate::stats::mann_whitney;
use crate::evidence::metrics::Direction;
use crate::model::config::RegressionConfig;

/// How a regression verdict was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Method {
    /// Mann–Whitney U on the samples.
    MannWhitney {
        /// Two-sided p-value.
        p_value: f64,
    },
    /// Plain threshold (no samples on one side).
    Threshold,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressionState {
    /// Worse beyond threshold (and significant, when tested).
    Regressed,
    /// Worse beyond threshold but not statistically significant.
    WithinNoise,
    /// Better beyond threshold.
    Improved,
    /// Within threshold.
    Unchanged,
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
        let sign = match m.direction {
            Direction::LowerIsBetter => 1.0,
            Direction::HigherIsBetter => -1.0,
        };
        let bv = b.metric.value;
        let delta = sign * (m.value - bv);
        let worse_by = (bv != 0.0).then(|| delta / bv.abs());
        let threshold = cfg.overrides.get(&m.name).copied().unwrap_or(cfg.threshold);
        let (beyond_worse, beyond_better) = match worse_by {
            Some(w) => (w > threshold, w < -threshold),
            None => (delta > 0.0, delta < 0.0),
        };
        let method =
            if m.samples.len() >= cfg.min_samples && b.metric.samples.len() >= cfg.min_samples {
                mann_whitney(&m.samples, &b.metric.samples)
                    .map(|r| Method::MannWhitney { p_value: r.p_value })
                    .unwrap_or(Method::Threshold)
            } else {
                Method::Threshold
            };
        let significant = match method {
            Method::MannWhitney { p_value } => p_value < cfg.alpha,
            Method::Threshold => true,
        };
        let state = if beyond_worse && significant {
            RegressionState::Regressed
        } else if beyond_worse {
            RegressionState::WithinNoise
        } else if beyond_better && significant {
            RegressionState::Improved
        } else {
            RegressionState::Unchanged
        };
        out.push(RegressionVerdict {
            metric: m.name.clone(),
            unit: m.unit.clone(),
            direction: m.direction,
            baseline_value: bv,
            current_value: m.value,
            worse_by,
            threshold,
            state,
            method,
            evidence: now.evidence.clone(),
            baseline_evidence: b.evidence.clone(),
        });
    }
    out
}

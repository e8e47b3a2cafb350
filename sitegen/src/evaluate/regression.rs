//! Noise-aware regression verdicts: current metrics against the baseline run.
//!
//! Per metric measured both now and in the baseline: relative change in the worse direction →
//! with at least `min_samples` samples on both sides, a Mann–Whitney U test; the metric regressed
//! only when the change exceeds the threshold AND the difference is significant at `alpha` →
//! without samples, the plain threshold decides. The judgement is the workspace's shared one,
//! [`lightning_metrics::judge`], the same `ldb bench compare` makes.
//!
//! Only measurements of one testbed are judged: when the two records' environments differ in
//! a fingerprint field both recorded ([`crate::evidence::testbed::differences`]), the verdict
//! is [`RegressionState::NotComparable`] with the reason naming what changed — never a
//! regression and never a pass, however far the values moved.
//!
//! A paired measurement of the metric at the current commit against the baseline commit
//! ([`super::paired`]) decides instead when there is one: its verdict (the interval of the
//! back-to-back ratios against `paired_threshold`) becomes the state, and the testbed question
//! does not arise, since both sides ran on one machine in one sitting.

use serde::Serialize;

use crate::evaluate::EvidenceRef;
use crate::evaluate::index::Index;
use crate::evaluate::paired::{PairedIndex, PairedRef};
use crate::evidence::metrics::Direction;
use crate::evidence::record::PairedVerdict;
use crate::evidence::testbed;
use crate::model::config::RegressionConfig;
pub use lightning_metrics::compare::Method;
use lightning_metrics::compare::{RegressionState as Judged, Rule, judge};

/// The outcome of comparing one metric with its baseline.
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
    /// Measured on another testbed than the baseline: not judged.
    NotComparable,
}

impl RegressionState {
    /// As `gate` and the site show it.
    pub fn label(self) -> &'static str {
        match self {
            RegressionState::Regressed => "REGRESSED",
            RegressionState::WithinNoise => "within noise",
            RegressionState::Improved => "improved",
            RegressionState::Unchanged => "unchanged",
            RegressionState::NotComparable => "not comparable",
        }
    }
}

impl From<Judged> for RegressionState {
    fn from(j: Judged) -> Self {
        match j {
            Judged::Regressed => RegressionState::Regressed,
            Judged::WithinNoise => RegressionState::WithinNoise,
            Judged::Improved => RegressionState::Improved,
            Judged::Unchanged => RegressionState::Unchanged,
        }
    }
}

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
    /// Why, when the state is not a judgement of the values (`not comparable: environment
    /// changed (cpu A → B)`).
    pub reason: Option<String>,
    /// How the two recorded values compare (for a `not_comparable` verdict: how they would
    /// have been; when `paired` decided, how the recorded values alone would have).
    pub method: Method,
    /// Current evidence.
    pub evidence: EvidenceRef,
    /// Baseline evidence.
    pub baseline_evidence: EvidenceRef,
    /// The paired measurement that decided the state, when one did.
    pub paired: Option<PairedRef>,
}

/// Compares every metric of `cur` that `base` also has, skipping ignored metrics and metrics
/// whose newest evidence is the baseline run itself.
pub fn compare(
    cfg: &RegressionConfig,
    cur: &Index<'_>,
    base: &Index<'_>,
    baseline_run: Option<&str>,
    paired: &PairedIndex,
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
        let pair = paired.get(&m.name, now.environment).cloned();
        let (state, reason, threshold) = match &pair {
            Some(p) => (
                match p.verdict {
                    PairedVerdict::Regressed => RegressionState::Regressed,
                    PairedVerdict::Improved => RegressionState::Improved,
                    PairedVerdict::NoSignificantChange => RegressionState::Unchanged,
                },
                Some(format!("paired: {}", p.describe())),
                p.threshold,
            ),
            None => match testbed::not_comparable(b.environment, now.environment) {
                Some(why) => (RegressionState::NotComparable, Some(why), threshold),
                None => (judgement.state.into(), None, threshold),
            },
        };
        let worse_by = match &pair {
            Some(p) => Some(crate::evidence::paired::stats::worse_by(
                m.direction,
                p.ratio,
            )),
            None => judgement.worse_by,
        };
        let bv = b.metric.value;
        out.push(RegressionVerdict {
            metric: m.name.clone(),
            unit: m.unit.clone(),
            direction: m.direction,
            baseline_value: bv,
            current_value: m.value,
            worse_by,
            threshold,
            state,
            reason,
            method: judgement.method,
            evidence: now.evidence.clone(),
            baseline_evidence: b.evidence.clone(),
            paired: pair,
        });
    }
    out
}

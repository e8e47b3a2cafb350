//! The regression check: one metric now against the same metric in a baseline.
//!
//! Steps: relative change in the worse direction ([`worse_by`], a fraction: 0.12 = 12% worse,
//! negative = better) → with at least `min_samples` samples on both sides, a Mann–Whitney U
//! test → the metric regressed only when the change exceeds the threshold AND the difference is
//! significant at `alpha`; without samples, the plain threshold decides. A zero baseline has no
//! relative change: any move in the worse direction is beyond the threshold.
//!
//! `ldb bench compare` and `sitegen`'s baseline check both call [`judge`], so a pair of metrics
//! files gets the same verdict from either tool.

use serde::Serialize;

use crate::model::{Direction, Metric};
use crate::stats::mann_whitney;

/// The knobs of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Largest accepted relative worsening (0.10 = 10%).
    pub threshold: f64,
    /// Fewest samples on each side for the significance test to apply.
    pub min_samples: usize,
    /// Significance level of the test.
    pub alpha: f64,
}

impl Default for Rule {
    /// 10% threshold, 5 samples, α = 0.05.
    fn default() -> Rule {
        Rule {
            threshold: 0.10,
            min_samples: 5,
            alpha: 0.05,
        }
    }
}

/// How a verdict was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Method {
    /// Mann–Whitney U on the samples.
    MannWhitney {
        /// Two-sided p-value.
        p_value: f64,
    },
    /// Plain threshold (too few samples on one side).
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

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    /// Relative change in the worse direction; `None` when the baseline is 0.
    pub worse_by: Option<f64>,
    /// Outcome.
    pub state: RegressionState,
    /// How it was decided.
    pub method: Method,
}

/// Relative change from `baseline` to `current` in the worse direction, as a fraction
/// (0.12 = 12% worse, -0.05 = 5% better); `None` when the baseline is 0.
pub fn worse_by(direction: Direction, baseline: f64, current: f64) -> Option<f64> {
    (baseline != 0.0).then(|| direction.worse_sign() * (current - baseline) / baseline.abs())
}

/// Judges `current` against `baseline` (the same metric, earlier) under `rule`, in
/// `current`'s direction.
pub fn judge(current: &Metric, baseline: &Metric, rule: &Rule) -> Judgement {
    let delta = current.direction.worse_sign() * (current.value - baseline.value);
    let worse = worse_by(current.direction, baseline.value, current.value);
    let (beyond_worse, beyond_better) = match worse {
        Some(w) => (w > rule.threshold, w < -rule.threshold),
        None => (delta > 0.0, delta < 0.0),
    };
    let tested =
        current.samples.len() >= rule.min_samples && baseline.samples.len() >= rule.min_samples;
    let method = tested
        .then(|| mann_whitney(&current.samples, &baseline.samples))
        .flatten()
        .map_or(Method::Threshold, |r| Method::MannWhitney {
            p_value: r.p_value,
        });
    let significant = match method {
        Method::MannWhitney { p_value } => p_value < rule.alpha,
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
    Judgement {
        worse_by: worse,
        state,
        method,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lat(value: f64, samples: Vec<f64>) -> Metric {
        Metric::lower("lat", value, "ms").with_samples(samples)
    }

    #[test]
    fn worse_by_is_a_fraction_in_the_metrics_own_direction() {
        assert_eq!(worse_by(Direction::LowerIsBetter, 100.0, 112.0), Some(0.12));
        assert_eq!(worse_by(Direction::HigherIsBetter, 100.0, 88.0), Some(0.12));
        assert_eq!(
            worse_by(Direction::HigherIsBetter, 100.0, 110.0),
            Some(-0.1)
        );
        assert_eq!(worse_by(Direction::LowerIsBetter, 0.0, 3.0), None);
        // A negative baseline: the relative change is taken against its magnitude.
        assert_eq!(worse_by(Direction::LowerIsBetter, -10.0, -5.0), Some(0.5));
    }

    #[test]
    fn the_threshold_decides_without_samples() {
        let rule = Rule::default();
        let state = |b: f64, c: f64| judge(&lat(c, vec![]), &lat(b, vec![]), &rule).state;
        assert_eq!(state(100.0, 111.0), RegressionState::Regressed);
        assert_eq!(state(100.0, 110.0), RegressionState::Unchanged);
        assert_eq!(state(100.0, 89.0), RegressionState::Improved);
        assert_eq!(state(0.0, 0.5), RegressionState::Regressed);
        assert_eq!(state(0.0, 0.0), RegressionState::Unchanged);
        assert_eq!(state(0.0, -1.0), RegressionState::Improved);
    }

    #[test]
    fn noise_is_not_a_regression() {
        let rule = Rule::default();
        // 20% worse medians, but the sample sets overlap completely.
        let base = lat(100.0, vec![60.0, 140.0, 80.0, 120.0, 100.0, 90.0, 110.0]);
        let cur = lat(120.0, vec![140.0, 60.0, 120.0, 80.0, 100.0, 110.0, 90.0]);
        let j = judge(&cur, &base, &rule);
        assert_eq!(j.state, RegressionState::WithinNoise);
        assert!(matches!(j.method, Method::MannWhitney { p_value } if p_value > 0.5));
        // Separated samples: significant.
        let cur = lat(200.0, (0..7).map(|i| 200.0 + f64::from(i)).collect());
        let base = lat(100.0, (0..7).map(|i| 100.0 + f64::from(i)).collect());
        let j = judge(&cur, &base, &rule);
        assert_eq!(j.state, RegressionState::Regressed);
        assert_eq!(j.worse_by, Some(1.0));
        // Too few samples on one side: the threshold alone decides.
        let j = judge(&cur, &lat(100.0, vec![100.0]), &rule);
        assert_eq!(j.method, Method::Threshold);
    }
}

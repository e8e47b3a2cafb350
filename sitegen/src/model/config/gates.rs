//! `[regression]` and `[gate]`: how much worse a metric may get, and which criteria block.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::util::pattern::glob_match;
use crate::util::tomlerr::{self, Seg::Key};

/// Regression thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegressionConfig {
    /// Relative change in the worse direction that counts as a regression (0.10 = 10%).
    pub threshold: f64,
    /// Relative change in the worse direction that counts as a regression in a paired
    /// measurement (`sitegen pair`), whose back-to-back pairs cancel the machine's drift and
    /// so resolve smaller changes (0.05 = 5%). A per-metric `overrides` entry applies to both.
    pub paired_threshold: f64,
    /// Significance level for the Mann–Whitney U test when samples exist.
    pub alpha: f64,
    /// Samples needed on each side before the statistical test is used.
    pub min_samples: usize,
    /// Per-metric thresholds overriding `threshold`.
    pub overrides: BTreeMap<String, f64>,
    /// Whether a regression makes `sitegen gate` fail.
    pub blocking: bool,
    /// Metric name patterns (`*` matches any run of characters) left out of regression
    /// verdicts, e.g. wall-clock test durations or derived statistics.
    pub ignore: Vec<String>,
}

impl Default for RegressionConfig {
    fn default() -> Self {
        RegressionConfig {
            threshold: 0.10,
            paired_threshold: 0.05,
            alpha: 0.05,
            min_samples: 5,
            overrides: BTreeMap::new(),
            blocking: true,
            ignore: Vec::new(),
        }
    }
}

impl RegressionConfig {
    /// Whether metric `name` is left out of regression verdicts.
    pub fn is_ignored(&self, name: &str) -> bool {
        self.ignore.iter().any(|p| glob_match(p, name))
    }

    /// The paired threshold of metric `name`: its `overrides` entry, else `paired_threshold`.
    pub fn paired_threshold_of(&self, name: &str) -> f64 {
        self.overrides
            .get(name)
            .copied()
            .unwrap_or(self.paired_threshold)
    }
}

/// Which criteria block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Criterion ids or patterns (`*` matches any characters, e.g. `P0.*`). A blocking
    /// criterion that is not met, or has no evidence, fails the gate; waived passes.
    pub blocking: Vec<String>,
}

impl GateConfig {
    /// Whether `criterion` is blocking.
    pub fn is_blocking(&self, criterion: &str) -> bool {
        self.blocking.iter().any(|p| glob_match(p, criterion))
    }
}

impl RegressionConfig {
    /// Checks the thresholds and the significance level; errors name the line of the key.
    pub(super) fn validate(&self, loc: &tomlerr::Locator<'_>) -> Result<()> {
        let thresholds = std::iter::once((
            "threshold".to_string(),
            vec![Key("regression"), Key("threshold")],
            self.threshold,
        ))
        .chain(std::iter::once((
            "paired_threshold".to_string(),
            vec![Key("regression"), Key("paired_threshold")],
            self.paired_threshold,
        )))
        .chain(self.overrides.iter().map(|(metric, t)| {
            (
                format!("overrides.\"{metric}\""),
                vec![Key("regression"), Key("overrides"), Key(metric.as_str())],
                *t,
            )
        }));
        for (what, segs, t) in thresholds {
            if !(t.is_finite() && t > 0.0) {
                bail!(
                    "{}: regression.{what} must be a positive number, got {t}",
                    loc.at(&segs)
                );
            }
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            bail!(
                "{}: regression.alpha must be in (0, 1), got {}",
                loc.at(&[Key("regression"), Key("alpha")]),
                self.alpha
            );
        }
        Ok(())
    }
}

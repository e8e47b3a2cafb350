//! The gate drill (`sitegen drill gate`): whether the paired verdicts of `sitegen pair` are
//! honest on this machine, measured on the current tree alone (no baseline worktree, no
//! second build).
//!
//! Steps: one warm-up run of the check (which builds it) → `comparisons` times, interleaved so
//! that the machine's drift weighs on both alike: an **A/A** comparison (both sides the same
//! command, unchanged) and an **A/B** comparison (the current side runs with
//! [`KNOB`]`=<slowdown>`, the engine benchmark's planted extra work), each `rounds` rounds of
//! the same alternating machinery as `sitegen pair` ([`paired::alternate::rounds`]) and judged
//! by the same [`paired::judge`] → [`tally`]: false alarms (any A/A verdict other than
//! `no significant change`), power (A/B comparisons whose time-based metrics, see
//! [`tally::is_time_based`], are all judged `regressed`), and per judged metric the smallest
//! detectable change. See `docs/gate-honesty.md`.

pub mod tally;

#[cfg(test)]
mod simulated;

use std::path::Path;

use crate::evidence::metrics::Metric;
use crate::evidence::paired::{self, alternate};
use crate::model::config::{CheckConfig, RegressionConfig, StdoutFormat};
pub use tally::{GateResults, Judged};

/// The environment variable that plants the slowdown: the engine harness's
/// `harness::bench::extra_work::VAR` (sitegen never links the engine, so it is named here).
pub const KNOB: &str = "LIGHTNING_BENCH_EXTRA_WORK";

/// The largest slowdown the knob accepts.
pub const MAX_SLOWDOWN: f64 = 10.0;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateSpec {
    /// A/A comparisons, and as many A/B ones.
    pub comparisons: u32,
    /// Rounds (pairs) per comparison.
    pub rounds: u32,
    /// The planted slowdown, a fraction (0.10 = 10 % more work per timed operation).
    pub slowdown: f64,
}

impl GateSpec {
    /// Refuses what cannot give a verdict, naming the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.comparisons == 0 {
            return Err("--comparisons must be at least 1".into());
        }
        if self.rounds < 2 {
            return Err(format!(
                "--rounds {}: a confidence interval needs at least 2 rounds",
                self.rounds
            ));
        }
        if !(self.slowdown.is_finite() && self.slowdown > 0.0 && self.slowdown <= MAX_SLOWDOWN) {
            return Err(format!(
                "--slowdown {}: expected a fraction above 0 and at most {MAX_SLOWDOWN}, e.g. 0.10",
                self.slowdown
            ));
        }
        Ok(())
    }
}

/// Runs the drill on `check` in the tree `root`, judged by `rules`; `progress` hears of every
/// run. Errors name what stopped it: a bad spec, a check that cannot be paired, a failing run,
/// a check without time-based metrics.
pub fn gate(
    root: &Path,
    check: &CheckConfig,
    rules: &RegressionConfig,
    spec: &GateSpec,
    progress: &dyn Fn(&str),
) -> Result<GateResults, String> {
    spec.validate()?;
    if check.stdout != StdoutFormat::Metrics {
        return Err(format!(
            "check `{}` does not declare stdout = \"metrics\"; the drill reads its metrics from \
             standard output",
            check.id
        ));
    }
    if std::env::var_os(KNOB).is_some() {
        return Err(format!(
            "{KNOB} is set in this environment, so the unchanged side would be slowed too; \
             unset it (the drill plants it itself)"
        ));
    }
    progress(&format!("{}: warm-up and build", check.id));
    alternate::run_once(check, root, &[]).map_err(|why| format!("the warm-up run fails: {why}"))?;
    let planted = [(KNOB, spec.slowdown.to_string())];
    let mut results = GateResults {
        check: check.id.clone(),
        rounds: spec.rounds,
        slowdown: spec.slowdown,
        judged: Vec::new(),
        aa: Vec::new(),
        ab: Vec::new(),
    };
    let n = spec.comparisons;
    for i in 1..=n {
        let label = format!("{} A/A {i}/{n}", check.id);
        let aa = alternate::rounds(
            &label,
            spec.rounds,
            ["A (as baseline)", "A (as current)"],
            progress,
            &mut |_| alternate::run_once(check, root, &[]),
        )
        .map_err(|why| format!("{label}: {why}"))?;
        if results.judged.is_empty() {
            results.judged = judged(check, &aa.metrics, rules)?;
        }
        results
            .aa
            .push(paired::judge(&aa.pairs, &aa.metrics, rules));
        let label = format!("{} A/B {i}/{n}", check.id);
        let ab = alternate::rounds(
            &label,
            spec.rounds,
            ["A", "B (slowed)"],
            progress,
            &mut |side| {
                let env: &[(&str, String)] = match side {
                    alternate::Side::Baseline => &[],
                    alternate::Side::Current => &planted,
                };
                alternate::run_once(check, root, env)
            },
        )
        .map_err(|why| format!("{label}: {why}"))?;
        results
            .ab
            .push(paired::judge(&ab.pairs, &ab.metrics, rules));
    }
    Ok(results)
}

/// The metrics judged for the planted slowdown: those of the check's output with a time-based
/// unit ([`tally::is_time_based`]) not ignored by `[regression] ignore`, with their thresholds.
fn judged(
    check: &CheckConfig,
    metrics: &std::collections::BTreeMap<String, Metric>,
    rules: &RegressionConfig,
) -> Result<Vec<Judged>, String> {
    let judged: Vec<Judged> = metrics
        .values()
        .filter(|m| tally::is_time_based(&m.unit) && !rules.is_ignored(&m.name))
        .map(|m| Judged {
            name: m.name.clone(),
            threshold: rules.paired_threshold_of(&m.name),
        })
        .collect();
    if judged.is_empty() {
        return Err(format!(
            "check `{}` reports no time-based metric (unit s, ms, us, µs, ns or …/s) that \
             [regression] does not ignore; the drill has nothing to slow down",
            check.id
        ));
    }
    Ok(judged)
}

//! Paired baselines (`sitegen pair`): the baseline commit and the current tree measured
//! alternately in one sitting, so that a machine whose speed drifts during the day changes
//! both sides alike, and the verdict comes from the ratios of back-to-back pairs.
//!
//! Steps: [`worktree`] — resolve the baseline revision and check it out under
//! `target/paired/<commit>/` (reused while clean) → [`mod@alternate`] — per check, a warm-up run at
//! each side (which builds it), each side's binary hashed, then `rounds` rounds of A B / B A →
//! [`stats`] — per metric, the geometric mean ratio current / baseline with a 95 % t interval on
//! the log ratios, and a verdict in the metric's direction against the `[regression]`
//! threshold → one evidence record per check, carrying every pair, both commits and both
//! binaries' sha256 ([`measure`]). `Project::pair` appends them to the ledger as a `paired` run.
//!
//! A check whose command fails at the baseline (it does not exist there, or does not build) is
//! recorded with status `error` and `not pairable: <reason>` — never as a pass.

pub mod alternate;
pub mod stats;
pub mod worktree;

use std::time::Instant;

use chrono::Utc;

use crate::evidence::record::{
    Captured, Environment, EvidenceRecord, FORMAT_VERSION, Paired, PairedMetric, PairedSide, Status,
};
use crate::model::config::{CheckConfig, RegressionConfig};
pub use alternate::Trees;
use alternate::alternate;

/// How the interval is computed, as recorded in [`Paired::interval`].
pub const INTERVAL: &str = "t95-log-ratio";

/// Rounds when none are asked for.
pub const DEFAULT_ROUNDS: u32 = 5;

/// The verdict per metric from `pairs`: metrics measured on both sides of every pair with
/// positive values, not ignored by `[regression] ignore`, in name order.
pub fn judge(
    pairs: &[crate::evidence::record::Pair],
    metrics: &std::collections::BTreeMap<String, crate::evidence::metrics::Metric>,
    rules: &RegressionConfig,
) -> Vec<PairedMetric> {
    let mut out = Vec::new();
    for (name, m) in metrics {
        if rules.is_ignored(name) {
            continue;
        }
        let ratios: Option<Vec<f64>> = pairs
            .iter()
            .map(|p| Some(p.current.get(name)? / p.baseline.get(name)?))
            .collect();
        let Some(iv) = ratios.as_deref().and_then(stats::interval) else {
            continue;
        };
        let threshold = rules.paired_threshold_of(name);
        out.push(PairedMetric {
            name: name.clone(),
            unit: m.unit.clone(),
            direction: m.direction,
            pairs: pairs.len() as u32,
            ratio: iv.ratio,
            ci_lower: iv.lower,
            ci_upper: iv.upper,
            threshold,
            verdict: stats::verdict(m.direction, &iv, threshold),
        });
    }
    out
}

/// An empty capture: a paired record keeps its values in `paired`, not the runs' output.
fn nothing() -> Captured {
    Captured {
        sha256: crate::evidence::hash::bytes(b""),
        ..Captured::default()
    }
}

/// Measures `check` paired: `trees.baseline` is the worktree of `baseline_commit`,
/// `trees.current` the repository root (described by `env`); returns its evidence record.
pub fn measure(
    trees: &Trees,
    baseline_commit: &str,
    check: &CheckConfig,
    rounds: u32,
    rules: &RegressionConfig,
    env: &Environment,
    progress: &dyn Fn(&str),
) -> EvidenceRecord {
    let started = Utc::now();
    let t0 = Instant::now();
    let at_start = crate::evidence::conditions::read();
    let alt = alternate(check, trees, rounds, progress);
    let metrics = if alt.failure.is_none() {
        judge(&alt.pairs, &alt.metrics, rules)
    } else {
        Vec::new()
    };
    let tree = trees
        .baseline
        .strip_prefix(&trees.current)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| trees.baseline.display().to_string());
    let [baseline_binary, current_binary] = alt.binaries;
    let paired = Paired {
        baseline: PairedSide {
            commit: baseline_commit.to_string(),
            dirty: false,
            tree,
            binary: baseline_binary,
            command: check.pair_baseline_command.clone(),
        },
        current: PairedSide {
            commit: env.git_commit.clone(),
            dirty: env.dirty,
            tree: ".".into(),
            binary: current_binary,
            command: None,
        },
        rounds,
        interval: INTERVAL.into(),
        pairs: alt.pairs,
        metrics,
        not_pairable: alt.failure.clone(),
    };
    EvidenceRecord {
        format_version: FORMAT_VERSION,
        check_id: check.id.clone(),
        phase: check.phase,
        status: if alt.failure.is_some() {
            Status::Error
        } else {
            Status::Pass
        },
        command: check.command.clone(),
        workdir: check.workdir.clone(),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: t0.elapsed().as_millis() as u64,
        exit_code: None,
        message: alt.failure,
        metrics: Vec::new(),
        artifacts: Vec::new(),
        stdout: nothing(),
        stderr: nothing(),
        environment: env.clone(),
        conditions: Some(crate::evidence::conditions::Conditions {
            start: at_start,
            end: crate::evidence::conditions::read(),
        }),
        paired: Some(paired),
    }
}

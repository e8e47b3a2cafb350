//! `ldb bench compare`: compares two metrics JSON files (a baseline and a current run) and
//! fails when a metric regressed, in its own direction, beyond a threshold.
//!
//! The verdict is `lightning_metrics::judge`, the same one `sitegen` applies: a metric is a
//! regression when it got worse by more than `--threshold` and, when both sides carry at least
//! five samples, a Mann–Whitney U test says the difference is not noise (α = 0.05). A zero
//! baseline has no relative change: any move in the worse direction is beyond the threshold.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use lightning_metrics::{Judgement, Method, Metric, RegressionState, Rule, judge};

use crate::report::verdict;

/// Arguments of `ldb bench compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Baseline metrics JSON.
    baseline: PathBuf,
    /// Current metrics JSON.
    current: PathBuf,
    /// Largest accepted relative worsening (0.10 = 10%).
    #[arg(long, default_value_t = 0.10)]
    threshold: f64,
    /// Compare only these metrics (repeatable; every metric when omitted).
    #[arg(long = "metric", value_name = "NAME")]
    metrics: Vec<String>,
}

/// Reads and validates a metrics JSON file; errors name the file.
fn load(path: &Path) -> Result<Vec<Metric>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading {}", path.display()))?;
    Ok(lightning_metrics::parse(
        &path.display().to_string(),
        &text,
    )?)
}

/// How a judgement reads at the end of its line.
fn verdict_word(j: &Judgement) -> String {
    match (j.state, j.method) {
        (RegressionState::Regressed, _) => "REGRESSION".to_string(),
        (RegressionState::WithinNoise, Method::MannWhitney { p_value }) => {
            format!("ok (within noise, p = {p_value:.3})")
        }
        _ => "ok".to_string(),
    }
}

/// Runs `ldb bench compare`; exit code 1 on a regression beyond the threshold.
pub fn compare_cmd(args: CompareArgs) -> Result<ExitCode> {
    let base = load(&args.baseline)?;
    let cur = load(&args.current)?;
    let rule = Rule {
        threshold: args.threshold,
        ..Rule::default()
    };
    let mut regressions = 0;
    let mut compared = 0;
    for m in &cur {
        let (name, value) = (&m.name, m.value);
        if !args.metrics.is_empty() && !args.metrics.contains(name) {
            continue;
        }
        let Some(old) = base.iter().find(|b| &b.name == name) else {
            outln!("{name}: {value} (no baseline)")?;
            continue;
        };
        compared += 1;
        let j = judge(m, old, &rule);
        if j.state == RegressionState::Regressed {
            regressions += 1;
        }
        let change = j.worse_by.map_or_else(
            || "zero baseline".to_string(),
            |w| format!("{:+.1}% worse", w * 100.0),
        );
        outln!(
            "{name}: {} -> {value} ({change}) {}",
            old.value,
            verdict_word(&j)
        )?;
    }
    if compared == 0 {
        bail!(
            "no metric of {} appears in the baseline {}",
            args.current.display(),
            args.baseline.display()
        );
    }
    outln!(
        "{compared} metrics compared, {regressions} beyond {:.0}%",
        args.threshold * 100.0
    )?;
    Ok(verdict(regressions == 0))
}

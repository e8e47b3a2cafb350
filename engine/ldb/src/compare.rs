//! `ldb bench compare`: compares two metrics JSON files (a baseline and a current run) and
//! fails when a metric got worse, in its own direction, by more than a threshold.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

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

/// One metric: name, value, whether higher is better.
type Figure = (String, f64, bool);

fn load(path: &Path) -> Result<Vec<Figure>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("while parsing {} as metrics JSON", path.display()))?;
    if doc["format_version"] != 1 {
        bail!("{}: format_version must be 1", path.display());
    }
    let Some(list) = doc["metrics"].as_array() else {
        bail!("{}: expected a \"metrics\" array", path.display());
    };
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            let name = m["name"].as_str();
            let value = m["value"].as_f64();
            let higher = match m["direction"].as_str() {
                Some("higher_is_better") => Some(true),
                Some("lower_is_better") => Some(false),
                _ => None,
            };
            match (name, value, higher) {
                (Some(n), Some(v), Some(h)) => Ok((n.to_owned(), v, h)),
                _ => bail!(
                    "{}: metric {i} needs a name, a numeric value and a direction",
                    path.display()
                ),
            }
        })
        .collect()
}

/// Runs `ldb bench compare`; exit code 1 on a regression beyond the threshold.
pub fn compare_cmd(args: CompareArgs) -> Result<ExitCode> {
    let base = load(&args.baseline)?;
    let cur = load(&args.current)?;
    let mut regressions = 0;
    let mut compared = 0;
    for (name, value, higher) in &cur {
        if !args.metrics.is_empty() && !args.metrics.contains(name) {
            continue;
        }
        let Some((_, old, _)) = base.iter().find(|b| &b.0 == name) else {
            outln!("{name}: {value} (no baseline)")?;
            continue;
        };
        compared += 1;
        // Relative change in the "worse" direction; a zero baseline only regresses if it moves.
        let worse = if *old == 0.0 {
            if (*higher && *value < 0.0) || (!*higher && *value > 0.0) {
                f64::INFINITY
            } else {
                0.0
            }
        } else if *higher {
            (old - value) / old.abs()
        } else {
            (value - old) / old.abs()
        };
        let verdict = if worse > args.threshold {
            regressions += 1;
            "REGRESSION"
        } else {
            "ok"
        };
        outln!(
            "{name}: {old} -> {value} ({:+.1}% worse) {verdict}",
            worse * 100.0
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
    Ok(if regressions > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

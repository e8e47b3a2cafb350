//! `ldb drill isolation`: the Hermitage-style anomaly suite at both isolation levels, and the
//! deadlock detection latency through transactions.
//!
//! In order: run every anomaly scenario at `repeatable-read`, then at `serializable` (each on a
//! fresh in-memory database); measure `--cycles` two-way deadlocks; print a table of anomaly ×
//! level (text) or the project's metrics JSON (`--json`). Exit code 1 if any scenario's outcome
//! differs from what its level must guarantee.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::IsolationLevel;
use lightning_db::harness::isolation::{
    self, Expected, IsolationReport, Outcome, ScenarioReport, latency,
};
use lightning_metrics::Metric;

use crate::report::print_metrics;

/// Arguments of `ldb drill isolation`.
#[derive(Args, Debug)]
pub struct IsolationArgs {
    /// Two-way deadlocks measured of each kind (victim woken on its thread, victim closing the
    /// cycle) for the detection latency.
    #[arg(long, default_value_t = 50)]
    cycles: usize,
    /// Also print every scenario's steps and what each returned (text output only).
    #[arg(long)]
    steps: bool,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
    /// Also write the full report (every scenario at both levels with its transcript, and the
    /// latency samples) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// Runs `ldb drill isolation`.
pub fn isolation_cmd(args: &IsolationArgs) -> Result<ExitCode> {
    let reports = [IsolationLevel::RepeatableRead, IsolationLevel::Serializable]
        .into_iter()
        .map(|level| {
            isolation::run_level(level)
                .with_context(|| format!("while running the isolation suite at {level}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let lat = latency::measure_deadlock_detection(args.cycles)
        .context("while measuring deadlock detection latency")?;
    if let Some(path) = &args.report {
        let doc = serde_json::json!({ "levels": reports, "deadlock_latency": lat });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
            .with_context(|| format!("while writing the report {}", path.display()))?;
    }
    let failures: usize = reports.iter().map(|r| r.failures.len()).sum();
    let scenarios: usize = reports.iter().map(|r| r.scenarios.len()).sum();
    if args.json {
        let woken = &lat.woken;
        // Every measurement samples at least one cycle of each kind: the lists are never empty.
        let detect = Metric::lower("txn.deadlock_detect_ms", woken.median_ms, "ms")
            .with_samples(woken.samples_ms.clone());
        let closer = Metric::lower("txn.deadlock_detect_closer_ms", lat.closer.median_ms, "ms")
            .with_samples(lat.closer.samples_ms.clone());
        print_metrics(vec![
            Metric::lower("txn.isolation.failures", failures as f64, "count"),
            Metric::higher("txn.isolation.scenarios", scenarios as f64, "count"),
            detect,
            Metric::lower("txn.deadlock_detect_p99_ms", woken.p99_ms, "ms"),
            Metric::lower("txn.deadlock_detect_max_ms", woken.max_ms, "ms"),
            closer,
        ])?;
    } else {
        print_table(&reports)?;
        if args.steps {
            print_steps(&reports)?;
        }
        outln!("\n{scenarios} scenarios, {failures} failure(s)")?;
        for (what, l) in [
            ("victim woken on its thread", &lat.woken),
            ("victim closes the cycle", &lat.closer),
        ] {
            outln!(
                "deadlock detection, {what} ({} cycles): median {:.3} ms, p99 {:.3} ms, \
                 max {:.3} ms",
                lat.cycles,
                l.median_ms,
                l.p99_ms,
                l.max_ms
            )?;
        }
        for r in &reports {
            for s in r.scenarios.iter().filter(|s| !s.matches) {
                outln!(
                    "FAILURE {} at {}: expected {:?}, observed {:?}",
                    s.anomaly,
                    r.level,
                    s.expected,
                    s.observed
                )?;
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One table cell: the outcome's label; an allowed anomaly says so, and an outcome that is not
/// what the level must guarantee is marked.
fn cell(s: &ScenarioReport) -> String {
    let note = match (s.matches, s.expected) {
        (false, _) => "  << MISMATCH",
        (true, Expected::Occurs) => " (allowed)",
        (true, Expected::Prevented) => "",
    };
    format!("{}{note}", s.observed.label())
}

fn print_table(reports: &[IsolationReport]) -> Result<()> {
    let width = 44;
    let mut header = format!("{:<20}", "anomaly");
    for r in reports {
        header.push_str(&format!(" {:<width$}", r.level.name()));
    }
    outln!("{}", header.trim_end())?;
    let rows = reports.first().map_or(0, |r| r.scenarios.len());
    for i in 0..rows {
        let name = reports
            .first()
            .and_then(|r| r.scenarios.get(i))
            .map_or("", |s| s.anomaly);
        let mut line = format!("{name:<20}");
        for s in reports.iter().filter_map(|r| r.scenarios.get(i)) {
            line.push_str(&format!(" {:<width$}", cell(s)));
        }
        outln!("{}", line.trim_end())?;
    }
    Ok(())
}

fn print_steps(reports: &[IsolationReport]) -> Result<()> {
    for r in reports {
        for s in &r.scenarios {
            let detail = match &s.observed {
                Outcome::Prevented { detail, .. } | Outcome::Occurred { detail } => detail,
                Outcome::Failed { error } => error,
            };
            outln!(
                "\n{} at {} — {}: {detail}",
                s.anomaly,
                r.level,
                s.description
            )?;
            for step in &s.steps {
                outln!("  {step}")?;
            }
        }
    }
    Ok(())
}

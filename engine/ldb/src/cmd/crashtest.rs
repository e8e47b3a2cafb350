//! `ldb crashtest`: the crash loop on the simulated disk — crash at every I/O operation of a
//! seeded workload, recover, verify — over consecutive seeds and one or both WAL modes; exit
//! code 1 on any violation, or when a seed exercised no crash point.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::harness::crashtest::{self, CrashConfig};
use lightning_metrics::Metric;

use crate::args::Mode;
use crate::report::{print_metrics, verdict};

/// Arguments of `ldb crashtest`.
#[derive(Args, Debug)]
pub struct CrashtestArgs {
    /// Workload seed (the first of `--seeds` consecutive seeds; after 18446744073709551615 the
    /// seeds wrap around to 0).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many consecutive seeds to run (at least 1).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    seeds: u64,
    /// Commits per workload (at least 1).
    #[arg(long, default_value_t = 40, value_parser = at_least_one)]
    commits: u64,
    /// Crash points per seed at most (every I/O operation up to this many; at least 1).
    #[arg(long, default_value_t = 100_000, value_parser = at_least_one)]
    points: u64,
    /// WAL mode to test (both modes when omitted).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Print the project's metrics JSON (`recovery.<mode>.failures`, `.crash_points`,
    /// `.inflight_applied`); violations go to standard error.
    #[arg(long)]
    json: bool,
}

/// Parses a count that must be at least 1: a crash test over zero seeds, commits or crash points
/// would check nothing and still pass.
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (a crash test of nothing checks nothing)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number: {e}")),
    }
}

/// Runs `ldb crashtest`.
pub fn crashtest_cmd(args: CrashtestArgs) -> Result<ExitCode> {
    let modes = match args.mode {
        Some(m) => vec![m],
        None => vec![Mode::Standard, Mode::Unified],
    };
    let mut metrics = Vec::new();
    let mut failed = false;
    for mode in modes {
        let name = mode.name();
        let (mut points, mut violations, mut inflight) = (0u64, 0u64, 0u64);
        // Consecutive seeds, wrapping around after u64::MAX (a range ending at u64::MAX would
        // hold no seed at all).
        for seed in (0..args.seeds).map(|i| args.seed.wrapping_add(i)) {
            let cfg = CrashConfig {
                seed,
                commits: usize::try_from(args.commits).unwrap_or(usize::MAX),
                wal_mode: mode.wal_mode(),
                ..CrashConfig::default()
            };
            let report = crashtest::run_loop(&cfg, 1, args.points)
                .with_context(|| format!("while running the crash loop for seed {seed}"))?;
            let line = format!(
                "{name} seed {seed}: {} crash points over {} I/O operations, {} violations ({} in-flight commits found applied)",
                report.points,
                report.io_ops,
                report.violations.len(),
                report.inflight_applied
            );
            if args.json {
                errln!("{line}");
            } else {
                outln!("{line}")?;
            }
            for v in &report.violations {
                errln!("  VIOLATION ({name}) {v}");
            }
            if report.points == 0 {
                // Nothing was exercised for this seed: that is not a pass.
                errln!(
                    "ldb: crashtest FAILED: {name} seed {seed} exercised no crash point, so nothing was checked"
                );
                failed = true;
            }
            points += report.points;
            violations += report.violations.len() as u64;
            inflight += report.inflight_applied;
        }
        failed |= violations > 0;
        metrics.extend([
            Metric::lower(
                format!("recovery.{name}.failures"),
                violations as f64,
                "count",
            ),
            Metric::higher(
                format!("recovery.{name}.crash_points"),
                points as f64,
                "count",
            ),
            Metric::higher(
                format!("recovery.{name}.inflight_applied"),
                inflight as f64,
                "count",
            ),
        ]);
    }
    if args.json {
        print_metrics(metrics)?;
    }
    Ok(verdict(!failed))
}

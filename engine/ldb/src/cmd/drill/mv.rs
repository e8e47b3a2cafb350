//! `ldb drill mv`: the seeded materialized-view workload on a scratch database (real files);
//! prints metrics JSON with `--json`.
//!
//! In order (`lightning_db::harness::drill::mv`): create a database in a scratch directory with
//! a columnar table and four views, one per refresh policy (`manual`, `on_commit`, `every 3
//! commits`, `every 3600 seconds`); run `--steps` seeded random steps (inserts small and large,
//! deletes, updates, multi-statement and rolled-back transactions, compactions, full and
//! incremental refreshes); after each step verify every view — stored result with its change
//! log applied against a full recomputation — and compare each view just refreshed with its
//! defining query; remove the scratch directory; report `columnar.mv_refresh_failures` (every
//! disagreement; 0 is the pass), `.mv_checks`, `.mv_refreshes` and `.mv_steps` — all fixed by
//! the seed, so a change between runs is a change of behaviour (the duration, which is not, is
//! printed on standard error). Each failure is explained on standard error and makes the exit
//! code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use lightning_db::Options;
use lightning_db::harness::drill::mv::{MvDrillConfig, run};
use lightning_metrics::Metric;

use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill mv`.
#[derive(Args, Debug)]
pub struct MvArgs {
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Random steps, each followed by a verification of every view.
    #[arg(long, default_value_t = 150)]
    steps: usize,
    /// Scratch directory (a fresh one under the system temp directory when omitted); removed
    /// afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb drill mv`.
pub fn mv_cmd(args: MvArgs) -> Result<ExitCode> {
    let cfg = MvDrillConfig {
        seed: args.seed,
        steps: args.steps,
    };
    let d = in_scratch(args.dir.as_deref(), "mv", |dir| {
        Ok(run(&cfg, Options::default(), dir)?)
    })?;
    for why in &d.explained {
        errln!("ldb: seed {}: {why}", args.seed);
    }
    let metrics = vec![
        Metric::lower(
            "columnar.mv_refresh_failures",
            d.failures as f64,
            "mismatches",
        ),
        Metric::higher("columnar.mv_checks", d.checks as f64, "checks"),
        Metric::higher("columnar.mv_refreshes", d.refreshes as f64, "refreshes"),
        Metric::higher("columnar.mv_steps", d.steps as f64, "steps"),
    ];
    errln!(
        "ldb: drill mv: {} steps in {:.2} s, {} failure(s)",
        d.steps,
        d.elapsed_s,
        d.failures
    );
    report_metrics(metrics, args.json)?;
    Ok(verdict(d.failures == 0))
}

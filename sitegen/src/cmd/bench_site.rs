//! `sitegen bench-site`: measure the site build on fresh synthetic repositories.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::synthetic::SiteShape;
use crate::bench::site::{self, BenchSpec};
use crate::{errln, outln};

/// Arguments of `bench-site`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchSiteArgs {
    /// Pages, ADRs, commits and metrics per run.
    #[command(flatten)]
    pub shape: SiteShape,
    /// Evidence runs in each synthetic repository (at least 1).
    #[arg(long, default_value_t = 1000)]
    pub runs: usize,
    /// Measured repetitions after one warm-up repetition, each on a fresh repository (5 or
    /// more lets the regression check test the samples).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Where to write the repositories (removed at the end); default: the system's
    /// temporary folder.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Print the metrics JSON document on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark; prints the metrics (JSON with `--json`).
pub fn execute(args: &BenchSiteArgs) -> Result<i32> {
    if args.runs == 0 || args.shape.metrics == 0 || args.repeat == 0 {
        anyhow::bail!("--runs, --metrics and --repeat must be at least 1");
    }
    let spec = BenchSpec {
        synthetic: args.shape.spec(args.runs),
        repeat: args.repeat,
        work_dir: args.work_dir.clone().unwrap_or_else(std::env::temp_dir),
    };
    let exe = std::env::current_exe().context("while finding the sitegen executable")?;
    let file = site::run(&spec, &exe, |line| errln!("{line}"))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&file)?);
    } else {
        for m in &file.metrics {
            outln!("{:<34} {:>10.1} {}", m.name, m.value, m.unit);
        }
    }
    Ok(0)
}

//! `sitegen synthetic`: write (or grow) a synthetic repository for benchmarking builds.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::bench::synthetic::{self, SyntheticSpec};
use crate::bench::synthetic_evidence;
use crate::outln;

/// The size of a synthetic repository apart from its number of runs (`synthetic`,
/// `bench-site`).
#[derive(Debug, Clone, clap::Args)]
pub struct SiteShape {
    /// Number of content pages.
    #[arg(long, default_value_t = 200)]
    pub pages: usize,
    /// Approximate words per content page.
    #[arg(long, default_value_t = 1500)]
    pub words: usize,
    /// Number of ADRs.
    #[arg(long, default_value_t = 100)]
    pub adrs: usize,
    /// Number of commits.
    #[arg(long, default_value_t = 200)]
    pub commits: usize,
    /// Metrics per evidence run.
    #[arg(long, default_value_t = 40)]
    pub metrics: usize,
}

impl SiteShape {
    /// The synthetic repository of this shape with `runs` evidence runs.
    pub fn spec(&self, runs: usize) -> SyntheticSpec {
        SyntheticSpec {
            pages: self.pages,
            words_per_page: self.words,
            adrs: self.adrs,
            commits: self.commits,
            runs,
            metrics: self.metrics,
            ..Default::default()
        }
    }
}

/// Arguments of `synthetic`.
#[derive(Debug, Clone, clap::Args)]
pub struct SyntheticArgs {
    /// Directory to create; must not exist yet.
    pub out: PathBuf,
    /// Pages, ADRs, commits and metrics per run.
    #[command(flatten)]
    pub shape: SiteShape,
    /// Number of evidence runs.
    #[arg(long, default_value_t = 0)]
    pub runs: usize,
    /// Append one run (with `--metrics` metrics) to the existing synthetic repository OUT
    /// instead of creating one, as a new check run would (to measure incremental builds).
    #[arg(long)]
    pub add_run: bool,
}

/// Writes the repository, or appends a run to it.
pub fn execute(args: &SyntheticArgs) -> Result<i32> {
    let out = &args.out;
    if args.add_run {
        let n = crate::evidence::ledger::load::list_run_ids(&out.join("evidence"))
            .with_context(|| format!("while listing the runs of {}", out.display()))?
            .len();
        let id = synthetic_evidence::add_run(out, n, args.shape.metrics)?;
        outln!("added run {id} to {}", out.display());
        return Ok(0);
    }
    if out.exists() {
        anyhow::bail!("{} already exists; choose a new directory", out.display());
    }
    std::fs::create_dir_all(out)?;
    synthetic::generate(out, &args.shape.spec(args.runs))?;
    outln!("wrote a synthetic repository to {}", out.display());
    Ok(0)
}

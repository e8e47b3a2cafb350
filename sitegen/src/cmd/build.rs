//! `sitegen build`: render the site into `site/<version>/`.

use anyhow::{Context, Result};

use crate::project::Project;
use crate::site::{self, BuildOptions, BuildReport};
use crate::{errln, outln};

/// Options of `build` (and of the build step of `publish`).
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// Version name; defaults to the tag at HEAD, else the short commit hash, with `-dirty`
    /// when the working tree has changes.
    #[arg(long)]
    pub version: Option<String>,
    /// Replace `site/<version>/` if it already exists.
    #[arg(long)]
    pub force: bool,
    /// Let raw HTML in markdown through (it is escaped by default).
    #[arg(long)]
    pub allow_html: bool,
}

/// Refuses an invalid `--version` before any work, saying what a version name is.
pub fn check_version(args: &BuildArgs) -> Result<()> {
    match &args.version {
        Some(v) => site::versions::validate_name(v).context("in --version"),
        None => Ok(()),
    }
}

/// Builds the site of `project`.
pub fn execute(project: &Project, args: &BuildArgs) -> Result<i32> {
    check_version(args)?;
    build(project, args).map(|_| 0)
}

/// Renders the site of `project` (whose `sitegen.toml` is not read again) and prints warnings,
/// phase timings and the output.
pub fn build(project: &Project, args: &BuildArgs) -> Result<BuildReport> {
    let mut options = BuildOptions::for_project(project.clone());
    options.version = args.version.clone();
    options.force = args.force;
    options.allow_html = args.allow_html;
    let report = site::build(&options)?;
    for warning in &report.warnings {
        errln!("warning: {warning}");
    }
    for t in &report.timings {
        errln!("  {:<8} {:>8.1} ms", t.name, t.duration.as_secs_f64() * 1e3);
    }
    if let Some(mib) = lightning_metrics::process::peak_rss_mib() {
        errln!("  peak memory {mib:>6.1} MiB");
    }
    outln!(
        "built {} pages ({} rendered, {} from the render cache, {} shared with the previous \
         version) for version {} in {}",
        report.pages,
        report.rendered,
        report.pages - report.rendered - report.reused,
        report.reused,
        report.version,
        report.output.display()
    );
    Ok(report)
}

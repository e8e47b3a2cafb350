//! `sitegen publish`, the CI job: `run`, then `verify`, then `build`; prints where to open the
//! site.

use std::io::IsTerminal;

use anyhow::Result;

use super::build::{self, check_version};
use super::verify::print_anchor;
use crate::project::Project;
use crate::{errln, outln};

/// Arguments of `publish`.
#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    /// Profile to run.
    #[arg(long, default_value = "quick")]
    pub profile: String,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Build options.
    #[command(flatten)]
    pub build: build::BuildArgs,
}

/// run → verify → build. Returns the exit code.
pub fn execute(project: &Project, args: &PublishArgs) -> Result<i32> {
    // Before minutes of checks, not after.
    check_version(&args.build)?;
    let profile = &args.profile;
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    outln!("== run --profile {profile}");
    let summary = project.run(profile, &[], progress)?;
    for r in &summary.records {
        outln!(
            "{:<24} {:<8} {:>8} ms",
            r.check_id,
            r.status.as_str(),
            r.duration_ms
        );
    }
    outln!("recorded run {}", summary.run_id);
    outln!("== verify");
    let report = project.verify()?;
    if !report.ok() {
        for p in &report.problems {
            errln!("  {p}");
        }
        errln!(
            "publish stopped: evidence verification FAILED ({} problem(s))",
            report.problems.len()
        );
        return Ok(1);
    }
    outln!(
        "evidence verified: {} runs, {} files",
        report.runs,
        report.files
    );
    print_anchor(&report);
    outln!("== build");
    let built = build::build(project, &args.build)?;
    let index = built.output.join("index.html");
    let site = project.site_dir();
    outln!("open {}", index.display());
    outln!(
        "or serve {} with any static file server and open /latest/",
        site.display()
    );
    Ok(0)
}

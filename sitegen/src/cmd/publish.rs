//! `sitegen publish`, the CI job: `run`, then (with `--pair`) `pair` against the baseline run's
//! commit, then `verify`, then `build`; prints where to open the site.

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
    /// After the checks, measure the pairable checks paired against the baseline run's commit
    /// (`sitegen pair`), so that the relative criteria and the regression rows are decided on
    /// one machine in one sitting.
    #[arg(long)]
    pub pair: bool,
    /// Rounds of the paired measurement (with --pair).
    #[arg(long, default_value_t = crate::evidence::paired::DEFAULT_ROUNDS, value_name = "N", requires = "pair")]
    pub pair_rounds: u32,
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
    if args.pair {
        let baseline = project.baseline_commit()?;
        outln!(
            "== pair --baseline {}",
            crate::util::ids::short_commit(&baseline)
        );
        let progress = |step: &str| errln!("pair: {step}");
        let paired = project.pair(&baseline, &[], args.pair_rounds, &progress)?;
        for r in &paired.records {
            let verdict = match r.paired.as_ref().and_then(|p| p.not_pairable.as_deref()) {
                Some(why) => why.to_string(),
                None => {
                    let regressed = r.paired.as_ref().map_or(0, |p| {
                        p.metrics
                            .iter()
                            .filter(|m| {
                                m.verdict == crate::evidence::record::PairedVerdict::Regressed
                            })
                            .count()
                    });
                    format!("{regressed} metric(s) regressed")
                }
            };
            outln!("{:<24} {:>8} ms  {verdict}", r.check_id, r.duration_ms);
        }
        outln!("recorded paired run {}", paired.run_id);
    }
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

//! `sitegen run`: run the configured checks and record the results as a new evidence run.

use std::io::IsTerminal;

use anyhow::Result;

use crate::evidence::record::Status;
use crate::outln;
use crate::project::Project;

/// Arguments of `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Profile from sitegen.toml.
    #[arg(long, default_value = "quick")]
    pub profile: String,
    /// Run only these check ids (instead of the whole profile).
    #[arg(long, num_args = 1.., value_name = "ID")]
    pub only: Vec<String>,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs the checks and prints one line per record; 2 when a check did not pass.
pub fn execute(project: &Project, args: &RunArgs) -> Result<i32> {
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let summary = project.run(&args.profile, &args.only, progress)?;
    let mut not_passed = 0;
    for r in &summary.records {
        outln!(
            "{:<24} {:<8} {:>8} ms  {} metrics{}",
            r.check_id,
            r.status.as_str(),
            r.duration_ms,
            r.metrics.len(),
            r.message
                .as_deref()
                .map(|m| format!("  ({m})"))
                .unwrap_or_default()
        );
        if r.status != Status::Pass {
            not_passed += 1;
        }
    }
    outln!(
        "recorded run {} in {}",
        summary.run_id,
        project.evidence_dir().join(&summary.run_id).display()
    );
    Ok(if not_passed > 0 { 2 } else { 0 })
}

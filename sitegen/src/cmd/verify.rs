//! `sitegen verify`: recompute every evidence hash and the chain.

use anyhow::Result;

use crate::evidence::verify::{self, Anchor, VerifyReport};
use crate::project::Project;
use crate::{errln, outln};

/// Verifies the ledger; 1 when it holds no runs or does not verify.
pub fn execute(project: &Project) -> Result<i32> {
    let report = project.verify()?;
    if report.ok() && report.runs == 0 {
        errln!(
            "nothing to verify: {} holds no runs (record one with `sitegen run`)",
            project.evidence_dir().display()
        );
        print_anchor(&report);
        return Ok(1);
    }
    if report.ok() {
        outln!(
            "evidence verified: {} runs, {} files, chain intact",
            report.runs,
            report.files
        );
        print_anchor(&report);
        return Ok(0);
    }
    if let Some(first) = report.first_broken() {
        errln!(
            "first problem (run {}): {first}",
            if first.run_id.is_empty() {
                "-"
            } else {
                &first.run_id
            }
        );
    }
    for p in &report.problems {
        errln!("  {p}");
    }
    errln!(
        "evidence verification FAILED: {} problem(s) in {} runs",
        report.problems.len(),
        report.runs
    );
    Ok(1)
}

/// Prints the chain head and how it relates to git `HEAD` (a warning when unanchored).
pub fn print_anchor(report: &VerifyReport) {
    if let Some(head) = report.head() {
        outln!(
            "chain head: {} (manifest sha256 {}), {} runs",
            head.run_id,
            head.manifest_sha256,
            report.runs
        );
    }
    match &report.anchor {
        Anchor::Unanchored(why) => errln!(
            "warning: the chain head is unanchored ({why}): removing the newest runs would \
             not be detected"
        ),
        Anchor::AtHead { .. } => outln!("anchored: {}", report.anchor),
        Anchor::Ahead { newer, .. } => {
            outln!("anchored: {}: {}", report.anchor, verify::list_runs(newer))
        }
        Anchor::Broken { .. } | Anchor::NotChecked => {}
    }
}

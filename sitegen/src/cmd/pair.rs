//! `sitegen pair`: measure checks alternately at a baseline commit and at the current tree, and
//! record the paired verdicts as a `paired` run.

use anyhow::Result;

use crate::evidence::paired::DEFAULT_ROUNDS;
use crate::project::Project;
use crate::util::ids::{short_commit, short_sha256};
use crate::{errln, outln};

/// Arguments of `pair`.
#[derive(Debug, Clone, clap::Args)]
pub struct PairArgs {
    /// The baseline: any git revision (commit, tag, `HEAD~1`); default: the commit of the
    /// recorded baseline run (`sitegen baseline history`), so that the result can decide the
    /// relative criteria and the regression check.
    #[arg(long, value_name = "REV")]
    pub baseline: Option<String>,
    /// Measure these checks (default: the quick profile's checks with `pairable = true`).
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Rounds; each runs both sides, in alternating order.
    #[arg(long, default_value_t = DEFAULT_ROUNDS, value_name = "N")]
    pub rounds: u32,
}

/// Pairs, records, prints one line per metric; 2 when a check was not pairable or a metric
/// regressed.
pub fn execute(project: &Project, args: &PairArgs) -> Result<i32> {
    let progress = |step: &str| errln!("pair: {step}");
    let baseline = match &args.baseline {
        Some(rev) => rev.clone(),
        None => project.baseline_commit()?,
    };
    let summary = project.pair(&baseline, &args.checks, args.rounds, &progress)?;
    let mut code = 0;
    for r in &summary.records {
        let Some(p) = &r.paired else { continue };
        let bin = |b: &Option<crate::evidence::record::Artifact>| {
            b.as_ref()
                .map(|a| format!("{} {}", a.path, short_sha256(&a.sha256)))
                .unwrap_or_else(|| "-".into())
        };
        outln!(
            "{}: baseline {} ({}) vs current {}{} ({}), {} pairs, {} ms",
            r.check_id,
            short_commit(&p.baseline.commit),
            bin(&p.baseline.binary),
            short_commit(&p.current.commit),
            if p.current.dirty { "+dirty" } else { "" },
            bin(&p.current.binary),
            p.pairs.len(),
            r.duration_ms
        );
        if let Some(why) = &p.not_pairable {
            outln!("  {why}");
            code = 2;
            continue;
        }
        for m in &p.metrics {
            outln!(
                "  {:<40} ratio {:>8.4}  95% CI [{:.4}, {:.4}]  {}",
                m.name,
                m.ratio,
                m.ci_lower,
                m.ci_upper,
                m.verdict.label()
            );
            if m.verdict == crate::evidence::record::PairedVerdict::Regressed {
                code = 2;
            }
        }
    }
    outln!(
        "recorded paired run {} in {}",
        summary.run_id,
        project.evidence_dir().join(&summary.run_id).display()
    );
    Ok(code)
}

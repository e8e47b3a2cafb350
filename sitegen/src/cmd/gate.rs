//! `sitegen gate`: verify the ledger, then evaluate every criterion and the regression
//! thresholds, and print the verdicts: one row per criterion (verdict, value, threshold,
//! evidence), the reason under every criterion that is not met, the phases, the regression
//! table; load-time warnings go to standard error (also with `--json`, whose output carries
//! them as `warnings`).

use anyhow::Result;

use crate::evaluate::{Evaluation, Method, Verdict};
use crate::evidence::ledger::RunKind;
use crate::project::Project;
use crate::util::ids::{short_commit, short_sha256};
use crate::{errln, outln};

/// Arguments of `gate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// Compare against this run instead of the recorded baseline.
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<String>,
    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Verifies the ledger, evaluates, prints; 1 when the ledger does not verify or a blocking
/// gate fails.
pub fn execute(project: &Project, args: &GateArgs) -> Result<i32> {
    // Gates are decided only on evidence that verifies — the same evidence: no run is
    // appended between the verification and the evaluation.
    let _ledger = project.lock_ledger_for_reading()?;
    let report = project.verify()?;
    if !report.ok() {
        for p in &report.problems {
            errln!("  {p}");
        }
        errln!(
            "gate refused: the evidence ledger does not verify ({} problem(s))",
            report.problems.len()
        );
        return Ok(1);
    }
    let eval = project.evaluate(args.baseline.as_deref())?;
    for w in &eval.warnings {
        errln!("warning: {w}");
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&eval)?);
    } else {
        print_gate(&eval);
        print_paired(project, &eval)?;
    }
    let pass = eval.gate_passes(&project.config);
    if !args.json {
        outln!("gate: {}", if pass { "PASS" } else { "FAIL" });
    }
    Ok(if pass { 0 } else { 1 })
}

/// The newest paired run measured at the current commit, if any, one line per metric. Its
/// verdicts decide the relative criteria and regression rows above only when its baseline is
/// the baseline run's commit (and neither tree was dirty); the heading says which.
fn print_paired(project: &Project, eval: &Evaluation) -> Result<()> {
    let (head, _) = crate::evidence::environment::git_state(&project.root, &project.outputs())?;
    let runs = project.load_runs()?;
    let Some(run) = runs
        .iter()
        .rev()
        .find(|r| r.info.kind == RunKind::Paired && r.info.environment.git_commit == head)
    else {
        return Ok(());
    };
    let deciding = eval.regressions.iter().any(|r| {
        r.paired
            .as_ref()
            .is_some_and(|p| p.evidence.run_id.as_deref() == Some(run.id.as_str()))
    }) || eval.criteria.iter().any(|c| {
        c.comparisons.iter().any(|o| {
            o.paired
                .as_ref()
                .is_some_and(|p| p.evidence.run_id.as_deref() == Some(run.id.as_str()))
        })
    });
    outln!(
        "paired run {} (current commit {}): {}",
        run.id,
        short_commit(&head),
        if deciding {
            "decides the rows above that say `paired`"
        } else {
            "shown only (its baseline is not the baseline run's commit, or a tree was dirty)"
        }
    );
    outln!(
        "{:<24} {:<40} {:>8} {:<22} verdict",
        "check",
        "metric",
        "ratio",
        "95% CI"
    );
    for rec in &run.records {
        let Some(p) = &rec.record.paired else {
            continue;
        };
        if let Some(why) = &p.not_pairable {
            outln!("{:<24} {why}", rec.record.check_id);
            continue;
        }
        for m in &p.metrics {
            outln!(
                "{:<24} {:<40} {:>8.4} {:<22} {} (vs {})",
                rec.record.check_id,
                m.name,
                m.ratio,
                format!("[{:.4}, {:.4}]", m.ci_lower, m.ci_upper),
                m.verdict.label(),
                short_commit(&p.baseline.commit)
            );
        }
    }
    Ok(())
}

fn print_gate(eval: &Evaluation) {
    outln!(
        "latest run: {}   baseline: {}",
        eval.latest_run.as_deref().unwrap_or("none"),
        eval.baseline.as_deref().unwrap_or("none")
    );
    for (which, t) in [
        ("latest", &eval.latest_testbed),
        ("baseline", &eval.baseline_testbed),
    ] {
        if let Some(t) = t {
            outln!("{which} testbed: {} {}", t.id, t.label);
        }
    }
    outln!(
        "{:<26} {:<12} {:<36} {:<44} {:<26} sha256",
        "criterion",
        "verdict",
        "value",
        "threshold",
        "evidence run"
    );
    for c in &eval.criteria {
        let verdict = match &c.waived_by {
            Some(a) => format!("waived({a})"),
            None => c.verdict.label().to_string(),
        };
        let mark = if c.blocking { "*" } else { "" };
        let (run, sha) = match &c.evidence {
            Some(e) => (
                e.run_id.clone().unwrap_or_else(|| e.path.clone()),
                short_sha256(&e.sha256).to_string(),
            ),
            None => ("-".into(), "-".into()),
        };
        outln!(
            "{:<26} {:<12} {:<36} {:<44} {:<26} {}",
            format!("{}{mark}", c.id),
            verdict,
            c.value.as_deref().unwrap_or("-"),
            c.threshold,
            run,
            sha
        );
        if c.verdict != Verdict::Met {
            outln!("    {}", c.reason);
        }
        if let Some(w) = &c.warning {
            outln!("    warning: {w}");
        }
    }
    for p in &eval.phases {
        outln!(
            "phase {} {:<40} {:?}: {} met, {} waived, {} not met, {} undecided{}",
            p.id,
            p.title,
            p.state,
            p.met,
            p.waived,
            p.not_met,
            p.undecided,
            if p.blocked_by.is_empty() {
                String::new()
            } else {
                format!(", waiting on phases {:?}", p.blocked_by)
            }
        );
    }
    if !eval.regressions.is_empty() {
        outln!(
            "{:<40} {:<14} {:>14} {:>14} {:>9} method",
            "metric",
            "state",
            "baseline",
            "current",
            "worse by"
        );
        for r in &eval.regressions {
            let method = match (&r.paired, r.method) {
                (Some(p), _) => format!(
                    "paired ratio {:.4} [{:.4}, {:.4}]",
                    p.ratio, p.ci_lower, p.ci_upper
                ),
                (None, Method::MannWhitney { p_value }) => format!("Mann-Whitney p={p_value:.4}"),
                (None, Method::Threshold) => "threshold".into(),
            };
            outln!(
                "{:<40} {:<14} {:>14.4} {:>14.4} {:>9} {method}",
                r.metric,
                r.state.label(),
                r.baseline_value,
                r.current_value,
                r.worse_by
                    .map(|w| format!("{:+.1}%", w * 100.0))
                    .unwrap_or_else(|| "n/a".into())
            );
            if let Some(why) = &r.reason {
                outln!("    {why}");
            }
        }
    }
    outln!("(* = blocking)");
}

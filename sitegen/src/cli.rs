//! The command line: argument definitions (clap derive) and one function per command that calls
//! the library, prints, and returns the process exit code.
//!
//! Exit codes: 0 success; 1 an error, a verification failure, or a failed blocking gate;
//! 2 (`run` only) the run was recorded but some check did not pass.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::evaluate::{Evaluation, Method, RegressionState};
use crate::project::{Project, find_root};
use crate::record::Status;

/// Runs checks, keeps the evidence ledger, and decides the plan's gates.
#[derive(Debug, Parser)]
#[command(name = "sitegen", version, about)]
pub struct Cli {
    /// Repository root (default: the git work tree containing the current folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the configured checks and record the results as a new evidence run.
    Run {
        /// Profile from sitegen.toml.
        #[arg(long, default_value = "quick")]
        profile: String,
        /// Run only these check ids (instead of the whole profile).
        #[arg(long, num_args = 1.., value_name = "ID")]
        only: Vec<String>,
        /// Do not draw progress bars.
        #[arg(long)]
        no_progress: bool,
    },
    /// Recompute every evidence hash and the chain.
    Verify,
    /// Verify the ledger, then evaluate every criterion and the regression thresholds.
    Gate {
        /// Compare against this run instead of the recorded baseline.
        #[arg(long, value_name = "RUN")]
        baseline: Option<String>,
        /// Print the evaluation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the baseline.
    Baseline {
        /// What to do.
        #[command(subcommand)]
        action: BaselineAction,
    },
}

/// `baseline` sub-commands.
#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Record RUN as the Phase 0 baseline (appends a ledger entry; old runs are never edited).
    Set {
        /// The run id.
        run: String,
    },
}

/// Executes a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32> {
    let root = match cli.root {
        Some(r) => r,
        None => find_root(&std::env::current_dir()?),
    };
    let project = Project::open(&root)?;
    match cli.command {
        Command::Run {
            profile,
            only,
            no_progress,
        } => {
            let progress = !no_progress && std::io::stderr().is_terminal();
            let summary = project.run(&profile, &only, progress)?;
            let mut not_passed = 0;
            for r in &summary.records {
                println!(
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
            println!(
                "recorded run {} in {}",
                summary.run_id,
                project.evidence_dir().join(&summary.run_id).display()
            );
            Ok(if not_passed > 0 { 2 } else { 0 })
        }
        Command::Verify => {
            let report = project.verify()?;
            if report.ok() {
                println!(
                    "evidence verified: {} runs, {} files, chain intact",
                    report.runs, report.files
                );
                return Ok(0);
            }
            if let Some(first) = report.first_broken() {
                eprintln!(
                    "first problem (run {}): {first}",
                    if first.run_id.is_empty() {
                        "-"
                    } else {
                        &first.run_id
                    }
                );
            }
            for p in &report.problems {
                eprintln!("  {p}");
            }
            eprintln!(
                "evidence verification FAILED: {} problem(s) in {} runs",
                report.problems.len(),
                report.runs
            );
            Ok(1)
        }
        Command::Gate { baseline, json } => {
            // Gates are decided only on evidence that verifies.
            let report = project.verify()?;
            if !report.ok() {
                for p in &report.problems {
                    eprintln!("  {p}");
                }
                eprintln!(
                    "gate refused: the evidence ledger does not verify ({} problem(s))",
                    report.problems.len()
                );
                return Ok(1);
            }
            let eval = project.evaluate(baseline.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&eval)?);
            } else {
                print_gate(&eval);
            }
            let pass = eval.gate_passes(&project.config);
            if !json {
                println!("gate: {}", if pass { "PASS" } else { "FAIL" });
            }
            Ok(if pass { 0 } else { 1 })
        }
        Command::Baseline {
            action: BaselineAction::Set { run },
        } => {
            let id = project.set_baseline(&run)?;
            println!("baseline set to {run} (ledger entry {id})");
            Ok(0)
        }
    }
}

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

fn print_gate(eval: &Evaluation) {
    println!(
        "latest run: {}   baseline: {}",
        eval.latest_run.as_deref().unwrap_or("none"),
        eval.baseline.as_deref().unwrap_or("none")
    );
    println!(
        "{:<26} {:<12} {:<36} {:<44} {:<26} sha256",
        "criterion", "verdict", "value", "threshold", "evidence run"
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
                short(&e.sha256).to_string(),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<26} {:<12} {:<36} {:<44} {:<26} {}",
            format!("{}{mark}", c.id),
            verdict,
            c.value.as_deref().unwrap_or("-"),
            c.threshold,
            run,
            sha
        );
    }
    for p in &eval.phases {
        println!(
            "phase {} {:<40} {:?}: {} met, {} waived, {} not met, {} no evidence{}",
            p.id,
            p.title,
            p.state,
            p.met,
            p.waived,
            p.not_met,
            p.no_evidence,
            if p.blocked_by.is_empty() {
                String::new()
            } else {
                format!(", waiting on phases {:?}", p.blocked_by)
            }
        );
    }
    if !eval.regressions.is_empty() {
        println!(
            "{:<40} {:<13} {:>14} {:>14} {:>9} method",
            "metric", "state", "baseline", "current", "worse by"
        );
        for r in &eval.regressions {
            let method = match r.method {
                Method::MannWhitney { p_value } => format!("Mann-Whitney p={p_value:.4}"),
                Method::Threshold => "threshold".into(),
            };
            let state = match r.state {
                RegressionState::Regressed => "REGRESSED",
                RegressionState::WithinNoise => "within noise",
                RegressionState::Improved => "improved",
                RegressionState::Unchanged => "unchanged",
            };
            println!(
                "{:<40} {:<13} {:>14.4} {:>14.4} {:>9} {method}",
                r.metric,
                state,
                r.baseline_value,
                r.current_value,
                r.worse_by
                    .map(|w| format!("{:+.1}%", w * 100.0))
                    .unwrap_or_else(|| "n/a".into())
            );
        }
    }
    println!("(* = blocking)");
}

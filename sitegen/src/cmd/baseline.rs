//! `sitegen baseline`: change the baseline (an audited act) and show its history.

use anyhow::Result;
use clap::Subcommand;

use crate::evidence::ledger::load::baseline_history;
use crate::outln;
use crate::project::Project;

/// `baseline` sub-commands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Make RUN the baseline: appends a ledger entry recording why, who, which ADR and the
    /// baseline it replaces (old runs are never edited).
    Set {
        /// The check run's id.
        run: String,
        /// Why the baseline moves (required; shown on the dashboard and in `baseline history`).
        #[arg(long)]
        reason: String,
        /// The ADR recording the decision, e.g. ADR-0010 (must exist in the ADR folder).
        #[arg(long, value_name = "ADR-NNNN")]
        adr: Option<String>,
    },
    /// List every baseline change, oldest first.
    History {
        /// Print the history as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the sub-command.
pub fn execute(project: &Project, action: &Action) -> Result<i32> {
    match action {
        Action::Set { run, reason, adr } => {
            let id = project.set_baseline(run, reason, adr.as_deref())?;
            outln!("baseline set to {run} (ledger entry {id})");
            Ok(0)
        }
        Action::History { json } => {
            let _ledger = project.lock_ledger_for_reading()?;
            let history = baseline_history(&project.load_runs()?);
            if *json {
                outln!("{}", serde_json::to_string_pretty(&history)?);
                return Ok(0);
            }
            if history.is_empty() {
                outln!("no baseline set yet (sitegen baseline set RUN --reason …)");
            }
            for e in &history {
                let from = e.previous.as_deref().unwrap_or("none");
                outln!(
                    "{}  {} (was {from})  entry {}",
                    e.set_at,
                    e.baseline,
                    e.entry
                );
                match &e.change {
                    Some(c) => {
                        let adr = c
                            .adr
                            .as_deref()
                            .map(|a| format!(", {a}"))
                            .unwrap_or_default();
                        outln!("    by {}{adr}: {}", c.set_by, c.reason);
                    }
                    None => outln!("    (recorded before reasons were required)"),
                }
            }
            Ok(0)
        }
    }
}

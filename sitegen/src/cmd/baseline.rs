//! `sitegen baseline`: manage the baseline.

use anyhow::Result;
use clap::Subcommand;

use crate::outln;
use crate::project::Project;

/// `baseline` sub-commands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Record RUN as the Phase 0 baseline (appends a ledger entry; old runs are never edited).
    Set {
        /// The run id.
        run: String,
    },
}

/// Runs the sub-command.
pub fn execute(project: &Project, action: &Action) -> Result<i32> {
    match action {
        Action::Set { run } => {
            let id = project.set_baseline(run)?;
            outln!("baseline set to {run} (ledger entry {id})");
            Ok(0)
        }
    }
}

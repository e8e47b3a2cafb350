//! The command line: argument definitions (clap derive) and the dispatch; each command lives in
//! its own module, which loads, calls the library, prints, and returns the process exit code.
//!
//! Exit codes: 0 success; 1 an error, a verification failure, or a failed blocking gate;
//! 2 (`run`) the run was recorded but some check did not pass, (`pair`) the paired run was
//! recorded but a check was not pairable or a metric regressed, (`drill gate`) the drill ran
//! but did not show the gate honest (a false alarm, or power below 0.95), or (any command)
//! standard output could not be written (see [`crate::util::output`]: a closed pipe is not an
//! error).
//!
//! Everything is printed through [`crate::outln!`] and [`crate::errln!`], never `println!`.

pub mod baseline;
pub mod bench_site;
pub mod build;
pub mod drill;
pub mod fuzz;
pub mod gate;
pub mod pair;
pub mod publish;
pub mod run;
pub mod synthetic;
pub mod verify;

use std::path::PathBuf;

use anyhow::{Context, Result};
use std::io::IsTerminal;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

use crate::project::{Project, find_root};
use crate::util::output;

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
    Run(run::RunArgs),
    /// Recompute every evidence hash and the chain.
    Verify,
    /// Verify the ledger, then evaluate every criterion and the regression thresholds.
    Gate(gate::GateArgs),
    /// Measure checks alternately at a baseline commit (built in a git worktree under
    /// `target/paired/`) and at the current tree, and record the paired ratios, their 95 %
    /// intervals and verdicts as a `paired` run.
    Pair(pair::PairArgs),
    /// Drills that measure the evidence machinery itself: `drill gate` runs A/A and A/B
    /// (planted slowdown) paired comparisons of the current tree and reports false alarms,
    /// power and the smallest detectable change.
    Drill {
        /// Which drill.
        #[command(subcommand)]
        action: drill::Action,
    },
    /// Fuzz sitegen's own parsers (plan, config, ADRs, front matter, metrics JSON, JUnit,
    /// evidence files, caches) with seeded mutations of this repository's inputs; exit code 1
    /// on any crash.
    Fuzz(fuzz::FuzzArgs),
    /// Manage the baseline.
    Baseline {
        /// What to do.
        #[command(subcommand)]
        action: baseline::Action,
    },
    /// Render the site into `site/<version>/` and update `site/versions.json`, `site/latest/`
    /// and the root redirect. An existing version is never modified unless `--force` is given.
    Build(build::BuildArgs),
    /// The CI job: `run --profile quick`, then `verify`, then `build`; prints where to open the
    /// site. A failing gate does not stop it (the dashboard shows the gate); a failed
    /// verification or build does.
    Publish(publish::PublishArgs),
    /// Write a synthetic repository (content pages, ADRs, evidence runs, git history) for
    /// benchmarking builds.
    Synthetic(synthetic::SyntheticArgs),
    /// Measure the site build on fresh synthetic repositories: a cold build, then one run added
    /// and built again; prints medians (wall time, peak memory) with every repetition as a
    /// sample, in the metrics format with `--json`.
    BenchSite(bench_site::BenchSiteArgs),
}

/// The whole program: parses `args`, runs the command, reports an error, and returns the exit
/// status, with what [`output::finish`] says about standard output folded in. Help and version
/// text go through [`output`] too, so `sitegen --help | head -1` ends quietly and
/// `sitegen --help > /dev/full` fails, naming standard output.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let code = match Cli::try_parse_from(args) {
        Ok(cli) => match execute(cli) {
            Ok(code) => code,
            Err(e) => {
                crate::errln!("error: {e:#}");
                1
            }
        },
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let text = e.render();
            if std::io::stdout().is_terminal() {
                output::stdout(format_args!("{}", text.ansi()));
            } else {
                output::stdout(format_args!("{text}"));
            }
            0
        }
        // Usage errors: clap's message on standard error, status 2.
        Err(e) => {
            let _ = e.print();
            e.exit_code()
        }
    };
    // A closed or failing standard output is reported here, once.
    output::finish(code)
}

/// Executes a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32> {
    // Commands that do not work on a repository.
    match &cli.command {
        Command::Synthetic(args) => return synthetic::execute(args),
        Command::BenchSite(args) => return bench_site::execute(args),
        _ => {}
    }
    let project = open_project(cli.root)?;
    match &cli.command {
        Command::Synthetic(_) | Command::BenchSite(_) => {
            anyhow::bail!("internal error: a command without a repository reached the project")
        }
        Command::Run(args) => run::execute(&project, args),
        Command::Verify => verify::execute(&project),
        Command::Gate(args) => gate::execute(&project, args),
        Command::Pair(args) => pair::execute(&project, args),
        Command::Drill { action } => drill::execute(&project, action),
        Command::Fuzz(args) => fuzz::execute(&project, args),
        Command::Baseline { action } => baseline::execute(&project, action),
        Command::Build(args) => build::execute(&project, args),
        Command::Publish(args) => publish::execute(&project, args),
    }
}

/// The project at `--root`, or at the git work tree containing the current folder. A mistyped
/// `--root` is an error, never an empty project that verifies nothing or a site built into a
/// new folder.
fn open_project(root: Option<PathBuf>) -> Result<Project> {
    let explicit_root = root.is_some();
    let root = match root {
        Some(r) => r,
        None => find_root(&std::env::current_dir()?),
    };
    Project::open(&root).with_context(|| {
        if explicit_root {
            "in --root".to_string()
        } else {
            format!(
                "{} is the git work tree containing the current folder; run sitegen inside a \
                 project or pass --root",
                root.display()
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

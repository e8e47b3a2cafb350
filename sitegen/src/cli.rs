//! The command line: argument definitions (clap derive) and one function per command that calls
//! the library, prints, and returns the process exit code.
//!
//! Exit codes: 0 success; 1 an error, a verification failure, or a failed blocking gate;
//! 2 (`run`) the run was recorded but some check did not pass, or (any command) standard output
//! could not be written (see [`crate::util::output`]: a closed pipe is not an error).
//!
//! Everything is printed through [`crate::outln!`] and [`crate::errln!`], never `println!`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::evaluate::{Evaluation, Method, RegressionState};
use crate::evidence::record::Status;
use crate::model::project::{Project, find_root};

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
    /// Render the site into `site/<version>/` and update `site/versions.json`, `site/latest/`
    /// and the root redirect. An existing version is never modified unless `--force` is given.
    Build(BuildArgs),
    /// The CI job: `run --profile quick`, then `verify`, then `build`; prints where to open the
    /// site. A failing gate does not stop it (the dashboard shows the gate); a failed
    /// verification or build does.
    Publish {
        /// Profile to run.
        #[arg(long, default_value = "quick")]
        profile: String,
        /// Do not draw progress bars.
        #[arg(long)]
        no_progress: bool,
        /// Build options.
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Write a synthetic repository (content pages, ADRs, evidence runs, git history) for
    /// benchmarking builds.
    Synthetic {
        /// Directory to create; must not exist yet.
        out: PathBuf,
        /// Pages, ADRs, commits and metrics per run.
        #[command(flatten)]
        shape: SiteShape,
        /// Number of evidence runs.
        #[arg(long, default_value_t = 0)]
        runs: usize,
        /// Append one run (with `--metrics` metrics) to the existing synthetic repository OUT
        /// instead of creating one, as a new check run would (to measure incremental builds).
        #[arg(long)]
        add_run: bool,
    },
    /// Measure the site build on fresh synthetic repositories: a cold build, then one run added
    /// and built again; prints medians (wall time, peak memory) with every repetition as a
    /// sample, in the metrics format with `--json`.
    BenchSite {
        /// Pages, ADRs, commits and metrics per run.
        #[command(flatten)]
        shape: SiteShape,
        /// Evidence runs in each synthetic repository (at least 1).
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        /// Repetitions, each on a fresh repository.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Where to write the repositories (removed at the end); default: the system's
        /// temporary folder.
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Print the metrics JSON document on stdout (progress goes to stderr).
        #[arg(long)]
        json: bool,
    },
}

/// The size of a synthetic repository apart from its number of runs (`synthetic`,
/// `bench-site`).
#[derive(Debug, Clone, clap::Args)]
pub struct SiteShape {
    /// Number of content pages.
    #[arg(long, default_value_t = 200)]
    pages: usize,
    /// Approximate words per content page.
    #[arg(long, default_value_t = 1500)]
    words: usize,
    /// Number of ADRs.
    #[arg(long, default_value_t = 100)]
    adrs: usize,
    /// Number of commits.
    #[arg(long, default_value_t = 200)]
    commits: usize,
    /// Metrics per evidence run.
    #[arg(long, default_value_t = 40)]
    metrics: usize,
}

impl SiteShape {
    /// The synthetic repository of this shape with `runs` evidence runs.
    fn spec(&self, runs: usize) -> crate::bench::synthetic::SyntheticSpec {
        crate::bench::synthetic::SyntheticSpec {
            pages: self.pages,
            words_per_page: self.words,
            adrs: self.adrs,
            commits: self.commits,
            runs,
            metrics: self.metrics,
            ..Default::default()
        }
    }
}

/// Options of `build` (and of the build step of `publish`).
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// Version name; defaults to the tag at HEAD, else the short commit hash, with `-dirty`
    /// when the working tree has changes.
    #[arg(long)]
    pub version: Option<String>,
    /// Replace `site/<version>/` if it already exists.
    #[arg(long)]
    pub force: bool,
    /// Let raw HTML in markdown through (it is escaped by default).
    #[arg(long)]
    pub allow_html: bool,
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
    let explicit_root = cli.root.is_some();
    let root = match cli.root {
        Some(r) => r,
        None => find_root(&std::env::current_dir()?),
    };
    // Commands that do not work on a repository.
    match cli.command {
        Command::Synthetic {
            out,
            shape,
            runs,
            add_run,
        } => {
            if add_run {
                let n = crate::evidence::ledger::load::list_run_ids(&out.join("evidence"))
                    .with_context(|| format!("while listing the runs of {}", out.display()))?
                    .len();
                let id = crate::bench::synthetic_evidence::add_run(&out, n, shape.metrics)?;
                crate::outln!("added run {id} to {}", out.display());
                return Ok(0);
            }
            if out.exists() {
                anyhow::bail!("{} already exists; choose a new directory", out.display());
            }
            std::fs::create_dir_all(&out)?;
            crate::bench::synthetic::generate(&out, &shape.spec(runs))?;
            crate::outln!("wrote a synthetic repository to {}", out.display());
            return Ok(0);
        }
        Command::BenchSite {
            shape,
            runs,
            repeat,
            work_dir,
            json,
        } => {
            if runs == 0 || shape.metrics == 0 || repeat == 0 {
                anyhow::bail!("--runs, --metrics and --repeat must be at least 1");
            }
            let spec = crate::bench::site::BenchSpec {
                synthetic: shape.spec(runs),
                repeat,
                work_dir: work_dir.unwrap_or_else(std::env::temp_dir),
            };
            let exe = std::env::current_exe().context("while finding the sitegen executable")?;
            let file = crate::bench::site::run(&spec, &exe, |line| crate::errln!("{line}"))?;
            if json {
                crate::outln!("{}", serde_json::to_string_pretty(&file)?);
            } else {
                for m in &file.metrics {
                    crate::outln!("{:<34} {:>10.1} {}", m.name, m.value, m.unit);
                }
            }
            return Ok(0);
        }
        _ => {}
    }
    // Every other command needs a project: a mistyped --root is an error, never an empty
    // project that verifies nothing or a site built into a new folder.
    let project = Project::open(&root).with_context(|| {
        if explicit_root {
            "in --root".to_string()
        } else {
            format!(
                "{} is the git work tree containing the current folder; run sitegen inside a \
                 project or pass --root",
                root.display()
            )
        }
    })?;
    match cli.command {
        Command::Synthetic { .. } | Command::BenchSite { .. } => {
            anyhow::bail!("internal error: a command without a repository reached the project")
        }
        Command::Build(args) => {
            check_version(&args)?;
            build(&project.root, &args).map(|_| 0)
        }
        Command::Publish {
            profile,
            no_progress,
            build: args,
        } => {
            // Before minutes of checks, not after.
            check_version(&args)?;
            publish(&project, &profile, no_progress, &args)
        }
        Command::Run {
            profile,
            only,
            no_progress,
        } => {
            let progress = !no_progress && std::io::stderr().is_terminal();
            let summary = project.run(&profile, &only, progress)?;
            let mut not_passed = 0;
            for r in &summary.records {
                crate::outln!(
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
            crate::outln!(
                "recorded run {} in {}",
                summary.run_id,
                project.evidence_dir().join(&summary.run_id).display()
            );
            Ok(if not_passed > 0 { 2 } else { 0 })
        }
        Command::Verify => {
            let report = project.verify()?;
            if report.ok() && report.runs == 0 {
                crate::errln!(
                    "nothing to verify: {} holds no runs (record one with `sitegen run`)",
                    project.evidence_dir().display()
                );
                print_anchor(&report);
                return Ok(1);
            }
            if report.ok() {
                crate::outln!(
                    "evidence verified: {} runs, {} files, chain intact",
                    report.runs,
                    report.files
                );
                print_anchor(&report);
                return Ok(0);
            }
            if let Some(first) = report.first_broken() {
                crate::errln!(
                    "first problem (run {}): {first}",
                    if first.run_id.is_empty() {
                        "-"
                    } else {
                        &first.run_id
                    }
                );
            }
            for p in &report.problems {
                crate::errln!("  {p}");
            }
            crate::errln!(
                "evidence verification FAILED: {} problem(s) in {} runs",
                report.problems.len(),
                report.runs
            );
            Ok(1)
        }
        Command::Gate { baseline, json } => {
            // Gates are decided only on evidence that verifies — the same evidence: no run
            // is appended between the verification and the evaluation.
            let _ledger = project.lock_ledger_for_reading()?;
            let report = project.verify()?;
            if !report.ok() {
                for p in &report.problems {
                    crate::errln!("  {p}");
                }
                crate::errln!(
                    "gate refused: the evidence ledger does not verify ({} problem(s))",
                    report.problems.len()
                );
                return Ok(1);
            }
            let eval = project.evaluate(baseline.as_deref())?;
            if json {
                crate::outln!("{}", serde_json::to_string_pretty(&eval)?);
            } else {
                print_gate(&eval);
            }
            let pass = eval.gate_passes(&project.config);
            if !json {
                crate::outln!("gate: {}", if pass { "PASS" } else { "FAIL" });
            }
            Ok(if pass { 0 } else { 1 })
        }
        Command::Baseline {
            action: BaselineAction::Set { run },
        } => {
            let id = project.set_baseline(&run)?;
            crate::outln!("baseline set to {run} (ledger entry {id})");
            Ok(0)
        }
    }
}

/// `sitegen build`: renders the site and prints warnings, phase timings and the output.
fn build(root: &std::path::Path, args: &BuildArgs) -> Result<crate::site::BuildReport> {
    let mut options = crate::site::BuildOptions::new(root);
    options.version = args.version.clone();
    options.force = args.force;
    options.allow_html = args.allow_html;
    let report = crate::site::build(&options)?;
    for warning in &report.warnings {
        crate::errln!("warning: {warning}");
    }
    for t in &report.timings {
        crate::errln!("  {:<8} {:>8.1} ms", t.name, t.duration.as_secs_f64() * 1e3);
    }
    if let Some(mb) = crate::bench::site::peak_rss_mb() {
        crate::errln!("  peak memory {mb:>6.1} MB");
    }
    crate::outln!(
        "built {} pages ({} rendered, {} from the render cache, {} shared with the previous \
         version) for version {} in {}",
        report.pages,
        report.rendered,
        report.pages - report.rendered - report.reused,
        report.reused,
        report.version,
        report.output.display()
    );
    Ok(report)
}

/// `sitegen publish`: run → verify → build. Returns the exit code.
fn publish(project: &Project, profile: &str, no_progress: bool, args: &BuildArgs) -> Result<i32> {
    let progress = !no_progress && std::io::stderr().is_terminal();
    crate::outln!("== run --profile {profile}");
    let summary = project.run(profile, &[], progress)?;
    for r in &summary.records {
        crate::outln!(
            "{:<24} {:<8} {:>8} ms",
            r.check_id,
            r.status.as_str(),
            r.duration_ms
        );
    }
    crate::outln!("recorded run {}", summary.run_id);
    crate::outln!("== verify");
    let report = project.verify()?;
    if !report.ok() {
        for p in &report.problems {
            crate::errln!("  {p}");
        }
        crate::errln!(
            "publish stopped: evidence verification FAILED ({} problem(s))",
            report.problems.len()
        );
        return Ok(1);
    }
    crate::outln!(
        "evidence verified: {} runs, {} files",
        report.runs,
        report.files
    );
    print_anchor(&report);
    crate::outln!("== build");
    let built = build(&project.root, args)?;
    let index = built.output.join("index.html");
    let site = project.path(&project.config.paths.site);
    crate::outln!("open {}", index.display());
    crate::outln!(
        "or serve {} with any static file server and open /latest/",
        site.display()
    );
    Ok(0)
}

/// Refuses an invalid `--version` before any work, saying what a version name is.
fn check_version(args: &BuildArgs) -> Result<()> {
    match &args.version {
        Some(v) => crate::site::output::versions::validate_name(v).context("in --version"),
        None => Ok(()),
    }
}

/// Prints the chain head and how it relates to git `HEAD` (a warning when unanchored).
fn print_anchor(report: &crate::evidence::verify::VerifyReport) {
    use crate::evidence::verify::Anchor;
    if let Some(head) = report.head() {
        crate::outln!(
            "chain head: {} (manifest sha256 {}), {} runs",
            head.run_id,
            head.manifest_sha256,
            report.runs
        );
    }
    match &report.anchor {
        Anchor::Unanchored(why) => crate::errln!(
            "warning: the chain head is unanchored ({why}): removing the newest runs would \
             not be detected"
        ),
        Anchor::AtHead { .. } => crate::outln!("anchored: {}", report.anchor),
        Anchor::Ahead { newer, .. } => crate::outln!(
            "anchored: {}: {}",
            report.anchor,
            crate::evidence::verify::list_runs(newer)
        ),
        Anchor::Broken { .. } | Anchor::NotChecked => {}
    }
}

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

fn print_gate(eval: &Evaluation) {
    crate::outln!(
        "latest run: {}   baseline: {}",
        eval.latest_run.as_deref().unwrap_or("none"),
        eval.baseline.as_deref().unwrap_or("none")
    );
    crate::outln!(
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
                short(&e.sha256).to_string(),
            ),
            None => ("-".into(), "-".into()),
        };
        crate::outln!(
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
        crate::outln!(
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
        crate::outln!(
            "{:<40} {:<13} {:>14} {:>14} {:>9} method",
            "metric",
            "state",
            "baseline",
            "current",
            "worse by"
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
            crate::outln!(
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
    crate::outln!("(* = blocking)");
}

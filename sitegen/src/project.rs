//! The library's front door: one [`Project`] (a repository root plus its `sitegen.toml`) with a
//! method per thing a program needs — load the plan, ADRs, sign-offs and runs; evaluate the
//! gates; verify the ledger; run checks; mark a baseline. The CLI and the site both use it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Utc;

use crate::evaluate::{self, Evaluation, Inputs};
use crate::evidence::environment;
use crate::evidence::ingest::{self, Ingested};
use crate::evidence::ledger::load::{self, Run};
use crate::evidence::ledger::write::{self, NewRun};
use crate::evidence::ledger::{BaselineChange, RunKind};
use crate::evidence::record::EvidenceRecord;
use crate::evidence::verify::{self, VerifyReport};
use crate::model::adr::{self, Adr};
use crate::model::config::Config;
use crate::model::plan::Plan;
use crate::model::signoff::Signoffs;
use crate::util::lock::LockGuard;
use crate::util::repofs::Repo;

/// The site build's state folder, relative to the root: under `target/`, which git ignores
/// and no deploy uploads, on the file system of the working tree (the staging tree is renamed
/// into the site folder, which must be on the same file system).
pub const CACHE_DIR: &str = "target/sitegen-cache";

/// A repository sitegen works on.
#[derive(Debug, Clone)]
pub struct Project {
    /// The repository root.
    pub root: PathBuf,
    /// Its configuration.
    pub config: Config,
}

/// What `run` recorded.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The new run's id.
    pub run_id: String,
    /// One record per check, in the order run.
    pub records: Vec<EvidenceRecord>,
}

/// What `pair` recorded.
#[derive(Debug, Clone)]
pub struct PairSummary {
    /// The new run's id.
    pub run_id: String,
    /// The baseline commit, in full.
    pub baseline_commit: String,
    /// One record per check, in the order measured; each carries its [`Paired`] result.
    ///
    /// [`Paired`]: crate::evidence::record::Paired
    pub records: Vec<EvidenceRecord>,
}

/// The repository root containing `start`: the git work tree's top, else `start` itself.
pub fn find_root(start: &Path) -> PathBuf {
    git2::Repository::discover(start)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .unwrap_or_else(|| start.to_path_buf())
}

impl Project {
    /// Opens the repository at `root`, reading and validating `sitegen.toml`. A root that does
    /// not exist, or has no `sitegen.toml` (not a project: a mistyped `--root`), is an error
    /// naming it — never an empty project whose checks check nothing.
    pub fn open(root: &Path) -> Result<Project> {
        if !root.is_dir() {
            bail!(
                "{}: no such folder (expected a repository root holding {})",
                root.display(),
                crate::model::config::CONFIG_FILE
            );
        }
        if !root.join(crate::model::config::CONFIG_FILE).is_file() {
            bail!(
                "{} is not a sitegen project: it has no {} (expected the repository root, \
                 which holds it)",
                root.display(),
                crate::model::config::CONFIG_FILE
            );
        }
        let config = Config::load(root)?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
        })
    }

    /// Opens the repository at `root` for a site build: as [`Project::open`], except that a
    /// root without `sitegen.toml` is a project with the default configuration (a site of
    /// content pages and ADRs, without evidence; see [`Project::has_config_file`]).
    pub fn open_for_site(root: &Path) -> Result<Project> {
        if !root.is_dir() {
            bail!(
                "{}: no such folder (expected the repository root to build the site of)",
                root.display()
            );
        }
        Ok(Project {
            root: root.to_path_buf(),
            config: Config::load(root)?,
        })
    }

    /// Whether the repository has a `sitegen.toml` (without one there is no evidence).
    pub fn has_config_file(&self) -> bool {
        self.root.join(crate::model::config::CONFIG_FILE).exists()
    }

    /// The content folder (`[paths] content`).
    pub fn content_dir(&self) -> PathBuf {
        self.path(&self.config.paths.content)
    }

    /// The ADR folder (`[paths] adr`).
    pub fn adr_dir(&self) -> PathBuf {
        self.path(&self.config.paths.adr)
    }

    /// The templates folder (`[paths] templates`): files there override the embedded defaults.
    pub fn templates_dir(&self) -> PathBuf {
        self.path(&self.config.paths.templates)
    }

    /// The site output folder (`[paths] site`): `<version>/`, `latest`, `versions.json`.
    pub fn site_dir(&self) -> PathBuf {
        self.path(&self.config.paths.site)
    }

    /// Where site builds keep their state ([`CACHE_DIR`] under the root): the render cache,
    /// page sharing, the site lock and the staging trees — outside the published folder, so a
    /// deploy uploads the site folder as it is.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join(CACHE_DIR)
    }

    /// The folders sitegen writes itself (evidence ledger, site), relative to the root: changes
    /// there do not make a measured tree dirty.
    pub fn outputs(&self) -> [&Path; 2] {
        [
            Path::new(&self.config.paths.evidence),
            Path::new(&self.config.paths.site),
        ]
    }

    /// `root` joined with a repository-relative path.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The evidence folder.
    pub fn evidence_dir(&self) -> PathBuf {
        self.path(&self.config.paths.evidence)
    }

    /// The repository's files, under the rule of [`crate::util::repofs`]: nothing an input folder
    /// holds may resolve outside the repository.
    pub fn repo(&self) -> Repo {
        Repo::open(&self.root)
    }

    /// Fails, naming the path, when anything in the evidence folder resolves outside the
    /// repository (see [`crate::util::repofs`]).
    pub fn check_evidence_files(&self) -> Result<()> {
        self.repo().check_tree(&self.evidence_dir())
    }

    /// Loads and validates `plan.toml`.
    pub fn load_plan(&self) -> Result<Plan> {
        Plan::load(&self.repo(), &self.path(&self.config.paths.plan))
    }

    /// Loads every ADR.
    pub fn load_adrs(&self) -> Result<Vec<Adr>> {
        adr::load_dir(&self.repo(), &self.adr_dir())
    }

    /// Loads the recorded sign-offs.
    pub fn load_signoffs(&self) -> Result<Signoffs> {
        Signoffs::load(&self.repo(), &self.path(&self.config.paths.signoffs))
    }

    /// Loads every evidence run, oldest first.
    pub fn load_runs(&self) -> Result<Vec<Run>> {
        self.check_evidence_files()?;
        load::load_runs(&self.evidence_dir())
    }

    /// Ingests every `benchmark_results/<date>/` folder, by folder name.
    pub fn load_benchmark_results(&self) -> Result<BTreeMap<String, Ingested>> {
        let dir = self.path(&self.config.paths.benchmark_results);
        self.repo().check_tree(&dir)?;
        let mut out = BTreeMap::new();
        if !dir.exists() {
            return Ok(out);
        }
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("while listing {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("while listing {}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if !path.is_dir() {
                bail!(
                    "{}: expected only <date>/ folders in {}",
                    path.display(),
                    dir.display()
                );
            }
            out.insert(name, ingest::results::ingest_dir(&path)?);
        }
        Ok(out)
    }

    /// Evaluates the plan and regressions from `runs` (see [`evaluate::evaluate`]).
    pub fn evaluate_runs(&self, runs: &[Run], baseline: Option<&str>) -> Result<Evaluation> {
        let plan = self.load_plan()?;
        let adrs = self.load_adrs()?;
        let signoffs = self.load_signoffs()?;
        evaluate::evaluate(&Inputs {
            root: &self.root,
            config: &self.config,
            plan: &plan,
            adrs: &adrs,
            signoffs: &signoffs,
            signoffs_path: &self.config.paths.signoffs,
            runs,
            baseline,
        })
    }

    /// Loads the runs and evaluates.
    pub fn evaluate(&self, baseline: Option<&str>) -> Result<Evaluation> {
        let runs = self.load_runs()?;
        self.evaluate_runs(&runs, baseline)
    }

    /// Takes the ledger lock shared: while it is held no run is appended, so what is read —
    /// verified, then evaluated — is one and the same ledger (see [`crate::util::lock`]).
    pub fn lock_ledger_for_reading(&self) -> Result<Option<LockGuard>> {
        crate::evidence::ledger::lock_for_reading(&self.evidence_dir())
    }

    /// Recomputes every hash and the chain (after [`Project::check_evidence_files`]), and
    /// compares the chain head with the one committed at git `HEAD` ([`verify::check_anchor`]),
    /// under the ledger lock.
    pub fn verify(&self) -> Result<VerifyReport> {
        let evidence = self.evidence_dir();
        let _lock = self.lock_ledger_for_reading()?;
        self.check_evidence_files()?;
        let mut report = verify::verify(&evidence)?;
        verify::check_anchor(&mut report, &self.root, &evidence)?;
        Ok(report)
    }

    /// Runs the checks of `profile` (or just `only`, when non-empty) and appends the run.
    pub fn run(&self, profile: &str, only: &[String], progress: bool) -> Result<RunSummary> {
        let ids = if only.is_empty() {
            self.config
                .profile_checks(profile)
                .context("in sitegen.toml")?
        } else {
            only.to_vec()
        };
        if ids.is_empty() {
            bail!("profile `{profile}` has no checks; nothing to run");
        }
        let env = environment::capture(&self.root, &self.outputs())?;
        let started = Utc::now();
        let records =
            crate::evidence::runner::run_checks(&self.root, &self.config, &ids, &env, progress)?;
        let run_id = write::append(
            &self.evidence_dir(),
            NewRun {
                kind: RunKind::Checks,
                profile: Some(profile.to_string()),
                started_at: started,
                finished_at: Utc::now(),
                environment: env,
                baseline: None,
                baseline_change: None,
                records: records.clone(),
            },
        )?;
        Ok(RunSummary { run_id, records })
    }

    /// The checks `sitegen pair` measures by default: those of the quick profile that declare
    /// `pairable = true`.
    pub fn pairable_checks(&self) -> Result<Vec<String>> {
        let quick = self
            .config
            .profile_checks("quick")
            .context("in sitegen.toml")?;
        Ok(quick
            .into_iter()
            .filter(|id| self.config.check(id).is_some_and(|c| c.pairable))
            .collect())
    }

    /// The commit of the recorded baseline run, for `sitegen pair` without `--baseline`.
    pub fn baseline_commit(&self) -> Result<String> {
        let runs = self.load_runs()?;
        let Some(id) = crate::evidence::ledger::load::current_baseline(&runs) else {
            bail!(
                "no baseline run is set (sitegen baseline set RUN --reason …); name the \
                 baseline commit with --baseline REV"
            );
        };
        let run = runs
            .iter()
            .find(|r| r.id == id)
            .with_context(|| format!("baseline run `{id}` is not in the ledger"))?;
        let commit = &run.info.environment.git_commit;
        if commit.is_empty() {
            bail!("baseline run `{id}` records no git commit; name one with --baseline REV");
        }
        Ok(commit.clone())
    }

    /// Measures `checks` (the [`Project::pairable_checks`] when empty) paired against the
    /// commit `baseline` names, `rounds` rounds each, and appends the records as a `paired`
    /// run; `progress` hears of every step.
    pub fn pair(
        &self,
        baseline: &str,
        checks: &[String],
        rounds: u32,
        progress: &dyn Fn(&str),
    ) -> Result<PairSummary> {
        use crate::evidence::paired;
        if rounds < 2 {
            bail!("--rounds {rounds}: a confidence interval needs at least 2 rounds");
        }
        let ids = if checks.is_empty() {
            self.pairable_checks()?
        } else {
            checks.to_vec()
        };
        if ids.is_empty() {
            bail!(
                "no check of the quick profile declares `pairable = true` in {}; name one with \
                 --check",
                self.root.join(crate::model::config::CONFIG_FILE).display()
            );
        }
        let mut selected = Vec::new();
        for id in &ids {
            match self.config.check(id) {
                Some(c) => selected.push(c.for_pairing()),
                None => bail!("unknown check `{id}` (not in sitegen.toml)"),
            }
        }
        let root = self
            .root
            .canonicalize()
            .with_context(|| format!("while resolving {}", self.root.display()))?;
        let baseline_commit = paired::worktree::resolve(&root, baseline)?;
        // The current tree's state before the baseline worktree appears beside it.
        let env = environment::capture(&root, &self.outputs())?;
        progress(&format!(
            "baseline {} in {}",
            crate::util::ids::short_commit(&baseline_commit),
            paired::worktree::PAIRED_DIR
        ));
        let trees = paired::Trees {
            baseline: paired::worktree::prepare(&root, &baseline_commit)?,
            current: root.clone(),
        };
        let started = Utc::now();
        let records: Vec<EvidenceRecord> = selected
            .into_iter()
            .map(|check| {
                paired::measure(
                    &trees,
                    &baseline_commit,
                    &check,
                    rounds,
                    &self.config.regression,
                    &env,
                    progress,
                )
            })
            .collect();
        let run_id = write::append(
            &self.evidence_dir(),
            NewRun {
                kind: RunKind::Paired,
                profile: None,
                started_at: started,
                finished_at: Utc::now(),
                environment: env,
                baseline: None,
                baseline_change: None,
                records: records.clone(),
            },
        )?;
        Ok(PairSummary {
            run_id,
            baseline_commit,
            records,
        })
    }

    /// Makes the check run `run_id` the baseline: appends a `baseline` entry recording `reason`
    /// (required, not blank), the ADR that decided it (`adr`, which must exist in the ADR folder),
    /// who set it and the baseline it replaces. Old runs are never edited; the dashboard and
    /// `sitegen baseline history` show every change. Returns the new entry's id.
    pub fn set_baseline(&self, run_id: &str, reason: &str, adr: Option<&str>) -> Result<String> {
        let reason = reason.trim();
        if reason.is_empty() {
            bail!("a baseline change needs a reason: --reason \"why the baseline moves\"");
        }
        if let Some(adr) = adr {
            let adrs = self.load_adrs()?;
            if !adrs.iter().any(|a| a.meta.id == adr) {
                bail!(
                    "--adr {adr}: no ADR with that id in {} (ids look like ADR-0009)",
                    self.adr_dir().display()
                );
            }
        }
        let evidence = self.evidence_dir();
        let target = load::load_run(&evidence, run_id).with_context(|| {
            format!(
                "baseline run `{run_id}` cannot be read from {}",
                evidence.display()
            )
        })?;
        if target.info.kind != RunKind::Checks {
            bail!(
                "`{run_id}` is a {:?} entry, not a check run",
                target.info.kind
            );
        }
        let runs = self.load_runs()?;
        let previous = load::current_baseline(&runs).map(str::to_string);
        if previous.as_deref() == Some(run_id) {
            bail!("`{run_id}` is already the baseline in force; nothing to record");
        }
        let now = Utc::now();
        write::append(
            &evidence,
            NewRun {
                kind: RunKind::Baseline,
                profile: None,
                started_at: now,
                finished_at: now,
                environment: environment::capture(&self.root, &self.outputs())?,
                baseline: Some(run_id.to_string()),
                baseline_change: Some(BaselineChange {
                    reason: reason.to_string(),
                    adr: adr.map(str::to_string),
                    set_by: who(&self.root),
                    previous,
                }),
                records: Vec::new(),
            },
        )
    }
}

/// Who is acting, for the audit trail: git's `user.name <user.email>` as the repository sees
/// it, else `$USER`, else `unknown`.
fn who(root: &Path) -> String {
    let git = git2::Repository::open(root)
        .and_then(|r| r.config())
        .ok()
        .and_then(|c| {
            let name = c.get_string("user.name").ok()?;
            Some(match c.get_string("user.email") {
                Ok(email) => format!("{name} <{email}>"),
                Err(_) => name,
            })
        });
    git.or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

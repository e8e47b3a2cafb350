//! The evidence the site shows, loaded once per build when the repository has a `sitegen.toml`.
//!
//! Steps: open the project (config) → verify every hash, the chain and its anchor at git `HEAD`
//! while loading the runs from the very bytes hashed (a broken ledger fails the build: the
//! site never shows unverified evidence) → load the plan → evaluate
//! the gates → index the check runs (newest last) and every metric's series across them → find
//! when each ADR was accepted (the oldest commit mentioning it, else its date).

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::evaluate::Evaluation;
use crate::evidence::ledger::load::{BaselineEntry, Run, baseline_history};
use crate::evidence::ledger::{Link, RunKind};
use crate::evidence::metrics::Direction;
use crate::evidence::verify::Anchor;
use crate::model::adr::{Adr, AdrStatus};
use crate::model::config::Config;
use crate::model::plan::Plan;
use crate::project::Project;
use crate::util::git::History;

/// One measurement of a metric in one run.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesPoint {
    /// Index of the run in [`Evidence::runs`].
    #[serde(skip)]
    pub run: usize,
    /// Run id.
    pub run_id: String,
    /// Short commit id the run measured.
    pub commit: String,
    /// Value.
    pub value: f64,
    /// Lower confidence bound, when recorded.
    pub low: Option<f64>,
    /// Upper confidence bound, when recorded.
    pub high: Option<f64>,
    /// Number of raw samples.
    pub samples: usize,
    /// Record (relative to the evidence folder) holding it.
    pub record: String,
    /// sha256 of that record.
    pub sha256: String,
}

/// A metric's history.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Metric name.
    pub name: String,
    /// Unit of the newest measurement.
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// Points, oldest run first.
    pub points: Vec<SeriesPoint>,
}

/// Everything evidence-related the pages need.
#[derive(Debug)]
pub struct Evidence {
    /// The configuration.
    pub config: Config,
    /// The plan.
    pub plan: Plan,
    /// Check runs only, oldest first (baseline markers are folded into [`Evaluation::baseline`]).
    pub runs: Vec<Run>,
    /// Paired runs (`sitegen pair`), oldest first: shown on their own pages, never part of the
    /// series or the gates.
    pub paired: Vec<Run>,
    /// The gates decided on the latest run.
    pub eval: Evaluation,
    /// Every metric's series, by name.
    pub series: BTreeMap<String, Series>,
    /// Page slug of every metric (unique, URL-safe), by name.
    pub slugs: HashMap<String, String>,
    /// Verified files and runs (all ledger entries).
    pub verified_files: usize,
    /// Ledger entries verified.
    pub verified_runs: usize,
    /// The newest ledger entry and the sha256 of its manifest (shown, so that a ledger whose
    /// newest runs were removed is visible); `None` without runs.
    pub chain_head: Option<Link>,
    /// How the chain head relates to the one committed at git `HEAD`.
    pub anchor: Anchor,
    /// Every baseline change, oldest first.
    pub baseline_history: Vec<BaselineEntry>,
}

impl Evidence {
    /// Index of run `id` among the check runs.
    pub fn run_index(&self, id: &str) -> Option<usize> {
        self.runs.iter().position(|r| r.id == id)
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Loads the evidence of `project`; `None` when it has no `sitegen.toml`. Under
/// the ledger lock (shared: no run is appended meanwhile), every file of the ledger is read
/// and hashed, the chain and its anchor at git `HEAD` are checked, and the runs are parsed
/// from the bytes just hashed ([`crate::evidence::verify::verify_and_load`]) — the site shows nothing
/// that was not verified by this build, and nothing about the evidence is taken from a cache.
pub fn load(project: &Project) -> Result<Option<Evidence>> {
    if !project.has_config_file() {
        return Ok(None);
    }
    let root = &project.root;
    let evidence = project.evidence_dir();
    let lock = project.lock_ledger_for_reading()?;
    project.check_evidence_files()?;
    let (mut report, all) = crate::evidence::verify::verify_and_load(&evidence)?;
    crate::evidence::verify::check_anchor(&mut report, root, &evidence)?;
    drop(lock);
    if !report.ok() {
        let first = report
            .first_broken()
            .map(|p| p.to_string())
            .unwrap_or_default();
        bail!(
            "the evidence ledger in {} does not verify ({} problem(s)); first: {first}. \
             Run `sitegen verify` for the full list",
            evidence.display(),
            report.problems.len()
        );
    }
    let eval = project.evaluate_runs(&all, None)?;
    let baseline_history = baseline_history(&all);
    let plan = project.load_plan()?;
    let (paired, all): (Vec<Run>, Vec<Run>) = all
        .into_iter()
        .partition(|r| r.info.kind == RunKind::Paired);
    let runs: Vec<Run> = all
        .into_iter()
        .filter(|r| r.info.kind == RunKind::Checks)
        .collect();
    let series = build_series(&runs);
    let slugs = metric_slugs(series.keys().map(String::as_str));
    Ok(Some(Evidence {
        slugs,
        config: project.config.clone(),
        plan,
        runs,
        paired,
        eval,
        series,
        verified_files: report.files,
        verified_runs: report.runs,
        chain_head: report.head().cloned(),
        anchor: report.anchor,
        baseline_history,
    }))
}

/// Every metric's series across `runs` (oldest first).
pub fn build_series(runs: &[Run]) -> BTreeMap<String, Series> {
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for rec in &run.records {
            for m in &rec.record.metrics {
                let s = series.entry(m.name.clone()).or_insert_with(|| Series {
                    name: m.name.clone(),
                    unit: m.unit.clone(),
                    direction: m.direction,
                    points: Vec::new(),
                });
                s.unit.clone_from(&m.unit);
                s.direction = m.direction;
                s.points.push(SeriesPoint {
                    run: i,
                    run_id: run.id.clone(),
                    commit: short_commit(&rec.record.environment.git_commit),
                    value: m.value,
                    low: m.ci_lower,
                    high: m.ci_upper,
                    samples: m.samples.len(),
                    record: rec.path.clone(),
                    sha256: rec.sha256.clone(),
                });
            }
        }
    }
    series
}

pub use crate::util::slug::metric_slugs;

/// The first [`COMMIT_LEN`](crate::util::ids::COMMIT_LEN) characters of a commit id.
pub fn short_commit(id: &str) -> String {
    crate::util::ids::short_commit(id).to_string()
}

/// When an ADR was accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Acceptance {
    /// The commit that first mentions the ADR, when git history has one.
    pub commit: Option<String>,
    /// The acceptance time used to split runs into before and after.
    pub time: DateTime<Utc>,
    /// How it was found: `commit` or `date`.
    pub source: &'static str,
}

/// Acceptance points of every accepted ADR: the oldest commit whose message mentions it, else
/// the ADR's `date` at 00:00 UTC.
pub fn acceptances(adrs: &[Adr], history: &History) -> Result<HashMap<String, Acceptance>> {
    let mut out = HashMap::new();
    for adr in adrs {
        if adr.meta.status != AdrStatus::Accepted {
            continue;
        }
        // History is newest first: the last mention is the oldest.
        let commit = history
            .commits
            .iter()
            .rev()
            .find(|c| c.adrs.contains(&adr.meta.id));
        let acceptance = match commit
            .and_then(|c| DateTime::from_timestamp(c.timestamp, 0).map(|t| (c.short_id.clone(), t)))
        {
            Some((id, time)) => Acceptance {
                commit: Some(id),
                time,
                source: "commit",
            },
            None => {
                let date = NaiveDate::parse_from_str(&adr.meta.date, "%Y-%m-%d")
                    .with_context(|| format!("{}: date", adr.path.display()))?;
                Acceptance {
                    commit: None,
                    time: date.and_time(chrono::NaiveTime::MIN).and_utc(),
                    source: "date",
                }
            }
        };
        out.insert(adr.meta.id.clone(), acceptance);
    }
    Ok(out)
}

/// Index of the first run at or after `time` (== number of runs strictly before it).
pub fn split_at(ev: &Evidence, time: DateTime<Utc>) -> usize {
    ev.runs
        .iter()
        .position(|r| parse_time(&r.info.started_at).is_some_and(|t| t >= time))
        .unwrap_or(ev.runs.len())
}

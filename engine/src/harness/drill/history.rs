//! The history drill behind `ldb drill history`: the seeded history workload
//! ([`crate::harness::history::workload`]) on a database in a directory the caller provides,
//! run under `Serializable` and then under `RepeatableRead`, each history checked for the
//! cycles its level forbids.
//!
//! In order: create the database; run the workload at each level (keys prefixed by the level,
//! so the runs do not share keys); close it; total the figures over both runs.

use std::path::Path;
use std::time::Instant;

use crate::db::{Database, Options};
use crate::harness::error::{Context, HarnessResult};
use crate::harness::history::{HistoryConfig, HistoryRun, run_workload};
use crate::txn::IsolationLevel;

/// The two runs and their totals.
#[derive(Debug)]
pub struct HistoryDrill {
    /// The `Serializable` run, then the `RepeatableRead` run.
    pub runs: Vec<HistoryRun>,
    /// Seconds both runs took.
    pub elapsed_s: f64,
}

impl HistoryDrill {
    fn at(&self, level: IsolationLevel) -> impl Iterator<Item = &HistoryRun> {
        self.runs.iter().filter(move |r| r.level == level)
    }

    /// Committed transactions checked, over both runs.
    pub fn transactions(&self) -> usize {
        self.runs.iter().map(|r| r.report.transactions).sum()
    }

    /// Cycles found under `Serializable` (must be 0).
    pub fn cycles(&self) -> usize {
        self.at(IsolationLevel::Serializable)
            .map(|r| r.report.cycles.len())
            .sum()
    }

    /// Cycles under `RepeatableRead` that snapshot isolation forbids (must be 0).
    pub fn si_violations(&self) -> usize {
        self.at(IsolationLevel::RepeatableRead)
            .map(|r| r.report.si_cycles.len())
            .sum()
    }

    /// Bad reads over both runs (must be 0).
    pub fn anomalies(&self) -> usize {
        self.runs.iter().map(|r| r.report.anomalies.len()).sum()
    }

    /// Cycles `RepeatableRead` allowed (write skew).
    pub fn rr_allowed_cycles(&self) -> usize {
        self.at(IsolationLevel::RepeatableRead)
            .map(|r| r.report.cycles.len())
            .sum()
    }

    /// Transactions that gave up, over both runs.
    pub fn abandoned(&self) -> u64 {
        self.runs.iter().map(|r| r.abandoned).sum()
    }

    /// Every run gave its level's guarantees.
    pub fn ok(&self) -> bool {
        self.runs.iter().all(HistoryRun::satisfies_level)
    }
}

/// Runs the workload of `cfg` at both levels on a database created in `dir` with `opts`.
pub fn run(cfg: &HistoryConfig, opts: Options, dir: &Path) -> HarnessResult<HistoryDrill> {
    let path = dir.join("db");
    let db = Database::create(&path, opts)
        .context_with(|| format!("while creating {}", path.display()))?;
    let started = Instant::now();
    let mut runs = Vec::new();
    for level in [IsolationLevel::Serializable, IsolationLevel::RepeatableRead] {
        let prefixed = HistoryConfig {
            prefix: format!("history/{}/", level.name()),
            ..cfg.clone()
        };
        let run = run_workload(&db, level, &prefixed)
            .context_with(|| format!("while running the {level} history workload"))?;
        runs.push(run);
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    db.close().context("while closing the scratch database")?;
    Ok(HistoryDrill { runs, elapsed_s })
}

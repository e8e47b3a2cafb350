//! The migrator: `up`, dry runs and `down` against one database and one migrations folder
//! (`repair` and `baseline` are in [`super::repair`]).
//!
//! Every step is one `Serializable` transaction that first takes the exclusive lock on the
//! history's head record (so concurrent migrators queue), re-reads and verifies the chain,
//! re-compares files and history, and then runs one migration file together with its history
//! change: schema change, data change and history entry commit or vanish together. `down`
//! removes the reverted entry from the end of the chain (the chain always describes exactly what
//! is applied now); `repair` rewrites the entries it accepts, recording the reason, and
//! re-links the chain after them.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::db::{Database, Transaction};
use crate::txn::IsolationLevel;

use super::diff::{Change, diff};
use super::engine::{Effect, Engine, SchemaState};
use super::error::{MigrateError, Result};
use super::files::{Migration, MigrationSet, SqlFile};
use super::history::{self, Entry, History, Kind};
use super::plan::{self, Status};

/// One migration run (up or down).
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The version.
    pub version: u64,
    /// The migration's name.
    pub name: String,
    /// `up` or `down`.
    pub direction: &'static str,
    /// The file that ran.
    pub file: PathBuf,
    /// What each statement did.
    pub effects: Vec<Effect>,
    /// How long the file took, in microseconds.
    pub duration_us: u64,
    /// How the schema changed.
    pub changes: Vec<Change>,
}

/// What a dry run would do.
#[derive(Clone, Debug, Serialize)]
pub struct DryRun {
    /// The versions that would run, in order, with their effects.
    pub steps: Vec<Step>,
    /// How the schema would change over all of them.
    pub changes: Vec<Change>,
}

/// Migrations of one folder against one database.
pub struct Migrator<'db, E: Engine> {
    pub(super) db: &'db Database,
    pub(super) engine: E,
    pub(super) files: MigrationSet,
}

impl<'db, E: Engine> Migrator<'db, E> {
    /// A migrator for `files` on `db`; fails with [`MigrateError::BrokenChain`] if the stored
    /// history is not an intact hash chain.
    pub fn open(db: &'db Database, engine: E, files: MigrationSet) -> Result<Self> {
        let m = Migrator { db, engine, files };
        m.history()?;
        Ok(m)
    }

    /// The migrations folder as read.
    pub fn files(&self) -> &MigrationSet {
        &self.files
    }

    /// The database.
    pub fn database(&self) -> &'db Database {
        self.db
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The stored history, verified.
    pub fn history(&self) -> Result<History> {
        let mut txn = self.db.begin_read_only()?;
        history::load(&mut txn)?.require_intact()
    }

    /// Files against history.
    pub fn status(&self) -> Result<Status> {
        Ok(plan::status(&self.files, &self.history()?))
    }

    /// Files against history; [`MigrateError::Refused`] if anything is refused.
    pub fn validate(&self) -> Result<Status> {
        let st = self.status()?;
        refuse(&st)?;
        Ok(st)
    }

    fn check_target(&self, to: Option<u64>) -> Result<()> {
        match to {
            Some(v) if self.files.get(v).is_none() => Err(MigrateError::Invalid(format!(
                "no migration file in {} has version {v}",
                self.files.dir.display()
            ))),
            _ => Ok(()),
        }
    }

    fn begin(&self) -> Result<(Transaction<'db>, History, Status)> {
        let mut txn = self.db.begin(IsolationLevel::Serializable)?;
        let history = history::lock_and_load(&mut txn)?;
        let st = plan::status(&self.files, &history);
        refuse(&st)?;
        Ok((txn, history, st))
    }

    /// Applies every pending migration up to and including `to` (all when `None`), each in its
    /// own transaction. Nothing pending: a no-op returning no steps.
    pub fn up(&self, to: Option<u64>) -> Result<Vec<Step>> {
        self.check_target(to)?;
        let mut done = Vec::new();
        loop {
            let (mut txn, mut history, st) = self.begin()?;
            let Some(v) = next_pending(&st, to) else {
                return Ok(done);
            };
            let m = self.migration(v)?;
            let step = self.run_up(&mut txn, &mut history, m)?;
            txn.commit()?;
            done.push(step);
        }
    }

    /// Runs what [`up`](Self::up) would, in one transaction that is then rolled back.
    pub fn dry_run(&self, to: Option<u64>) -> Result<DryRun> {
        self.check_target(to)?;
        let (mut txn, mut history, st) = self.begin()?;
        let before = self.schema(&mut txn)?;
        let mut steps = Vec::new();
        for &v in st.pending.iter().filter(|v| to.is_none_or(|t| **v <= t)) {
            let m = self.migration(v)?;
            steps.push(self.run_up(&mut txn, &mut history, m)?);
        }
        let after = self.schema(&mut txn)?;
        txn.rollback();
        Ok(DryRun {
            steps,
            changes: diff(&before.tables, &after.tables),
        })
    }

    /// Reverts applied migrations above `to` (only the latest when `None`), latest first, each
    /// in its own transaction with the removal of its history entry.
    pub fn down(&self, to: Option<u64>) -> Result<Vec<Step>> {
        let history = self.history()?;
        let target = match to {
            Some(v) if v != 0 && history.get(v).is_none() => {
                return Err(MigrateError::Invalid(format!(
                    "version {v} is not applied (down --to takes an applied version, or 0 for all)"
                )));
            }
            Some(v) => v,
            // The version before the latest (0 when only one, or none, is applied).
            None => history.entries.iter().rev().nth(1).map_or(0, |e| e.version),
        };
        let mut done = Vec::new();
        loop {
            let (mut txn, mut history, _) = self.begin()?;
            let Some(last) = history.entries.last().cloned() else {
                return Ok(done);
            };
            if last.version <= target {
                return Ok(done);
            }
            if last.kind == Kind::Baseline || last.detached {
                return Err(MigrateError::Invalid(format!(
                    "version {} was {} without running a file and cannot be reverted",
                    last.version,
                    if last.detached {
                        "accepted"
                    } else {
                        "baselined"
                    }
                )));
            }
            let m = self.migration(last.version)?;
            let Some(file) = &m.down else {
                return Err(MigrateError::Invalid(format!(
                    "version {} has no down file ({}); it cannot be reverted",
                    m.version,
                    self.files
                        .dir
                        .join(format!("{:04}_{}.down.sql", m.version, m.name))
                        .display()
                )));
            };
            let (effects, duration_us, before, after) = self.run_file(&mut txn, file)?;
            history::pop(&mut txn, &mut history)?;
            txn.commit()?;
            done.push(Step {
                version: m.version,
                name: m.name.clone(),
                direction: "down",
                file: file.path.clone(),
                effects,
                duration_us,
                changes: diff(&before.tables, &after.tables),
            });
        }
    }

    fn migration(&self, version: u64) -> Result<&Migration> {
        self.files.get(version).ok_or_else(|| {
            MigrateError::Invalid(format!("no migration file has version {version}"))
        })
    }

    pub(super) fn schema(&self, txn: &mut Transaction<'_>) -> Result<SchemaState> {
        Ok(self.engine.schema(txn)?)
    }

    fn run_file(
        &self,
        txn: &mut Transaction<'_>,
        file: &SqlFile,
    ) -> Result<(Vec<Effect>, u64, SchemaState, SchemaState)> {
        let before = self.schema(txn)?;
        let start = Instant::now();
        let effects =
            self.engine
                .run_script(txn, &file.text)
                .map_err(|source| MigrateError::Script {
                    path: file.path.clone(),
                    source: Box::new(source),
                })?;
        let duration_us = start.elapsed().as_micros() as u64;
        let after = self.schema(txn)?;
        Ok((effects, duration_us, before, after))
    }

    fn run_up(
        &self,
        txn: &mut Transaction<'_>,
        history: &mut History,
        m: &Migration,
    ) -> Result<Step> {
        let (effects, duration_us, before, after) = self.run_file(txn, &m.up)?;
        let entry = new_entry(m, Kind::Applied, now_us(), duration_us, &before, &after);
        history::append(txn, history, entry)?;
        Ok(Step {
            version: m.version,
            name: m.name.clone(),
            direction: "up",
            file: m.up.path.clone(),
            effects,
            duration_us,
            changes: diff(&before.tables, &after.tables),
        })
    }
}

fn refuse(st: &Status) -> Result<()> {
    if st.is_clean() {
        Ok(())
    } else {
        Err(MigrateError::Refused(st.problems.clone()))
    }
}

fn next_pending(st: &Status, to: Option<u64>) -> Option<u64> {
    st.pending
        .iter()
        .copied()
        .find(|v| to.is_none_or(|t| *v <= t))
}

pub(super) fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

pub(super) fn new_entry(
    m: &Migration,
    kind: Kind,
    applied_at_us: i64,
    duration_us: u64,
    before: &SchemaState,
    after: &SchemaState,
) -> Entry {
    Entry {
        version: m.version,
        name: m.name.clone(),
        up_sha256: m.up.sha256,
        down_sha256: m.down.as_ref().map(|d| d.sha256),
        applied_at_us,
        duration_us,
        schema_before: before.digest,
        schema_after: after.digest,
        kind,
        detached: false,
        prev: [0; 32],
        hash: [0; 32],
    }
}

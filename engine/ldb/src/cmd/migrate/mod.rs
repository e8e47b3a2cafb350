//! `ldb migrate`: versioned SQL migrations with a hash-chained applied history —
//! `status`, `up [--to V] [--dry-run]`, `down [--to V]`, `validate`, `repair --reason TEXT`,
//! `baseline V`, `new NAME [--template T] [--param k=v]…`, `verify` (the up/down/up
//! rollback simulation on a copy) and `audit` (the migrator's promises checked on scratch
//! copies of a folder). Parses, calls `lightning_db::schema::migrate`, prints
//! ([`print`]).

mod print;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use lightning_db::schema::migrate::{self, MigrationSet, Migrator, SqlEngine, template};
use lightning_db::{Database, backup};

use crate::args::DbArgs;
use crate::open::{Durable, close_after, open, open_with, options, warn};
use crate::report::verdict;
use crate::scratch::in_scratch;

/// `ldb migrate` subcommands.
#[derive(Subcommand, Debug)]
pub enum MigrateCommand {
    /// Show every version: applied (when, how long), pending, and what is refused.
    Status(Common),
    /// Apply pending migrations in version order, each in one transaction with its history entry.
    Up(UpArgs),
    /// Revert applied migrations (the latest, or every one above `--to`), latest first.
    Down(DownArgs),
    /// Compare the files with the applied history; exit code 1 if anything is refused.
    Validate(Common),
    /// Accept the files on disk for changed or missing applied files, recording the reason.
    Repair(RepairArgs),
    /// Mark every version up to V applied without running it (on an empty history).
    Baseline(BaselineArgs),
    /// Write the next-numbered up/down pair into the migrations folder.
    New(NewArgs),
    /// On a copy of the database: apply every migration up, down, and up again, comparing the
    /// schema and a data fingerprint at each step (exit code 1 if a down does not reverse its up).
    Verify(VerifyArgs),
    /// Audit a migrations folder on scratch copies and fresh databases (no database needed):
    /// idempotent re-run, deterministic order, checksum, gap, out-of-order and missing-file
    /// refusals, the rollback simulation and orphans; exit code 1 if any expectation fails.
    Audit(AuditArgs),
}

/// Options every database subcommand takes.
#[derive(Args, Debug)]
pub struct Common {
    #[command(flatten)]
    db: DbArgs,
    /// The migrations folder.
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    dir: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ldb migrate up`.
#[derive(Args, Debug)]
pub struct UpArgs {
    #[command(flatten)]
    common: Common,
    /// Stop after this version.
    #[arg(long, value_name = "V")]
    to: Option<u64>,
    /// Run in a transaction that is rolled back; print the plan, each statement's effect and
    /// the schema diff.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of `ldb migrate down`.
#[derive(Args, Debug)]
pub struct DownArgs {
    #[command(flatten)]
    common: Common,
    /// Revert every applied version above this one (0: all).
    #[arg(long, value_name = "V")]
    to: Option<u64>,
}

/// Arguments of `ldb migrate repair`.
#[derive(Args, Debug)]
pub struct RepairArgs {
    #[command(flatten)]
    common: Common,
    /// Why the files on disk are the truth (recorded in the history).
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// Arguments of `ldb migrate baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    #[command(flatten)]
    common: Common,
    /// The version the database already has.
    #[arg(value_name = "V")]
    upto: u64,
}

/// Arguments of `ldb migrate new`.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The migration's name (letters, digits, `_`, `-`).
    name: String,
    /// The migrations folder (created if missing).
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    dir: PathBuf,
    /// A template: `create-table`, `add-column`, `add-index`.
    #[arg(long, value_name = "T")]
    template: Option<String>,
    /// A template parameter, `key=value` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ldb migrate verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    common: Common,
    /// Where to put the copy (default: the system temp dir); removed afterwards.
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
}

/// Arguments of `ldb migrate audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// The migrations folder.
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    dir: PathBuf,
    /// Where to put the copies and databases (default: the system temp dir); removed afterwards.
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// The metrics JSON document (`migrations.audit_failures`, `migrations.rollback_sim_failures`,
    /// `migrations.orphaned`) instead of one line per expectation.
    #[arg(long)]
    json: bool,
}

fn files(dir: &Path) -> Result<MigrationSet> {
    migrate::read_dir(dir).with_context(|| format!("while reading migrations in {}", dir.display()))
}

fn migrator<'db>(db: &'db Database, dir: &Path) -> Result<Migrator<'db, SqlEngine>> {
    Migrator::open(db, SqlEngine::new(), files(dir)?).with_context(|| {
        format!(
            "while opening the migration history of {}",
            db.path().display()
        )
    })
}

/// Runs `ldb migrate`.
pub fn migrate_cmd(command: MigrateCommand) -> Result<ExitCode> {
    match command {
        MigrateCommand::Status(c) => read(&c, |m| {
            let st = m.status()?;
            let history = m.history()?;
            print::status(&c.db.db, &c.dir, &st, &history, c.json)?;
            Ok(ExitCode::SUCCESS)
        }),
        MigrateCommand::Validate(c) => read(&c, |m| {
            let st = m.status()?;
            print::validate(&st, c.json)?;
            Ok(verdict(st.is_clean()))
        }),
        MigrateCommand::Up(a) if a.dry_run => read(&a.common, |m| {
            print::dry_run(&m.dry_run(a.to)?, a.common.json)?;
            Ok(ExitCode::SUCCESS)
        }),
        MigrateCommand::Up(a) => write(&a.common, |m| {
            let steps = m.up(a.to)?;
            print::steps(&steps, m.history()?.latest(), a.common.json)?;
            Ok(!steps.is_empty())
        }),
        MigrateCommand::Down(a) => write(&a.common, |m| {
            let steps = m.down(a.to)?;
            print::steps(&steps, m.history()?.latest(), a.common.json)?;
            Ok(!steps.is_empty())
        }),
        MigrateCommand::Repair(a) => write(&a.common, |m| {
            let lines = m.repair(&a.reason)?;
            print::lines(
                &lines,
                "nothing to repair: files and history agree",
                a.common.json,
            )?;
            Ok(!lines.is_empty())
        }),
        MigrateCommand::Baseline(a) => write(&a.common, |m| {
            let entries = m.baseline(a.upto)?;
            let lines: Vec<String> = entries
                .iter()
                .map(|e| {
                    format!(
                        "version {} ({}) marked applied (baseline)",
                        e.version, e.name
                    )
                })
                .collect();
            print::lines(&lines, "", a.common.json)?;
            Ok(true)
        }),
        MigrateCommand::New(a) => new_cmd(&a),
        MigrateCommand::Verify(a) => verify_cmd(&a),
        MigrateCommand::Audit(a) => audit_cmd(&a),
    }
}

/// Opens the database, runs `work` on a migrator, closes.
fn read(
    c: &Common,
    work: impl FnOnce(&Migrator<'_, SqlEngine>) -> Result<ExitCode>,
) -> Result<ExitCode> {
    let db = open(&c.db)?;
    let code = work(&migrator(&db, &c.dir)?)?;
    warn(close_after(db, Durable::Nothing)?);
    Ok(code)
}

/// Opens the database, runs `work` (which says whether it committed), closes.
fn write(
    c: &Common,
    work: impl FnOnce(&Migrator<'_, SqlEngine>) -> Result<bool>,
) -> Result<ExitCode> {
    let db = open(&c.db)?;
    let committed = work(&migrator(&db, &c.dir)?)?;
    let durable = if committed {
        Durable::Commit(lightning_db::Lsn(db.stats()?.last_commit_lsn))
    } else {
        Durable::Nothing
    };
    warn(close_after(db, durable)?);
    Ok(ExitCode::SUCCESS)
}

fn new_cmd(a: &NewArgs) -> Result<ExitCode> {
    let mut params = BTreeMap::new();
    for p in &a.params {
        let Some((k, v)) = p.split_once('=') else {
            bail!("--param `{p}`: expected KEY=VALUE");
        };
        params.insert(k.trim().to_string(), v.trim().to_string());
    }
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("while creating {}", a.dir.display()))?;
    let (up, down) = template::create(&files(&a.dir)?, &a.name, a.template.as_deref(), &params)?;
    print::created(&up, &down, a.json)?;
    Ok(ExitCode::SUCCESS)
}

fn verify_cmd(a: &VerifyArgs) -> Result<ExitCode> {
    let c = &a.common;
    let set = files(&c.dir)?;
    in_scratch(a.scratch.as_deref(), "migrate-verify", |scratch| {
        let copy = scratch.join("db");
        {
            let db = open(&c.db)?;
            // Refuse before copying when files and history disagree.
            migrator(&db, &c.dir)?.validate()?;
            db.backup(scratch.join("backup"))
                .with_context(|| format!("while copying {}", c.db.db.display()))?;
            warn(close_after(db, Durable::Nothing)?);
        }
        let opts = options(&c.db);
        backup::restore(&scratch.join("backup"), &copy, &opts, false)
            .context("while restoring the copy")?;
        let db = open_with(&copy, opts)?;
        let m = Migrator::open(&db, SqlEngine::new(), set)?;
        let report = migrate::verify(&m)?;
        drop(m);
        db.close().context("while closing the copy")?;
        print::verify(&report, c.json)?;
        Ok(verdict(report.is_clean()))
    })
}

fn audit_cmd(a: &AuditArgs) -> Result<ExitCode> {
    in_scratch(a.scratch.as_deref(), "migrate-audit", |scratch| {
        let report = migrate::audit(&a.dir, scratch)
            .with_context(|| format!("while auditing the migrations in {}", a.dir.display()))?;
        print::audit(&report, a.json)?;
        Ok(verdict(report.is_clean()))
    })
}

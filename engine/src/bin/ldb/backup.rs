//! `ldb backup` and `ldb restore`: thin wrappers over `Database::backup` and
//! `lightning_db::backup::restore`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::{Database, backup};

use crate::commands::{metric, print_metrics};

/// Arguments of `ldb backup`.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The database directory (opened for the duration of the backup).
    db: PathBuf,
    /// The backup directory to create (must not exist).
    dest: PathBuf,
    /// WAL archive directory of the database (closed segments are archived when the backup's
    /// handle checkpoints on close).
    #[arg(long, value_name = "DIR")]
    wal_archive: Option<PathBuf>,
    /// Print the project's metrics JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ldb restore`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup directory.
    backup: PathBuf,
    /// The database directory to create.
    target: PathBuf,
    /// Replace an existing database at the target.
    #[arg(long)]
    force: bool,
    /// Only verify the backup (manifest and hashes); write nothing.
    #[arg(long)]
    verify_only: bool,
    /// Print the project's metrics JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb backup`.
pub fn backup_cmd(args: BackupArgs) -> Result<()> {
    let opts = lightning_db::Options {
        wal_archive: args.wal_archive.clone(),
        ..lightning_db::Options::default()
    };
    let db = Database::open(&args.db, opts)
        .with_context(|| format!("while opening database {}", args.db.display()))?;
    let report = db
        .backup(&args.dest)
        .with_context(|| format!("while backing up into {}", args.dest.display()))?;
    db.close().context("while closing the database")?;
    let m = &report.manifest;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let mib = m.source_bytes as f64 / f64::from(1 << 20);
    if args.json {
        print_metrics(&[
            metric("backup.source_mib", mib, "MiB", true),
            metric(
                "backup.compressed_mib",
                report.compressed_bytes as f64 / f64::from(1 << 20),
                "MiB",
                false,
            ),
            metric("backup.seconds", secs, "s", false),
            metric("backup.mib_per_s", mib / secs, "MiB/s", true),
        ])?;
    } else {
        println!(
            "backed up {} keys ({} pages, {mib:.1} MiB) at lsn {} into {} ({:.1} MiB compressed) in {secs:.2} s ({:.0} MiB/s)",
            m.entry_count,
            m.pages,
            m.source_lsn,
            report.dir.display(),
            report.compressed_bytes as f64 / f64::from(1 << 20),
            mib / secs
        );
    }
    Ok(())
}

/// Runs `ldb restore`.
pub fn restore_cmd(args: RestoreArgs) -> Result<()> {
    if args.verify_only {
        let m = backup::verify_backup(&args.backup)
            .with_context(|| format!("while verifying backup {}", args.backup.display()))?;
        println!(
            "backup {} is intact: {} keys, {} pages at lsn {}",
            args.backup.display(),
            m.entry_count,
            m.pages,
            m.source_lsn
        );
        return Ok(());
    }
    let report = backup::restore(
        &args.backup,
        &args.target,
        &lightning_db::Options::default(),
        args.force,
    )
    .with_context(|| {
        format!(
            "while restoring {} into {}",
            args.backup.display(),
            args.target.display()
        )
    })?;
    let m = &report.manifest;
    let secs = report.elapsed.as_secs_f64();
    if args.json {
        print_metrics(&[
            metric("backup.restore_s", secs, "s", false),
            metric(
                "backup.restore_verify_s",
                report.verify_elapsed.as_secs_f64(),
                "s",
                false,
            ),
            metric("backup.restores_verified", 1.0, "count", true),
        ])?;
    } else {
        println!(
            "restored {} keys at lsn {} into {}{} in {secs:.2} s; integrity check clean",
            m.entry_count,
            m.source_lsn,
            report.target.display(),
            if report.replaced {
                " (replaced the previous database)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

//! `ldb backup` and `ldb restore`: thin wrappers over `Database::backup` and
//! `lightning_db::backup::restore`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::backup::{PitrOptions, RestoreTarget};
use lightning_db::{Database, Lsn, backup};
use lightning_metrics::Metric;

use crate::open::absolute;
use crate::report::print_metrics;

/// Removes what killed backups and restores left next to `path` (see
/// `lightning_db::backup::leftovers`) and says so on standard error. A failure to remove one is
/// a warning: it does not stop the backup or restore.
fn remove_leftovers(path: &std::path::Path) {
    match backup::remove_stale_temp_dirs(&lightning_db::vfs::RealVfs, path) {
        Ok(removed) => {
            for dir in removed {
                errln!(
                    "ldb: removed {}, left behind by an interrupted backup or restore",
                    dir.display()
                );
            }
        }
        Err(e) => errln!("ldb: warning: leftovers of an interrupted backup or restore: {e}"),
    }
}

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
    /// Only verify the backup (manifest and hashes) and, with `--wal-archive`, every log segment
    /// and record the roll-forward would read; write nothing.
    #[arg(long)]
    verify_only: bool,
    /// Roll the backup forward through this WAL archive (point-in-time restore); without
    /// `--until`, to the last commit available.
    #[arg(long, value_name = "DIR")]
    wal_archive: Option<PathBuf>,
    /// Also read the source database's live WAL directory (`<db>/wal`) for commits not yet
    /// archived (needs `--wal-archive`).
    #[arg(long, value_name = "DIR", requires = "wal_archive")]
    wal_dir: Option<PathBuf>,
    /// Stop at the last commit with LSN <= this number, or committed at or before this RFC 3339
    /// time (e.g. `2026-11-26T01:30:00Z`); needs `--wal-archive`.
    #[arg(long, value_name = "LSN|TIME", requires = "wal_archive")]
    until: Option<String>,
    /// Print the project's metrics JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb backup`.
pub fn backup_cmd(args: BackupArgs) -> Result<()> {
    let opts = lightning_db::Options {
        wal_archive: args.wal_archive.as_deref().map(absolute),
        ..lightning_db::Options::default()
    };
    remove_leftovers(&args.dest);
    let db = Database::open(&args.db, opts)
        .with_context(|| format!("while opening database {}", args.db.display()))?;
    let report = db
        .backup(&args.dest)
        .with_context(|| format!("while backing up into {}", args.dest.display()))?;
    if let Err(e) = db.close() {
        // The backup directory is complete and durable whatever the source's close does.
        errln!(
            "ldb: warning: the backup {} is complete; closing database {} failed: {e}",
            report.dir.display(),
            args.db.display()
        );
    }
    print_backup(&report, args.json).with_context(|| {
        format!(
            "the backup {} is complete; its summary was not printed",
            report.dir.display()
        )
    })
}

/// The summary of a completed backup.
fn print_backup(report: &backup::BackupReport, json: bool) -> Result<()> {
    let m = &report.manifest;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let mib = m.source_bytes as f64 / f64::from(1 << 20);
    if json {
        print_metrics(vec![
            Metric::higher("backup.source_mib", mib, "MiB"),
            Metric::lower(
                "backup.compressed_mib",
                report.compressed_bytes as f64 / f64::from(1 << 20),
                "MiB",
            ),
            Metric::lower("backup.seconds", secs, "s"),
            Metric::higher("backup.mib_per_s", mib / secs, "MiB/s"),
        ])?;
    } else {
        outln!(
            "backed up {} keys ({} pages, {mib:.1} MiB) at lsn {} into {} ({:.1} MiB compressed) in {secs:.2} s ({:.0} MiB/s)",
            m.entry_count,
            m.pages,
            m.source_lsn,
            report.dir.display(),
            report.compressed_bytes as f64 / f64::from(1 << 20),
            mib / secs
        )?;
    }
    Ok(())
}

/// Runs `ldb restore`.
pub fn restore_cmd(args: RestoreArgs) -> Result<()> {
    let pitr = match &args.wal_archive {
        None => None,
        Some(archive) => Some(PitrOptions {
            archive: archive.clone(),
            live_wal: args.wal_dir.clone(),
            target: match &args.until {
                None => RestoreTarget::Latest,
                Some(s) => parse_until(s)?,
            },
        }),
    };
    if let (true, Some(pitr)) = (args.verify_only, &pitr) {
        let (m, r) = backup::verify_pitr(&args.backup, &lightning_db::Options::default(), pitr)
            .with_context(|| {
                format!(
                    "while verifying backup {} and WAL archive {}",
                    args.backup.display(),
                    pitr.archive.display()
                )
            })?;
        outln!(
            "backup {} is intact ({} keys at lsn {}); the log verifies from lsn {} to {}: a restore would roll forward {} commits to lsn {}",
            args.backup.display(),
            m.entry_count,
            m.source_lsn,
            r.from_lsn.0,
            r.log_end.0,
            r.commits,
            r.landed_lsn.0
        )?;
        return Ok(());
    }
    if args.verify_only {
        let m = backup::verify_backup(&args.backup)
            .with_context(|| format!("while verifying backup {}", args.backup.display()))?;
        outln!(
            "backup {} is intact: {} keys, {} pages at lsn {}",
            args.backup.display(),
            m.entry_count,
            m.pages,
            m.source_lsn
        )?;
        return Ok(());
    }
    remove_leftovers(&args.target);
    let opts = lightning_db::Options::default();
    let report = match &pitr {
        None => backup::restore(&args.backup, &args.target, &opts, args.force),
        Some(pitr) => backup::restore_pitr(&args.backup, &args.target, &opts, args.force, pitr),
    }
    .with_context(|| {
        format!(
            "while restoring {} into {}",
            args.backup.display(),
            args.target.display()
        )
    })?;
    print_restore(&report, args.json).with_context(|| {
        format!(
            "the restore into {} is complete; its summary was not printed",
            report.target.display()
        )
    })
}

/// The summary of a completed restore.
fn print_restore(report: &backup::RestoreReport, json: bool) -> Result<()> {
    let secs = report.elapsed.as_secs_f64();
    if json {
        let mut metrics = Vec::new();
        if let Some(r) = &report.roll_forward {
            metrics.push(Metric::higher(
                "backup.pitr.commits_replayed",
                r.commits as f64,
                "count",
            ));
            metrics.push(Metric::higher(
                "backup.pitr.landed_lsn",
                r.landed_lsn.0 as f64,
                "lsn",
            ));
        }
        metrics.extend([
            Metric::lower("backup.restore_s", secs, "s"),
            Metric::lower(
                "backup.restore_verify_s",
                report.verify_elapsed.as_secs_f64(),
                "s",
            ),
            Metric::higher("backup.restores_verified", 1.0, "count"),
        ]);
        print_metrics(metrics)?;
    } else {
        outln!(
            "restored {} keys at lsn {} into {}{} in {secs:.2} s; integrity check clean",
            report.entries,
            report.last_commit_lsn.0,
            report.target.display(),
            if report.replaced {
                " (replaced the previous database)"
            } else {
                ""
            }
        )?;
        if let Some(r) = &report.roll_forward {
            outln!(
                "rolled forward {} commits from the backup's lsn {} to lsn {}{} (log verified up to lsn {}, {} segments)",
                r.commits,
                r.from_lsn.0,
                r.landed_lsn.0,
                r.landed_time.map_or_else(String::new, |t| format!(
                    ", committed at {}",
                    backup::pitr::fmt_micros(t)
                )),
                r.log_end.0,
                r.segments,
            )?;
        }
    }
    Ok(())
}

/// `--until`: a decimal LSN, or an RFC 3339 time.
fn parse_until(s: &str) -> Result<RestoreTarget> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let lsn: u64 = s
            .parse()
            .with_context(|| format!("--until {s}: LSN out of range"))?;
        return Ok(RestoreTarget::Lsn(Lsn(lsn)));
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).with_context(|| {
        format!(
            "--until {s}: expected an LSN (digits) or an RFC 3339 time such as 2026-11-26T01:30:00Z"
        )
    })?;
    let us = u64::try_from(t.timestamp_micros())
        .map_err(|_| anyhow::anyhow!("--until {s}: time before 1970"))?;
    Ok(RestoreTarget::Time(us))
}

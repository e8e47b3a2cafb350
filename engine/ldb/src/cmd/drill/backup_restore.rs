//! `ldb drill backup-restore`: the backup/restore drill, printing metrics JSON with `--json`.
//!
//! The drill (`lightning_db::harness::drill::backup_restore`), in order: load a seeded database (with WAL archiving) in a scratch directory;
//! measure single-put commit latency for a fixed number of commits without a backup; run a
//! backup while a writer keeps committing, recording each commit's latency and LSN; close the
//! database and delete its data file (the disaster); restore the backup rolled forward through
//! the WAL archive and the surviving live log to the last commit (hashes and log checksums
//! verified, integrity checked); verify the restored contents hold every acknowledged commit;
//! report RTO, RPO (commits lost by that restore: 0), the RPO a restore from the backup alone
//! would have had, throughput and the two commit p99s.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::drill::backup_restore::{self, BackupDrillConfig};
use lightning_metrics::Metric;

use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill backup-restore`.
#[derive(Args, Debug)]
pub struct DrillArgs {
    /// Keys in the seeded database.
    #[arg(long, default_value_t = 200_000)]
    keys: u64,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Commits measured without a backup (the p99 baseline).
    #[arg(long, default_value_t = 300)]
    baseline_commits: usize,
    /// Scratch directory (a fresh one under the system temp directory when omitted); removed
    /// afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Recovery time objective reported as `backup_target.rto_s` (the gate compares with it).
    #[arg(long, default_value_t = 10.0)]
    rto_target_s: f64,
    /// Recovery point objective reported as `backup_target.rpo_s`: the longest accepted window
    /// of lost commits. With WAL archiving and the live log, a restore loses none: 0.
    #[arg(long, default_value_t = 0.0)]
    rpo_target_s: f64,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb drill backup-restore`; exit code 1 if the restored database misses a commit.
pub fn backup_restore_cmd(args: DrillArgs) -> Result<std::process::ExitCode> {
    let cfg = BackupDrillConfig {
        keys: args.keys,
        seed: args.seed,
        baseline_commits: args.baseline_commits,
    };
    let d = in_scratch(args.dir.as_deref(), "drill", |dir| {
        Ok(backup_restore::run(&cfg, dir)?)
    })?;
    if let Some(e) = &d.restore_error {
        errln!("ldb: restore failed: {e}");
    }
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let metrics = vec![
        Metric::lower("backup.rto_s", d.rto_s, "s"),
        Metric::lower("backup.rpo_s", d.rpo_s, "s"),
        Metric::lower("backup_target.rto_s", args.rto_target_s, "s"),
        Metric::lower("backup_target.rpo_s", args.rpo_target_s, "s"),
        Metric::lower("backup.rpo_commits", d.rpo_commits as f64, "count"),
        Metric::lower("backup.rpo_backup_only_s", d.rpo_backup_only_s, "s"),
        Metric::lower(
            "backup.rpo_backup_only_commits",
            d.rpo_backup_only_commits as f64,
            "count",
        ),
        Metric::higher("backup.restores_verified", flag(d.verified), "count"),
        Metric::lower("backup.restore_verify_failures", flag(!d.verified), "count"),
        Metric::higher("backup.source_mib", d.source_mib, "MiB"),
        Metric::higher("backup.mib_per_s", d.mib_per_s, "MiB/s"),
        Metric::higher("backup.commits_during", d.commits_during as f64, "count"),
        Metric::lower("backup.commit_p99_during_ms", d.commit_p99_during_ms, "ms"),
        Metric::lower(
            "backup.commit_p99_without_ms",
            d.commit_p99_without_ms,
            "ms",
        ),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(d.verified))
}

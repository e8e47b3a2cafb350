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
//!
//! The drill runs once as a warm-up, then `--repeat` times (default 5), each on a fresh
//! database. Timed figures (RTO, MiB/s, the commit p99s, the backup-only RPO, commits during
//! the backup) are the median of the repetitions with every repetition as a sample. The
//! correctness figures take the worst repetition: `backup.rpo_s` and `backup.rpo_commits` the
//! largest, `backup.restores_verified` / `backup.restore_verify_failures` count the verified and
//! failed restores (a failed warm-up counts too), and the exit code is 1 if any restore missed a
//! commit.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::drill::backup_restore::{self, BackupDrill, BackupDrillConfig};
use lightning_metrics::{Direction, Metric};

use crate::report::{report_metrics, sampled, verdict};
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
    /// Measured drills after the warm-up one (at least 1; 5 or more lets the regression check
    /// test the samples).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
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
    anyhow::ensure!(args.repeat > 0, "--repeat must be at least 1");
    let cfg = BackupDrillConfig {
        keys: args.keys,
        seed: args.seed,
        baseline_commits: args.baseline_commits,
    };
    let drills = in_scratch(args.dir.as_deref(), "drill", |dir| {
        Ok(backup_restore::run_repeated(&cfg, dir, args.repeat)?)
    })?;
    for e in drills.iter().filter_map(|d| d.restore_error.as_ref()) {
        errln!("ldb: restore failed: {e}");
    }
    let (hi, lo) = (Direction::HigherIsBetter, Direction::LowerIsBetter);
    let each = |f: fn(&BackupDrill) -> f64| -> Vec<f64> { drills.iter().map(f).collect() };
    let worst = |f: fn(&BackupDrill) -> f64| each(f).into_iter().fold(0.0, f64::max);
    let verified = drills.iter().filter(|d| d.verified).count();
    let all_verified = verified == drills.len();
    let metrics = vec![
        sampled("backup.rto_s", "s", lo, each(|d| d.rto_s)),
        Metric::lower("backup.rpo_s", worst(|d| d.rpo_s), "s"),
        Metric::lower("backup_target.rto_s", args.rto_target_s, "s"),
        Metric::lower("backup_target.rpo_s", args.rpo_target_s, "s"),
        Metric::lower(
            "backup.rpo_commits",
            worst(|d| d.rpo_commits as f64),
            "count",
        ),
        sampled(
            "backup.rpo_backup_only_s",
            "s",
            lo,
            each(|d| d.rpo_backup_only_s),
        ),
        sampled(
            "backup.rpo_backup_only_commits",
            "count",
            lo,
            each(|d| d.rpo_backup_only_commits as f64),
        ),
        Metric::higher("backup.restores_verified", verified as f64, "count"),
        Metric::lower(
            "backup.restore_verify_failures",
            (drills.len() - verified) as f64,
            "count",
        ),
        Metric::higher(
            "backup.source_mib",
            lightning_metrics::median(&each(|d| d.source_mib)).unwrap_or(0.0),
            "MiB",
        ),
        sampled("backup.mib_per_s", "MiB/s", hi, each(|d| d.mib_per_s)),
        sampled(
            "backup.commits_during",
            "count",
            hi,
            each(|d| d.commits_during as f64),
        ),
        sampled(
            "backup.commit_p99_during_ms",
            "ms",
            lo,
            each(|d| d.commit_p99_during_ms),
        ),
        sampled(
            "backup.commit_p99_without_ms",
            "ms",
            lo,
            each(|d| d.commit_p99_without_ms),
        ),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(all_verified))
}

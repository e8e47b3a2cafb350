//! `ldb drill backup-restore`: the backup/restore drill, printing metrics JSON with `--json`.
//!
//! The drill, in order: load a seeded database (with WAL archiving) in a scratch directory;
//! measure single-put commit latency for a fixed number of commits without a backup; run a
//! backup while a writer keeps committing, recording each commit's latency and LSN; close the
//! database and delete its data file (the disaster); restore the backup rolled forward through
//! the WAL archive and the surviving live log to the last commit (hashes and log checksums
//! verified, integrity checked); verify the restored contents hold every acknowledged commit;
//! report RTO, RPO (commits lost by that restore: 0), the RPO a restore from the backup alone
//! would have had, throughput and the two commit p99s.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::harness::workload;
use lightning_db::{Database, Options, backup};
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

/// The nearest-rank 99th percentile of commit latencies in milliseconds (0 when there are none).
fn p99_ms(v: Vec<Duration>) -> f64 {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    lightning_metrics::percentile(&ms, 0.99).unwrap_or(0.0)
}

/// Runs `ldb drill backup-restore`; exit code 1 if the restored database misses a commit.
pub fn backup_restore_cmd(args: DrillArgs) -> Result<std::process::ExitCode> {
    let (metrics, ok) = in_scratch(args.dir.as_deref(), "drill", |dir| drill(&args, dir))?;
    report_metrics(metrics, args.json)?;
    Ok(verdict(ok))
}

fn commit_one(db: &Database, i: u64) -> Result<(Duration, u64)> {
    let t = Instant::now();
    let info = db.put(format!("drill-{i:010}").as_bytes(), &i.to_le_bytes())?;
    Ok((t.elapsed(), info.lsn.0))
}

/// A commit made during the backup: key index, latency, LSN, when it returned.
type Logged = (u64, Duration, u64, Instant);

fn drill(args: &DrillArgs, dir: &Path) -> Result<(Vec<Metric>, bool)> {
    let archive = dir.join("wal-archive");
    let source_opts = Options {
        wal_archive: Some(archive.clone()),
        ..Options::default()
    };
    let db = Arc::new(Database::create(dir.join("db"), source_opts)?);
    workload::load(&db, args.seed, 0, args.keys, 1000)?;
    let mut without = Vec::with_capacity(args.baseline_commits);
    let mut next = 0u64;
    for _ in 0..args.baseline_commits {
        without.push(commit_one(&db, next)?.0);
        next += 1;
    }
    let baseline_drill_keys = next;
    let log: Arc<Mutex<Vec<Logged>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, log, stop) = (Arc::clone(&db), Arc::clone(&log), Arc::clone(&stop));
        std::thread::spawn(move || -> Result<()> {
            let mut i = next;
            while !stop.load(Ordering::Acquire) {
                let (lat, lsn) = commit_one(&db, i)?;
                log.lock()
                    .map_err(|_| anyhow::anyhow!("log lock poisoned"))?
                    .push((i, lat, lsn, Instant::now()));
                i += 1;
            }
            Ok(())
        })
    };
    let bk = dir.join("backup");
    let started = Instant::now();
    let report = db.backup(&bk).context("while backing up")?;
    let finished = Instant::now();
    stop.store(true, Ordering::Release);
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writer thread panicked"))??;
    let log = std::mem::take(
        &mut *log
            .lock()
            .map_err(|_| anyhow::anyhow!("log lock poisoned"))?,
    );
    let m = &report.manifest;
    let during: Vec<Duration> = log
        .iter()
        .filter(|e| e.3 >= started && e.3 <= finished)
        .map(|e| e.1)
        .collect();
    // RPO of a restore from the backup alone at the moment it completed: the commits it does
    // not hold that had returned by then, and the time since the oldest of them.
    let not_in_backup: Vec<&Logged> = log
        .iter()
        .filter(|e| e.2 > m.source_lsn && e.3 <= finished)
        .collect();
    let rpo_backup_only_s = not_in_backup.first().map_or(0.0, |e| {
        finished.saturating_duration_since(e.3).as_secs_f64()
    });
    Arc::try_unwrap(db)
        .map_err(|_| anyhow::anyhow!("database still shared after the writer stopped"))?
        .close()?;
    // The disaster: the data file is lost; the WAL archive and the live log survive.
    let data = dir.join("db").join(lightning_db::db::DATA_FILE);
    std::fs::remove_file(&data).with_context(|| format!("while removing {}", data.display()))?;
    let target = dir.join("restored");
    let pitr = backup::PitrOptions {
        archive,
        live_wal: Some(dir.join("db").join(lightning_db::db::WAL_DIR)),
        target: backup::RestoreTarget::Latest,
    };
    let t = Instant::now();
    let restored = backup::restore_pitr(&bk, &target, &Options::default(), false, &pitr);
    let (verified, rto_s, lost) = match restored {
        Ok(_) => {
            let db = Database::open(&target, Options::default())?;
            let rto = t.elapsed().as_secs_f64();
            // Every acknowledged commit: the baseline ones and every one logged during the
            // backup (all of them returned before the database was closed).
            let mut lost: Vec<&Logged> = Vec::new();
            for e in &log {
                if db.get(format!("drill-{:010}", e.0).as_bytes())?.is_none() {
                    lost.push(e);
                }
            }
            let mut ok = lost.is_empty();
            for i in 0..baseline_drill_keys {
                ok &= db.get(format!("drill-{i:010}").as_bytes())?.is_some();
            }
            let expected = args.keys + baseline_drill_keys + log.len() as u64;
            ok &= db.stats()?.entries == expected;
            (ok, rto, lost)
        }
        Err(e) => {
            errln!("ldb: restore failed: {e}");
            (false, t.elapsed().as_secs_f64(), log.iter().collect())
        }
    };
    // RPO of this restore: the window between the oldest lost commit and the last one made.
    let last_commit = log.last().map(|e| e.3);
    let rpo_s = match (lost.first(), last_commit) {
        (Some(first), Some(last)) => last.saturating_duration_since(first.3).as_secs_f64(),
        _ => 0.0,
    };
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let mib = m.source_bytes as f64 / f64::from(1 << 20);
    let metrics = vec![
        Metric::lower("backup.rto_s", rto_s, "s"),
        Metric::lower("backup.rpo_s", rpo_s, "s"),
        Metric::lower("backup_target.rto_s", args.rto_target_s, "s"),
        Metric::lower("backup_target.rpo_s", args.rpo_target_s, "s"),
        Metric::lower("backup.rpo_commits", lost.len() as f64, "count"),
        Metric::lower("backup.rpo_backup_only_s", rpo_backup_only_s, "s"),
        Metric::lower(
            "backup.rpo_backup_only_commits",
            not_in_backup.len() as f64,
            "count",
        ),
        Metric::higher(
            "backup.restores_verified",
            if verified { 1.0 } else { 0.0 },
            "count",
        ),
        Metric::lower(
            "backup.restore_verify_failures",
            if verified { 0.0 } else { 1.0 },
            "count",
        ),
        Metric::higher("backup.source_mib", mib, "MiB"),
        Metric::higher("backup.mib_per_s", mib / secs, "MiB/s"),
        Metric::higher("backup.commits_during", during.len() as f64, "count"),
        Metric::lower("backup.commit_p99_during_ms", p99_ms(during), "ms"),
        Metric::lower("backup.commit_p99_without_ms", p99_ms(without), "ms"),
    ];
    Ok((metrics, verified))
}

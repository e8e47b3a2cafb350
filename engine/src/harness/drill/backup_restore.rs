//! The backup/restore drill behind `ldb drill backup-restore`, in a directory the caller
//! provides.
//!
//! The drill, in order: load a seeded database (with WAL archiving);
//! measure single-put commit latency for a fixed number of commits without a backup; run a
//! backup while a writer keeps committing, recording each commit's latency and LSN; close the
//! database and delete its data file (the disaster); restore the backup rolled forward through
//! the WAL archive and the surviving live log to the last commit (hashes and log checksums
//! verified, integrity checked); verify the restored contents hold every acknowledged commit;
//! report RTO, RPO (commits lost by that restore: 0), the RPO a restore from the backup alone
//! would have had, throughput and the two commit p99s.
//!
//! [`run_repeated`] runs the whole drill once as a warm-up (its findings dropped unless its
//! restore failed), then `repeat` measured times, each in a fresh folder removed when it is done,
//! so every timed figure has one sample per repetition.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::backup;
use crate::db::{Database, Options};
use crate::harness::error::{Context, HarnessError, HarnessResult};
use crate::harness::workload;

/// What to run.
#[derive(Clone, Debug)]
pub struct BackupDrillConfig {
    /// Keys in the seeded database.
    pub keys: u64,
    /// Workload seed.
    pub seed: u64,
    /// Commits measured without a backup (the p99 baseline).
    pub baseline_commits: usize,
}

/// What the drill found.
#[derive(Clone, Debug)]
pub struct BackupDrill {
    /// Seconds from the start of the restore until the restored database was open.
    pub rto_s: f64,
    /// Seconds between the oldest commit the restore lost and the last commit made (0: none).
    pub rpo_s: f64,
    /// Acknowledged commits the restore lost.
    pub rpo_commits: usize,
    /// The RPO a restore from the backup alone would have had, in seconds.
    pub rpo_backup_only_s: f64,
    /// Commits that had returned when the backup completed but are not in it.
    pub rpo_backup_only_commits: usize,
    /// The restored database holds every acknowledged commit and nothing else.
    pub verified: bool,
    /// Why the restore failed, if it did.
    pub restore_error: Option<String>,
    /// Size of the backed-up database, in MiB.
    pub source_mib: f64,
    /// Backup throughput, in MiB/s.
    pub mib_per_s: f64,
    /// Commits made while the backup ran.
    pub commits_during: usize,
    /// p99 commit latency during the backup, in ms.
    pub commit_p99_during_ms: f64,
    /// p99 commit latency without a backup, in ms.
    pub commit_p99_without_ms: f64,
}

/// The nearest-rank 99th percentile of commit latencies in milliseconds (0 when there are none).
fn p99_ms(v: Vec<Duration>) -> f64 {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    lightning_metrics::percentile(&ms, 0.99).unwrap_or(0.0)
}

fn commit_one(db: &Database, i: u64) -> HarnessResult<(Duration, u64)> {
    let t = Instant::now();
    let info = db.put(format!("drill-{i:010}").as_bytes(), &i.to_le_bytes())?;
    Ok((t.elapsed(), info.lsn.0))
}

/// A commit made during the backup: key index, latency, LSN, when it returned.
type Logged = (u64, Duration, u64, Instant);

/// Runs one warm-up drill, then `repeat` measured drills (at least 1), each in a fresh folder
/// under `dir` (which must exist and be empty) removed when it is done; returns the measured
/// drills' findings in order, preceded by the warm-up's when its restore was not verified (a
/// lost commit is never dropped as a warm-up).
pub fn run_repeated(
    cfg: &BackupDrillConfig,
    dir: &Path,
    repeat: usize,
) -> HarnessResult<Vec<BackupDrill>> {
    let one = |name: String| -> HarnessResult<BackupDrill> {
        let rep = dir.join(name);
        std::fs::create_dir(&rep).context_with(|| format!("while creating {}", rep.display()))?;
        let drill = run(cfg, &rep)?;
        std::fs::remove_dir_all(&rep)
            .context_with(|| format!("while removing {}", rep.display()))?;
        Ok(drill)
    };
    let warm_up = one("warm-up".into())?;
    let mut out = Vec::new();
    if !warm_up.verified {
        out.push(warm_up);
    }
    for i in 0..repeat.max(1) {
        out.push(one(format!("rep-{i}"))?);
    }
    Ok(out)
}

/// Runs the drill once in `dir` (which must exist and be empty).
pub fn run(cfg: &BackupDrillConfig, dir: &Path) -> HarnessResult<BackupDrill> {
    let archive = dir.join("wal-archive");
    let source_opts = Options {
        wal_archive: Some(archive.clone()),
        ..Options::default()
    };
    let db = Arc::new(Database::create(dir.join("db"), source_opts)?);
    workload::load(&db, cfg.seed, 0, cfg.keys, 1000)?;
    let mut without = Vec::with_capacity(cfg.baseline_commits);
    let mut next = 0u64;
    for _ in 0..cfg.baseline_commits {
        without.push(commit_one(&db, next)?.0);
        next += 1;
    }
    let baseline_drill_keys = next;
    let log: Arc<Mutex<Vec<Logged>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, log, stop) = (Arc::clone(&db), Arc::clone(&log), Arc::clone(&stop));
        std::thread::spawn(move || -> HarnessResult<()> {
            let mut i = next;
            while !stop.load(Ordering::Acquire) {
                let (lat, lsn) = commit_one(&db, i)?;
                log.lock()
                    .map_err(|_| HarnessError::Unexpected("log lock poisoned".into()))?
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
        .map_err(|_| HarnessError::Unexpected("writer thread panicked".into()))??;
    let log = std::mem::take(
        &mut *log
            .lock()
            .map_err(|_| HarnessError::Unexpected("log lock poisoned".into()))?,
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
        .map_err(|_| {
            HarnessError::Unexpected("database still shared after the writer stopped".into())
        })?
        .close()?;
    // The disaster: the data file is lost; the WAL archive and the live log survive.
    let data = dir.join("db").join(crate::db::DATA_FILE);
    std::fs::remove_file(&data).context_with(|| format!("while removing {}", data.display()))?;
    let target = dir.join("restored");
    let pitr = backup::PitrOptions {
        archive,
        live_wal: Some(dir.join("db").join(crate::db::WAL_DIR)),
        target: backup::RestoreTarget::Latest,
    };
    let t = Instant::now();
    let restored = backup::restore_pitr(&bk, &target, &Options::default(), false, &pitr);
    let mut restore_error = None;
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
            let expected = cfg.keys + baseline_drill_keys + log.len() as u64;
            ok &= db.stats()?.entries == expected;
            (ok, rto, lost)
        }
        Err(e) => {
            restore_error = Some(e.to_string());
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
    Ok(BackupDrill {
        rto_s,
        rpo_s,
        rpo_commits: lost.len(),
        rpo_backup_only_s,
        rpo_backup_only_commits: not_in_backup.len(),
        verified,
        restore_error,
        source_mib: mib,
        mib_per_s: mib / secs,
        commits_during: during.len(),
        commit_p99_during_ms: p99_ms(during),
        commit_p99_without_ms: p99_ms(without),
    })
}

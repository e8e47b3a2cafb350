//! The quick storage-core benchmark behind `ldb bench storage`, on fresh databases in a
//! directory the caller provides (and removes).
//!
//! Steps, in order:
//! 1. raw fsync latency of a 4 KiB write (the machine's baseline);
//! 2. single-insert commit latency in `Standard` mode;
//! 3. commits/s with 8 threads in `Standard` and in `Unified` mode;
//! 4. a bulk load in 1,000-insert commits (inserts/s), with peak RSS;
//! 5. random point gets over the loaded keys (latency, cache hit ratio);
//! 6. a full forward range scan (keys/s);
//! 7. a bulk load of the same number of keys in ONE transaction on a fresh database (seconds;
//!    measured after peak RSS is read, so that figure still describes the batched load).
//!
//! [`run_repeated`] runs the whole sequence `warmup` times as a warm-up (figures dropped; the
//! CLI's default is once), then `repeat` measured times, each repetition on fresh databases in
//! its own folder (removed when it is done), so every figure has one sample per repetition.
//!
//! Percentiles are nearest rank (`lightning_metrics::percentile`). The criterion benches
//! (`cargo bench -p lightning-db`) are the careful measurement; this is the quick one.

use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::db::{Database, Options, WriteBatch};
use crate::harness::error::{Context, HarnessError, HarnessResult, ensure};
use crate::harness::workload;
use crate::util::rng::SplitMix64 as Rng;
use crate::vfs::{OpenMode, RealVfs, Vfs};
use crate::wal::WalMode;

/// What to measure.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Keys to load (24-byte random keys, 150-byte values).
    pub keys: u64,
    /// Page cache budget in bytes.
    pub cache_bytes: usize,
    /// Workload seed.
    pub seed: u64,
}

/// The figures of one run.
#[derive(Clone, Debug)]
pub struct StorageBench {
    /// Median latency of a 4 KiB write + fsync, in µs.
    pub fsync_p50_us: f64,
    /// Median single-insert commit latency (`Standard`), in µs.
    pub commit_p50_us: f64,
    /// 99th percentile single-insert commit latency (`Standard`), in µs.
    pub commit_p99_us: f64,
    /// Commit median over fsync median.
    pub commit_fsync_ratio: f64,
    /// Commits/s with 8 threads, `Standard`.
    pub standard_8t_per_sec: f64,
    /// Commits/s with 8 threads, `Unified`.
    pub unified_8t_per_sec: f64,
    /// `Unified` over `Standard` commits/s.
    pub unified_8t_speedup: f64,
    /// Inserts/s of the load in 1,000-insert commits.
    pub load_inserts_per_sec: f64,
    /// Mean latency of a cached random get, in ns.
    pub get_mean_ns: f64,
    /// Page cache hit ratio over the gets.
    pub hit_ratio: f64,
    /// Keys/s of a full forward scan.
    pub scan_keys_per_sec: f64,
    /// Peak resident memory of the process after the batched load, in MiB, where known.
    pub peak_rss_mib: Option<f64>,
    /// Seconds to build and commit one transaction of every key on a fresh database.
    pub bulk_load_one_txn_s: f64,
}

/// Nearest-rank percentile of sorted samples (0 when there are none).
fn pct(sorted: &[f64], p: f64) -> f64 {
    lightning_metrics::percentile(sorted, p).unwrap_or(0.0)
}

/// Sorted latencies in µs.
fn sorted_us(samples: &[Duration]) -> Vec<f64> {
    let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    us
}

fn fsync_baseline(dir: &Path) -> HarnessResult<f64> {
    let path = dir.join("fsync-probe");
    let file = RealVfs
        .open(&path, OpenMode::CreateNew)
        .context_with(|| format!("while creating {}", path.display()))?;
    let buf = vec![0xA5u8; 4096];
    let mut samples = Vec::new();
    for i in 0..200u64 {
        let start = Instant::now();
        file.write_at(&buf, (i % 16) * 4096)?;
        file.sync()?;
        samples.push(start.elapsed());
    }
    Ok(pct(&sorted_us(&samples), 0.5))
}

fn commit_latency(dir: &Path, mode: WalMode) -> HarnessResult<Vec<f64>> {
    let db = Database::create(
        dir,
        Options {
            wal_mode: mode,
            ..Options::default()
        },
    )?;
    let mut samples = Vec::new();
    for i in 0..300u64 {
        let start = Instant::now();
        db.put(&workload::key(1, i), &workload::value(1, i))?;
        samples.push(start.elapsed());
    }
    db.close()?;
    Ok(sorted_us(&samples))
}

fn concurrent_commits_per_sec(dir: &Path, mode: WalMode, threads: u64) -> HarnessResult<f64> {
    let db = Database::create(
        dir,
        Options {
            wal_mode: mode,
            ..Options::default()
        },
    )?;
    let per_thread = 150u64;
    let start = Instant::now();
    std::thread::scope(|s| -> HarnessResult<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let db = &db;
                s.spawn(move || -> crate::Result<()> {
                    for i in 0..per_thread {
                        let n = t * 1_000_000 + i;
                        db.put(&workload::key(2, n), &workload::value(2, n))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| HarnessError::Unexpected("a committer thread panicked".into()))??;
        }
        Ok(())
    })?;
    let rate = (threads * per_thread) as f64 / start.elapsed().as_secs_f64();
    db.close()?;
    Ok(rate)
}

/// Runs `warmup` warm-up repetitions (dropped), then `repeat` measured ones (at least 1), each in a
/// fresh folder under `dir` (which must exist and be empty) that is removed when the
/// repetition is done; returns the measured repetitions' figures in order.
pub fn run_repeated(
    cfg: &StorageConfig,
    dir: &Path,
    warmup: usize,
    repeat: usize,
) -> HarnessResult<Vec<StorageBench>> {
    let one = |name: String| -> HarnessResult<StorageBench> {
        let rep = dir.join(name);
        std::fs::create_dir(&rep).context_with(|| format!("while creating {}", rep.display()))?;
        let bench = run(cfg, &rep)?;
        std::fs::remove_dir_all(&rep)
            .context_with(|| format!("while removing {}", rep.display()))?;
        Ok(bench)
    };
    for i in 0..warmup {
        one(format!("warm-up-{i}"))?;
    }
    (0..repeat.max(1))
        .map(|i| one(format!("rep-{i}")))
        .collect()
}

/// Runs the benchmark once in `dir` (which must exist and be empty).
pub fn run(cfg: &StorageConfig, dir: &Path) -> HarnessResult<StorageBench> {
    let fsync_p50_us = fsync_baseline(dir)?;
    let std_lat = commit_latency(&dir.join("std"), WalMode::Standard)?;
    let commit_p50_us = pct(&std_lat, 0.5);
    let commit_p99_us = pct(&std_lat, 0.99);
    let std8 = concurrent_commits_per_sec(&dir.join("std8"), WalMode::Standard, 8)?;
    let uni8 = concurrent_commits_per_sec(&dir.join("uni8"), WalMode::Unified, 8)?;

    let db = Database::create(
        dir.join("load"),
        Options {
            cache_bytes: cfg.cache_bytes,
            ..Options::default()
        },
    )?;
    let start = Instant::now();
    workload::load(&db, cfg.seed, 0, cfg.keys, 1000)?;
    let load = start.elapsed();
    db.checkpoint()?;
    // Warm the cache, then measure random gets.
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
    }
    let before = db.stats()?.storage.cache;
    let mut rng = Rng::new(cfg.seed);
    let gets = 200_000u64;
    let start = Instant::now();
    for _ in 0..gets {
        let i = rng.below(cfg.keys.max(1));
        let found = db.get(&workload::key(cfg.seed, i))?;
        ensure(found.is_some(), || format!("loaded key {i} missing"))?;
    }
    let get_mean_ns = start.elapsed().as_nanos() as f64 / gets as f64;
    let after = db.stats()?.storage.cache;
    let hits = after.hits.saturating_sub(before.hits) as f64;
    let misses = after.misses.saturating_sub(before.misses) as f64;
    let start = Instant::now();
    let mut n = 0u64;
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
        n += 1;
    }
    let scan_keys_per_sec = n as f64 / start.elapsed().as_secs_f64();
    let report = db.check()?;
    ensure(report.is_clean(), || {
        format!("integrity check after the benchmark: {report}")
    })?;
    db.close()?;
    let peak_rss_mib = lightning_metrics::process::peak_rss_mib();
    let bulk_load_one_txn_s = bulk_load_one_txn(cfg, &dir.join("bulk"))?.as_secs_f64();
    Ok(StorageBench {
        fsync_p50_us,
        commit_p50_us,
        commit_p99_us,
        commit_fsync_ratio: commit_p50_us / fsync_p50_us.max(1e-9),
        standard_8t_per_sec: std8,
        unified_8t_per_sec: uni8,
        unified_8t_speedup: uni8 / std8.max(1e-9),
        load_inserts_per_sec: cfg.keys as f64 / load.as_secs_f64(),
        get_mean_ns,
        hit_ratio: if hits + misses > 0.0 {
            hits / (hits + misses)
        } else {
            0.0
        },
        scan_keys_per_sec,
        peak_rss_mib,
        bulk_load_one_txn_s,
    })
}

/// Builds one batch of `cfg.keys` workload inserts and commits it on a fresh database; returns
/// the time from the first put into the batch until the commit returned.
fn bulk_load_one_txn(cfg: &StorageConfig, dir: &Path) -> HarnessResult<Duration> {
    let db = Database::create(
        dir,
        Options {
            cache_bytes: cfg.cache_bytes,
            ..Options::default()
        },
    )?;
    let start = Instant::now();
    let mut batch = WriteBatch::new();
    for i in 0..cfg.keys {
        batch.put(workload::key(cfg.seed, i), workload::value(cfg.seed, i));
    }
    db.commit(batch)?;
    let took = start.elapsed();
    ensure(db.stats()?.entries == cfg.keys, || {
        "bulk load lost entries".to_string()
    })?;
    db.close()?;
    Ok(took)
}

//! `ldb bench storage`: a quick, self-contained measurement of the storage core, printed as
//! metrics (text or the project's metrics JSON) for the evidence pipeline.
//!
//! Steps, in order, on a fresh database in a temporary directory (removed afterwards):
//! 1. raw fsync latency of a 4 KiB write (the machine's baseline);
//! 2. single-insert commit latency in `Standard` mode;
//! 3. commits/s with 8 threads in `Standard` and in `Unified` mode;
//! 4. a bulk load in 1,000-insert commits (inserts/s), with peak RSS;
//! 5. random point gets over the loaded keys (latency, cache hit ratio);
//! 6. a full forward range scan (keys/s);
//! 7. a bulk load of the same number of keys in ONE transaction on a fresh database (seconds;
//!    measured after peak RSS is read, so that figure still describes the batched load).
//!
//! The criterion benches (`cargo bench -p lightning-db`) are the careful measurement; this is the
//! quick one that `sitegen run --profile quick` records on every commit.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::util::rng::SplitMix64 as Rng;
use lightning_db::vfs::{OpenMode, RealVfs, Vfs};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options, workload};

use crate::commands::{metric, report_metrics, scratch_dir};

/// Arguments of `ldb bench storage`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Keys to load (24-byte random keys, 150-byte values).
    #[arg(long, default_value_t = 200_000)]
    keys: u64,
    /// Page cache budget in MiB.
    #[arg(long, default_value_t = 256)]
    cache_mb: usize,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the temporary database (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`), if known.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn fsync_baseline(dir: &Path) -> Result<Duration> {
    let path = dir.join("fsync-probe");
    let file = RealVfs
        .open(&path, OpenMode::CreateNew)
        .with_context(|| format!("while creating {}", path.display()))?;
    let buf = vec![0xA5u8; 4096];
    let mut samples = Vec::new();
    for i in 0..200u64 {
        let start = Instant::now();
        file.write_at(&buf, (i % 16) * 4096)?;
        file.sync()?;
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(percentile(&samples, 0.5))
}

fn commit_latency(dir: &Path, mode: WalMode) -> Result<Vec<Duration>> {
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
    samples.sort();
    Ok(samples)
}

fn concurrent_commits_per_sec(dir: &Path, mode: WalMode, threads: u64) -> Result<f64> {
    let db = Database::create(
        dir,
        Options {
            wal_mode: mode,
            ..Options::default()
        },
    )?;
    let per_thread = 150u64;
    let start = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let db = &db;
                s.spawn(move || -> lightning_db::Result<()> {
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
                .map_err(|_| anyhow::anyhow!("a committer thread panicked"))??;
        }
        Ok(())
    })?;
    let rate = (threads * per_thread) as f64 / start.elapsed().as_secs_f64();
    db.close()?;
    Ok(rate)
}

/// Runs the storage benchmark and prints its metrics.
pub fn run(args: BenchArgs) -> Result<()> {
    let dir = scratch_dir(args.dir.as_deref(), "bench")?;
    let result = measure(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let metrics = result?;
    report_metrics(&metrics, args.json)
}

fn measure(args: &BenchArgs, dir: &Path) -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    let fsync = fsync_baseline(dir)?;
    out.push(metric(
        "engine.fsync_4k.p50_us",
        fsync.as_secs_f64() * 1e6,
        "us",
        false,
    ));

    let std_lat = commit_latency(&dir.join("std"), WalMode::Standard)?;
    let p50 = percentile(&std_lat, 0.5).as_secs_f64() * 1e6;
    out.push(metric("engine.commit.standard.p50_us", p50, "us", false));
    out.push(metric(
        "engine.commit.standard.p99_us",
        percentile(&std_lat, 0.99).as_secs_f64() * 1e6,
        "us",
        false,
    ));
    out.push(metric(
        "engine.commit.standard.fsync_ratio",
        p50 / (fsync.as_secs_f64() * 1e6).max(1e-9),
        "ratio",
        false,
    ));
    let std8 = concurrent_commits_per_sec(&dir.join("std8"), WalMode::Standard, 8)?;
    let uni8 = concurrent_commits_per_sec(&dir.join("uni8"), WalMode::Unified, 8)?;
    out.push(metric(
        "engine.commit.standard_8t.per_sec",
        std8,
        "commits/s",
        true,
    ));
    out.push(metric(
        "engine.commit.unified_8t.per_sec",
        uni8,
        "commits/s",
        true,
    ));
    out.push(metric(
        "engine.commit.unified_8t.speedup",
        uni8 / std8.max(1e-9),
        "ratio",
        true,
    ));

    let db = Database::create(
        dir.join("load"),
        Options {
            cache_bytes: args.cache_mb.max(1) << 20,
            ..Options::default()
        },
    )?;
    let start = Instant::now();
    workload::load(&db, args.seed, 0, args.keys, 1000)?;
    let load = start.elapsed();
    out.push(metric(
        "engine.load.batch1000.inserts_per_sec",
        args.keys as f64 / load.as_secs_f64(),
        "inserts/s",
        true,
    ));
    db.checkpoint()?;
    // Warm the cache, then measure random gets.
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
    }
    let before = db.stats()?.storage.cache;
    let mut rng = Rng::new(args.seed);
    let gets = 200_000u64;
    let start = Instant::now();
    for _ in 0..gets {
        let i = rng.below(args.keys.max(1));
        let found = db.get(&workload::key(args.seed, i))?;
        anyhow::ensure!(found.is_some(), "loaded key {i} missing");
    }
    let get_ns = start.elapsed().as_nanos() as f64 / gets as f64;
    let after = db.stats()?.storage.cache;
    out.push(metric("engine.get.cached.mean_ns", get_ns, "ns", false));
    let hits = after.hits.saturating_sub(before.hits) as f64;
    let misses = after.misses.saturating_sub(before.misses) as f64;
    out.push(metric(
        "page_cache.hit_ratio",
        if hits + misses > 0.0 {
            hits / (hits + misses)
        } else {
            0.0
        },
        "ratio",
        true,
    ));
    let start = Instant::now();
    let mut n = 0u64;
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
        n += 1;
    }
    out.push(metric(
        "engine.scan.keys_per_sec",
        n as f64 / start.elapsed().as_secs_f64(),
        "keys/s",
        true,
    ));
    let report = db.check()?;
    anyhow::ensure!(
        report.is_clean(),
        "integrity check after the benchmark: {report}"
    );
    db.close()?;
    if let Some(rss) = peak_rss_mib() {
        out.push(metric("engine.peak_rss_mib", rss, "MiB", false));
    }
    out.push(metric(
        "engine.bulk_load.one_txn_s",
        bulk_load_one_txn(args, &dir.join("bulk"))?.as_secs_f64(),
        "s",
        false,
    ));
    Ok(out)
}

/// Builds one batch of `args.keys` workload inserts and commits it on a fresh database; returns
/// the time from the first put into the batch until the commit returned.
fn bulk_load_one_txn(args: &BenchArgs, dir: &Path) -> Result<Duration> {
    let db = Database::create(
        dir,
        Options {
            cache_bytes: args.cache_mb.max(1) << 20,
            ..Options::default()
        },
    )?;
    let start = Instant::now();
    let mut batch = lightning_db::WriteBatch::new();
    for i in 0..args.keys {
        batch.put(workload::key(args.seed, i), workload::value(args.seed, i));
    }
    db.commit(batch)?;
    let took = start.elapsed();
    anyhow::ensure!(db.stats()?.entries == args.keys, "bulk load lost entries");
    db.close()?;
    Ok(took)
}

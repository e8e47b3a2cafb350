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
use lightning_db::harness::workload;
use lightning_db::util::rng::SplitMix64 as Rng;
use lightning_db::vfs::{OpenMode, RealVfs, Vfs};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options};
use lightning_metrics::Metric;

use crate::report::report_metrics;
use crate::scratch::in_scratch;

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

/// The nearest-rank percentile of sorted durations (zero when there are none).
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let secs: Vec<f64> = sorted.iter().map(Duration::as_secs_f64).collect();
    Duration::from_secs_f64(lightning_metrics::percentile(&secs, p).unwrap_or(0.0))
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
    let metrics = in_scratch(args.dir.as_deref(), "bench", |dir| measure(&args, dir))?;
    report_metrics(metrics, args.json)
}

fn measure(args: &BenchArgs, dir: &Path) -> Result<Vec<Metric>> {
    let mut out = Vec::new();
    let fsync = fsync_baseline(dir)?;
    out.push(Metric::lower(
        "engine.fsync_4k.p50_us",
        fsync.as_secs_f64() * 1e6,
        "us",
    ));

    let std_lat = commit_latency(&dir.join("std"), WalMode::Standard)?;
    let p50 = percentile(&std_lat, 0.5).as_secs_f64() * 1e6;
    out.push(Metric::lower("engine.commit.standard.p50_us", p50, "us"));
    out.push(Metric::lower(
        "engine.commit.standard.p99_us",
        percentile(&std_lat, 0.99).as_secs_f64() * 1e6,
        "us",
    ));
    out.push(Metric::lower(
        "engine.commit.standard.fsync_ratio",
        p50 / (fsync.as_secs_f64() * 1e6).max(1e-9),
        "ratio",
    ));
    let std8 = concurrent_commits_per_sec(&dir.join("std8"), WalMode::Standard, 8)?;
    let uni8 = concurrent_commits_per_sec(&dir.join("uni8"), WalMode::Unified, 8)?;
    out.push(Metric::higher(
        "engine.commit.standard_8t.per_sec",
        std8,
        "commits/s",
    ));
    out.push(Metric::higher(
        "engine.commit.unified_8t.per_sec",
        uni8,
        "commits/s",
    ));
    out.push(Metric::higher(
        "engine.commit.unified_8t.speedup",
        uni8 / std8.max(1e-9),
        "ratio",
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
    out.push(Metric::higher(
        "engine.load.batch1000.inserts_per_sec",
        args.keys as f64 / load.as_secs_f64(),
        "inserts/s",
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
    out.push(Metric::lower("engine.get.cached.mean_ns", get_ns, "ns"));
    let hits = after.hits.saturating_sub(before.hits) as f64;
    let misses = after.misses.saturating_sub(before.misses) as f64;
    out.push(Metric::higher(
        "page_cache.hit_ratio",
        if hits + misses > 0.0 {
            hits / (hits + misses)
        } else {
            0.0
        },
        "ratio",
    ));
    let start = Instant::now();
    let mut n = 0u64;
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
        n += 1;
    }
    out.push(Metric::higher(
        "engine.scan.keys_per_sec",
        n as f64 / start.elapsed().as_secs_f64(),
        "keys/s",
    ));
    let report = db.check()?;
    anyhow::ensure!(
        report.is_clean(),
        "integrity check after the benchmark: {report}"
    );
    db.close()?;
    if let Some(rss) = lightning_metrics::process::peak_rss_mib() {
        out.push(Metric::lower("engine.peak_rss_mib", rss, "MiB"));
    }
    out.push(Metric::lower(
        "engine.bulk_load.one_txn_s",
        bulk_load_one_txn(args, &dir.join("bulk"))?.as_secs_f64(),
        "s",
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

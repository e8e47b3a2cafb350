//! `ldb bench storage`: a quick, self-contained measurement of the storage core, printed as
//! metrics (text or the project's metrics JSON) for the evidence pipeline.
//!
//! The measurement is `lightning_db::harness::bench::storage` (its steps are listed there),
//! on fresh databases in a scratch directory removed afterwards. In brief:
//! 1. raw fsync latency of a 4 KiB write (the machine's baseline);
//! 2. single-insert commit latency in `Standard` mode;
//! 3. commits/s with 8 threads in `Standard` and in `Unified` mode;
//! 4. a bulk load in 1,000-insert commits (inserts/s), with peak RSS;
//! 5. random point gets over the loaded keys (latency, cache hit ratio);
//! 6. a full forward range scan (keys/s);
//! 7. a bulk load of the same number of keys in ONE transaction on a fresh database (seconds;
//!    measured after peak RSS is read, so that figure still describes the batched load).
//!
//! The sequence runs `--warmup` times as a warm-up (default once, dropped), then `--repeat`
//! times (default 5), each time on fresh databases; every figure is reported as the median of
//! the repetitions with each repetition as a sample, so a regression check can use the
//! Mann–Whitney test. The peak RSS is the process's, a single value.
//!
//! The criterion benches (`cargo bench -p lightning-db`) are the careful measurement; this is the
//! quick one that `sitegen run --profile quick` records on every commit.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::bench::storage::{self, StorageBench, StorageConfig};
use lightning_metrics::{Direction, Metric};

use crate::report::{report_metrics, sampled};
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
    /// Measured repetitions after the warm-up (at least 1; 5 or more lets the regression check
    /// test the samples).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Warm-up repetitions before the measured ones (figures dropped); 0 measures a cold
    /// process, as one pass of the benchmark did before repetitions existed.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Directory for the temporary database (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the storage benchmark and prints its metrics.
pub fn run(args: BenchArgs) -> Result<()> {
    anyhow::ensure!(args.repeat > 0, "--repeat must be at least 1");
    let cfg = StorageConfig {
        keys: args.keys,
        cache_bytes: args.cache_mb.max(1) << 20,
        seed: args.seed,
    };
    let reps = in_scratch(args.dir.as_deref(), "bench", |dir| {
        Ok(storage::run_repeated(&cfg, dir, args.warmup, args.repeat)?)
    })?;
    report_metrics(metrics(&reps), args.json)
}

/// The figures as metrics, in the order `ldb` prints them.
fn metrics(reps: &[StorageBench]) -> Vec<Metric> {
    let (hi, lo) = (Direction::HigherIsBetter, Direction::LowerIsBetter);
    let s = |name: &str, unit: &str, direction: Direction, figure: fn(&StorageBench) -> f64| {
        sampled(name, unit, direction, reps.iter().map(figure).collect())
    };
    let mut out = vec![
        s("engine.fsync_4k.p50_us", "us", lo, |b| b.fsync_p50_us),
        s("engine.commit.standard.p50_us", "us", lo, |b| {
            b.commit_p50_us
        }),
        s("engine.commit.standard.p99_us", "us", lo, |b| {
            b.commit_p99_us
        }),
        s("engine.commit.standard.fsync_ratio", "ratio", lo, |b| {
            b.commit_fsync_ratio
        }),
        s("engine.commit.standard_8t.per_sec", "commits/s", hi, |b| {
            b.standard_8t_per_sec
        }),
        s("engine.commit.unified_8t.per_sec", "commits/s", hi, |b| {
            b.unified_8t_per_sec
        }),
        s("engine.commit.unified_8t.speedup", "ratio", hi, |b| {
            b.unified_8t_speedup
        }),
        s(
            "engine.load.batch1000.inserts_per_sec",
            "inserts/s",
            hi,
            |b| b.load_inserts_per_sec,
        ),
        s("engine.get.cached.mean_ns", "ns", lo, |b| b.get_mean_ns),
        s("page_cache.hit_ratio", "ratio", hi, |b| b.hit_ratio),
        s("engine.scan.keys_per_sec", "keys/s", hi, |b| {
            b.scan_keys_per_sec
        }),
    ];
    // The process's peak RSS only grows: one value, read after the last repetition.
    if let Some(rss) = reps.iter().filter_map(|b| b.peak_rss_mib).reduce(f64::max) {
        out.push(Metric::lower("engine.peak_rss_mib", rss, "MiB"));
    }
    out.push(s("engine.bulk_load.one_txn_s", "s", lo, |b| {
        b.bulk_load_one_txn_s
    }));
    out
}

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
//! The criterion benches (`cargo bench -p lightning-db`) are the careful measurement; this is the
//! quick one that `sitegen run --profile quick` records on every commit.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::bench::storage::{self, StorageBench, StorageConfig};
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

/// Runs the storage benchmark and prints its metrics.
pub fn run(args: BenchArgs) -> Result<()> {
    let cfg = StorageConfig {
        keys: args.keys,
        cache_bytes: args.cache_mb.max(1) << 20,
        seed: args.seed,
    };
    let bench = in_scratch(args.dir.as_deref(), "bench", |dir| {
        Ok(storage::run(&cfg, dir)?)
    })?;
    report_metrics(metrics(&bench), args.json)
}

/// The figures as metrics, in the order `ldb` prints them.
fn metrics(b: &StorageBench) -> Vec<Metric> {
    let mut out = vec![
        Metric::lower("engine.fsync_4k.p50_us", b.fsync_p50_us, "us"),
        Metric::lower("engine.commit.standard.p50_us", b.commit_p50_us, "us"),
        Metric::lower("engine.commit.standard.p99_us", b.commit_p99_us, "us"),
        Metric::lower(
            "engine.commit.standard.fsync_ratio",
            b.commit_fsync_ratio,
            "ratio",
        ),
        Metric::higher(
            "engine.commit.standard_8t.per_sec",
            b.standard_8t_per_sec,
            "commits/s",
        ),
        Metric::higher(
            "engine.commit.unified_8t.per_sec",
            b.unified_8t_per_sec,
            "commits/s",
        ),
        Metric::higher(
            "engine.commit.unified_8t.speedup",
            b.unified_8t_speedup,
            "ratio",
        ),
        Metric::higher(
            "engine.load.batch1000.inserts_per_sec",
            b.load_inserts_per_sec,
            "inserts/s",
        ),
        Metric::lower("engine.get.cached.mean_ns", b.get_mean_ns, "ns"),
        Metric::higher("page_cache.hit_ratio", b.hit_ratio, "ratio"),
        Metric::higher("engine.scan.keys_per_sec", b.scan_keys_per_sec, "keys/s"),
    ];
    if let Some(rss) = b.peak_rss_mib {
        out.push(Metric::lower("engine.peak_rss_mib", rss, "MiB"));
    }
    out.push(Metric::lower(
        "engine.bulk_load.one_txn_s",
        b.bulk_load_one_txn_s,
        "s",
    ));
    out
}

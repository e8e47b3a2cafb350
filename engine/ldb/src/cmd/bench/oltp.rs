//! `ldb bench oltp`: a short run of the OLTP workload on a scratch database
//! (`lightning_db::harness::bench::oltp`), printed as metrics (text or the project's metrics
//! JSON).
//!
//! Steps, in order, in a fresh scratch directory (removed afterwards):
//! 1. create the database in the chosen WAL mode, preload `--keys` seeded keys (24-byte keys,
//!    150-byte values) in 10,000-key commits, checkpoint, and warm the cache with one scan;
//! 2. **YCSB A** for `--seconds`: `--threads` clients, 50% reads (read-only snapshot
//!    transactions) and 50% blind updates (`RepeatableRead` transactions), zipfian 0.99 keys →
//!    `oltp.tps` and `oltp.p50/p95/p99_latency_ms`;
//! 3. reopen the database (so the lock manager's counters, including its running maximum, start
//!    from zero) and run the **hot-key mix** for `--seconds`: 50% reads, 50% read-modify-write
//!    updates under `Serializable`, 90% of them on 8 hot keys → `oltp.mixed.*`, with
//!    `oltp.mixed.lock_wait_ms` = total lock wait time ÷ completed operations (the mean lock wait
//!    an operation pays; the figure the plan wants reduced by ≥ 30%);
//! 4. `oltp.deadlocks`, `oltp.write_conflicts`, `oltp.retries` and `oltp.failed_ops` are totals
//!    over both runs; then an integrity check of the database.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, ensure};
use clap::Args;
use lightning_db::Options;
use lightning_db::harness::bench::oltp::{self, OltpBenchConfig};
use lightning_db::harness::workload::oltp::OltpReport;
use lightning_metrics::Metric;

use crate::args::Mode;
use crate::report::report_metrics;
use crate::scratch::in_scratch;

/// Arguments of `ldb bench oltp`.
#[derive(Args, Debug)]
pub struct OltpArgs {
    /// A short run: 100,000 keys and 1.5 s per workload (unless --keys / --seconds say otherwise).
    #[arg(long)]
    quick: bool,
    /// Keys to preload [default: 1,000,000; 100,000 with --quick].
    #[arg(long)]
    keys: Option<u64>,
    /// Client threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Seconds each of the two workloads runs [default: 10; 1.5 with --quick].
    #[arg(long)]
    seconds: Option<f64>,
    /// WAL durability mode of the scratch database.
    #[arg(long, value_enum, default_value_t = Mode::Standard)]
    wal_mode: Mode,
    /// Page cache budget in MiB.
    #[arg(long, default_value_t = 512)]
    cache_mb: usize,
    /// Dataset and operation seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the scratch database (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON instead of text.
    #[arg(long)]
    json: bool,
    /// The hot-key mix's read-modify-writes read with `get_for_update` (exclusive lock first)
    /// instead of `get` (shared lock, upgraded by the write).
    #[arg(long)]
    locking_reads: bool,
}

/// Runs `ldb bench oltp`.
pub fn oltp_cmd(args: OltpArgs) -> Result<()> {
    let keys = args
        .keys
        .unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    let seconds = args.seconds.unwrap_or(if args.quick { 1.5 } else { 10.0 });
    ensure!(keys > 0, "--keys must be at least 1");
    ensure!(args.threads > 0, "--threads must be at least 1");
    ensure!(
        seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0,
        "--seconds must be a positive number of seconds up to a day, got {seconds}"
    );
    let cfg = OltpBenchConfig {
        keys,
        threads: args.threads,
        each: Duration::from_secs_f64(seconds),
        options: Options {
            wal_mode: args.wal_mode.wal_mode(),
            cache_bytes: args.cache_mb.max(1) << 20,
            ..Options::default()
        },
        seed: args.seed,
        locking_reads: args.locking_reads,
    };
    let bench = in_scratch(args.dir.as_deref(), "oltp", |dir| Ok(oltp::run(&cfg, dir)?))?;
    report_metrics(metrics(&bench.ycsb, &bench.hot), args.json)
}

fn metrics(ycsb: &OltpReport, hot: &OltpReport) -> Vec<Metric> {
    let sum = |f: fn(&OltpReport) -> u64| (f(ycsb) + f(hot)) as f64;
    vec![
        Metric::higher("oltp.tps", ycsb.ops_per_sec(), "ops/s"),
        Metric::lower("oltp.p50_latency_ms", ycsb.latency_ms(0.50), "ms"),
        Metric::lower("oltp.p95_latency_ms", ycsb.latency_ms(0.95), "ms"),
        Metric::lower("oltp.p99_latency_ms", ycsb.latency_ms(0.99), "ms"),
        Metric::lower("oltp.mixed.lock_wait_ms", hot.lock_wait_per_op_ms(), "ms"),
        Metric::lower(
            "oltp.mixed.lock_wait_max_ms",
            hot.locks.max_wait_us_since_open as f64 / 1e3,
            "ms",
        ),
        Metric::lower("oltp.mixed.lock_waits", hot.locks.waits as f64, "waits"),
        Metric::higher("oltp.mixed.tps", hot.ops_per_sec(), "ops/s"),
        Metric::lower("oltp.mixed.p95_latency_ms", hot.latency_ms(0.95), "ms"),
        Metric::lower("oltp.deadlocks", sum(|r| r.locks.deadlocks), "deadlocks"),
        Metric::lower(
            "oltp.write_conflicts",
            sum(|r| r.write_conflicts),
            "conflicts",
        ),
        Metric::lower("oltp.retries", sum(|r| r.retries), "retries"),
        Metric::lower("oltp.failed_ops", sum(|r| r.failed), "ops"),
    ]
}

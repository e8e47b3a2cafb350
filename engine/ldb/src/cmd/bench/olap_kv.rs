//! `ldb bench olap-kv`: KV range-scan throughput over a seeded dataset (rows/s and MiB/s of
//! keys and values): one warm-up scan, then `--scans` full scans (default 5), each a sample;
//! the value is their median. `LIGHTNING_BENCH_EXTRA_WORK` (the gate drill's slowdown knob,
//! `lightning_db::harness::bench::extra_work`) pads each scan and is then reported as
//! `bench.extra_work`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::bench::{extra_work::ExtraWork, olap_kv};
use lightning_metrics::{Direction, Metric};

use crate::report::{report_metrics, sampled};
use crate::scratch::in_scratch;

/// Arguments of `ldb bench olap-kv`.
#[derive(Args, Debug)]
pub struct OlapKvArgs {
    /// Keys in the seeded dataset.
    #[arg(long, default_value_t = 200_000)]
    keys: u64,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Full scans measured (after one warm-up scan), each a sample; the median is reported.
    #[arg(long, default_value_t = 5)]
    scans: usize,
    /// Scratch directory (removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb bench olap-kv`.
pub fn olap_kv_cmd(args: OlapKvArgs) -> Result<()> {
    let extra = ExtraWork::from_env()?;
    let r = in_scratch(args.dir.as_deref(), "olap-kv", |dir| {
        Ok(olap_kv::run(args.keys, args.seed, args.scans, extra, dir)?)
    })?;
    let per_scan = |amount: f64| r.secs.iter().map(|s| amount / s).collect();
    let mut metrics = vec![
        sampled(
            "olap.kv_scan.rows_per_s",
            "rows/s",
            Direction::HigherIsBetter,
            per_scan(r.rows as f64),
        ),
        sampled(
            "olap.kv_scan.mib_per_s",
            "MiB/s",
            Direction::HigherIsBetter,
            per_scan(r.bytes as f64 / f64::from(1 << 20)),
        ),
        Metric::higher("olap.kv_scan.rows", r.rows as f64, "count"),
    ];
    if let Some(w) = extra {
        // Planted by the gate drill: recorded, so the run cannot pass for a normal one.
        metrics.push(Metric::lower("bench.extra_work", w.fraction(), "ratio"));
    }
    report_metrics(metrics, args.json)
}

//! `ldb bench olap-kv`: KV range-scan throughput over a seeded dataset (rows/s and MiB/s of
//! keys and values): one warm-up scan, then the median of `--scans` full scans.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::bench::olap_kv;
use lightning_metrics::Metric;

use crate::report::report_metrics;
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
    /// Full scans measured (after one warm-up scan); the median is reported.
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
    let r = in_scratch(args.dir.as_deref(), "olap-kv", |dir| {
        Ok(olap_kv::run(args.keys, args.seed, args.scans, dir)?)
    })?;
    let metrics = vec![
        Metric::higher("olap.kv_scan.rows_per_s", r.rows as f64 / r.secs, "rows/s"),
        Metric::higher(
            "olap.kv_scan.mib_per_s",
            r.bytes as f64 / f64::from(1 << 20) / r.secs,
            "MiB/s",
        ),
        Metric::higher("olap.kv_scan.rows", r.rows as f64, "count"),
    ];
    report_metrics(metrics, args.json)
}

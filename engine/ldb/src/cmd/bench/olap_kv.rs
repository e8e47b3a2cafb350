//! `ldb bench olap-kv`: KV range-scan throughput over a seeded dataset (rows/s and MiB/s of
//! keys and values): one warm-up scan, then the median of `--scans` full scans.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Args;
use lightning_db::harness::workload;
use lightning_db::{Database, Options};
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
    let metrics = in_scratch(args.dir.as_deref(), "olap-kv", |dir| olap_kv(&args, dir))?;
    report_metrics(metrics, args.json)?;
    Ok(())
}

fn olap_kv(args: &OlapKvArgs, dir: &Path) -> Result<Vec<Metric>> {
    let db = Database::create(dir.join("db"), Options::default())?;
    workload::load(&db, args.seed, 0, args.keys, 1000)?;
    let scan = || -> Result<(u64, u64, Duration)> {
        let t = Instant::now();
        let (mut rows, mut bytes) = (0u64, 0u64);
        for kv in db.range(
            std::ops::Bound::Unbounded,
            std::ops::Bound::Unbounded,
            false,
        )? {
            let (k, v) = kv?;
            rows += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        Ok((rows, bytes, t.elapsed()))
    };
    let (rows, _, _) = scan()?;
    if rows != db.stats()?.entries {
        bail!("scan returned {rows} rows of {}", db.stats()?.entries);
    }
    let mut runs = Vec::new();
    for _ in 0..args.scans.max(1) {
        runs.push(scan()?);
    }
    runs.sort_by_key(|r| r.2);
    let (rows, bytes, t) = runs[runs.len() / 2];
    let secs = t.as_secs_f64().max(1e-9);
    db.close()?;
    Ok(vec![
        Metric::higher("olap.kv_scan.rows_per_s", rows as f64 / secs, "rows/s"),
        Metric::higher(
            "olap.kv_scan.mib_per_s",
            bytes as f64 / f64::from(1 << 20) / secs,
            "MiB/s",
        ),
        Metric::higher("olap.kv_scan.rows", rows as f64, "count"),
    ])
}

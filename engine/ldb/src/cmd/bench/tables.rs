//! `ldb bench tables`: the table layer at scale — `CREATE INDEX` on a populated table
//! (`--repeat` builds, each a sample) and the table integrity check of that table with two
//! secondary indexes (`--repeat` checks, each a sample); the values are the medians.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use lightning_db::harness::bench::tables;
use lightning_metrics::{Direction, Metric};

use crate::report::{report_metrics, sampled};
use crate::scratch::in_scratch;

/// Arguments of `ldb bench tables`.
#[derive(Args, Debug)]
pub struct TablesArgs {
    /// Rows in the table.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Index builds and checks measured, each a sample; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Scratch directory (removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb bench tables`.
pub fn tables_cmd(args: TablesArgs) -> Result<()> {
    let r = in_scratch(args.dir.as_deref(), "tables", |dir| {
        Ok(tables::run(args.rows, args.seed, args.repeat, dir)?)
    })?;
    let rows = r.rows as f64;
    let metrics = vec![
        sampled(
            "schema.create_index.secs",
            "s",
            Direction::LowerIsBetter,
            r.create_index_secs.clone(),
        ),
        Metric::lower(
            "schema.create_unique_index.secs",
            r.create_unique_index_secs,
            "s",
        ),
        sampled(
            "schema.check.secs",
            "s",
            Direction::LowerIsBetter,
            r.check_secs.clone(),
        ),
        sampled(
            "schema.check.rows_per_s",
            "rows/s",
            Direction::HigherIsBetter,
            r.check_secs.iter().map(|s| rows / s).collect(),
        ),
        Metric::lower("schema.load.secs", r.load_secs, "s"),
        Metric::higher("schema.bench.rows", rows, "count"),
        Metric::higher(
            "schema.check.index_entries",
            r.index_entries as f64,
            "count",
        ),
    ];
    report_metrics(metrics, args.json)
}

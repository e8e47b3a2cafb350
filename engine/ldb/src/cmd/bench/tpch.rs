//! `ldb bench tpch --data DIR`: the TPC-H queries of `engine/ldb/tpch/queries/` on the DuckDB
//! peer ([`DuckDbPeer`]), as metrics (text or the project's metrics JSON). `docs/tpch.md`
//! describes the data, the queries and the setup.
//!
//! Steps: find the workspace root (the schema, the queries and the peer live there); start
//! the peer; load `DIR/lineitem.csv` and `DIR/orders.csv` (made by `ldb tpch generate`) into
//! a DuckDB file in a scratch directory (removed afterwards); set the thread count; run each
//! query `--repeat` times. Metrics: `tpch.duckdb.load_s`, `tpch.duckdb.db_mib`, and per query
//! `tpch.duckdb.<query>_ms` (median of the repeats, all samples kept) and `..._rows`.
//!
//! Lightning's side joins this command when its SQL front end runs the queries' aggregates.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use clap::Args;
use lightning_metrics::{Direction, Metric};

use super::duckdb::{DuckDbPeer, workspace_root};
use crate::report::{report_metrics, sampled};
use crate::scratch::in_scratch;

/// The queries, by file name under `engine/ldb/tpch/queries/` (without `.sql`).
pub const QUERIES: [&str; 4] = ["q1", "q6", "filtered_sum", "groupby"];

/// Arguments of `ldb bench tpch`.
#[derive(Args, Debug)]
pub struct TpchArgs {
    /// The directory holding lineitem.csv and orders.csv (`ldb tpch generate --out DIR`).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The queries to run (repeatable) [default: q1, q6, filtered_sum, groupby].
    #[arg(long)]
    query: Vec<String>,
    /// DuckDB worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Runs of each query.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Directory for the scratch DuckDB file (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb bench tpch`.
pub fn tpch_cmd(args: TpchArgs) -> Result<()> {
    ensure!(
        (1..=256).contains(&args.threads),
        "--threads must be between 1 and 256, got {}",
        args.threads
    );
    ensure!(
        (1..=1_000).contains(&args.repeat),
        "--repeat must be between 1 and 1000, got {}",
        args.repeat
    );
    let queries: Vec<String> = if args.query.is_empty() {
        QUERIES.iter().map(|q| q.to_string()).collect()
    } else {
        args.query.clone()
    };
    let root = workspace_root()?;
    let tpch = root.join("engine/ldb/tpch");
    let texts = queries
        .iter()
        .map(|q| {
            let path = tpch.join("queries").join(format!("{q}.sql"));
            std::fs::read_to_string(&path)
                .with_context(|| format!("while reading query {q} ({})", path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let data = std::path::absolute(&args.data).unwrap_or_else(|_| args.data.clone());
    let metrics = in_scratch(args.dir.as_deref(), "tpch", |dir| {
        let mut peer = DuckDbPeer::start(&root)?;
        let loaded = peer
            .load(
                &data,
                &["lineitem", "orders"],
                &tpch.join("schema.sql"),
                &dir.join("tpch.duckdb"),
            )
            .with_context(|| format!("while loading {} into DuckDB", data.display()))?;
        peer.set_threads(args.threads)?;
        let mut metrics = vec![
            Metric::new(
                "tpch.duckdb.load_s",
                loaded.seconds,
                "s",
                Direction::LowerIsBetter,
            ),
            Metric::new(
                "tpch.duckdb.db_mib",
                loaded.bytes as f64 / (1u64 << 20) as f64,
                "MiB",
                Direction::LowerIsBetter,
            ),
        ];
        for (name, sql) in queries.iter().zip(&texts) {
            let mut samples = Vec::with_capacity(args.repeat);
            let mut rows = 0;
            for _ in 0..args.repeat {
                let r = peer
                    .query(sql)
                    .with_context(|| format!("while running {name} on DuckDB"))?;
                samples.push(r.seconds * 1e3);
                rows = r.rows.len();
            }
            metrics.push(sampled(
                &format!("tpch.duckdb.{name}_ms"),
                "ms",
                Direction::LowerIsBetter,
                samples,
            ));
            metrics.push(Metric::new(
                format!("tpch.duckdb.{name}_rows"),
                rows as f64,
                "rows",
                Direction::HigherIsBetter,
            ));
        }
        Ok(metrics)
    })?;
    report_metrics(metrics, args.json)
}

//! `ldb bench tpch --data DIR`: Lightning against DuckDB on the TPC-H tables and the queries
//! of `engine/ldb/tpch/queries/`, in one process run, as metrics (text or the project's metrics
//! JSON). `docs/tpch.md` describes the data, the queries and the setup.
//!
//! Steps: find the workspace root (schema, queries and peer live there); load
//! `DIR/lineitem.csv` and `DIR/orders.csv` (made by `ldb tpch generate`) into a Lightning
//! database (columnar tables, `schema.sql`) and into a DuckDB file, both in a scratch directory
//! removed afterwards; report each engine's load time and size and each lineitem column's
//! compression (stored against plain fixed-width bytes, with its encodings on standard error);
//! then run each query `--repeat` times, alternating the engines and which goes first, and
//! compare the first answers value for value.
//!
//! Metrics: `tpch.{lightning,duckdb}.load_s`, `tpch.load_ratio`, `tpch.{lightning,duckdb}.db_mib`,
//! `tpch.size_ratio`, `columnar.compression_ratio[.lineitem.<column>]`,
//! `columnar.vector_batch_size`, `columnar.stats_failures` (columns of the loaded tables whose
//! stored statistics fail verification against their segments); per query `tpch.<q>.{lightning,duckdb}_ms` (all samples),
//! `tpch.<q>.speed_ratio` (DuckDB's median time over Lightning's: Lightning's rows/s as a
//! fraction of DuckDB's), `tpch.<q>_rows`; `olap.aggregate.rows_per_s` (lineitem rows over
//! Lightning's Q6 time) and `columnar.validation_failures` (queries whose answers differ).

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use clap::Args;
use lightning_metrics::{Direction, Metric};

use lightning_db::schema::sql::columnar::batch_rows;

use super::duckdb::{DuckDbPeer, workspace_root};
use super::tpch_lightning;
use crate::report::{report_metrics, sampled};
use crate::scratch::in_scratch;

const LOWER: Direction = Direction::LowerIsBetter;
const HIGHER: Direction = Direction::HigherIsBetter;

fn metric(name: &str, value: f64, unit: &str, direction: Direction) -> Metric {
    Metric::new(name, value, unit, direction)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

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
    /// Threads of each engine's queries (DuckDB's worker threads, Lightning's scan threads).
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
    let tables = ["lineitem", "orders"];
    let metrics = in_scratch(args.dir.as_deref(), "tpch", |dir| {
        let schema = tpch.join("schema.sql");
        let ours = tpch_lightning::load(&dir.join("lightning"), &schema, &data, &tables)
            .with_context(|| format!("while loading {} into Lightning", data.display()))?;
        let mut peer = DuckDbPeer::start(&root)?;
        let loaded = peer
            .load(&data, &tables, &schema, &dir.join("tpch.duckdb"))
            .with_context(|| format!("while loading {} into DuckDB", data.display()))?;
        peer.set_threads(args.threads)?;
        lightning_db::columnar::scan::set_scan_threads(args.threads);
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        let our_bytes = ours.data_bytes()?;
        let mut metrics = vec![
            metric("tpch.lightning.load_s", ours.load_seconds, "s", LOWER),
            metric("tpch.duckdb.load_s", loaded.seconds, "s", LOWER),
            metric(
                "tpch.load_ratio",
                ours.load_seconds / loaded.seconds,
                "x",
                LOWER,
            ),
            metric("tpch.lightning.db_mib", mib(our_bytes), "MiB", LOWER),
            metric("tpch.duckdb.db_mib", mib(loaded.bytes), "MiB", LOWER),
            metric(
                "tpch.size_ratio",
                our_bytes as f64 / loaded.bytes as f64,
                "x",
                LOWER,
            ),
            metric(
                "columnar.vector_batch_size",
                batch_rows() as f64,
                "rows",
                HIGHER,
            ),
        ];
        let sizes = ours.sizes("lineitem")?;
        let (stored, plain) = sizes
            .iter()
            .fold((0, 0), |(s, p), c| (s + c.stored, p + c.plain));
        metrics.push(metric(
            "columnar.compression_ratio",
            plain as f64 / stored.max(1) as f64,
            "x",
            HIGHER,
        ));
        for c in &sizes {
            let encodings: Vec<String> = c
                .encodings
                .iter()
                .map(|(e, n)| format!("{e} ×{n}"))
                .collect();
            errln!(
                "lineitem.{}: {:.2}x ({} of {} bytes): {}",
                c.column,
                c.ratio(),
                c.stored,
                c.plain,
                encodings.join(", ")
            );
            metrics.push(metric(
                &format!("columnar.compression_ratio.lineitem.{}", c.column),
                c.ratio(),
                "x",
                HIGHER,
            ));
        }
        metrics.push(metric(
            "columnar.stats_failures",
            ours.stats_failures(&tables)? as f64,
            "columns",
            LOWER,
        ));
        let lineitem_rows = ours.query("SELECT COUNT(*) FROM lineitem")?.1;
        let lineitem_rows = match lineitem_rows.first().and_then(|r| r.first()) {
            Some(lightning_db::schema::Value::Int(n)) => *n as f64,
            _ => 0.0,
        };
        let mut failures = 0.0;
        for (name, sql) in queries.iter().zip(&texts) {
            let (mut theirs, mut mine) = (Vec::new(), Vec::new());
            let mut mismatch = None;
            for round in 0..args.repeat {
                // Alternating, each engine first in every other round.
                let order: [bool; 2] = if round % 2 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                for duck in order {
                    if duck {
                        let r = peer
                            .query(sql)
                            .with_context(|| format!("while running {name} on DuckDB"))?;
                        theirs.push((r.seconds * 1e3, r.rows));
                    } else {
                        let (secs, rows) = ours
                            .query(sql)
                            .with_context(|| format!("while running {name} on Lightning"))?;
                        mine.push((secs * 1e3, rows));
                    }
                }
                if round == 0 {
                    mismatch = tpch_lightning::compare(&mine[0].1, &theirs[0].1);
                }
            }
            if let Some(diff) = &mismatch {
                errln!("{name}: answers differ: {diff}");
                failures += 1.0;
            }
            let our_ms: Vec<f64> = mine.iter().map(|(t, _)| *t).collect();
            let duck_ms: Vec<f64> = theirs.iter().map(|(t, _)| *t).collect();
            let ratio = median(&duck_ms) / median(&our_ms).max(1e-9);
            metrics.push(sampled(
                &format!("tpch.{name}.lightning_ms"),
                "ms",
                LOWER,
                our_ms.clone(),
            ));
            metrics.push(sampled(
                &format!("tpch.{name}.duckdb_ms"),
                "ms",
                LOWER,
                duck_ms,
            ));
            metrics.push(metric(
                &format!("tpch.{name}.speed_ratio"),
                ratio,
                "x",
                HIGHER,
            ));
            metrics.push(metric(
                &format!("tpch.{name}_rows"),
                mine[0].1.len() as f64,
                "rows",
                HIGHER,
            ));
            if name == "q6" {
                metrics.push(metric(
                    "olap.aggregate.rows_per_s",
                    lineitem_rows / (median(&our_ms) / 1e3).max(1e-9),
                    "rows/s",
                    HIGHER,
                ));
            }
        }
        metrics.push(metric(
            "columnar.validation_failures",
            failures,
            "queries",
            LOWER,
        ));
        Ok(metrics)
    })?;
    report_metrics(metrics, args.json)
}

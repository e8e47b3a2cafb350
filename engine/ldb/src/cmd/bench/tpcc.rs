//! `ldb bench tpcc`: the TPC-C-style New-Order/Payment mix (`lightning_db::harness::bench::tpcc`)
//! on Lightning and on SQLite in the same run, printed as metrics (text or the project's metrics
//! JSON). `docs/tpcc.md` describes the workload and every metric.
//!
//! Steps, in a fresh scratch directory (removed afterwards): create and load both databases
//! with the same seed; then for each `--threads` count, a window of `--seconds` on Lightning
//! followed by one on SQLite (interleaved, so drift on a shared machine hits both); then the
//! consistency check on both — a violation is an error (exit 1) naming the engine and the
//! condition.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use clap::Args;
use lightning_db::Options;
use lightning_db::harness::bench::tpcc::{
    self, LightningEngine, Scale, SqlEngine, TpccConfig, WindowReport,
};
use lightning_db::schema::sql::SqlDatabase;
use lightning_metrics::Metric;

use super::tpcc_sqlite::SqliteEngine;
use crate::report::report_metrics;
use crate::scratch::in_scratch;

/// Arguments of `ldb bench tpcc`.
#[derive(Args, Debug)]
pub struct TpccArgs {
    /// A short run: a tenth of TPC-C's items and customers, 2 s windows (unless --seconds says
    /// otherwise).
    #[arg(long)]
    quick: bool,
    /// Warehouses (W).
    #[arg(long, default_value_t = 1)]
    warehouses: u64,
    /// Items (and stock rows per warehouse) [default: 100,000; 10,000 with --quick].
    #[arg(long)]
    items: Option<u64>,
    /// Customers (and loaded orders) per district [default: 3,000; 300 with --quick].
    #[arg(long)]
    customers: Option<u64>,
    /// Client thread counts, one window each per engine (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Seconds of each window [default: 10; 2 with --quick].
    #[arg(long)]
    seconds: Option<f64>,
    /// Seed of the loader and of the clients' inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the scratch databases (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb bench tpcc`.
pub fn tpcc_cmd(args: TpccArgs) -> Result<()> {
    let seconds = args.seconds.unwrap_or(if args.quick { 2.0 } else { 10.0 });
    ensure!(
        seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0,
        "--seconds must be a positive number of seconds up to a day, got {seconds}"
    );
    ensure!(
        (1..=1_000).contains(&args.warehouses),
        "--warehouses must be between 1 and 1000, got {}",
        args.warehouses
    );
    ensure!(
        !args.threads.is_empty() && args.threads.iter().all(|&t| (1..=256).contains(&t)),
        "--threads must list counts between 1 and 256, got {:?}",
        args.threads
    );
    let mut scale = if args.quick {
        Scale::quick(args.warehouses)
    } else {
        Scale::full(args.warehouses)
    };
    scale.items = args.items.unwrap_or(scale.items);
    scale.customers = args.customers.unwrap_or(scale.customers);
    ensure!(
        (1..=10_000_000).contains(&scale.items),
        "--items must be between 1 and 10,000,000, got {}",
        scale.items
    );
    ensure!(
        (1..=100_000).contains(&scale.customers),
        "--customers must be between 1 and 100,000, got {}",
        scale.customers
    );
    let cfg = TpccConfig {
        scale,
        threads: args.threads.clone(),
        each: Duration::from_secs_f64(seconds),
        seed: args.seed,
    };
    let metrics = in_scratch(args.dir.as_deref(), "tpcc", |dir| {
        let options = Options {
            cache_bytes: 256 << 20,
            ..Options::default()
        };
        let lightning = LightningEngine {
            db: SqlDatabase::create(dir.join("tpcc.ldb"), options)?,
        };
        let sqlite = SqliteEngine {
            path: dir.join("tpcc.sqlite"),
        };
        run_both(&lightning, &sqlite, &cfg)
    })?;
    report_metrics(metrics, args.json)
}

struct Side {
    name: &'static str,
    load_secs: f64,
    windows: Vec<WindowReport>,
}

fn run_both(
    lightning: &LightningEngine,
    sqlite: &SqliteEngine,
    cfg: &TpccConfig,
) -> Result<Vec<Metric>> {
    let mut sides = [
        Side {
            name: lightning.name(),
            load_secs: 0.0,
            windows: Vec::new(),
        },
        Side {
            name: sqlite.name(),
            load_secs: 0.0,
            windows: Vec::new(),
        },
    ];
    sides[0].load_secs = tpcc::load_engine(lightning, cfg).context("loading Lightning")?;
    sides[1].load_secs = tpcc::load_engine(sqlite, cfg).context("loading SQLite")?;
    for (n, &threads) in cfg.threads.iter().enumerate() {
        let l = tpcc::run_engine_window(lightning, cfg, n, threads)
            .with_context(|| format!("Lightning, {threads} thread(s)"))?;
        sides[0].windows.push(l);
        let s = tpcc::run_engine_window(sqlite, cfg, n, threads)
            .with_context(|| format!("SQLite, {threads} thread(s)"))?;
        sides[1].windows.push(s);
    }
    let mut violations = Vec::new();
    for v in tpcc::check_engine(lightning, cfg.scale).context("checking Lightning")? {
        violations.push(format!("lightning: {v}"));
    }
    for v in tpcc::check_engine(sqlite, cfg.scale).context("checking SQLite")? {
        violations.push(format!("sqlite: {v}"));
    }
    if !violations.is_empty() {
        bail!("consistency check failed:\n  {}", violations.join("\n  "));
    }
    Ok(metrics(&sides, cfg))
}

fn metrics(sides: &[Side; 2], cfg: &TpccConfig) -> Vec<Metric> {
    let mut out = Vec::new();
    for side in sides {
        let e = side.name;
        out.push(Metric::lower(
            format!("tpcc.{e}.load_s"),
            side.load_secs,
            "s",
        ));
        for w in &side.windows {
            let t = w.threads;
            let done = (w.new_orders + w.payments + w.rollbacks).max(1) as f64;
            out.push(Metric::higher(
                format!("tpcc.{e}.t{t}.tps"),
                w.tps(),
                "txn/s",
            ));
            out.push(Metric::higher(
                format!("tpcc.{e}.t{t}.new_order_tps"),
                w.new_orders as f64 / w.elapsed.as_secs_f64().max(1e-9),
                "txn/s",
            ));
            for (q, name) in [(0.50, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")] {
                out.push(Metric::lower(
                    format!("tpcc.{e}.t{t}.{name}"),
                    w.latency_ms(q),
                    "ms",
                ));
            }
            out.push(Metric::lower(
                format!("tpcc.{e}.t{t}.retries"),
                w.retries as f64,
                "retries",
            ));
            out.push(Metric::lower(
                format!("tpcc.{e}.t{t}.retries_per_1k_txn"),
                w.retries as f64 * 1e3 / done,
                "per 1k txn",
            ));
            out.push(Metric::lower(
                format!("tpcc.{e}.t{t}.failed"),
                w.failed as f64,
                "txn",
            ));
            out.push(Metric::lower(
                format!("tpcc.{e}.t{t}.rollbacks"),
                w.rollbacks as f64,
                "txn",
            ));
        }
        out.push(Metric::lower(
            format!("tpcc.{e}.consistency_violations"),
            0.0,
            "violations",
        ));
    }
    for (n, &t) in cfg.threads.iter().enumerate() {
        let (l, s) = (&sides[0].windows[n], &sides[1].windows[n]);
        out.push(Metric::higher(
            format!("tpcc.t{t}.lightning_vs_sqlite"),
            l.tps() / s.tps().max(1e-9),
            "ratio",
        ));
    }
    out
}

//! `ldb drill history`: the seeded history workload on a scratch database (real files), run at
//! both isolation levels and checked for cycles; prints metrics JSON with `--json`.
//!
//! In order: create a database in a scratch directory; run the workload under `Serializable`
//! and check its history (no cycle and no anomaly allowed); run it under `RepeatableRead` and
//! check that every cycle has two consecutive anti-dependencies; remove the scratch directory;
//! report `txn.history.transactions`, `.cycles` (Serializable), `.si_violations`
//! (RepeatableRead), `.anomalies` (both), and the cycles snapshot isolation allowed. Any
//! violation is explained on standard error and makes the exit code 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::harness::history::{HistoryConfig, HistoryRun, run_workload};
use lightning_db::{Database, IsolationLevel, Options};
use lightning_metrics::Metric;

use crate::args::Mode;
use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Client threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Transactions per thread (at each level).
    #[arg(long, default_value_t = 200)]
    txns: usize,
    /// Size of the hot key set.
    #[arg(long, default_value_t = 8)]
    keys: usize,
    /// WAL mode of the scratch database.
    #[arg(long, value_enum, default_value_t = Mode::Unified)]
    mode: Mode,
    /// Scratch directory (a fresh one under the system temp directory when omitted); removed
    /// afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb drill history`.
pub fn history_cmd(args: HistoryArgs) -> Result<ExitCode> {
    let (metrics, ok) = in_scratch(args.dir.as_deref(), "history", |dir| drill(&args, dir))?;
    report_metrics(metrics, args.json)?;
    Ok(verdict(ok))
}

fn drill(args: &HistoryArgs, dir: &Path) -> Result<(Vec<Metric>, bool)> {
    let path = dir.join("db");
    let opts = Options {
        wal_mode: args.mode.wal_mode(),
        ..Options::default()
    };
    let db = Database::create(&path, opts)
        .with_context(|| format!("while creating {}", path.display()))?;
    let cfg = HistoryConfig {
        seed: args.seed,
        threads: args.threads.max(1),
        txns_per_thread: args.txns,
        keys: args.keys.max(2),
        ..HistoryConfig::default()
    };
    let started = Instant::now();
    let mut runs = Vec::new();
    for level in [IsolationLevel::Serializable, IsolationLevel::RepeatableRead] {
        let prefixed = HistoryConfig {
            prefix: format!("history/{}/", level.name()),
            ..cfg.clone()
        };
        let run = run_workload(&db, level, &prefixed)
            .with_context(|| format!("while running the {level} history workload"))?;
        for why in &run.abandoned_reasons {
            errln!("ldb: {level}: a transaction gave up: {why}");
        }
        if !run.satisfies_level() {
            errln!(
                "ldb: seed {} at {level}: {}",
                args.seed,
                run.report.explain(10)
            );
        }
        runs.push(run);
    }
    let elapsed = started.elapsed().as_secs_f64();
    db.close().context("while closing the scratch database")?;
    let of = |level| runs.iter().filter(move |r: &&HistoryRun| r.level == level);
    let ser = IsolationLevel::Serializable;
    let rr = IsolationLevel::RepeatableRead;
    let transactions: usize = runs.iter().map(|r| r.report.transactions).sum();
    let cycles: usize = of(ser).map(|r| r.report.cycles.len()).sum();
    let si_violations: usize = of(rr).map(|r| r.report.si_cycles.len()).sum();
    let anomalies: usize = runs.iter().map(|r| r.report.anomalies.len()).sum();
    let allowed: usize = of(rr).map(|r| r.report.cycles.len()).sum();
    let abandoned: u64 = runs.iter().map(|r| r.abandoned).sum();
    let ok = runs.iter().all(HistoryRun::satisfies_level);
    let metrics = vec![
        Metric::higher("txn.history.transactions", transactions as f64, "txns"),
        Metric::lower("txn.history.cycles", cycles as f64, "cycles"),
        Metric::lower("txn.history.si_violations", si_violations as f64, "cycles"),
        Metric::lower("txn.history.anomalies", anomalies as f64, "reads"),
        Metric::lower("txn.history.rr_allowed_cycles", allowed as f64, "cycles"),
        Metric::lower("txn.history.abandoned", abandoned as f64, "txns"),
        Metric::lower("txn.history.duration_s", elapsed, "s"),
    ];
    Ok((metrics, ok))
}

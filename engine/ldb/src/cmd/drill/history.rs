//! `ldb drill history`: the seeded history workload on a scratch database (real files), run at
//! both isolation levels and checked for cycles; prints metrics JSON with `--json`.
//!
//! In order (`lightning_db::harness::drill::history`): create a database in a scratch directory; run the workload under `Serializable`
//! and check its history (no cycle and no anomaly allowed); run it under `RepeatableRead` and
//! check that every cycle has two consecutive anti-dependencies; remove the scratch directory;
//! report `txn.history.transactions`, `.cycles` (Serializable), `.si_violations`
//! (RepeatableRead), `.anomalies` (both), and the cycles snapshot isolation allowed. Any
//! violation is explained on standard error and makes the exit code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use lightning_db::Options;
use lightning_db::harness::drill::history;
use lightning_db::harness::history::HistoryConfig;
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
    let opts = Options {
        wal_mode: args.mode.wal_mode(),
        ..Options::default()
    };
    let cfg = HistoryConfig {
        seed: args.seed,
        threads: args.threads.max(1),
        txns_per_thread: args.txns,
        keys: args.keys.max(2),
        ..HistoryConfig::default()
    };
    let d = in_scratch(args.dir.as_deref(), "history", |dir| {
        Ok(history::run(&cfg, opts, dir)?)
    })?;
    for run in &d.runs {
        let level = run.level;
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
    }
    let count = |n: usize| n as f64;
    let metrics = vec![
        Metric::higher("txn.history.transactions", count(d.transactions()), "txns"),
        Metric::lower("txn.history.cycles", count(d.cycles()), "cycles"),
        Metric::lower(
            "txn.history.si_violations",
            count(d.si_violations()),
            "cycles",
        ),
        Metric::lower("txn.history.anomalies", count(d.anomalies()), "reads"),
        Metric::lower(
            "txn.history.rr_allowed_cycles",
            count(d.rr_allowed_cycles()),
            "cycles",
        ),
        Metric::lower("txn.history.abandoned", d.abandoned() as f64, "txns"),
        Metric::lower("txn.history.duration_s", d.elapsed_s, "s"),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(d.ok()))
}

//! `ldb drill recovery`: a crash loop over real files and real processes
//! (`lightning_db::harness::drill::recovery`), and the hidden `ldb drill-writer` child it kills.
//!
//! For each seed, in a fresh scratch database (small WAL segments, frequent checkpoints and WAL
//! archiving, so crashes land in roll-overs, checkpoints and archive copies too), each crash:
//! 1. spawn `ldb drill-writer` continuing from the next transaction number; it commits numbered
//!    transactions ([`lightning_db::harness::crashdrill`]) and prints `ack <i>` after each commit returns;
//! 2. read acknowledgements until a seeded count, wait a seeded number of microseconds more,
//!    then SIGKILL the child; collect the acknowledgements it printed before dying;
//! 3. reopen the database, timing recovery; verify integrity, that every acknowledged
//!    transaction is present, and that no partial transaction is visible;
//! 4. close it; the next child continues after the last surviving transaction.
//!
//! Reports crashes survived, recovery time p50/p95, committed transactions lost (must be 0),
//! partial transactions seen and failures as metrics JSON; exit code 1 on any failure. A
//! failure message names the seed and crash number.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::Database;
use lightning_db::harness::crashdrill;
use lightning_db::harness::drill::recovery::{self, RecoveryConfig, WriterSpec};
use lightning_metrics::Metric;

use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill recovery`.
#[derive(Args, Debug)]
pub struct RecoveryArgs {
    /// First seed of the crash schedule.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of seeds (each a fresh database).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Crashes per seed.
    #[arg(long, default_value_t = 8)]
    crashes: u32,
    /// At most this many acknowledged commits before a kill (the schedule picks 1..=N).
    #[arg(long, default_value_t = 30)]
    max_acks: u64,
    /// Scratch directory (a fresh one under the system temp directory when omitted); removed
    /// afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of the hidden `ldb drill-writer`.
#[derive(Args, Debug)]
pub struct WriterArgs {
    /// Database directory (created if missing).
    db: PathBuf,
    /// First transaction number to commit.
    #[arg(long)]
    start: u64,
    /// Group commit instead of one fsync per commit.
    #[arg(long)]
    unified: bool,
    /// WAL archive directory.
    #[arg(long)]
    wal_archive: Option<PathBuf>,
}

/// Runs the hidden writer: commits numbered transactions forever, acknowledging each on stdout.
pub fn writer_cmd(args: WriterArgs) -> Result<()> {
    let opts = recovery::drill_options(args.unified, args.wal_archive);
    let db = if args.db.join(lightning_db::db::DATA_FILE).exists() {
        Database::open(&args.db, opts)
    } else {
        Database::create(&args.db, opts)
    }
    .with_context(|| format!("while opening {}", args.db.display()))?;
    for i in args.start.. {
        db.commit(crashdrill::txn_batch(i))
            .with_context(|| format!("while committing transaction {i}"))?;
        outln!("ack {i}")?;
        if crate::out::is_closed() {
            // The drill that reads the acknowledgements is gone: nobody to acknowledge to.
            break;
        }
    }
    Ok(())
}

/// Runs `ldb drill recovery`.
pub fn recovery_cmd(args: RecoveryArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("while locating the ldb binary")?;
    let writer = |spec: &WriterSpec<'_>| {
        let mut cmd = Command::new(&exe);
        cmd.arg("drill-writer")
            .arg(spec.db)
            .arg("--start")
            .arg(spec.start.to_string())
            .arg("--wal-archive")
            .arg(spec.archive);
        if spec.unified {
            cmd.arg("--unified");
        }
        cmd
    };
    let cfg = RecoveryConfig {
        seed: args.seed,
        seeds: args.seeds,
        crashes: args.crashes,
        max_acks: args.max_acks,
    };
    let d = in_scratch(args.dir.as_deref(), "recovery-drill", |dir| {
        Ok(recovery::run(&cfg, dir, &writer)?)
    })?;
    let failed = d.failed().count();
    for c in d.failed() {
        errln!("ldb: drill recovery FAILED at {}: {:?}", c.at, c.verdict);
    }
    let metrics = vec![
        Metric::higher(
            "recovery.drill.crashes",
            (d.crashes.len() - failed) as f64,
            "count",
        ),
        Metric::lower("recovery.drill.failures", failed as f64, "count"),
        Metric::lower("recovery.drill.committed_lost", d.lost() as f64, "count"),
        Metric::lower(
            "recovery.drill.partial_visible",
            d.partial() as f64,
            "count",
        ),
        Metric::higher(
            "recovery.drill.acknowledged_commits",
            d.acknowledged() as f64,
            "count",
        ),
        Metric::lower("recovery.drill.recovery_p50_ms", d.recovery_ms(0.50), "ms"),
        Metric::lower("recovery.drill.recovery_p95_ms", d.recovery_ms(0.95), "ms"),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(failed == 0))
}

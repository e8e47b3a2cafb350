//! `ldb drill recovery`: a crash loop over real files and real processes, and the hidden
//! `ldb drill-writer` child it kills.
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

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use lightning_db::harness::crashdrill;
use lightning_db::util::SplitMix64;
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options};
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

fn drill_options(unified: bool, archive: Option<PathBuf>) -> Options {
    Options {
        wal_mode: if unified {
            WalMode::Unified
        } else {
            WalMode::Standard
        },
        wal_segment_size: 64 << 10,
        checkpoint_wal_bytes: 192 << 10,
        cache_bytes: 4 << 20,
        wal_archive: archive,
        ..Options::default()
    }
}

/// Runs the hidden writer: commits numbered transactions forever, acknowledging each on stdout.
pub fn writer_cmd(args: WriterArgs) -> Result<()> {
    let opts = drill_options(args.unified, args.wal_archive);
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

/// Parses one `ack <i>` line.
fn parse_ack(line: &str) -> Result<u64> {
    line.strip_prefix("ack ")
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("writer printed {line:?}, expected \"ack <number>\""))
}

/// Kill schedule and outcome of one crash.
struct Crash {
    acks: Vec<u64>,
    recovery: Duration,
    verdict: crashdrill::Verdict,
}

/// Spawns the writer, kills it after `kill_after` acks plus `delay`, returns every ack it gave.
fn run_child(
    db: &Path,
    archive: &Path,
    start: u64,
    unified: bool,
    kill_after: u64,
    delay: Duration,
) -> Result<Vec<u64>> {
    let exe = std::env::current_exe().context("while locating the ldb binary")?;
    let mut cmd = Command::new(exe);
    cmd.arg("drill-writer")
        .arg(db)
        .arg("--start")
        .arg(start.to_string())
        .arg("--wal-archive")
        .arg(archive)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if unified {
        cmd.arg("--unified");
    }
    let mut child: Child = cmd.spawn().context("while starting ldb drill-writer")?;
    let stdout = child.stdout.take().context("writer has no stdout")?;
    // Lines arrive on a thread so that a writer that stops acknowledging cannot hang the drill.
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    let mut stalled = false;
    while (acks.len() as u64) < kill_after {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => acks.push(parse_ack(&line)?),
            Err(_) => {
                stalled = true;
                break;
            }
        }
    }
    std::thread::sleep(delay);
    // `Child::kill` sends SIGKILL on Unix: no destructor, no checkpoint, no flush runs.
    child.kill().context("while killing the writer")?;
    let status = child.wait().context("while waiting for the writer")?;
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("stdout reader panicked"))?;
    // Everything the child printed before it died was acknowledged.
    for line in rx.try_iter() {
        acks.push(parse_ack(&line)?);
    }
    if stalled {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut err).ok();
        }
        bail!(
            "the writer stopped acknowledging after {} commits ({status}): {}",
            acks.len(),
            err.trim()
        );
    }
    Ok(acks)
}

/// The nearest-rank percentile of sorted durations in milliseconds (0 when there are none).
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let ms: Vec<f64> = sorted.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    lightning_metrics::percentile(&ms, p).unwrap_or(0.0)
}

/// Runs `ldb drill recovery`.
pub fn recovery_cmd(args: RecoveryArgs) -> Result<ExitCode> {
    let crashes = in_scratch(args.dir.as_deref(), "recovery-drill", |dir| {
        drill(&args, dir)
    })?;
    let mut times: Vec<Duration> = crashes.iter().map(|(_, c)| c.recovery).collect();
    times.sort();
    let lost: usize = crashes.iter().map(|(_, c)| c.verdict.lost.len()).sum();
    let partial: usize = crashes.iter().map(|(_, c)| c.verdict.partial.len()).sum();
    let failed: Vec<&(String, Crash)> =
        crashes.iter().filter(|(_, c)| !c.verdict.is_ok()).collect();
    for (at, c) in &failed {
        errln!("ldb: drill recovery FAILED at {at}: {:?}", c.verdict);
    }
    let acked: usize = crashes.iter().map(|(_, c)| c.acks.len()).sum();
    let metrics = vec![
        Metric::higher(
            "recovery.drill.crashes",
            (crashes.len() - failed.len()) as f64,
            "count",
        ),
        Metric::lower("recovery.drill.failures", failed.len() as f64, "count"),
        Metric::lower("recovery.drill.committed_lost", lost as f64, "count"),
        Metric::lower("recovery.drill.partial_visible", partial as f64, "count"),
        Metric::higher("recovery.drill.acknowledged_commits", acked as f64, "count"),
        Metric::lower(
            "recovery.drill.recovery_p50_ms",
            percentile_ms(&times, 0.50),
            "ms",
        ),
        Metric::lower(
            "recovery.drill.recovery_p95_ms",
            percentile_ms(&times, 0.95),
            "ms",
        ),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(failed.is_empty()))
}

fn drill(args: &RecoveryArgs, dir: &Path) -> Result<Vec<(String, Crash)>> {
    let mut out = Vec::new();
    for seed in args.seed..args.seed.saturating_add(args.seeds.max(1)) {
        let db_dir = dir.join(format!("seed-{seed}"));
        let archive = dir.join(format!("archive-{seed}"));
        let mut rng = SplitMix64::new(seed);
        let mut next = 0u64;
        for crash in 0..args.crashes.max(1) {
            let at = format!("seed {seed} crash {crash}");
            let kill_after = rng.range_inclusive(1, args.max_acks.max(1));
            let delay = Duration::from_micros(rng.below(5_000));
            let unified = rng.chance(1, 2);
            let acks = run_child(&db_dir, &archive, next, unified, kill_after, delay)
                .with_context(|| format!("at {at}"))?;
            let t = Instant::now();
            let db = Database::open(&db_dir, drill_options(unified, Some(archive.clone())))
                .with_context(|| format!("while reopening after {at}"))?;
            let recovery = t.elapsed();
            let verdict =
                crashdrill::verify(&db, &acks).with_context(|| format!("while verifying {at}"))?;
            db.close()
                .with_context(|| format!("while closing after {at}"))?;
            next = verdict.last.map_or(0, |m| m + 1);
            out.push((
                at,
                Crash {
                    acks,
                    recovery,
                    verdict,
                },
            ));
        }
    }
    Ok(out)
}

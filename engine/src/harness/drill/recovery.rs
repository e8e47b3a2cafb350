//! The process crash drill behind `ldb drill recovery`: a crash loop over real files and real
//! processes. The writer process is the caller's (`ldb drill-writer`); this module starts it
//! through a command the caller makes, kills it and verifies what survived.
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
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::db::{Database, Options};
use crate::harness::crashdrill;
use crate::harness::error::{Context, HarnessError, HarnessResult};
use crate::util::SplitMix64;
use crate::wal::WalMode;

/// What to run.
#[derive(Clone, Debug)]
pub struct RecoveryConfig {
    /// First seed of the crash schedule.
    pub seed: u64,
    /// Number of seeds (each a fresh database).
    pub seeds: u64,
    /// Crashes per seed.
    pub crashes: u32,
    /// At most this many acknowledged commits before a kill (the schedule picks 1..=N).
    pub max_acks: u64,
}

/// One writer process to start: it commits numbered transactions from `start` on the database
/// at `db` (created if missing) with [`drill_options`], printing `ack <i>` after each commit.
#[derive(Clone, Copy, Debug)]
pub struct WriterSpec<'a> {
    /// Database directory.
    pub db: &'a Path,
    /// WAL archive directory.
    pub archive: &'a Path,
    /// First transaction number to commit.
    pub start: u64,
    /// Group commit instead of one fsync per commit.
    pub unified: bool,
}

/// The options of the drill's database: small WAL segments, frequent checkpoints and WAL
/// archiving, so crashes land in roll-overs, checkpoints and archive copies too.
pub fn drill_options(unified: bool, archive: Option<PathBuf>) -> Options {
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

/// Parses one `ack <i>` line.
fn parse_ack(line: &str) -> HarnessResult<u64> {
    line.strip_prefix("ack ")
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            HarnessError::Unexpected(format!(
                "writer printed {line:?}, expected \"ack <number>\""
            ))
        })
}

/// Kill schedule and outcome of one crash.
#[derive(Debug)]
pub struct Crash {
    /// Where: `seed <s> crash <n>`.
    pub at: String,
    /// Every commit the writer acknowledged before it died.
    pub acks: Vec<u64>,
    /// How long the reopen (recovery) took.
    pub recovery: Duration,
    /// What the verification found.
    pub verdict: crashdrill::Verdict,
}

/// Every crash of a drill.
#[derive(Debug)]
pub struct RecoveryDrill {
    /// In order.
    pub crashes: Vec<Crash>,
}

impl RecoveryDrill {
    /// The crashes whose verification failed.
    pub fn failed(&self) -> impl Iterator<Item = &Crash> {
        self.crashes.iter().filter(|c| !c.verdict.is_ok())
    }

    /// Acknowledged transactions lost, over all crashes.
    pub fn lost(&self) -> usize {
        self.crashes.iter().map(|c| c.verdict.lost.len()).sum()
    }

    /// Partial transactions seen, over all crashes.
    pub fn partial(&self) -> usize {
        self.crashes.iter().map(|c| c.verdict.partial.len()).sum()
    }

    /// Acknowledged commits, over all crashes.
    pub fn acknowledged(&self) -> usize {
        self.crashes.iter().map(|c| c.acks.len()).sum()
    }

    /// The nearest-rank `p` percentile of the recovery times in ms (0 when there are none).
    pub fn recovery_ms(&self, p: f64) -> f64 {
        let mut ms: Vec<f64> = self
            .crashes
            .iter()
            .map(|c| c.recovery.as_secs_f64() * 1e3)
            .collect();
        ms.sort_by(f64::total_cmp);
        lightning_metrics::percentile(&ms, p).unwrap_or(0.0)
    }
}

/// Spawns the writer, kills it after `kill_after` acks plus `delay`, returns every ack it gave.
fn run_child(
    spec: &WriterSpec<'_>,
    writer: &dyn Fn(&WriterSpec<'_>) -> Command,
    kill_after: u64,
    delay: Duration,
) -> HarnessResult<Vec<u64>> {
    let mut cmd = writer(spec);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child: Child = cmd.spawn().context("while starting ldb drill-writer")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Unexpected("writer has no stdout".into()))?;
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
        .map_err(|_| HarnessError::Unexpected("stdout reader panicked".into()))?;
    // Everything the child printed before it died was acknowledged.
    for line in rx.try_iter() {
        acks.push(parse_ack(&line)?);
    }
    if stalled {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut err).ok();
        }
        return Err(HarnessError::Unexpected(format!(
            "the writer stopped acknowledging after {} commits ({status}): {}",
            acks.len(),
            err.trim()
        )));
    }
    Ok(acks)
}

/// Runs the drill in `dir` (which must exist and be empty); `writer` makes the command that
/// starts one writer process (its standard output and error are piped here).
pub fn run(
    cfg: &RecoveryConfig,
    dir: &Path,
    writer: &dyn Fn(&WriterSpec<'_>) -> Command,
) -> HarnessResult<RecoveryDrill> {
    let mut out = Vec::new();
    for seed in cfg.seed..cfg.seed.saturating_add(cfg.seeds.max(1)) {
        let db_dir = dir.join(format!("seed-{seed}"));
        let archive = dir.join(format!("archive-{seed}"));
        let mut rng = SplitMix64::new(seed);
        let mut next = 0u64;
        for crash in 0..cfg.crashes.max(1) {
            let at = format!("seed {seed} crash {crash}");
            let kill_after = rng.range_inclusive(1, cfg.max_acks.max(1));
            let delay = Duration::from_micros(rng.below(5_000));
            let unified = rng.chance(1, 2);
            let spec = WriterSpec {
                db: &db_dir,
                archive: &archive,
                start: next,
                unified,
            };
            let acks =
                run_child(&spec, writer, kill_after, delay).context_with(|| format!("at {at}"))?;
            let t = Instant::now();
            let db = Database::open(&db_dir, drill_options(unified, Some(archive.clone())))
                .context_with(|| format!("while reopening after {at}"))?;
            let recovery = t.elapsed();
            let verdict =
                crashdrill::verify(&db, &acks).context_with(|| format!("while verifying {at}"))?;
            db.close()
                .context_with(|| format!("while closing after {at}"))?;
            next = verdict.last.map_or(0, |m| m + 1);
            out.push(Crash {
                at,
                acks,
                recovery,
                verdict,
            });
        }
    }
    Ok(RecoveryDrill { crashes: out })
}

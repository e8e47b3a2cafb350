//! The full-disk drill behind `ldb drill enospc`, in a directory on a small file system the
//! caller provides (the CLI mounts a tmpfs).
//!
//! For each WAL mode (per-commit fsync, then group commit), several times with ballast of
//! different sizes (so the disk fills at a different write each time), in a fresh folder:
//! 1. write a ballast file (space to give back later) and create a database with small WAL
//!    segments, checkpointing often (even fills) or never (odd fills), so the disk fills in
//!    every kind of write: checkpoints' page writes, WAL appends, segment roll-overs;
//! 2. commit numbered transactions ([`crate::harness::crashdrill`]) until a commit fails,
//!    recording every one that returned; the failure must be the file system's "no space"
//!    (anything else is a finding), and the handle is then dropped, not retried;
//! 3. delete the ballast and reopen the database (recovery) — where that fails for want of
//!    space (recovery checkpoints everything in the log, which needs room for those pages), make
//!    the file system larger ([`Space::grow`]) and reopen again — then verify with
//!    [`crashdrill::verify`]: integrity check clean, every acknowledged transaction present
//!    with exact values, no partial one visible;
//! 4. commit a few more transactions and reopen once more: the database is usable again.
//!
//! Reports commits before the disk was full, acknowledged commits lost (must be 0), partial
//! transactions seen and failures.

use std::path::Path;

use crate::db::{Database, Options};
use crate::error::Error;
use crate::harness::crashdrill;
use crate::harness::error::{Context, HarnessError, HarnessResult};
use crate::wal::WalMode;

/// What to run.
#[derive(Clone, Debug)]
pub struct EnospcConfig {
    /// Bytes of the ballast file deleted after the disk fills.
    pub ballast_bytes: u64,
    /// A commit count after which the disk is taken to be too large for the drill (a finding).
    pub max_commits: u64,
    /// Transactions committed after the reopen, to show the database is usable.
    pub after_commits: u64,
    /// Fills per WAL mode; fill `k` writes `k × 97 KiB` more ballast, and odd fills never
    /// checkpoint, so the disk fills at a different write each time (a checkpoint's pages, a
    /// log append, a segment roll-over).
    pub rounds: u64,
}

/// The file system under the drill, as far as the drill may change it.
pub trait Space {
    /// Makes more space (a tmpfs remounted larger); false where the caller cannot.
    fn grow(&mut self) -> HarnessResult<bool>;
    /// Returns to the original size, between fills.
    fn reset(&mut self) -> HarnessResult<()>;
}

/// A file system the drill cannot change (`ldb drill enospc --dir`).
pub struct FixedSpace;

impl Space for FixedSpace {
    fn grow(&mut self) -> HarnessResult<bool> {
        Ok(false)
    }
    fn reset(&mut self) -> HarnessResult<()> {
        Ok(())
    }
}

/// What one WAL mode's run found.
#[derive(Clone, Debug)]
pub struct EnospcRun {
    /// `standard` or `unified`.
    pub mode: &'static str,
    /// Which fill of that mode (0-based).
    pub round: u64,
    /// Commits that returned before the first failure.
    pub commits_before_full: u64,
    /// The first failure, as the engine reported it.
    pub first_error: String,
    /// The reopen after deleting the ballast failed for want of space (recovery's checkpoint
    /// writes the pages of everything in the log), and succeeded once the file system grew.
    pub reopen_needed_more_space: bool,
    /// The verification after freeing space and reopening.
    pub verdict: crashdrill::Verdict,
    /// Everything that went wrong besides the verdict (a failure that was not "no space", a
    /// reopen or a later commit that failed).
    pub problems: Vec<String>,
}

impl EnospcRun {
    /// Whether this run found nothing wrong.
    pub fn is_ok(&self) -> bool {
        self.verdict.is_ok() && self.problems.is_empty()
    }
}

/// The drill's options for `mode`: 256 KiB WAL segments; a checkpoint every 512 KiB of log
/// (the disk fills while a checkpoint writes pages), or with `log_only` practically never (the
/// disk fills while the log appends or rolls over to a new segment).
pub fn drill_options(mode: WalMode, log_only: bool) -> Options {
    Options {
        wal_mode: mode,
        wal_segment_size: 256 << 10,
        checkpoint_wal_bytes: if log_only { 1 << 40 } else { 512 << 10 },
        // Log-only fills keep every page cached (no eviction writes the data file either).
        cache_bytes: if log_only { 256 << 20 } else { 2 << 20 },
        ..Options::default()
    }
}

/// Whether `e` is, at its root, the file system's "no space left on device" — directly, or as
/// the reason a handle was poisoned (a checkpoint that could not write its pages poisons the
/// handle after the commit that triggered it returned: that commit is in the log; the next
/// one fails with [`Error::Poisoned`], whose reason is the I/O error's text).
pub fn is_no_space(e: &Error) -> bool {
    if let Error::Poisoned { reason } = e {
        return reason.contains("(os error 28)");
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && (io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28))
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// Runs the drill for both WAL modes in `dir` (on a small file system), `rounds` fills each,
/// each in its own folder, removed before the next.
pub fn run(cfg: &EnospcConfig, dir: &Path, space: &mut dyn Space) -> HarnessResult<Vec<EnospcRun>> {
    let mut runs = Vec::new();
    for (mode, name) in [
        (WalMode::Standard, "standard"),
        (WalMode::Unified, "unified"),
    ] {
        for round in 0..cfg.rounds {
            let folder = dir.join(format!("{name}-{round}"));
            std::fs::create_dir_all(&folder)
                .context_with(|| format!("while creating {}", folder.display()))?;
            let fill = Fill { mode, name, round };
            let run = run_mode(cfg, &folder, &fill, space)
                .context_with(|| format!("in {name} mode, fill {round}"))?;
            std::fs::remove_dir_all(&folder)
                .context_with(|| format!("while removing {}", folder.display()))?;
            space.reset()?;
            runs.push(run);
        }
    }
    Ok(runs)
}

/// One fill: its WAL mode (and that mode's name) and its number, which sets the ballast
/// (`k × 97 KiB` more for fill `k`) and whether it checkpoints (odd fills never do).
struct Fill {
    mode: WalMode,
    name: &'static str,
    round: u64,
}

fn run_mode(
    cfg: &EnospcConfig,
    folder: &Path,
    fill: &Fill,
    space: &mut dyn Space,
) -> HarnessResult<EnospcRun> {
    let opts = drill_options(fill.mode, fill.round % 2 == 1);
    let ballast_bytes = cfg.ballast_bytes + fill.round * (97 << 10);
    let ballast = folder.join("ballast");
    let chunk = vec![0x5Au8; 64 << 10];
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&ballast).context("while creating the ballast")?;
        let mut left = ballast_bytes;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            f.write_all(chunk.get(..n).unwrap_or_default())
                .context("while writing the ballast (is the file system large enough for it?)")?;
            left -= n as u64;
        }
        f.sync_all().context("while syncing the ballast")?;
    }
    let db_dir = folder.join("db");
    let db = Database::create(&db_dir, opts.clone()).context("while creating the database")?;
    let mut problems = Vec::new();
    let mut acknowledged = Vec::new();
    let mut first_error = String::new();
    for i in 0.. {
        if i == cfg.max_commits {
            return Err(HarnessError::Unexpected(format!(
                "{} commits and the disk is not full: the drill needs a small file system",
                cfg.max_commits
            )));
        }
        match db.commit(crashdrill::txn_batch(i)) {
            Ok(_) => acknowledged.push(i),
            Err(e) => {
                first_error = e.to_string();
                if !is_no_space(&e) {
                    problems.push(format!(
                        "commit {i} failed with something other than no space: {e}"
                    ));
                }
                break;
            }
        }
    }
    // The failed handle is dropped, not retried: its state after a failed write is poisoned.
    drop(db);
    std::fs::remove_file(&ballast).context("while deleting the ballast")?;
    let mut reopen_needed_more_space = false;
    let reopened = match Database::open(&db_dir, opts.clone()) {
        Err(e) if is_no_space(&e) => {
            reopen_needed_more_space = true;
            if space.grow()? {
                Database::open(&db_dir, opts.clone())
            } else {
                Err(e)
            }
        }
        other => other,
    };
    let verdict = match reopened {
        Ok(db) => {
            let verdict = crashdrill::verify(&db, &acknowledged).context("while verifying")?;
            let next = verdict.last.map_or(0, |m| m + 1);
            for i in next..next + cfg.after_commits {
                if let Err(e) = db.commit(crashdrill::txn_batch(i)) {
                    problems.push(format!("after freeing space, commit {i} failed: {e}"));
                    break;
                }
            }
            if let Err(e) = db.close() {
                problems.push(format!("after freeing space, closing failed: {e}"));
            }
            match Database::open(&db_dir, opts.clone()) {
                Ok(db) => {
                    let again = crashdrill::verify(&db, &[]).context("while verifying again")?;
                    let want = next + cfg.after_commits;
                    if again.last.map_or(0, |m| m + 1) != want || !again.is_ok() {
                        problems.push(format!(
                            "after the later commits, expected transactions 0..{want}, found {:?}",
                            again
                        ));
                    }
                }
                Err(e) => problems.push(format!("the second reopen failed: {e}")),
            }
            verdict
        }
        Err(e) => {
            problems.push(format!("reopening after freeing space failed: {e}"));
            crashdrill::Verdict {
                lost: acknowledged.clone(),
                ..crashdrill::Verdict::default()
            }
        }
    };
    Ok(EnospcRun {
        mode: fill.name,
        round: fill.round,
        commits_before_full: acknowledged.len() as u64,
        first_error,
        reopen_needed_more_space,
        verdict,
        problems,
    })
}

//! `ldb drill enospc`: fill a small file system under the engine and check that every commit
//! that returned survives once space is freed (`lightning_db::harness::drill::enospc`).
//!
//! Where: a tmpfs of `--size-mib` the drill mounts on a scratch directory and unmounts after
//! (mounting needs root or `CAP_SYS_ADMIN`), or `--dir`, a directory on a small file system
//! the caller provides. Where no tmpfs can be mounted the drill says so and exits 0 without
//! metrics — the evidence then shows the figures as missing, never as passed.
//!
//! Where the reopen after deleting the ballast fails for want of space (a log-only fill leaves
//! a log whose pages recovery must write), the drill remounts the tmpfs four times as large
//! and reopens again; with `--dir` it cannot, and reports the failed reopen.
//!
//! Metrics: `enospc.drill.commits_before_full` (both WAL modes together),
//! `enospc.drill.reopen_needed_more_space` (fills whose first reopen failed cleanly for want of
//! space),
//! `enospc.drill.committed_lost` (acknowledged commits missing after reopening: must be 0),
//! `enospc.drill.partial_visible`, `enospc.drill.failures` (runs with any finding: a failure
//! other than "no space", a failed reopen, a later commit that failed); exit code 1 on any.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::harness::drill::enospc::{self, EnospcConfig, EnospcRun, FixedSpace, Space};
use lightning_db::harness::error::{HarnessError, HarnessResult};
use lightning_metrics::Metric;

use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill enospc`.
#[derive(Args, Debug)]
pub struct EnospcArgs {
    /// Size of the tmpfs the drill mounts, in MiB.
    #[arg(long, default_value_t = 8)]
    size_mib: u64,
    /// Space given back after the disk fills, in MiB (a ballast file written first).
    #[arg(long, default_value_t = 2)]
    ballast_mib: u64,
    /// Fills per WAL mode, each with 97 KiB more ballast than the one before.
    #[arg(long, default_value_t = 4)]
    rounds: u64,
    /// Give up (an error, not a pass) after this many commits per fill without a full disk.
    #[arg(long, default_value_t = 1_000_000)]
    max_commits: u64,
    /// Run in this directory (on a small file system you provide) instead of mounting a tmpfs.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb drill enospc`.
pub fn enospc_cmd(args: EnospcArgs) -> Result<ExitCode> {
    let cfg = EnospcConfig {
        ballast_bytes: args.ballast_mib << 20,
        max_commits: args.max_commits,
        after_commits: 20,
        rounds: args.rounds,
    };
    let runs = match &args.dir {
        Some(dir) => enospc::run(&cfg, dir, &mut FixedSpace)
            .with_context(|| format!("in {}", dir.display()))?,
        None => {
            let outcome = in_scratch(None, "enospc-drill", |scratch| {
                let Some(mut mount) = Tmpfs::mount(scratch, args.size_mib)? else {
                    return Ok(None);
                };
                Ok(Some(enospc::run(&cfg, scratch, &mut mount)?))
            })?;
            match outcome {
                Some(runs) => runs,
                None => {
                    if args.json {
                        report_metrics(Vec::new(), true)?;
                    }
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    for r in &runs {
        errln!(
            "ldb: drill enospc ({} #{}): {} commits before the disk was full; first failure: {}{}",
            r.mode,
            r.round,
            r.commits_before_full,
            r.first_error,
            if r.reopen_needed_more_space {
                "; reopening needed more space than the ballast freed (it failed cleanly, then \
                 succeeded on a larger file system)"
            } else {
                ""
            }
        );
        for p in problems(r) {
            errln!("ldb: drill enospc ({} #{}) FAILED: {p}", r.mode, r.round);
        }
    }
    let failures = runs.iter().filter(|r| !r.is_ok()).count();
    let sum = |f: fn(&EnospcRun) -> usize| runs.iter().map(f).sum::<usize>() as f64;
    let metrics = vec![
        Metric::higher(
            "enospc.drill.commits_before_full",
            runs.iter().map(|r| r.commits_before_full).sum::<u64>() as f64,
            "count",
        ),
        Metric::lower(
            "enospc.drill.committed_lost",
            sum(|r| r.verdict.lost.len()),
            "count",
        ),
        Metric::lower(
            "enospc.drill.partial_visible",
            sum(|r| r.verdict.partial.len()),
            "count",
        ),
        Metric::lower(
            "enospc.drill.reopen_needed_more_space",
            runs.iter().filter(|r| r.reopen_needed_more_space).count() as f64,
            "count",
        ),
        Metric::lower("enospc.drill.failures", failures as f64, "count"),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(failures == 0))
}

fn problems(r: &EnospcRun) -> Vec<String> {
    let mut out = r.problems.clone();
    if !r.verdict.lost.is_empty() {
        out.push(format!(
            "acknowledged transactions lost: {:?}",
            r.verdict.lost
        ));
    }
    if !r.verdict.partial.is_empty() {
        out.push(format!(
            "partial transactions visible: {:?}",
            r.verdict.partial
        ));
    }
    out.extend(r.verdict.problems.iter().cloned());
    out
}

/// A tmpfs mounted for the drill, unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
    /// The size it was mounted with, MiB.
    mib: u64,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB on `at`; `None` (with a message) where that is not allowed.
    fn mount(at: &Path, mib: u64) -> Result<Option<Tmpfs>> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Ok(Some(Tmpfs {
                at: at.to_path_buf(),
                mib,
            })),
            Ok(o) => {
                errln!(
                    "ldb: drill enospc skipped: cannot mount a {mib} MiB tmpfs on {} ({}); run \
                     as root, or pass --dir on a small file system",
                    at.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                Ok(None)
            }
            Err(e) => {
                errln!(
                    "ldb: drill enospc skipped: cannot run mount: {e}; pass --dir on a small file system"
                );
                Ok(None)
            }
        }
    }
}

impl Tmpfs {
    fn remount(&self, mib: u64) -> HarnessResult<()> {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(&self.at)
            .output()?;
        if !out.status.success() {
            return Err(HarnessError::Unexpected(format!(
                "cannot remount the tmpfs on {} with {mib} MiB: {}",
                self.at.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }
}

impl Space for Tmpfs {
    /// Remounts the tmpfs four times as large.
    fn grow(&mut self) -> HarnessResult<bool> {
        self.remount(self.mib * 4)?;
        Ok(true)
    }
    fn reset(&mut self) -> HarnessResult<()> {
        self.remount(self.mib)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

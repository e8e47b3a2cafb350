//! `ldb recover`: run crash recovery now and say what it did, or salvage a damaged log (keep
//! the commits before the damage). The read-only view behind `--read-only` is in
//! [`crate::open`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::wal::WalRecovery;
use lightning_db::{Database, Error, Options, ReadOnlyDatabase};

use crate::args::DbArgs;
use crate::open::{close, open, options};

/// Arguments of `ldb recover`.
#[derive(Args, Debug)]
pub struct RecoverArgs {
    #[command(flatten)]
    db: DbArgs,
    /// If the log is damaged, keep the commits before the damage: copy the damaged segment and
    /// move every later one into `wal/salvage-<time>/` (with a SALVAGE.txt report), then open.
    /// Commits after the damage are not applied.
    #[arg(long)]
    salvage: bool,
}

/// `ldb recover`: says what recovery would do (read-only), then does it. Exit code 1 when the
/// log is damaged and `--salvage` was not given (nothing is changed then).
pub fn recover_cmd(args: RecoverArgs) -> Result<ExitCode> {
    let path = &args.db.db;
    match ReadOnlyDatabase::open(path, options(&args.db)) {
        Ok(view) => {
            let pending = view.pending_recovery().clone();
            drop(view);
            if !pending.is_needed() {
                outln!(
                    "{}: nothing to recover (the last checkpoint is the last commit)",
                    path.display()
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let handle = open(&args.db)?;
            close(handle)?;
            let mut done = vec![format!("redid {} commits", pending.replay_commits)];
            if let Some(bytes) = pending.torn_tail_bytes {
                done.push(format!("cut a torn log tail of {bytes} bytes"));
            }
            if let Some(seg) = &pending.unfinished_segment {
                done.push(format!(
                    "removed the empty unfinished segment {}",
                    seg.display()
                ));
            }
            outln!(
                "{}: recovered: {}; checkpointed at lsn {}",
                path.display(),
                done.join(", "),
                pending.last_commit_lsn
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::WalDamaged(damage)) if args.salvage => {
            errln!("ldb: {}", damage.summary());
            let opts = Options {
                wal_recovery: WalRecovery::Salvage,
                ..options(&args.db)
            };
            let handle = Database::open(path, opts)
                .with_context(|| format!("while salvaging database {}", path.display()))?;
            let kept = handle.stats()?.recovered_txns;
            close(handle)?;
            let aside = newest_salvage_dir(path).unwrap_or_else(|| path.join("wal"));
            outln!(
                "{}: salvaged: redid the {kept} commits it could read after the checkpoint; \
                 the damaged files and SALVAGE.txt are in {}",
                path.display(),
                aside.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::WalDamaged(damage)) => {
            errln!("ldb: {damage}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e).with_context(|| format!("while opening database {}", path.display())),
    }
}

/// The newest `wal/salvage-*` folder of the database at `db`.
fn newest_salvage_dir(db: &Path) -> Option<PathBuf> {
    std::fs::read_dir(db.join("wal"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("salvage-"))
        })
        .max()
}

//! `ldb stats`: the counters of every layer (page cache, WAL, freelist, tree) as `a.b.c value`
//! lines or JSON; with `--read-only`, what the read-only view can tell without writing.

use anyhow::{Context, Result};
use clap::Args;

use crate::args::DbArgs;
use crate::flat::flat_text;
use crate::open::{open, open_read_only};

/// Arguments of `ldb stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Open without writing anything (no recovery writes, no lock file created), e.g. a
    /// copy on read-only media; commits in the log are shown as recovery would redo them.
    #[arg(long)]
    read_only: bool,
}

/// Runs `ldb stats`.
pub fn stats_cmd(args: StatsArgs) -> Result<()> {
    if args.read_only {
        let view = open_read_only(&args.db)?;
        let stats = serde_json::json!({
            "path": view.path().display().to_string(),
            "read_only": true,
            "entries": view.entries().context("while counting keys")?,
            "last_commit_lsn": view.last_commit_lsn().0,
            "pending_recovery": view.pending_recovery(),
        });
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&stats)?)?;
        } else {
            out!("{}", flat_text(&stats))?;
        }
    } else {
        let stats = open(&args.db)?.stats()?;
        if args.json {
            // The struct itself, in its field order (not through a sorted JSON map).
            outln!("{}", serde_json::to_string_pretty(&stats)?)?;
        } else {
            out!("{}", flat_text(&serde_json::to_value(&stats)?))?;
        }
    }
    Ok(())
}

//! `ldb snapshot create`: the seeded Phase 0 snapshot — a dataset, its compressed backup and
//! `snapshot.json` in a new directory.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::Options;
use lightning_db::harness::snapshot;

/// Arguments of `ldb snapshot create`.
#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of keys.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Output directory (must not exist), e.g. `snapshots/<date>/`.
    #[arg(long)]
    out: PathBuf,
    /// Print `snapshot.json` instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb snapshot create`.
pub fn snapshot_create_cmd(args: SnapshotArgs) -> Result<()> {
    let r = snapshot::create_snapshot(&args.out, args.seed, args.keys, &Options::default())
        .with_context(|| format!("while creating snapshot {}", args.out.display()))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&r)?)?;
    } else {
        outln!(
            "snapshot {}: {} keys (seed {}), content sha256 {}, backup {:.1} MiB -> {:.1} MiB",
            args.out.display(),
            r.entries,
            r.seed,
            r.content_sha256,
            r.source_bytes as f64 / f64::from(1 << 20),
            r.compressed_bytes as f64 / f64::from(1 << 20)
        )?;
    }
    Ok(())
}

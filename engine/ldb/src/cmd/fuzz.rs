//! `ldb fuzz`: the seeded mutation fuzzer over the engine's decoders
//! (`lightning_db::harness::fuzz`): pages, page 0, WAL segment headers, frames, payloads and
//! segment names, backup manifests, catalog entries, rows, key tuples, columnar chunks and
//! keyspace entries, SQL text. The corpus is made fresh by the engine in a scratch directory.
//!
//! Each target runs for `--executions` inputs (reproducible with `--seed`) or `--seconds`.
//! Every panic is a crash: its message and input are printed (and written to `--crashes DIR`
//! as `<target>-<n>.bin`, ready to become a regression fixture); exit code 1 on any.
//!
//! Metrics per target: `fuzz.<target>.executions`, `fuzz.<target>.crashes`,
//! `fuzz.<target>.distinct_refusals` (distinct refusal messages, numbers masked: a rough
//! measure of how many checks the inputs reached — without coverage instrumentation there are
//! no paths to count); and `fuzz.executions`, `fuzz.crashes` over all of them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use lightning_db::harness::fuzz::{self, Budget, Corpus, Target, targets};
use lightning_metrics::Metric;

use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb fuzz`.
#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// Only these targets (repeatable; default: all). Names: page, page0, wal_header,
    /// wal_frame, wal_payload, wal_segment_name, backup_manifest, catalog, row, key_tuple,
    /// chunk, segment_entry, sql.
    #[arg(long = "target")]
    targets: Vec<String>,
    /// Inputs per target (reproducible with the seed).
    #[arg(long, default_value_t = 20_000, conflicts_with = "seconds")]
    executions: u64,
    /// Seconds per target instead of a fixed number of inputs.
    #[arg(long)]
    seconds: Option<f64>,
    /// Mutation seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write each crashing input to this directory.
    #[arg(long)]
    crashes: Option<PathBuf>,
    /// Scratch directory for the corpus databases (removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb fuzz`.
pub fn fuzz_cmd(args: FuzzArgs) -> Result<ExitCode> {
    let chosen: Vec<Target> = if args.targets.is_empty() {
        targets::ALL.to_vec()
    } else {
        args.targets
            .iter()
            .map(|n| {
                Target::from_name(n).with_context(|| {
                    let names: Vec<&str> = targets::ALL.iter().map(|t| t.name()).collect();
                    format!(
                        "unknown fuzz target `{n}` (expected one of: {})",
                        names.join(", ")
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let budget = match args.seconds {
        Some(s) if s.is_finite() && s > 0.0 => Budget::Time(Duration::from_secs_f64(s)),
        Some(s) => bail!("--seconds must be a positive number, got {s}"),
        None => Budget::Executions(args.executions),
    };
    let reports = in_scratch(args.dir.as_deref(), "fuzz", |dir| {
        let corpus = Corpus::build(dir).context("while building the corpus")?;
        Ok(chosen
            .iter()
            .map(|&t| fuzz::run(t, &corpus, budget, args.seed))
            .collect::<Vec<_>>())
    })?;
    let mut metrics = Vec::new();
    let (mut executions, mut crashes) = (0u64, 0u64);
    for report in &reports {
        let name = report.target.name();
        let r = &report.found;
        errln!(
            "ldb: fuzz {name}: {} executions in {:.1} s, {} accepted, {} distinct refusals, {} crashes",
            r.executions,
            r.elapsed.as_secs_f64(),
            r.accepted,
            r.distinct_refusals,
            r.crash_count
        );
        for (i, c) in r.crashes.iter().enumerate() {
            let hex: String = c
                .input
                .iter()
                .take(256)
                .map(|b| format!("{b:02x}"))
                .collect();
            errln!(
                "ldb: fuzz {name} CRASH {i}: {}\n  input ({} bytes): {hex}",
                c.message,
                c.input.len()
            );
            if let Some(dir) = &args.crashes {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("while creating {}", dir.display()))?;
                let path = dir.join(format!("{name}-{i}.bin"));
                std::fs::write(&path, &c.input)
                    .with_context(|| format!("while writing {}", path.display()))?;
            }
        }
        executions += r.executions;
        crashes += r.crash_count;
        metrics.push(Metric::higher(
            format!("fuzz.{name}.executions"),
            r.executions as f64,
            "count",
        ));
        metrics.push(Metric::lower(
            format!("fuzz.{name}.crashes"),
            r.crash_count as f64,
            "count",
        ));
        metrics.push(Metric::higher(
            format!("fuzz.{name}.distinct_refusals"),
            r.distinct_refusals as f64,
            "count",
        ));
    }
    metrics.push(Metric::higher(
        "fuzz.executions",
        executions as f64,
        "count",
    ));
    metrics.push(Metric::lower("fuzz.crashes", crashes as f64, "count"));
    report_metrics(metrics, args.json)?;
    Ok(verdict(crashes == 0))
}

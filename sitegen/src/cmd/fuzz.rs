//! `sitegen fuzz`: the seeded mutation fuzzer over sitegen's own parsers ([`crate::fuzz`]) —
//! plan expressions and TOML, `sitegen.toml`, ADRs, front matter, metrics JSON and Bencher
//! Metric Format, JUnit XML, evidence records, run infos, manifests, the chain head, the render
//! cache's index and the page-sharing record — over a corpus taken from this repository.
//!
//! Metrics (with `--json`): `fuzz.sitegen.<target>.executions`, `.crashes`,
//! `.distinct_refusals`, and `fuzz.sitegen.executions`, `fuzz.sitegen.crashes`. Exit code 1
//! on any crash, each printed with its input.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use lightning_metrics::{Metric, MetricsFile};

use crate::fuzz::{self, ALL, Budget, Corpus, Target};
use crate::project::Project;
use crate::{errln, outln};

/// Arguments of `fuzz`.
#[derive(Debug, Clone, clap::Args)]
pub struct FuzzArgs {
    /// Only these targets (repeatable; default: all). Names: expression, plan, config, adr,
    /// front_matter, metrics_json, junit, record, run_info, manifest, chain_head,
    /// render_cache, page_record.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Inputs per target (reproducible with the seed).
    #[arg(long, default_value_t = 20_000, conflicts_with = "seconds")]
    pub executions: u64,
    /// Seconds per target instead of a fixed number of inputs.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Mutation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the metrics JSON document on stdout (the summary goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Runs `fuzz`.
pub fn execute(project: &Project, args: &FuzzArgs) -> Result<i32> {
    let chosen: Vec<Target> = if args.targets.is_empty() {
        ALL.to_vec()
    } else {
        args.targets
            .iter()
            .map(|n| {
                Target::from_name(n).with_context(|| {
                    let names: Vec<&str> = ALL.iter().map(|t| t.name()).collect();
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
    let corpus = Corpus::build(&project.root).context("while building the fuzz corpus")?;
    // File-based targets write their inputs here; removed when done.
    let scratch = project
        .root
        .join(crate::project::CACHE_DIR)
        .join(format!("fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("while creating {}", scratch.display()))?;
    let mut metrics = Vec::new();
    let (mut executions, mut crashes) = (0u64, 0u64);
    for target in chosen {
        let name = target.name();
        let r = fuzz::run(target, &corpus, budget, args.seed, &scratch);
        errln!(
            "fuzz {name}: {} executions in {:.1} s, {} accepted, {} distinct refusals, {} crashes",
            r.executions,
            r.elapsed.as_secs_f64(),
            r.accepted,
            r.distinct_refusals,
            r.crash_count
        );
        for (i, c) in r.crashes.iter().enumerate() {
            let shown: String = String::from_utf8_lossy(&c.input)
                .chars()
                .take(400)
                .collect();
            errln!("fuzz {name} CRASH {i}: {}\n  input: {shown:?}", c.message);
        }
        executions += r.executions;
        crashes += r.crash_count;
        let m = |what: &str| format!("fuzz.sitegen.{name}.{what}");
        metrics.push(Metric::higher(
            m("executions"),
            r.executions as f64,
            "count",
        ));
        metrics.push(Metric::lower(m("crashes"), r.crash_count as f64, "count"));
        metrics.push(Metric::higher(
            m("distinct_refusals"),
            r.distinct_refusals as f64,
            "count",
        ));
    }
    metrics.push(Metric::higher(
        "fuzz.sitegen.executions",
        executions as f64,
        "count",
    ));
    metrics.push(Metric::lower(
        "fuzz.sitegen.crashes",
        crashes as f64,
        "count",
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    if args.json {
        outln!("{}", MetricsFile::new(metrics).to_json_pretty());
    }
    Ok(if crashes == 0 { 0 } else { 1 })
}

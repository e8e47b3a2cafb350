//! `sitegen drill`: drills that measure the evidence machinery itself. `drill gate` measures
//! whether the paired verdicts are honest on this machine (see `docs/gate-honesty.md`).

use anyhow::{Result, bail};

use crate::evidence::drill::{self, GateSpec, tally};
use crate::project::Project;
use crate::{errln, outln};

/// The drills.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Measure the paired gate's honesty on the current tree: A/A comparisons (the same
    /// command on both sides; any verdict is a false alarm) and A/B comparisons with a planted
    /// slowdown (LIGHTNING_BENCH_EXTRA_WORK; power = the share detected), and the smallest
    /// detectable change per time-based metric. Exit 0 when no A/A comparison flagged anything
    /// and power ≥ 0.95, 2 otherwise.
    Gate(GateArgs),
}

/// Arguments of `drill gate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// The check measured: a `stdout = "metrics"` check whose benchmark honours
    /// LIGHTNING_BENCH_EXTRA_WORK.
    #[arg(long = "check", value_name = "ID", default_value = "engine-olap-kv")]
    pub check: String,
    /// A/A comparisons, and as many A/B ones.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub comparisons: u32,
    /// Rounds (pairs) per comparison.
    #[arg(long, default_value_t = 5, value_name = "R")]
    pub rounds: u32,
    /// The planted slowdown: extra work as a fraction of each timed operation (0.10 = 10 %).
    #[arg(long, default_value_t = 0.10, value_name = "F")]
    pub slowdown: f64,
    /// Print the drill's metrics JSON document on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Runs a drill; its exit code.
pub fn execute(project: &Project, action: &Action) -> Result<i32> {
    match action {
        Action::Gate(args) => gate(project, args),
    }
}

fn gate(project: &Project, args: &GateArgs) -> Result<i32> {
    let Some(configured) = project.config.check(&args.check) else {
        bail!(
            "unknown check `{}` (not in {}); name one with --check",
            args.check,
            project
                .root
                .join(crate::model::config::CONFIG_FILE)
                .display()
        );
    };
    // Measured as `sitegen pair` measures it: through its `pair_command` when it has one.
    let check = configured.for_pairing();
    let spec = GateSpec {
        comparisons: args.comparisons,
        rounds: args.rounds,
        slowdown: args.slowdown,
    };
    let progress = |step: &str| errln!("drill gate: {step}");
    let results = drill::gate(
        &project.root,
        &check,
        &project.config.regression,
        &spec,
        &progress,
    )
    .map_err(|why| anyhow::anyhow!("drill gate of check `{}`: {why}", args.check))?;
    let t = tally::tally(&results);
    let why = tally::failures(&results, &t);
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&tally::metrics(&results, &t))?
        );
    } else {
        table(&results, &t);
    }
    if why.is_empty() {
        errln!("drill gate: honest: no false alarm, power {:.2}", t.power());
        Ok(0)
    } else {
        for w in &why {
            errln!("drill gate: not shown honest: {w}");
        }
        Ok(2)
    }
}

fn table(r: &tally::GateResults, t: &tally::Tally) {
    outln!(
        "gate drill of `{}`: {} A/A and {} A/B comparisons, {} rounds each, planted slowdown {:.1} %",
        r.check,
        t.aa_comparisons,
        t.ab_comparisons,
        r.rounds,
        r.slowdown * 100.0
    );
    outln!(
        "  {:<44} {:>3} / {:<3}  rate {:.3}",
        "A/A false alarms (regressed)",
        t.false_alarms,
        t.aa_comparisons,
        t.false_alarm_rate()
    );
    outln!(
        "  {:<44} {:>3} / {:<3}",
        "A/A false improvements",
        t.false_improvements,
        t.aa_comparisons
    );
    outln!(
        "  {:<44} {:>3} / {:<3}  power {:.3}",
        "A/B slowdown detected",
        t.detected,
        t.ab_comparisons,
        t.power()
    );
    outln!(
        "  smallest detectable change (95 %, {} pairs) = max(threshold, median half-width):",
        r.rounds
    );
    for m in &t.mde {
        outln!(
            "    {:<42} {:>6.2} %  (threshold {:.2} %, half-width {:.2} %)",
            m.name,
            m.value * 100.0,
            m.threshold * 100.0,
            m.half_width * 100.0
        );
    }
}

//! The repository's own `sitegen.toml` and `content/plan.toml` load, cover the whole plan, and
//! without evidence never report a metric criterion as met.

use std::path::{Path, PathBuf};

use sitegen::evaluate::{self, Inputs, Verdict};
use sitegen::project::Project;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn config_has_quick_and_full_profiles() {
    let p = Project::open(&root()).expect("sitegen.toml is valid");
    let quick = p.config.profile_checks("quick").expect("quick");
    for id in [
        "engine-tests",
        "fmt",
        "clippy",
        "engine-crashtest",
        "engine-integrity",
        "engine-bench-quick",
        "engine-catalog",
        "engine-history",
    ] {
        assert!(quick.contains(&id.to_string()), "quick profile lacks {id}");
    }
    let full = p.config.profile_checks("full").expect("full");
    assert!(full.starts_with(&["engine-tests".to_string(), "fmt".into(), "clippy".into()]));
    assert!(full.contains(&"engine-bench".to_string()));
    // The gate drill takes many minutes: the full profile only, never CI's quick one.
    assert!(full.contains(&"sitegen-drill-gate".to_string()));
    assert!(!quick.contains(&"sitegen-drill-gate".to_string()));
}

#[test]
fn measurements_are_bench_checks_that_run_last_and_alone() {
    let p = Project::open(&root()).expect("open");
    let benches = [
        "engine-bench-quick",
        "engine-bench-tables",
        "engine-drill-backup",
        "engine-olap-kv",
        "engine-oltp",
        "engine-tpcc",
        "engine-tpch",
        "engine-tpcc-full",
        "sitegen-site-bench",
        "engine-bench",
        "sitegen-bench",
        "sitegen-drill-gate",
    ];
    for c in &p.config.checks {
        let bench = c.kind == sitegen::model::config::CheckKind::Bench;
        assert_eq!(bench, benches.contains(&c.id.as_str()), "{}", c.id);
    }
    let full = p.config.profile_checks("full").expect("full");
    let order = p.config.run_order(&full).expect("order");
    let tail: Vec<&[String]> = order
        .iter()
        .rev()
        .take(
            benches
                .iter()
                .filter(|b| full.iter().any(|f| f == *b))
                .count(),
        )
        .map(Vec::as_slice)
        .collect();
    assert!(
        tail.iter()
            .all(|w| w.len() == 1 && benches.contains(&w[0].as_str())),
        "{order:?}"
    );
}

#[test]
fn plan_covers_every_phase_and_the_named_criteria() {
    let p = Project::open(&root()).expect("open");
    let plan = p.load_plan().expect("plan.toml is valid");
    let ids: Vec<u32> = plan.phases.iter().map(|p| p.id).collect();
    assert_eq!(ids, (0..=8).collect::<Vec<_>>());
    assert!(
        plan.phases
            .iter()
            .all(|p| !p.criteria.is_empty() && !p.owner.is_empty())
    );
    for id in [
        "P0.toolchain",
        "P0.snapshots",
        "P0.baselines",
        "P0.catalog",
        "P1.plan-committed",
        "P1.toolchain-adr",
        "P2.wal-recovery",
        "P3.oltp-slo",
        "P3.deadlock-latency",
        "P3.cache-hit-ratio",
        "P4.compression",
        "P5.zero-failing",
        "P7.lint-enforced",
        "P8.backup-restore",
        "X.oltp",
        "X.olap",
        "X.operations",
    ] {
        assert!(plan.criterion(id).is_some(), "{id} missing from plan.toml");
    }
    let adrs = p.load_adrs().expect("adrs");
    evaluate::check_adr_claims(&plan, &adrs).expect("ADR claims name plan criteria");
}

#[test]
fn without_evidence_no_metric_or_check_criterion_passes() {
    let p = Project::open(&root()).expect("open");
    let plan = p.load_plan().expect("plan");
    let adrs = p.load_adrs().expect("adrs");
    let signoffs = sitegen::model::signoff::Signoffs::default();
    let e = evaluate::evaluate(&Inputs {
        root: &p.root,
        config: &p.config,
        plan: &plan,
        adrs: &adrs,
        signoffs: &signoffs,
        signoffs_path: "content/signoffs.toml",
        runs: &[],
        baseline: None,
    })
    .expect("evaluate");
    for c in &e.criteria {
        if matches!(c.decided_by, "metric" | "check" | "signoff") {
            assert_eq!(c.verdict, Verdict::NoMeasurement, "{}", c.id);
            assert!(c.reason.starts_with("no measurement: "), "{}", c.reason);
        }
    }
    let adr = e
        .criteria
        .iter()
        .find(|c| c.id == "P1.toolchain-adr")
        .expect("criterion");
    assert_eq!(adr.verdict, Verdict::Met);
    assert!(
        !e.gate_passes(&p.config),
        "P5.zero-failing is blocking and has no evidence"
    );
}

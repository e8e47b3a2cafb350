//! Paired measurements deciding verdicts: a paired run at the current commit against the
//! baseline run's commit decides the relative criteria (met only when the whole interval
//! clears the factor) and the regression rows it measured — across testbeds too, since both
//! sides ran in one sitting — while a paired run against another commit, or of a dirty tree,
//! decides nothing.

use chrono::Utc;
use sitegen::evaluate::{CriterionVerdict, Evaluation, RegressionState, Verdict};
use sitegen::evidence::environment;
use sitegen::evidence::ledger::RunKind;
use sitegen::evidence::ledger::write::{self, NewRun};
use sitegen::evidence::metrics::Direction;
use sitegen::evidence::record::{EvidenceRecord, Paired, PairedMetric, PairedSide, PairedVerdict};

use crate::common::{Fixture, sitegen_cmd};

const LOW: &str = "lower_is_better";
const HIGH: &str = "higher_is_better";

fn verdict<'a>(e: &'a Evaluation, id: &str) -> &'a CriterionVerdict {
    e.criteria.iter().find(|c| c.id == id).expect(id)
}

/// Runs the `metrics` check as recorded on a clean tree of CPU model `cpu`; returns the run id
/// and its record (the template of the paired records).
fn run_on(f: &Fixture, cpu: &str) -> (String, EvidenceRecord) {
    let project = f.project();
    let mut env = environment::capture(f.root(), &f.project().outputs()).expect("environment");
    env.cpu = cpu.to_string();
    env.dirty = false;
    let mut records = sitegen::evidence::runner::run_checks(
        f.root(),
        &project.config,
        &["metrics".to_string()],
        &env,
        false,
    )
    .expect("checks run");
    for r in &mut records {
        r.environment = env.clone();
    }
    let record = records[0].clone();
    let now = Utc::now();
    let id = write::append(
        &f.evidence(),
        NewRun {
            kind: RunKind::Checks,
            profile: Some("quick".into()),
            started_at: now,
            finished_at: now,
            environment: env,
            baseline: None,
            baseline_change: None,
            records,
        },
    )
    .expect("append");
    (id, record)
}

/// One paired metric: `ratio` with the interval [`lo`, `hi`] over 5 pairs.
fn pm(name: &str, direction: Direction, ratio: f64, lo: f64, hi: f64) -> PairedMetric {
    let iv = (ratio, lo, hi);
    PairedMetric {
        name: name.into(),
        unit: String::new(),
        direction,
        pairs: 5,
        ratio: iv.0,
        ci_lower: iv.1,
        ci_upper: iv.2,
        threshold: 0.05,
        verdict: if lo > 1.0 && ratio > 1.05 {
            match direction {
                Direction::HigherIsBetter => PairedVerdict::Improved,
                Direction::LowerIsBetter => PairedVerdict::Regressed,
            }
        } else if hi < 1.0 && ratio < 0.95 {
            match direction {
                Direction::HigherIsBetter => PairedVerdict::Regressed,
                Direction::LowerIsBetter => PairedVerdict::Improved,
            }
        } else {
            PairedVerdict::NoSignificantChange
        },
    }
}

/// Appends a paired run of `template`'s check: baseline side `baseline_commit`, current side
/// the template's commit (dirty as `dirty` says), with `metrics`.
fn paired_run(
    f: &Fixture,
    template: &EvidenceRecord,
    baseline_commit: &str,
    dirty: bool,
    metrics: Vec<PairedMetric>,
) -> String {
    let mut rec = template.clone();
    rec.metrics = Vec::new();
    rec.environment.dirty = dirty;
    let side = |commit: &str, dirty: bool, tree: &str| PairedSide {
        commit: commit.into(),
        dirty,
        tree: tree.into(),
        binary: None,
        command: None,
    };
    rec.paired = Some(Paired {
        baseline: side(baseline_commit, false, "target/paired/x"),
        current: side(&template.environment.git_commit, dirty, "."),
        rounds: 5,
        interval: "t95-log-ratio".into(),
        pairs: Vec::new(),
        metrics,
        not_pairable: None,
    });
    let now = Utc::now();
    write::append(
        &f.evidence(),
        NewRun {
            kind: RunKind::Paired,
            profile: None,
            started_at: now,
            finished_at: now,
            environment: rec.environment.clone(),
            baseline: None,
            baseline_change: None,
            records: vec![rec],
        },
    )
    .expect("append paired run")
}

/// The fixture with a baseline run on one CPU and a current run on another (tps halved,
/// p95 up 50 %): without pairing, everything relative is not comparable.
fn two_testbeds() -> (Fixture, EvidenceRecord) {
    let f = Fixture::new();
    f.metrics(&[
        ("oltp.tps", 100.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 10.0, LOW, &[]),
    ]);
    let (base, _) = run_on(&f, "Intel Xeon");
    f.project()
        .set_baseline(&base, "the fixture baseline", None)
        .expect("baseline");
    f.metrics(&[
        ("oltp.tps", 50.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 15.0, LOW, &[]),
    ]);
    let (_, current) = run_on(&f, "AMD EPYC");
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(verdict(&e, "P1.slo").verdict, Verdict::NotComparable);
    (f, current)
}

#[test]
fn a_paired_run_against_the_baseline_commit_decides_relative_criteria_and_regressions() {
    let (f, current) = two_testbeds();
    let commit = current.environment.git_commit.clone();
    let run = paired_run(
        &f,
        &current,
        &commit,
        false,
        vec![
            pm("oltp.tps", Direction::HigherIsBetter, 1.30, 1.25, 1.35),
            pm(
                "oltp.p95_latency_ms",
                Direction::LowerIsBetter,
                1.0,
                0.97,
                1.03,
            ),
        ],
    );
    let e = f.project().evaluate(None).expect("evaluate");
    let slo = verdict(&e, "P1.slo");
    assert_eq!(slo.verdict, Verdict::Met, "{}", slo.reason);
    let tps = slo
        .comparisons
        .iter()
        .find(|c| c.metric == "oltp.tps")
        .expect("tps comparison");
    assert!(tps.reason.starts_with("met (paired)"), "{}", tps.reason);
    assert!(tps.reason.contains(&run), "{}", tps.reason);
    assert_eq!(
        tps.bound_evidence
            .as_ref()
            .and_then(|b| b.run_id.as_deref()),
        Some(run.as_str())
    );
    // The bound in the metric's unit: 1.2 × the baseline the pairs imply (50 / 1.3).
    let bound = tps.threshold.expect("bound");
    assert!((bound - 1.2 * 50.0 / 1.3).abs() < 1e-9, "{bound}");
    // The regression rows: decided by the pairs, not "not comparable".
    let row = |m: &str| e.regressions.iter().find(|r| r.metric == m).expect(m);
    assert_eq!(row("oltp.tps").state, RegressionState::Improved);
    assert_eq!(row("oltp.p95_latency_ms").state, RegressionState::Unchanged);
    assert!(
        row("oltp.tps")
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("paired: ratio 1.300")),
        "{:?}",
        row("oltp.tps").reason
    );

    // gate prints the paired method and says the paired run decides; --json carries it.
    let out = sitegen_cmd(f.root(), &["gate"]).output().expect("gate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("paired ratio 1.3000"), "{stdout}");
    assert!(
        stdout.contains("decides the rows above that say `paired`"),
        "{stdout}"
    );
    let out = sitegen_cmd(f.root(), &["gate", "--json"])
        .output()
        .expect("gate --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let tps = v["regressions"]
        .as_array()
        .expect("regressions")
        .iter()
        .find(|r| r["metric"] == "oltp.tps")
        .expect("tps row");
    assert_eq!(tps["paired"]["ratio"], 1.3);
    assert_eq!(tps["paired"]["evidence"]["run_id"], run.as_str());
}

#[test]
fn a_paired_change_the_interval_does_not_establish_is_not_met() {
    let (f, current) = two_testbeds();
    let commit = current.environment.git_commit.clone();
    // +22 % TPS, but the interval reaches down to +10 %: "≥ 1.2 × baseline" is not shown.
    paired_run(
        &f,
        &current,
        &commit,
        false,
        vec![
            pm("oltp.tps", Direction::HigherIsBetter, 1.22, 1.10, 1.35),
            pm(
                "oltp.p95_latency_ms",
                Direction::LowerIsBetter,
                0.9,
                0.85,
                0.95,
            ),
        ],
    );
    let e = f.project().evaluate(None).expect("evaluate");
    let slo = verdict(&e, "P1.slo");
    assert_eq!(slo.verdict, Verdict::NotMet, "{}", slo.reason);
    let tps = slo
        .comparisons
        .iter()
        .find(|c| c.metric == "oltp.tps")
        .expect("tps comparison");
    assert!(
        tps.reason.contains("not established at 95 %") && tps.reason.contains("1.1 < 1.2"),
        "{}",
        tps.reason
    );
    let p95 = slo
        .comparisons
        .iter()
        .find(|c| c.metric == "oltp.p95_latency_ms")
        .expect("p95 comparison");
    assert!(
        p95.reason.starts_with("not met (paired)") && p95.reason.contains("0.9 > 0.8"),
        "{}",
        p95.reason
    );
    // A paired slowdown is a regression even across testbeds.
    paired_run(
        &f,
        &current,
        &commit,
        false,
        vec![pm("oltp.tps", Direction::HigherIsBetter, 0.8, 0.75, 0.85)],
    );
    let e = f.project().evaluate(None).expect("evaluate");
    let tps = e.regressions.iter().find(|r| r.metric == "oltp.tps");
    assert_eq!(tps.map(|r| r.state), Some(RegressionState::Regressed));
    assert_eq!(tps.and_then(|r| r.worse_by), Some(1.0 / 0.8 - 1.0));
    let gate = sitegen_cmd(f.root(), &["gate"]).output().expect("gate");
    assert_eq!(
        gate.status.code(),
        Some(1),
        "a paired regression fails the gate"
    );
}

#[test]
fn a_paired_run_of_another_baseline_or_a_dirty_tree_decides_nothing() {
    let (f, current) = two_testbeds();
    let tps = || vec![pm("oltp.tps", Direction::HigherIsBetter, 1.5, 1.4, 1.6)];
    paired_run(&f, &current, &"0".repeat(40), false, tps());
    paired_run(&f, &current, &current.environment.git_commit, true, tps());
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(verdict(&e, "P1.slo").verdict, Verdict::NotComparable);
    assert!(
        e.regressions
            .iter()
            .all(|r| r.state == RegressionState::NotComparable && r.paired.is_none()),
        "{:?}",
        e.regressions
    );
}

//! Verdict states and testbeds: every state with its reason (met, not met, waived, no
//! measurement, no baseline, not comparable, stale), runs of two testbeds (a different CPU
//! model: not comparable, never a regression, however much worse), a measured failure beating
//! whatever else is missing, the phase roll-up and gate treating every undecided state as not
//! passing, and the load-time warning for metrics no configured check emits.

use chrono::Utc;
use sitegen::evaluate::{CriterionVerdict, Evaluation, PhaseState, RegressionState, Verdict};
use sitegen::evidence::environment;
use sitegen::evidence::ledger::RunKind;
use sitegen::evidence::ledger::write::{self, NewRun};

use crate::common::{Fixture, PLAN, sitegen_cmd};

const LOW: &str = "lower_is_better";
const HIGH: &str = "higher_is_better";

fn verdict<'a>(e: &'a Evaluation, id: &str) -> &'a CriterionVerdict {
    e.criteria.iter().find(|c| c.id == id).expect(id)
}

/// Runs checks `ids` as `sitegen run` does, but records the run as made on a machine whose CPU
/// model is `cpu` (the only way a test gets two testbeds on one machine).
fn run_on(f: &Fixture, ids: &[&str], cpu: &str) -> String {
    let project = f.project();
    let mut env = environment::capture(f.root(), &f.project().outputs()).expect("environment");
    env.cpu = cpu.to_string();
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let mut records =
        sitegen::evidence::runner::run_checks(f.root(), &project.config, &ids, &env, false)
            .expect("checks run");
    for r in &mut records {
        r.environment = env.clone();
    }
    let now = Utc::now();
    write::append(
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
    .expect("append")
}

/// `sitegen gate [--json]` on `f`: exit code, stdout and stderr apart (JSON is parsed alone).
fn gate(f: &Fixture, json: bool) -> (i32, String, String) {
    let args: &[&str] = if json { &["gate", "--json"] } else { &["gate"] };
    let out = sitegen_cmd(f.root(), args).output().expect("sitegen runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn across_testbeds_nothing_is_compared_even_when_50_percent_worse() {
    let f = Fixture::new();
    f.metrics(&[
        ("page_cache.hit_ratio", 0.95, HIGH, &[]),
        ("oltp.tps", 100.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 10.0, LOW, &[]),
    ]);
    let base = run_on(&f, &["metrics"], "Intel Xeon");
    f.project()
        .set_baseline(&base, "the fixture baseline", None)
        .expect("baseline");
    f.metrics(&[
        ("page_cache.hit_ratio", 0.95, HIGH, &[]),
        ("oltp.tps", 50.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 15.0, LOW, &[]),
    ]);
    run_on(&f, &["metrics"], "AMD EPYC");
    let e = f.project().evaluate(None).expect("evaluate");
    let why = "not comparable: environment changed (cpu Intel Xeon → AMD EPYC)";
    let tps = e
        .regressions
        .iter()
        .find(|r| r.metric == "oltp.tps")
        .expect("compared");
    assert_eq!(tps.state, RegressionState::NotComparable);
    assert_eq!(tps.reason.as_deref(), Some(why));
    assert!(
        e.regressions
            .iter()
            .all(|r| r.state == RegressionState::NotComparable),
        "{:?}",
        e.regressions
    );
    assert!(
        e.regressed().is_empty(),
        "50% worse on another CPU is no regression"
    );
    let slo = verdict(&e, "P1.slo");
    assert_eq!(slo.verdict, Verdict::NotComparable);
    assert!(!slo.verdict.passes());
    assert!(slo.reason.contains(why), "{}", slo.reason);
    // An absolute bound does not depend on the testbed.
    assert_eq!(verdict(&e, "P0.cache").verdict, Verdict::Met);

    let (_, stdout, _) = gate(&f, false);
    assert!(stdout.contains("not comparable"), "{stdout}");
    assert!(stdout.contains(why), "{stdout}");
    assert!(!stdout.contains("REGRESSED"), "{stdout}");
    assert!(stdout.contains("latest testbed: "), "{stdout}");
    assert!(stdout.contains("baseline testbed: "), "{stdout}");
    let (_, json, _) = gate(&f, true);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let slo = v["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["id"] == "P1.slo")
        .expect("P1.slo");
    assert_eq!(slo["verdict"], "not_comparable");
    assert!(slo["reason"].as_str().expect("reason").contains(why));
    assert_eq!(v["regressions"][0]["state"], "not_comparable");
    assert_eq!(v["regressions"][0]["reason"], why);
    let label = |k: &str| v[k]["label"].as_str().unwrap_or("").to_string();
    assert!(label("latest_testbed").starts_with("AMD EPYC, "), "{v}");
    assert!(label("baseline_testbed").starts_with("Intel Xeon, "), "{v}");
    assert_ne!(v["latest_testbed"]["id"], v["baseline_testbed"]["id"]);

    // The same CPU again: compared, and now the drop is a regression.
    run_on(&f, &["metrics"], "Intel Xeon");
    let e = f.project().evaluate(None).expect("evaluate");
    let tps = e.regressions.iter().find(|r| r.metric == "oltp.tps");
    assert_eq!(tps.map(|r| r.state), Some(RegressionState::Regressed));
    assert_eq!(verdict(&e, "P1.slo").verdict, Verdict::NotMet);
}

#[test]
fn no_baseline_names_what_the_baseline_run_lacks() {
    let f = Fixture::new();
    f.metrics(&[
        ("oltp.p95_latency_ms", 10.0, LOW, &[]),
        ("oltp.tps", 100.0, HIGH, &[]),
    ]);
    f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let slo = verdict(&e, "P1.slo");
    assert_eq!(slo.verdict, Verdict::NoBaseline);
    assert!(
        slo.reason
            .contains("no baseline value for `oltp.tps` (no baseline run is set)"),
        "{}",
        slo.reason
    );
    // A baseline run that never ran the check recording the metric.
    let base = f.run(&["junit"]);
    f.project()
        .set_baseline(&base, "the fixture baseline", None)
        .expect("baseline");
    f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let slo = verdict(&e, "P1.slo");
    assert_eq!(slo.verdict, Verdict::NoBaseline);
    let expected =
        format!("no baseline value for `oltp.tps` (baseline run {base} has no `metrics` check)");
    assert!(slo.reason.contains(&expected), "{}", slo.reason);
    assert_eq!(
        slo.value.as_deref(),
        Some("oltp.p95_latency_ms = 10"),
        "the value is shown"
    );
}

#[test]
fn a_measured_failure_beats_whatever_is_missing() {
    let f = Fixture::new();
    let plan = format!(
        "{PLAN}\n[[criterion]]\nid = \"X.either\"\ntext = \"either\"\n\
         metric = \"oltp.tps >= 200 || never.measured > 0\"\n\n\
         [[criterion]]\nid = \"X.both\"\ntext = \"both\"\n\
         metric = \"page_cache.hit_ratio >= 0.99 && oltp.tps >= 1.2 * baseline\"\n"
    );
    f.write("content/plan.toml", &plan);
    f.metrics(&[
        ("page_cache.hit_ratio", 0.95, HIGH, &[]),
        ("oltp.tps", 125.0, HIGH, &[]),
    ]);
    f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let either = verdict(&e, "X.either");
    assert_eq!(either.verdict, Verdict::NotMet);
    assert!(
        either.reason.starts_with("not met: oltp.tps = 125 < 200")
            && either
                .reason
                .contains("also undecided: no measurement: no run recorded `never.measured`"),
        "{}",
        either.reason
    );
    let both = verdict(&e, "X.both");
    assert_eq!(
        both.verdict,
        Verdict::NotMet,
        "no baseline does not hide 0.95 < 0.99"
    );
    assert!(both.reason.contains("no baseline value"), "{}", both.reason);
}

#[test]
fn stale_values_do_not_decide_and_every_undecided_state_fails_the_gate() {
    let f = Fixture::new();
    f.metrics(&[("page_cache.hit_ratio", 0.95, HIGH, &[])]);
    let first = f.run(&["metrics", "junit"]);
    f.write("docs/guide.md", "# Guide\n");
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(e.phases[0].state, PhaseState::Complete);
    // The newer run of the same check no longer records the hit ratio.
    f.metrics(&[("oltp.tps", 1.0, HIGH, &[])]);
    let second = f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let cache = verdict(&e, "P0.cache");
    assert_eq!(cache.verdict, Verdict::Stale);
    assert_eq!(
        cache.reason,
        format!(
            "stale: `page_cache.hit_ratio` was last measured in run {first}; the newer run \
             {second} ran check `metrics` without recording it"
        )
    );
    assert_eq!(cache.value.as_deref(), Some("page_cache.hit_ratio = 0.95"));
    assert_eq!(e.phases[0].state, PhaseState::InProgress);
    assert_eq!((e.phases[0].met, e.phases[0].undecided), (2, 1));
    assert!(!e.gate_passes(&f.project().config), "P0.cache is blocking");
    let (code, stdout, _) = gate(&f, false);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("stale: `page_cache.hit_ratio`"), "{stdout}");
}

#[test]
fn a_stale_value_that_fails_is_not_met() {
    let f = Fixture::new();
    // P0.cache asks for page_cache.hit_ratio >= 0.90; the old run measured 0.5.
    f.metrics(&[("page_cache.hit_ratio", 0.5, HIGH, &[])]);
    f.run(&["metrics"]);
    f.metrics(&[("oltp.tps", 1.0, HIGH, &[])]);
    let second = f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let cache = verdict(&e, "P0.cache");
    assert_eq!(cache.verdict, Verdict::NotMet, "{}", cache.reason);
    assert!(
        cache.reason.contains("page_cache.hit_ratio = 0.5 < 0.9")
            && cache
                .reason
                .contains(&format!("the newer run {second} ran check `metrics`")),
        "{}",
        cache.reason
    );
}

#[test]
fn every_state_has_a_reason() {
    let f = Fixture::new();
    f.metrics(&[
        ("page_cache.hit_ratio", 0.95, HIGH, &[]),
        ("oltp.tps", 100.0, HIGH, &[]),
    ]);
    f.run(&["metrics", "junit"]);
    let e = f.project().evaluate(None).expect("evaluate");
    let reason = |id: &str| verdict(&e, id).reason.clone();
    assert_eq!(
        reason("P0.cache"),
        "met: page_cache.hit_ratio = 0.95 >= 0.9"
    );
    assert!(reason("P0.tests").starts_with("met: check `junit` ended `pass` in run "));
    assert_eq!(
        reason("P0.doc"),
        "no measurement: nothing in the repository matches `docs/*`"
    );
    assert_eq!(
        reason("P1.compression"),
        "waived by ADR-0002; without the waiver: no measurement: no run recorded \
         `columnar.compression_ratio`"
    );
    assert_eq!(reason("P1.adr"), "met: ADR-0002 is accepted");
    assert_eq!(
        reason("P1.signoff"),
        "no measurement: no sign-off by Risk Officer in content/signoffs.toml"
    );
    assert_eq!(
        reason("P1.slo"),
        "no measurement: no run recorded `oltp.p95_latency_ms`; no baseline value for \
         `oltp.tps` (no baseline run is set)"
    );
    let (_, json, _) = gate(&f, true);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    for c in v["criteria"].as_array().expect("criteria") {
        assert!(c["reason"].as_str().is_some_and(|r| !r.is_empty()), "{c}");
    }
}

#[test]
fn metrics_no_configured_check_emits_are_reported_at_load() {
    let f = Fixture::new();
    // Without any run nothing is known about what checks emit: no warning.
    let e = f.project().evaluate(None).expect("evaluate");
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(
        e.warnings,
        [
            "P1.slo: no check emits `oltp.p95_latency_ms`, `oltp.tps`",
            "P1.compression: no check emits `columnar.compression_ratio`",
            "X.future: no check emits `never.measured`",
        ]
    );
    assert_eq!(
        verdict(&e, "X.future").warning.as_deref(),
        Some("X.future: no check emits `never.measured`")
    );
    assert_eq!(verdict(&e, "P0.cache").warning, None);
    let (_, _, stderr) = gate(&f, false);
    assert!(
        stderr.contains("warning: X.future: no check emits `never.measured`"),
        "{stderr}"
    );
    let (_, json, stderr) = gate(&f, true);
    assert!(stderr.contains("warning: X.future"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        v["warnings"][2],
        "X.future: no check emits `never.measured`"
    );
}

#[test]
fn a_bound_naming_a_metric_of_another_testbed_is_not_comparable() {
    let f = Fixture::new();
    let plan = format!(
        "{PLAN}\n[[criterion]]\nid = \"X.during\"\ntext = \"p99 during a backup within 2x of without\"\n\
         metric = \"commit.during_us <= 2 * commit.without_us\"\n"
    );
    f.write("content/plan.toml", &plan);
    f.write(
        "sitegen.toml",
        &format!(
            "{}\n[[check]]\nid = \"other\"\ndescription = \"the bound\"\ncommand = \
             [\"cat\", \"other.json\"]\nstdout = \"metrics\"\n",
            crate::common::CONFIG
        ),
    );
    f.write(
        "other.json",
        r#"{"format_version":1,"metrics":[{"name":"commit.without_us","value":100,"unit":"us","direction":"lower_is_better"}]}"#,
    );
    f.metrics(&[("commit.during_us", 150.0, LOW, &[])]);
    run_on(&f, &["other"], "Intel Xeon");
    run_on(&f, &["metrics"], "AMD EPYC");
    let e = f.project().evaluate(None).expect("evaluate");
    let during = verdict(&e, "X.during");
    assert_eq!(during.verdict, Verdict::NotComparable, "{}", during.reason);
    assert!(
        during
            .reason
            .contains("between `commit.during_us` and its bound `commit.without_us`"),
        "{}",
        during.reason
    );
    // Both on one testbed: decided.
    run_on(&f, &["other"], "AMD EPYC");
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(verdict(&e, "X.during").verdict, Verdict::Met);
}

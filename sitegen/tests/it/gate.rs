//! Gates over fixture evidence: verdict kinds (met, not met, no measurement, waived), the
//! evidence each names, phase roll-up, baseline-relative criteria, and noise-aware regressions.

use crate::common::Fixture;
use sitegen::evaluate::{Evaluation, Method, PhaseState, RegressionState, Verdict};

fn verdict<'a>(e: &'a Evaluation, id: &str) -> &'a sitegen::evaluate::CriterionVerdict {
    e.criteria.iter().find(|c| c.id == id).expect(id)
}

const LOW: &str = "lower_is_better";
const HIGH: &str = "higher_is_better";

fn samples(base: f64, spread: f64) -> Vec<f64> {
    (0..20)
        .map(|i| base + spread * (i as f64 / 19.0 - 0.5))
        .collect()
}

/// Baseline run, then a current run 25% faster in TPS with a clear p95 regression, a noisy
/// metric that is worse on average but not significantly, and a sample-less metric that drops.
fn two_runs(f: &Fixture) -> (String, String) {
    let p95 = samples(10.0, 0.4);
    let noisy = samples(100.0, 80.0);
    f.metrics(&[
        ("page_cache.hit_ratio", 0.85, HIGH, &[]),
        ("oltp.tps", 100.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 10.0, LOW, &p95),
        ("scan.noisy_ms", 100.0, LOW, &noisy),
        ("build.size", 50.0, LOW, &[]),
    ]);
    let base = f.run(&["metrics", "junit"]);
    f.project()
        .set_baseline(&base, "the first run of the fixture", None)
        .expect("baseline set");
    let p95_now = samples(12.0, 0.4);
    let mut noisy_now = samples(100.0, 80.0);
    noisy_now.rotate_left(3);
    noisy_now[0] += 30.0;
    f.metrics(&[
        ("page_cache.hit_ratio", 0.93, HIGH, &[]),
        ("oltp.tps", 125.0, HIGH, &[]),
        ("oltp.p95_latency_ms", 12.0, LOW, &p95_now),
        ("scan.noisy_ms", 115.0, LOW, &noisy_now),
        ("build.size", 70.0, LOW, &[]),
    ]);
    let now = f.run(&["metrics"]);
    (base, now)
}

#[test]
fn criteria_get_every_kind_of_verdict_with_their_evidence() {
    let f = Fixture::new();
    let (base, now) = two_runs(&f);
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(e.baseline.as_deref(), Some(base.as_str()));
    assert_eq!(e.latest_run.as_deref(), Some(now.as_str()));

    let cache = verdict(&e, "P0.cache");
    assert_eq!(cache.verdict, Verdict::Met);
    assert_eq!(cache.value.as_deref(), Some("page_cache.hit_ratio = 0.93"));
    let ev = cache.evidence.as_ref().expect("evidence");
    assert_eq!(ev.run_id.as_deref(), Some(now.as_str()));
    let record = f.evidence().join(&ev.path);
    let bytes = std::fs::read(&record).expect("record named by the verdict exists");
    assert_eq!(ev.sha256, sitegen::evidence::hash::bytes(&bytes));
    assert!(cache.blocking);

    let tests = verdict(&e, "P0.tests");
    assert_eq!(
        tests.verdict,
        Verdict::Met,
        "junit passed in the baseline run"
    );
    assert_eq!(
        tests.evidence.as_ref().and_then(|e| e.run_id.as_deref()),
        Some(base.as_str())
    );

    assert_eq!(verdict(&e, "P0.doc").verdict, Verdict::NoMeasurement);

    let slo = verdict(&e, "P1.slo");
    assert_eq!(
        slo.verdict,
        Verdict::Met,
        "TPS +25% satisfies the either/or although p95 got worse"
    );
    assert_eq!(slo.value.as_deref(), Some("oltp.tps = 125"));
    assert!(slo.threshold.contains("(bound 120)"), "{}", slo.threshold);
    assert_eq!(slo.comparisons.len(), 2);
    assert_eq!(slo.comparisons[0].truth, "not met");

    let waived = verdict(&e, "P1.compression");
    assert_eq!(waived.verdict, Verdict::Waived);
    assert_eq!(waived.waived_by.as_deref(), Some("ADR-0002"));

    let adr = verdict(&e, "P1.adr");
    assert_eq!(adr.verdict, Verdict::Met);
    assert!(
        adr.evidence
            .as_ref()
            .expect("adr file")
            .path
            .ends_with("0002-defer-compression.md")
    );

    assert_eq!(verdict(&e, "P1.signoff").verdict, Verdict::NoMeasurement);
    assert_eq!(verdict(&e, "X.future").verdict, Verdict::NoMeasurement);
    assert_eq!(verdict(&e, "X.future").value, None);

    assert_eq!(e.phases[0].state, PhaseState::InProgress);
    assert_eq!((e.phases[0].met, e.phases[0].undecided), (2, 1));
    assert_eq!(e.phases[1].blocked_by, vec![0]);
    assert!(
        !e.gate_passes(&f.project().config),
        "P0.doc is blocking and has no evidence"
    );

    f.write("docs/guide.md", "# Guide\n");
    f.write(
        "content/signoffs.toml",
        include_str!("../fixtures/repo/signoffs.toml"),
    );
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(verdict(&e, "P0.doc").verdict, Verdict::Met);
    assert_eq!(
        verdict(&e, "P0.doc").value.as_deref(),
        Some("docs/guide.md")
    );
    assert_eq!(verdict(&e, "P1.signoff").verdict, Verdict::Met);
    assert_eq!(e.phases[0].state, PhaseState::Complete);
    assert!(e.phases[1].blocked_by.is_empty());
}

#[test]
fn not_met_and_baseline_override() {
    let f = Fixture::new();
    let (base, now) = two_runs(&f);
    // Against the current run itself, TPS is +0%: not met; the hit ratio verdict is unchanged.
    let e = f.project().evaluate(Some(&now)).expect("evaluate");
    assert_eq!(verdict(&e, "P1.slo").verdict, Verdict::NotMet);
    assert!(
        e.regressions.is_empty(),
        "nothing to compare when the baseline is the newest run"
    );
    f.metrics(&[("page_cache.hit_ratio", 0.5, HIGH, &[])]);
    f.run(&["metrics"]);
    let e = f.project().evaluate(Some(&base)).expect("evaluate");
    assert_eq!(verdict(&e, "P0.cache").verdict, Verdict::NotMet);
    assert_eq!(
        verdict(&e, "P0.cache").value.as_deref(),
        Some("page_cache.hit_ratio = 0.5")
    );
    let err = f
        .project()
        .evaluate(Some("20200101T000000Z-0000000"))
        .expect_err("unknown");
    assert!(format!("{err:#}").contains("not in the ledger"), "{err:#}");
}

#[test]
fn regressions_are_noise_aware() {
    let f = Fixture::new();
    two_runs(&f);
    let e = f.project().evaluate(None).expect("evaluate");
    let r = |m: &str| e.regressions.iter().find(|r| r.metric == m).expect(m);

    let p95 = r("oltp.p95_latency_ms");
    assert_eq!(p95.state, RegressionState::Regressed);
    assert!(matches!(p95.method, Method::MannWhitney { p_value } if p_value < 0.001));
    assert!((p95.worse_by.expect("finite") - 0.20).abs() < 1e-9);

    let noisy = r("scan.noisy_ms");
    assert_eq!(noisy.state, RegressionState::WithinNoise, "{noisy:?}");
    assert!(matches!(noisy.method, Method::MannWhitney { p_value } if p_value >= 0.05));

    let size = r("build.size");
    assert_eq!(
        (size.state, size.method),
        (RegressionState::Regressed, Method::Threshold)
    );

    let tps = r("oltp.tps");
    assert_eq!(tps.state, RegressionState::Improved);
    assert!((tps.worse_by.expect("finite") + 0.25).abs() < 1e-9);
    assert_eq!(
        r("page_cache.hit_ratio").state,
        RegressionState::Unchanged,
        "+9.4% is inside 10%"
    );
    assert_eq!(e.regressed().len(), 2);
}

#[test]
fn gate_cli_prints_table_and_json_and_sets_exit_code() {
    let f = Fixture::new();
    two_runs(&f);
    let bin = env!("CARGO_BIN_EXE_sitegen");
    let root = f.root().display().to_string();
    let out = std::process::Command::new(bin)
        .args(["--root", &root, "gate"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("waived(ADR-0002)"), "{stdout}");
    assert!(stdout.contains("REGRESSED"), "{stdout}");
    assert!(stdout.contains("gate: FAIL"), "{stdout}");
    let json = std::process::Command::new(bin)
        .args(["--root", &root, "gate", "--json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(v["criteria"].as_array().expect("criteria").len(), 8);
    assert_eq!(v["criteria"][0]["verdict"], "met");
    assert_eq!(v["regressions"][0]["method"]["kind"], "threshold");
}

#[test]
fn waivers_and_claims_must_name_existing_criteria() {
    let f = Fixture::new();
    f.write(
        "adr/0003-typo.md",
        include_str!("../fixtures/repo/0003-unknown-waiver.md"),
    );
    let err = f.project().evaluate(None).expect_err("unknown waiver");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("0003-typo.md") && msg.contains("P9.nope"),
        "{msg}"
    );
}

#[test]
fn a_proposed_adr_does_not_waive() {
    let f = Fixture::new();
    f.write(
        "adr/0002-defer-compression.md",
        &crate::common::ADR.replace("accepted", "proposed"),
    );
    f.run(&["metrics"]);
    let e = f.project().evaluate(None).expect("evaluate");
    assert_eq!(
        verdict(&e, "P1.compression").verdict,
        Verdict::NoMeasurement
    );
    assert_eq!(verdict(&e, "P1.adr").verdict, Verdict::NotMet);
    assert_eq!(verdict(&e, "P1.adr").value.as_deref(), Some("proposed"));
}

#[test]
fn ignored_metrics_get_no_regression_verdict() {
    let f = Fixture::new();
    f.write(
        "sitegen.toml",
        &crate::common::CONFIG.replace(
            "threshold = 0.10",
            "threshold = 0.10\nignore = [\"build.*\"]",
        ),
    );
    two_runs(&f);
    let e = f.project().evaluate(None).expect("evaluate");
    assert!(e.regressions.iter().all(|r| r.metric != "build.size"));
    assert_eq!(e.regressed().len(), 1, "only the p95 regression remains");
}

#[test]
fn benchmark_results_folders_load_by_date() {
    let f = Fixture::new();
    f.write(
        "benchmark_results/2026-11-20/oltp.json",
        r#"{"oltp_quick":{"throughput":{"value":8000}}}"#,
    );
    f.write("benchmark_results/2026-11-20/oltp.txt", "tps 8000\n");
    let all = f.project().load_benchmark_results().expect("load");
    let day = all.get("2026-11-20").expect("dated folder");
    assert_eq!(day.metrics.len(), 1);
    assert_eq!(day.metrics[0].name, "oltp_quick.throughput");
    assert_eq!(day.files.len(), 2);
    f.write("benchmark_results/2026-11-21/plot.svg", "<svg/>");
    let err = f.project().load_benchmark_results().expect_err("svg");
    assert!(format!("{err:#}").contains("plot.svg"), "{err:#}");
}

#[test]
fn dashboard_headline_names_the_regressed_metrics_and_links_them() {
    let f = Fixture::new();
    two_runs(&f);
    let e = f.project().evaluate(None).expect("evaluate");
    let regressed: Vec<String> = e.regressed().iter().map(|r| r.metric.clone()).collect();
    assert!(!regressed.is_empty(), "the fixture regresses");
    let mut o = sitegen::site::BuildOptions::new(f.root());
    o.version = Some("v1".into());
    sitegen::site::build(&o).expect("site builds");
    let dash =
        std::fs::read_to_string(f.root().join("site/v1/dashboard/index.html")).expect("dashboard");
    let start = dash.find("id=\"headline\"").expect("a headline");
    let headline = &dash[start..start + dash[start..].find("</p>").expect("ends")];
    let noun = if regressed.len() == 1 {
        "metric"
    } else {
        "metrics"
    };
    assert!(
        headline.contains("<strong>Sign-off blocked</strong>")
            && headline.contains(&format!(
                "<a href=\"#regressions\">{} {noun} regressed vs baseline</a>",
                regressed.len()
            )),
        "{headline}"
    );
    // The link lands on the list naming each regressed metric, with formatted values.
    let section = &dash[dash.find("id=\"regressions\"").expect("the section")..];
    for m in &regressed {
        assert!(section.contains(&format!(">{m}</a>")), "{m} listed");
    }
    assert!(
        section.contains("10 → 12 (<span class=\"change-worse\">20.0 % worse</span>)"),
        "{section}"
    );
    assert!(!headline.contains("Signed off"), "{headline}");
}

//! Ingestion over committed fixtures: criterion and JUnit parse to the expected numbers, BMF and
//! metrics JSON convert, and malformed or unknown inputs are errors naming the file (and line).

use std::path::{Path, PathBuf};

use sitegen::evidence::ingest::{self, criterion, junit};
use sitegen::evidence::metrics::Direction;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn criterion_fixture_parses_to_expected_numbers() {
    let benches = criterion::read_dir(&fixture("criterion"), None).expect("criterion fixture");
    assert_eq!(
        benches.len(),
        1,
        "only new/ folders count, base/ is ignored"
    );
    let b = &benches[0];
    assert_eq!(b.id, "btree_get/1000");
    assert_eq!(b.estimates.median.point_estimate, 1000.5);
    assert_eq!(b.estimates.mean.point_estimate, 1030.0);
    assert_eq!(b.estimates.std_dev.point_estimate, 42.5);
    assert_eq!(b.estimates.median.confidence_interval.lower_bound, 995.0);
    assert_eq!(b.estimates.median.confidence_interval.upper_bound, 1012.0);
    assert_eq!(b.samples, vec![1000.0, 1005.0, 990.0, 1010.0, 990.0]);

    let ing = ingest::ingest_path(&fixture("criterion"), "x", None).expect("ingest");
    let names: Vec<_> = ing.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "btree_get/1000",
            "btree_get/1000.mean",
            "btree_get/1000.std_dev"
        ]
    );
    let median = &ing.metrics[0];
    assert_eq!(
        (median.value, median.ci_lower, median.ci_upper),
        (1000.5, Some(995.0), Some(1012.0))
    );
    assert_eq!(median.direction, Direction::LowerIsBetter);
    assert_eq!(median.unit, "ns");
    assert_eq!(ing.files.len(), 3);
}

#[test]
fn criterion_output_older_than_the_run_is_left_out() {
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    let benches = criterion::read_dir(&fixture("criterion"), Some(future)).expect("reads");
    assert!(benches.is_empty());
}

#[test]
fn broken_criterion_sample_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let new = dir.path().join("g/new");
    std::fs::create_dir_all(&new).expect("mkdir");
    for f in ["benchmark.json", "estimates.json"] {
        std::fs::copy(fixture("criterion/btree_get/1000/new").join(f), new.join(f)).expect("copy");
    }
    std::fs::write(
        new.join("sample.json"),
        r#"{"sampling_mode":"Flat","iters":[1.0,0.0],"times":[5.0,6.0]}"#,
    )
    .expect("write");
    let msg = format!(
        "{:#}",
        criterion::read_dir(dir.path(), None).expect_err("zero iterations")
    );
    assert!(
        msg.contains("sample.json") && msg.contains("sample 1"),
        "{msg}"
    );
    std::fs::write(new.join("sample.json"), "{\"iters\": [1.0],\n \"times\": }").expect("write");
    let msg = format!(
        "{:#}",
        criterion::read_dir(dir.path(), None).expect_err("bad json")
    );
    assert!(msg.contains("sample.json:2:"), "{msg}");
}

#[test]
fn nextest_junit_fixture_parses_to_expected_numbers() {
    let path = fixture("junit/nextest.xml");
    let text = std::fs::read_to_string(&path).expect("read");
    let r = junit::parse("nextest.xml", &text).expect("parses");
    assert_eq!(
        (r.tests, r.failures, r.errors, r.skipped, r.flaky),
        (5, 1, 0, 1, 1)
    );
    assert_eq!(r.time_s, 2.5);
    assert_eq!(r.cases[1].name, "storage::page::tests::rejects_torn_page");
    assert_eq!(r.cases[1].status, junit::CaseStatus::Failed);
    assert_eq!(r.cases[1].time_s, 0.25);
    assert_eq!(r.cases[4].status, junit::CaseStatus::Passed);

    let ing = ingest::ingest_path(&path, "engine-tests", None).expect("ingest");
    assert_eq!(ing.failed_tests, 1);
    let get = |n: &str| ing.metrics.iter().find(|m| m.name == n).map(|m| m.value);
    assert_eq!(get("engine-tests.tests.total"), Some(5.0));
    assert_eq!(get("engine-tests.tests.passed"), Some(3.0));
    assert_eq!(get("engine-tests.tests.failed"), Some(1.0));
    assert_eq!(get("engine-tests.tests.flaky"), Some(1.0));
    assert_eq!(get("engine-tests.tests.skipped"), Some(1.0));
    assert_eq!(get("engine-tests.tests.duration_s"), Some(2.5));
}

#[test]
fn malformed_xml_names_file_and_line() {
    let path = fixture("junit/malformed.xml");
    let msg = format!(
        "{:#}",
        ingest::ingest_path(&path, "t", None).expect_err("malformed")
    );
    assert!(msg.contains("malformed.xml:5:"), "{msg}");
    let path = fixture("junit/not-junit.xml");
    let msg = format!(
        "{:#}",
        ingest::ingest_path(&path, "t", None).expect_err("not junit")
    );
    assert!(
        msg.contains("not-junit.xml:2:") && msg.contains("testsuites"),
        "{msg}"
    );
}

#[test]
fn json_inputs_convert_and_bad_ones_name_the_file() {
    let m = ingest::ingest_path(&fixture("json/metrics.json"), "t", None).expect("metrics");
    assert_eq!(m.metrics.len(), 2);
    assert_eq!(m.metrics[1].samples.len(), 5);
    let b = ingest::ingest_path(&fixture("json/bmf.json"), "t", None).expect("bmf");
    let tp = b
        .metrics
        .iter()
        .find(|m| m.name == "oltp_quick.throughput")
        .expect("tp");
    assert_eq!(
        (tp.value, tp.direction),
        (8000.0, Direction::HigherIsBetter)
    );

    let msg = format!(
        "{:#}",
        ingest::ingest_path(&fixture("json/malformed.json"), "t", None).expect_err("bad")
    );
    assert!(msg.contains("malformed.json:4:"), "{msg}");
    let msg = format!(
        "{:#}",
        ingest::ingest_path(&fixture("json/unknown.json"), "t", None).expect_err("unknown")
    );
    assert!(
        msg.contains("unknown.json") && msg.contains("unknown JSON format"),
        "{msg}"
    );
    let msg = format!(
        "{:#}",
        ingest::ingest_path(&fixture("json/huge-value.json"), "t", None).expect_err("inf")
    );
    assert!(msg.contains("huge-value.json"), "{msg}");
    let txt = fixture("results/2026-11-20/oltp.txt");
    let msg = format!(
        "{:#}",
        ingest::ingest_path(&txt, "t", None).expect_err("txt alone")
    );
    assert!(
        msg.contains("oltp.txt") && msg.contains("unknown input format"),
        "{msg}"
    );
}

#[test]
fn benchmark_results_folder_reads_json_and_keeps_text_reports() {
    let ing = ingest::ingest_path(&fixture("results/2026-11-20"), "t", None).expect("results");
    assert_eq!(ing.metrics.len(), 4);
    assert_eq!(ing.files.len(), 3);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("chart.png"), b"\x89PNG").expect("write");
    let msg = format!(
        "{:#}",
        ingest::results::ingest_dir(dir.path()).expect_err("png")
    );
    assert!(msg.contains("chart.png"), "{msg}");
}

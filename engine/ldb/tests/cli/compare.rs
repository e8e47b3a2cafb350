//! `ldb bench compare`: exit codes in each direction, and a malformed metrics file named.

use crate::common::{ldb, s};

#[test]
fn cli_bench_compare_flags_regressions_in_each_direction() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let doc = |tps: f64, ms: f64| {
        include_str!("fixtures/bench_metrics.json.tmpl")
            .trim_end()
            .replace("{tps}", &tps.to_string())
            .replace("{ms}", &ms.to_string())
    };
    let base = tmp.path().join("base.json");
    std::fs::write(&base, doc(100.0, 10.0)).expect("write");
    let cases = [
        (doc(95.0, 10.5), 0),  // within 10% both ways
        (doc(120.0, 8.0), 0),  // better
        (doc(85.0, 10.0), 1),  // throughput down 15%
        (doc(100.0, 11.5), 1), // latency up 15%
    ];
    for (i, (cur, code)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("cur{i}.json"));
        std::fs::write(&p, cur).expect("write");
        let out = ldb(&["bench", "compare", &s(&base), &s(&p)]);
        assert_eq!(
            out.status.code(),
            Some(*code),
            "case {i}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"format_version\":1}").expect("write");
    let out = ldb(&["bench", "compare", &s(&base), &s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}

/// With at least five samples on both sides the verdict is Mann–Whitney's: a 20% worse median
/// whose samples overlap the baseline's is noise (exit 0); separated samples regress (exit 1).
/// A zero baseline has no relative change: any move in the worse direction regresses.
#[test]
fn cli_bench_compare_judges_samples_and_zero_baselines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let doc = |value: f64, samples: &[f64]| {
        let samples: Vec<String> = samples.iter().map(f64::to_string).collect();
        format!(
            r#"{{"format_version":1,"metrics":[{{"name":"lat","value":{value},"unit":"ms","direction":"lower_is_better","samples":[{}]}}]}}"#,
            samples.join(",")
        )
    };
    let write = |name: &str, text: String| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        s(&p)
    };
    let base = write(
        "base.json",
        doc(100.0, &[60.0, 140.0, 80.0, 120.0, 100.0, 90.0, 110.0]),
    );
    let noisy = write(
        "noisy.json",
        doc(120.0, &[140.0, 60.0, 120.0, 80.0, 100.0, 110.0, 90.0]),
    );
    let out = ldb(&["bench", "compare", &base, &noisy]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("lat: 100 -> 120 (+20.0% worse) ok (within noise, p = "),
        "{text}"
    );
    let sep: Vec<f64> = (0..7).map(|i| 200.0 + f64::from(i)).collect();
    let worse = write("worse.json", doc(200.0, &sep));
    let out = ldb(&["bench", "compare", &base, &worse]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("(+100.0% worse) REGRESSION"), "{text}");
    let zero = write("zero.json", doc(0.0, &[]));
    let up = write("up.json", doc(0.5, &[]));
    let out = ldb(&["bench", "compare", &zero, &up]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("lat: 0 -> 0.5 (zero baseline) REGRESSION"),
        "{text}"
    );
    let out = ldb(&["bench", "compare", &zero, &zero]);
    assert_eq!(out.status.code(), Some(0));
}

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

//! `ldb bench tpcc`: both engines load, run and pass the consistency check; every metric is
//! emitted.

use crate::common::ok;

#[test]
fn bench_tpcc_emits_both_engines_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().display().to_string();
    let out = ok(&[
        "bench",
        "tpcc",
        "--warehouses",
        "2",
        "--items",
        "300",
        "--customers",
        "30",
        "--threads",
        "1,2",
        "--seconds",
        "0.3",
        "--dir",
        &scratch,
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("metrics JSON");
    let value = |name: &str| -> f64 {
        doc["metrics"]
            .as_array()
            .expect("metrics array")
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no metric {name} in {out}"))["value"]
            .as_f64()
            .expect("numeric value")
    };
    for e in ["lightning", "sqlite"] {
        for t in [1, 2] {
            assert!(value(&format!("tpcc.{e}.t{t}.tps")) > 0.0, "{e} t{t}");
            let (p50, p95, p99) = (
                value(&format!("tpcc.{e}.t{t}.p50_ms")),
                value(&format!("tpcc.{e}.t{t}.p95_ms")),
                value(&format!("tpcc.{e}.t{t}.p99_ms")),
            );
            assert!(
                0.0 < p50 && p50 <= p95 && p95 <= p99,
                "{e} t{t}: {p50} {p95} {p99}"
            );
            assert_eq!(value(&format!("tpcc.{e}.t{t}.failed")), 0.0, "{e} t{t}");
        }
        assert_eq!(value(&format!("tpcc.{e}.consistency_violations")), 0.0);
        assert!(value(&format!("tpcc.{e}.load_s")) > 0.0);
    }
    for t in [1, 2] {
        let ratio = value(&format!("tpcc.t{t}.lightning_vs_sqlite"));
        let expect =
            value(&format!("tpcc.lightning.t{t}.tps")) / value(&format!("tpcc.sqlite.t{t}.tps"));
        assert!(
            (ratio - expect).abs() < 1e-9 * expect.max(1.0),
            "{ratio} vs {expect}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("scratch").count(),
        0,
        "the scratch databases are removed"
    );
}

#[test]
fn bench_tpcc_refuses_bad_arguments() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["bench", "tpcc", "--threads", "0", "--seconds", "0.1"])
        .output()
        .expect("run ldb");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--threads must list counts between 1 and 256"),
        "{err}"
    );
}

//! End-to-end test of `ldb drill isolation`: the text table, the metrics JSON the plan's
//! isolation and deadlock-latency criteria read, and the exit code.

use crate::common::{ldb, ok};

#[test]
fn drill_isolation_prints_the_anomaly_table() {
    let out = ok(&["drill", "isolation", "--cycles", "4", "--steps"]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{out}"))
            .to_string()
    };
    assert!(
        line("anomaly").contains("repeatable-read") && line("anomaly").contains("serializable")
    );
    let g2 = line("G2-item");
    assert!(g2.contains("occurred (allowed)"), "{g2}");
    assert!(g2.contains("prevented (deadlock victim aborted)"), "{g2}");
    assert!(
        line("P4").contains("prevented (write conflict aborted)"),
        "{out}"
    );
    assert!(!out.contains("MISMATCH"), "{out}");
    assert!(out.contains("26 scenarios, 0 failure(s)"), "{out}");
    assert!(
        out.contains("deadlock detection, victim woken on its thread (4 cycles): median"),
        "{out}"
    );
    // --steps prints each scenario's transcript.
    assert!(
        out.contains("T2: insert (4, 42) -> error: deadlock"),
        "{out}"
    );
}

#[test]
fn drill_isolation_json_has_the_plan_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("isolation.json");
    let report_arg = report.display().to_string();
    let out = ok(&[
        "drill",
        "isolation",
        "--json",
        "--cycles",
        "10",
        "--report",
        &report_arg,
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("metrics JSON");
    assert_eq!(doc["format_version"], 1);
    let metrics = doc["metrics"].as_array().expect("metrics");
    let get = |name: &str| {
        metrics
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no metric {name} in {out}"))
    };
    assert_eq!(get("txn.isolation.failures")["value"], 0.0);
    assert_eq!(get("txn.isolation.scenarios")["value"], 26.0);
    let detect = get("txn.deadlock_detect_ms");
    assert_eq!(detect["direction"], "lower_is_better");
    assert_eq!(detect["samples"].as_array().expect("samples").len(), 10);
    let median = detect["value"].as_f64().expect("number");
    let p99 = get("txn.deadlock_detect_p99_ms")["value"]
        .as_f64()
        .expect("number");
    assert!(median > 0.0 && median <= p99, "median {median}, p99 {p99}");
    let closer = get("txn.deadlock_detect_closer_ms");
    assert_eq!(closer["samples"].as_array().expect("samples").len(), 10);
    // The full report: both levels, every scenario with expected, observed and its steps.
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("report JSON");
    let levels = full["levels"].as_array().expect("levels");
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0]["level"], "RepeatableRead");
    let g2 = &levels[0]["scenarios"][11];
    assert_eq!(g2["anomaly"], "G2");
    assert_eq!(g2["expected"], "occurs");
    assert_eq!(g2["observed"]["kind"], "occurred");
    assert!(g2["steps"].as_array().expect("steps").len() > 4);
    assert_eq!(levels[1]["failures"].as_array().expect("failures").len(), 0);
    assert_eq!(
        full["deadlock_latency"]["woken"]["samples_ms"]
            .as_array()
            .expect("samples")
            .len(),
        10
    );
}

#[test]
fn drill_isolation_report_to_a_missing_folder_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("no-such-folder").join("r.json");
    let out = ldb(&[
        "drill",
        "isolation",
        "--cycles",
        "1",
        "--report",
        &report.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("while writing the report") && err.contains("r.json"),
        "{err}"
    );
}

#[test]
fn drill_isolation_rejects_a_bad_argument() {
    let out = ldb(&["drill", "isolation", "--cycles", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cycles"));
}

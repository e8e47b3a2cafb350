//! `sitegen fuzz` end to end in a fixture repository: the parsers survive a seeded budget over
//! the repository's own inputs, the figures are metrics JSON, a bad target is an error.

use crate::common::{Fixture, sitegen_cmd as sitegen};

#[test]
fn the_parsers_survive_a_seeded_budget_and_report_metrics() {
    let f = Fixture::new();
    f.run(&["metrics", "junit"]);
    let out = sitegen(
        f.root(),
        &["fuzz", "--executions", "200", "--seed", "4", "--json"],
    )
    .output()
    .expect("sitegen fuzz");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metrics JSON");
    let value = |name: &str| {
        doc["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("no {name}: {stderr}"))
    };
    assert_eq!(value("fuzz.sitegen.crashes"), 0.0);
    for t in [
        "expression",
        "plan",
        "config",
        "adr",
        "record",
        "manifest",
        "chain_head",
        "junit",
    ] {
        assert_eq!(value(&format!("fuzz.sitegen.{t}.executions")), 200.0, "{t}");
    }
    assert!(
        !f.root()
            .join("target/sitegen-cache")
            .read_dir()
            .is_ok_and(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("fuzz-")))
            }),
        "the scratch folder is removed"
    );
    let bad = sitegen(f.root(), &["fuzz", "--target", "plans"])
        .output()
        .expect("sitegen");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown fuzz target `plans`"));
}

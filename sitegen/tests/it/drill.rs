//! The gate drill (`sitegen drill gate`) end to end on a fixture project whose benchmark is a
//! script (`fixtures/drill/`) that honours LIGHTNING_BENCH_EXTRA_WORK by scaling the time it
//! reports: no A/A false alarm, the planted slowdown detected, the drill's metrics in the
//! metrics format; and its errors on bad input.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::sitegen_cmd;

const CONFIG: &str = include_str!("../fixtures/drill/sitegen.toml");
const SCAN: &str = include_str!("../fixtures/drill/scan.sh");

/// The fixture project and the folder of its run log.
fn project() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = tempfile::tempdir().expect("tempdir");
    let log = logs.path().join("runs.log");
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write(
        "sitegen.toml",
        &CONFIG.replace("@LOG@", &log.display().to_string()),
    );
    write("content/plan.toml", crate::common::PLAN);
    write("scan.sh", SCAN);
    (dir, logs)
}

fn drill(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["drill", "gate"];
    all.extend_from_slice(args);
    let out = sitegen_cmd(root, &all)
        .env_remove("LIGHTNING_BENCH_EXTRA_WORK")
        .output()
        .expect("sitegen runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_drill_finds_no_false_alarm_and_detects_the_planted_slowdown() {
    let (dir, logs) = project();
    let (code, out, err) = drill(
        dir.path(),
        &[
            "--check",
            "scan",
            "--comparisons",
            "3",
            "--rounds",
            "3",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("metrics JSON on stdout");
    let metrics: BTreeMap<String, (f64, String, String)> = doc["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_string(),
                (
                    m["value"].as_f64().expect("value"),
                    m["unit"].as_str().expect("unit").to_string(),
                    m["direction"].as_str().expect("direction").to_string(),
                ),
            )
        })
        .collect();
    let value = |n: &str| metrics.get(n).map(|m| m.0);
    assert_eq!(value("gate.aa.comparisons"), Some(3.0), "{out}");
    assert_eq!(value("gate.aa.false_alarms"), Some(0.0), "{out}");
    assert_eq!(value("gate.aa.false_improvements"), Some(0.0), "{out}");
    assert_eq!(value("gate.aa.false_alarm_rate"), Some(0.0), "{out}");
    assert_eq!(value("gate.ab.comparisons"), Some(3.0), "{out}");
    assert_eq!(value("gate.ab.detected"), Some(3.0), "{out}");
    assert_eq!(value("gate.ab.power"), Some(1.0), "{out}");
    assert_eq!(value("gate.ab.slowdown"), Some(0.1), "{out}");
    // The time-based metrics are judged; the count and the knob's own metric are not.
    for name in ["gate.mde.scan.time_ms", "gate.mde.scan.rows_per_s"] {
        let (v, unit, direction) = metrics.get(name).cloned().expect(name);
        assert!((0.05..0.5).contains(&v), "{name} = {v}");
        assert_eq!(
            (unit.as_str(), direction.as_str()),
            ("ratio", "lower_is_better")
        );
    }
    assert!(!metrics.contains_key("gate.mde.scan.rows"), "{out}");
    assert!(!metrics.contains_key("gate.mde.bench.extra_work"), "{out}");
    assert_eq!(
        metrics.get("gate.ab.power").map(|m| m.2.as_str()),
        Some("higher_is_better")
    );
    // One warm-up, then 3 × (A/A + A/B) × 3 rounds × 2 sides.
    let runs = std::fs::read_to_string(logs.path().join("runs.log")).expect("log");
    assert_eq!(runs.lines().count(), 1 + 3 * 2 * 3 * 2);
    assert!(err.contains("drill gate: scan A/B 3/3: round 3/3"), "{err}");
}

#[test]
fn the_table_and_a_slowdown_below_the_threshold_fail_the_drill_with_exit_2() {
    let (dir, _logs) = project();
    // 2 % is under the 5 % paired threshold: never flagged, so the power is 0.
    let (code, out, err) = drill(
        dir.path(),
        &[
            "--check",
            "scan",
            "--comparisons",
            "2",
            "--rounds",
            "3",
            "--slowdown",
            "0.02",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("A/A false alarms (regressed)"), "{out}");
    assert!(out.contains("A/B slowdown detected"), "{out}");
    assert!(out.contains("scan.rows_per_s"), "{out}");
    assert!(
        err.contains("not shown honest") && err.contains("detected in 0 of 2"),
        "{err}"
    );
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let (dir, logs) = project();
    for (args, expected) in [
        (&["--check", "nope"][..], "unknown check `nope`"),
        (&["--check", "scan", "--rounds", "1"][..], "--rounds 1"),
        (
            &["--check", "scan", "--comparisons", "0"][..],
            "--comparisons",
        ),
        (&["--check", "scan", "--slowdown=-0.1"][..], "--slowdown"),
        (&["--check", "scan", "--slowdown", "11"][..], "--slowdown"),
        (
            &["--check", "counts", "--comparisons", "1", "--rounds", "2"][..],
            "no time-based metric",
        ),
    ] {
        let (code, out, err) = drill(dir.path(), args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // Refused before anything ran, except the `counts` check (which logs nothing).
    assert!(!logs.path().join("runs.log").exists());
}

#[test]
fn an_inherited_knob_is_refused() {
    let (dir, _logs) = project();
    let out = sitegen_cmd(dir.path(), &["drill", "gate", "--check", "scan"])
        .env("LIGHTNING_BENCH_EXTRA_WORK", "0.1")
        .output()
        .expect("sitegen runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LIGHTNING_BENCH_EXTRA_WORK is set"), "{err}");
}

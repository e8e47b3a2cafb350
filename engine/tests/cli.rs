//! End-to-end tests of the `ldb` command line: every command, its output format, its exit codes,
//! and its errors on bad input.

mod common;
use common::{ldb, ok};

use std::path::Path;

fn db_path(dir: &Path) -> String {
    dir.join("db").display().to_string()
}

#[test]
fn put_get_del_scan_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    for (k, v) in [("b", "2"), ("a", "1"), ("c", "three\tthree")] {
        ok(&["put", &db, k, v]);
    }
    assert_eq!(ok(&["get", &db, "a"]), "1\n");
    assert_eq!(ok(&["scan", &db]), "a\t1\nb\t2\nc\tthree\\tthree\n");
    assert_eq!(
        ok(&["scan", &db, "--reverse"]),
        "c\tthree\\tthree\nb\t2\na\t1\n"
    );
    assert_eq!(ok(&["scan", &db, "--from", "b", "--to", "c"]), "b\t2\n");
    assert_eq!(ok(&["scan", &db, "--limit", "1"]), "a\t1\n");
    ok(&["del", &db, "b"]);
    let out = ldb(&["get", &db, "b"]);
    assert_eq!(out.status.code(), Some(1), "missing key exits 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("key not found"));
    assert_eq!(ok(&["scan", &db]), "a\t1\nc\tthree\\tthree\n");
}

#[test]
fn hex_keys_and_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db, "--page-size", "1024"]);
    ok(&["put", &db, "--hex", "00ff", "0a0b"]);
    assert_eq!(ok(&["get", &db, "--hex", "00ff"]), "0a0b\n");
    assert_eq!(ok(&["scan", &db]), "\\x00\\xff\t\\n\\x0b\n");
    let out = ldb(&["put", &db, "--hex", "zz", "00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not hexadecimal"));
}

#[test]
fn stats_and_check_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    ok(&["put", &db, "k", "v"]);
    let stats: serde_json::Value =
        serde_json::from_str(&ok(&["stats", &db, "--json"])).expect("stats is JSON");
    assert_eq!(stats["entries"], 1);
    assert_eq!(stats["page_size"], 4096);
    let check: serde_json::Value =
        serde_json::from_str(&ok(&["check", &db, "--json"])).expect("check is JSON");
    assert_eq!(check["findings"].as_array().map(Vec::len), Some(0));
    assert!(ok(&["stats", &db]).contains("entries"));
}

#[test]
fn check_exits_nonzero_on_a_corrupt_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db, "--page-size", "1024"]);
    assert!(
        ok(&["load", &db, "--keys", "300", "--seed", "5", "--batch", "50"])
            .contains("loaded 300 keys")
    );
    // Flip one byte in the middle of page 2 of the data file.
    let data = dir.path().join("db").join("data.ldb");
    let mut bytes = std::fs::read(&data).expect("read data file");
    bytes[2 * 1024 + 500] ^= 0x40;
    std::fs::write(&data, &bytes).expect("write data file");
    let out = ldb(&["check", &db]);
    assert_ne!(out.status.code(), Some(0), "corruption must fail the check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("page 2"),
        "the finding names the page: {text}"
    );
}

#[test]
fn bad_files_and_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = db_path(dir.path());
    let out = ldb(&["get", &missing, "k"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));

    // A directory whose data file is not a database.
    let bogus = dir.path().join("bogus");
    std::fs::create_dir_all(&bogus).expect("mkdir");
    std::fs::write(bogus.join("data.ldb"), vec![7u8; 8192]).expect("write");
    let out = ldb(&["get", &bogus.display().to_string(), "k"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Lightning DB database"));

    let db = db_path(dir.path());
    ok(&["init", &db]);
    let out = ldb(&["init", &db]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "init over an existing database fails"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = ldb(&["init", &format!("{db}2"), "--page-size", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("power of two"));
    let out = ldb(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn crashtest_command_runs_a_short_loop() {
    let out = ok(&[
        "crashtest",
        "--seed",
        "3",
        "--commits",
        "5",
        "--points",
        "20",
    ]);
    assert!(out.contains("seed 3: 20 crash points"), "{out}");
    assert!(out.contains(" 0 violations"), "{out}");
}

#[test]
fn a_second_process_gets_database_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    let held = lightning_db::Database::open(&db, lightning_db::Options::default())
        .expect("open in this process");
    let out = ldb(&["put", &db, "k", "v"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database is locked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(held);
    ok(&["put", &db, "k", "v"]);
}

#[test]
fn drill_history_checks_both_levels_and_prints_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().display().to_string();
    let out = ok(&[
        "drill",
        "history",
        "--seed",
        "7",
        "--threads",
        "3",
        "--txns",
        "40",
        "--dir",
        &base,
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("metrics JSON");
    assert_eq!(doc["format_version"], 1);
    let value = |name: &str| {
        doc["metrics"]
            .as_array()
            .expect("metrics array")
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("metric {name} missing: {out}"))
    };
    // 3 threads x 40 transactions at each of the two levels, all committed or counted.
    assert_eq!(
        value("txn.history.transactions") + value("txn.history.abandoned"),
        240.0
    );
    assert_eq!(value("txn.history.cycles"), 0.0, "{out}");
    assert_eq!(value("txn.history.si_violations"), 0.0, "{out}");
    assert_eq!(value("txn.history.anomalies"), 0.0, "{out}");
    // The scratch database is removed afterwards.
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("read dir").collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}");
    let bad = ldb(&["drill", "history", "--threads", "many"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--threads"));
}

#[test]
fn bench_oltp_prints_every_oltp_metric_and_cleans_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().display().to_string();
    let out = ok(&[
        "bench",
        "oltp",
        "--keys",
        "3000",
        "--threads",
        "2",
        "--seconds",
        "0.3",
        "--wal-mode",
        "unified",
        "--dir",
        &scratch,
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("metrics JSON");
    assert_eq!(doc["format_version"], 1);
    let value = |name: &str| -> f64 {
        let m = doc["metrics"]
            .as_array()
            .expect("metrics array")
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no metric {name} in {out}"));
        m["value"].as_f64().expect("numeric value")
    };
    assert!(value("oltp.tps") > 0.0);
    let (p50, p95, p99) = (
        value("oltp.p50_latency_ms"),
        value("oltp.p95_latency_ms"),
        value("oltp.p99_latency_ms"),
    );
    assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{p50} {p95} {p99}");
    assert!(value("oltp.mixed.tps") > 0.0);
    for name in [
        "oltp.mixed.lock_wait_ms",
        "oltp.mixed.lock_wait_max_ms",
        "oltp.mixed.lock_waits",
        "oltp.deadlocks",
        "oltp.write_conflicts",
        "oltp.retries",
        "oltp.failed_ops",
    ] {
        assert!(value(name) >= 0.0, "{name}");
    }
    // The scratch database is removed afterwards.
    assert_eq!(std::fs::read_dir(dir.path()).expect("read_dir").count(), 0);
    // Text output names the same metrics.
    let text = ok(&[
        "bench",
        "oltp",
        "--keys",
        "500",
        "--threads",
        "1",
        "--seconds",
        "0.1",
        "--dir",
        &scratch,
    ]);
    assert!(text.contains("oltp.tps") && text.contains("oltp.mixed.lock_wait_ms"));
    // With locking reads every update transaction takes one exclusive lock before it reads:
    // nothing to upgrade, no cycle, no deadlock.
    let locking = ok(&[
        "bench",
        "oltp",
        "--keys",
        "500",
        "--threads",
        "2",
        "--seconds",
        "0.2",
        "--dir",
        &scratch,
        "--json",
        "--locking-reads",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&locking).expect("metrics JSON");
    let deadlocks = doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .find(|m| m["name"] == "oltp.deadlocks")
        .and_then(|m| m["value"].as_f64());
    assert_eq!(deadlocks, Some(0.0), "{locking}");
}

#[test]
fn bench_oltp_refuses_bad_arguments() {
    for (args, expected) in [
        (&["--threads", "0"][..], "--threads"),
        (&["--seconds=-1"][..], "--seconds"),
        (&["--seconds", "nan"][..], "--seconds"),
        (&["--keys", "0"][..], "--keys"),
    ] {
        let mut all = vec!["bench", "oltp", "--quick"];
        all.extend_from_slice(args);
        let out = ldb(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{all:?}: {err}");
    }
}

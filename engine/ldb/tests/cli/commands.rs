//! End-to-end tests of the `ldb` command line: every command, its output format, its exit codes,
//! and its errors on bad input.

use crate::common::{ldb, ok};

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
        "0.1",
        "--repeat",
        "5",
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
    // Every figure but the running maximum carries one sample per measured window, and the
    // value is their median.
    for m in doc["metrics"].as_array().expect("metrics array") {
        let name = m["name"].as_str().expect("name");
        let samples: Vec<f64> = m["samples"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default();
        if name == "oltp.mixed.lock_wait_max_ms" {
            assert!(samples.is_empty(), "{name}");
            continue;
        }
        assert_eq!(samples.len(), 5, "{name}: {m}");
        let value = m["value"].as_f64().expect("value");
        assert!(is_median(value, &samples), "{name}: {value} {samples:?}");
    }
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
    // Each count has its rate per 1,000 operations, window by window: zero exactly when the
    // count is, and never more than 1,000 per counted event.
    let by_name = metric_samples(&out);
    for (count, rate) in [
        ("oltp.deadlocks", "oltp.deadlocks_per_1k_ops"),
        ("oltp.write_conflicts", "oltp.write_conflicts_per_1k_ops"),
        ("oltp.retries", "oltp.retries_per_1k_ops"),
        ("oltp.failed_ops", "oltp.failed_ops_per_1k_ops"),
        ("oltp.mixed.lock_waits", "oltp.mixed.lock_waits_per_op"),
    ] {
        let (c, r) = (&by_name[count].1, &by_name[rate].1);
        assert_eq!(c.len(), r.len(), "{rate}");
        for (c, r) in c.iter().zip(r) {
            assert_eq!(*c == 0.0, *r == 0.0, "{count} {c} vs {rate} {r}");
            assert!(*r >= 0.0 && *r <= c * 1e3, "{count} {c} vs {rate} {r}");
        }
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
        "--repeat",
        "1",
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
        "--repeat",
        "2",
        "--dir",
        &scratch,
        "--json",
        "--locking-reads",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&locking).expect("metrics JSON");
    let cold = metric_samples(&ok(&[
        "bench",
        "oltp",
        "--keys",
        "500",
        "--threads",
        "1",
        "--seconds",
        "0.1",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--json",
        "--dir",
        &scratch,
    ]));
    assert_eq!(
        cold["oltp.tps"].1.len(),
        1,
        "one measured window, no warm-up"
    );
    let deadlocks = doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .find(|m| m["name"] == "oltp.deadlocks")
        .and_then(|m| m["value"].as_f64());
    assert_eq!(deadlocks, Some(0.0), "{locking}");
}

/// Whether `value` is the median of `samples` (within JSON's last-digit rounding).
fn is_median(value: f64, samples: &[f64]) -> bool {
    lightning_metrics::median(samples).is_some_and(|m| (m - value).abs() <= 1e-9 * m.abs().max(1.0))
}

/// The metrics of a `--json` run, by name: value and samples.
fn metric_samples(out: &str) -> std::collections::BTreeMap<String, (f64, Vec<f64>)> {
    let doc: serde_json::Value = serde_json::from_str(out).expect("metrics JSON");
    doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .map(|m| {
            let samples = m["samples"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                .unwrap_or_default();
            (
                m["name"].as_str().expect("name").to_string(),
                (m["value"].as_f64().expect("value"), samples),
            )
        })
        .collect()
}

#[test]
fn bench_storage_and_the_backup_drill_sample_every_timed_figure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().display().to_string();
    let storage = metric_samples(&ok(&[
        "bench", "storage", "--keys", "500", "--repeat", "2", "--json", "--dir", &scratch,
    ]));
    for (name, (value, samples)) in &storage {
        if name == "engine.peak_rss_mib" {
            assert!(samples.is_empty(), "{name}");
            continue;
        }
        assert_eq!(samples.len(), 2, "{name}");
        assert!(is_median(*value, samples), "{name}: {value} {samples:?}");
    }
    assert!(storage.contains_key("engine.commit.standard.p50_us"));
    // Without a warm-up (a cold process, as paired runs against old commits measure): one
    // sample per figure, and the same figures.
    let cold = metric_samples(&ok(&[
        "bench", "storage", "--keys", "500", "--repeat", "1", "--warmup", "0", "--json", "--dir",
        &scratch,
    ]));
    assert_eq!(
        cold.keys().collect::<Vec<_>>(),
        storage.keys().collect::<Vec<_>>()
    );
    assert_eq!(cold["engine.commit.standard.p50_us"].1.len(), 1);
    let drill = metric_samples(&ok(&[
        "drill",
        "backup-restore",
        "--keys",
        "500",
        "--baseline-commits",
        "20",
        "--repeat",
        "3",
        "--json",
        "--dir",
        &scratch,
    ]));
    for name in [
        "backup.rto_s",
        "backup.mib_per_s",
        "backup.commit_p99_during_ms",
        "backup.commit_p99_without_ms",
    ] {
        let (value, samples) = &drill[name];
        assert_eq!(samples.len(), 3, "{name}");
        assert!(is_median(*value, samples), "{name}: {value} {samples:?}");
    }
    assert_eq!(drill["backup.restores_verified"].0, 3.0);
    assert_eq!(drill["backup.restore_verify_failures"].0, 0.0);
    assert_eq!(drill["backup.rpo_commits"].0, 0.0);
    let olap = metric_samples(&ok(&[
        "bench", "olap-kv", "--keys", "300", "--scans", "4", "--json", "--dir", &scratch,
    ]));
    assert_eq!(olap["olap.kv_scan.rows_per_s"].1.len(), 4);
    assert_eq!(olap["olap.kv_scan.rows"], (300.0, Vec::new()));
    // Every scratch folder is removed afterwards.
    assert_eq!(std::fs::read_dir(dir.path()).expect("read_dir").count(), 0);
}

#[test]
fn bench_oltp_refuses_bad_arguments() {
    for (args, expected) in [
        (&["--threads", "0"][..], "--threads"),
        (&["--seconds=-1"][..], "--seconds"),
        (&["--seconds", "nan"][..], "--seconds"),
        (&["--keys", "0"][..], "--keys"),
        (&["--repeat", "0"][..], "--repeat"),
    ] {
        let mut all = vec!["bench", "oltp", "--quick"];
        all.extend_from_slice(args);
        let out = ldb(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{all:?}: {err}");
    }
}

/// How a command ended: exit code, standard error.
fn run_with_stdout(args: &[&str], stdout: std::process::Stdio) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(args)
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("ldb runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> std::process::Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

#[test]
fn every_command_stops_quietly_on_a_closed_stdout_and_names_stdout_when_it_is_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    ok(&["put", &db, "k", "v"]);
    let bk = dir.path().join("bk").display().to_string();
    ok(&["backup", &db, &bk]);
    // A database too damaged to open: `check` exits 1 whatever happens to its output.
    let bogus = dir.path().join("bogus");
    std::fs::create_dir_all(&bogus).expect("mkdir");
    std::fs::write(bogus.join("data.ldb"), vec![7u8; 8192]).expect("write");
    let bogus = bogus.display().to_string();
    let metrics = dir.path().join("m.json");
    std::fs::write(
        &metrics,
        r#"{"format_version":1,"metrics":[{"name":"x","value":1,"direction":"lower_is_better"}]}"#,
    )
    .expect("write");
    let metrics = metrics.display().to_string();
    let scratch = dir.path().display().to_string();
    let full = std::path::Path::new("/dev/full").exists();
    for (i, (args, code)) in [
        (vec!["get", &db, "k"], 0),
        (vec!["recover", &db], 0),
        (vec!["check", &db, "--metrics", "db"], 0),
        (vec!["catalog", "--json"], 0),
        (vec!["bench", "compare", &metrics, &metrics], 0),
        (
            vec!["snapshot", "create", "--keys", "20", "--out", "NEW"],
            0,
        ),
        (vec!["drill", "isolation", "--cycles", "1"], 0),
        (vec!["drill", "isolation", "--cycles", "1", "--json"], 0),
        (
            vec![
                "drill",
                "history",
                "--threads",
                "1",
                "--txns",
                "5",
                "--dir",
                &scratch,
            ],
            0,
        ),
        (
            vec![
                "bench", "olap-kv", "--keys", "20", "--scans", "1", "--json", "--dir", &scratch,
            ],
            0,
        ),
        (vec!["scan", &db], 0),
        (vec!["stats", &db], 0),
        (vec!["stats", &db, "--json"], 0),
        (vec!["check", &db], 0),
        (vec!["check", &db, "--json"], 0),
        (vec!["check", &bogus], 1),
        (vec!["catalog"], 0),
        (vec!["catalog", "--markdown"], 0),
        (vec!["txn", &db, "get:k", "scan:.."], 0),
        (vec!["load", &db, "--keys", "5"], 0),
        (vec!["init", "NEW"], 0),
        (vec!["backup", &db, "NEW"], 0),
        (vec!["restore", &bk, "NEW"], 0),
        (vec!["restore", &bk, "NEW", "--verify-only"], 0),
        (
            vec![
                "crashtest",
                "--commits",
                "2",
                "--points",
                "2",
                "--mode",
                "standard",
            ],
            0,
        ),
        (
            vec![
                "crashtest",
                "--commits",
                "2",
                "--points",
                "2",
                "--mode",
                "unified",
                "--json",
            ],
            0,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // Commands that create something get a fresh path per run.
        let fresh = |tag: &str| {
            let new = dir
                .path()
                .join(format!("new-{i}-{tag}"))
                .display()
                .to_string();
            args.iter()
                .map(|a| {
                    if *a == "NEW" {
                        new.clone()
                    } else {
                        a.to_string()
                    }
                })
                .collect::<Vec<_>>()
        };
        let closed = fresh("closed");
        let closed: Vec<&str> = closed.iter().map(String::as_str).collect();
        let (status, err) = run_with_stdout(&closed, closed_pipe());
        assert_eq!(status, Some(code), "{closed:?} on a closed pipe: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("error"),
            "{closed:?} on a closed pipe must stay quiet: {err}"
        );
        if !full {
            continue;
        }
        let to_full = fresh("full");
        let to_full: Vec<&str> = to_full.iter().map(String::as_str).collect();
        let dev_full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let (status, err) = run_with_stdout(&to_full, dev_full.into());
        assert_eq!(status, Some(2), "{to_full:?} > /dev/full: {err}");
        assert!(!err.contains("panicked"), "{to_full:?} > /dev/full: {err}");
        assert!(
            err.contains("cannot write to standard output: No space left on device"),
            "{to_full:?} > /dev/full: {err}"
        );
    }
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    std::fs::write(&file, b"not a directory").expect("write");
    let out = ldb(&["init", &file.join("db").display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("(os error 20)").count(), 1, "{err}");
    assert!(err.contains("Not a directory"), "{err}");
}

#[test]
fn an_empty_key_is_refused_by_every_command_with_the_same_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    for args in [
        vec!["put", &db, "", "v"],
        vec!["get", &db, ""],
        vec!["del", &db, ""],
        vec!["get", &db, "--hex", ""],
        vec!["txn", &db, "get:"],
        vec!["txn", &db, "getx:"],
        vec!["txn", &db, "del:"],
        vec!["txn", &db, "put:=v"],
    ] {
        let out = ldb(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("key is empty; keys must not be empty"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn check_reports_a_database_too_damaged_to_open_as_a_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db]);
    ok(&["put", &db, "k", "v"]);
    let data = dir.path().join("db").join("data.ldb");
    // A damaged header: a finding, in text and in JSON (the report's fields, plus `opened`).
    let mut bytes = std::fs::read(&data).expect("read");
    bytes[0] ^= 0xff;
    std::fs::write(&data, &bytes).expect("write");
    let out = ldb(&["check", &db]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("PROBLEMS FOUND"), "{text}");
    assert!(text.contains("not a Lightning DB database"), "{text}");
    let out = ldb(&["check", &db, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["clean"], false);
    assert_eq!(report["opened"], false);
    assert_eq!(report["tree"]["entries"], 0);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["layer"], "database");
    assert!(
        findings[0]["problem"]
            .as_str()
            .is_some_and(|p| p.contains("data.ldb is not a Lightning DB database")),
        "{report}"
    );
    let out = ldb(&["check", &db, "--metrics", "db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"db.errors\""));
    // The data file missing from a database directory: a finding too.
    std::fs::remove_file(&data).expect("rm");
    let out = ldb(&["check", &db]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("data.ldb is missing"), "{text}");
    // No database there at all is a usage error, as before.
    for path in [dir.path().join("nothing"), dir.path().to_path_buf()] {
        let out = ldb(&["check", &path.display().to_string()]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
    }
}

#[test]
fn crashtest_refuses_to_check_nothing_and_wraps_its_seeds() {
    for flag in ["--points", "--seeds", "--commits"] {
        let out = ldb(&["crashtest", flag, "0"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} 0: {err}");
        assert!(
            err.contains(flag) && err.contains("must be at least 1"),
            "{flag}: {err}"
        );
    }
    // The largest seed is tested (it used to run no seed at all), and the next one is 0.
    let out = ok(&[
        "crashtest",
        "--seed",
        "18446744073709551615",
        "--seeds",
        "2",
        "--commits",
        "2",
        "--points",
        "3",
        "--mode",
        "standard",
    ]);
    assert!(
        out.contains("standard seed 18446744073709551615: 3 crash points"),
        "{out}"
    );
    assert!(out.contains("standard seed 0: 3 crash points"), "{out}");
}

/// Every byte `ldb` writes to standard output goes through `out.rs` (`outln!`, `out!`,
/// `Buffered`), which is what makes a closed pipe quiet and a full disk an error naming standard
/// output: no other source file may print or take standard output.
#[test]
fn only_the_output_module_writes_to_stdout() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().is_some_and(|n| n == "out.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if ["println!", "print!(", "stdout()", "dbg!"]
                    .iter()
                    .any(|bad| code.contains(bad))
                {
                    offenders.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn bench_olap_kv_records_the_gate_drills_extra_work_and_refuses_bad_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().display().to_string();
    let run = |value: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ldb"))
            .args([
                "bench", "olap-kv", "--keys", "50", "--scans", "2", "--json", "--dir", &scratch,
            ])
            .env("LIGHTNING_BENCH_EXTRA_WORK", value)
            .output()
            .expect("ldb runs")
    };
    let out = run("0.10");
    assert!(out.status.success(), "{out:?}");
    let knobbed = metric_samples(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(knobbed["bench.extra_work"].0, 0.10);
    assert_eq!(knobbed["olap.kv_scan.rows"].0, 50.0);
    for bad in ["fast", "-0.1", "11"] {
        let out = run(bad);
        assert!(!out.status.success(), "{bad}: {out:?}");
        assert!(out.stdout.is_empty(), "{bad}: nothing measured is printed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("LIGHTNING_BENCH_EXTRA_WORK") && err.contains(bad),
            "{bad}: {err}"
        );
    }
}

//! Bad input through the CLI and the library: each error names the file (and line), the exit
//! code is non-zero, and nothing is half-written.

use crate::common::{Fixture, sitegen};
use sitegen::evidence::record::Status;

#[test]
fn malformed_config_is_reported_with_file_and_line() {
    let f = Fixture::new();
    f.write(
        "sitegen.toml",
        "[paths]\nevidence = \"evidence\"\n[[check]\nid = \"x\"\n",
    );
    let (code, text) = sitegen(&f, &["verify"]);
    assert_eq!(code, 1);
    assert!(text.contains("sitegen.toml:3:"), "{text}");

    f.write(
        "sitegen.toml",
        &crate::common::CONFIG.replace("id = \"junit\"", "id = \"metrics\""),
    );
    let (code, text) = sitegen(&f, &["run"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("sitegen.toml:") && text.contains("duplicate check id `metrics`"),
        "{text}"
    );

    f.write(
        "sitegen.toml",
        &format!(
            "[paths]\nevidence = \"../../elsewhere\"\n{}",
            crate::common::CONFIG
        ),
    );
    let (code, text) = sitegen(&f, &["verify"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("sitegen.toml:2:") && text.contains("escapes the repository"),
        "{text}"
    );
    assert!(!f.evidence().exists(), "nothing written");
}

#[test]
fn malformed_plan_is_reported_with_file_and_line() {
    let f = Fixture::new();
    f.write(
        "content/plan.toml",
        &crate::common::PLAN.replace("depends_on = [0]", "depends_on = [0, 9]"),
    );
    let (code, text) = sitegen(&f, &["gate"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("plan.toml") && text.contains("unknown phase 9"),
        "{text}"
    );
    f.write(
        "content/plan.toml",
        &crate::common::PLAN.replace(">= 0.90", ">= "),
    );
    let (code, text) = sitegen(&f, &["gate"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("plan.toml:11:") && text.contains("P0.cache"),
        "{text}"
    );
}

#[test]
fn non_finite_or_malformed_check_output_is_an_error_record() {
    let f = Fixture::new();
    f.write(
        "metrics.json",
        r#"{"format_version":1,"metrics":[{"name":"a","value":1e999,"direction":"lower_is_better"}]}"#,
    );
    let s = f
        .project()
        .run("quick", &["metrics".to_string()], false)
        .expect("the run is still recorded");
    assert_eq!(s.records[0].status, Status::Error);
    let msg = s.records[0].message.clone().unwrap_or_default();
    assert!(msg.contains("standard output of check `metrics`"), "{msg}");
    assert!(f.project().verify().expect("verify").ok());

    f.write(
        "junit-src.xml",
        "<testsuites><testcase name=\"a\"></testsuites>",
    );
    let s = f
        .project()
        .run("quick", &["junit".to_string()], false)
        .expect("recorded");
    assert_eq!(s.records[0].status, Status::Error);
    let msg = s.records[0].message.clone().unwrap_or_default();
    assert!(msg.contains("out/junit.xml:1:"), "{msg}");
}

#[test]
fn unknown_check_or_profile_is_refused_before_anything_runs() {
    let f = Fixture::new();
    let (code, text) = sitegen(&f, &["run", "--only", "nope"]);
    assert_eq!(code, 1);
    assert!(text.contains("unknown check `nope`"), "{text}");
    let (code, text) = sitegen(&f, &["run", "--profile", "nightly"]);
    assert_eq!(code, 1);
    assert!(text.contains("unknown profile `nightly`"), "{text}");
    assert!(!f.evidence().exists());
    let (code, text) = sitegen(
        &f,
        &[
            "baseline",
            "set",
            "20200101T000000Z-0000000",
            "--reason",
            "r",
        ],
    );
    assert_eq!(code, 1);
    assert!(text.contains("20200101T000000Z-0000000"), "{text}");
}

#[test]
fn run_exit_code_reports_failed_checks_after_recording() {
    let f = Fixture::new();
    let (code, text) = sitegen(&f, &["run", "--no-progress"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("failing") && text.contains("exited with code 3"),
        "{text}"
    );
    let (code, _) = sitegen(&f, &["run", "--only", "metrics", "junit"]);
    assert_eq!(code, 0);
    assert_eq!(f.project().load_runs().expect("load").len(), 2);
    let (code, text) = sitegen(&f, &["verify"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 runs"), "{text}");
}

#[test]
fn gate_refuses_unverifiable_evidence_and_loading_names_bad_records() {
    let f = Fixture::new();
    let id = f.run(&["metrics"]);
    let record = f.evidence().join(&id).join("records/metrics.json");
    std::fs::write(&record, "{\n  \"format_version\": 1,\n  oops\n}\n").expect("write");
    let (code, text) = sitegen(&f, &["gate"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("gate refused") && text.contains("records/metrics.json"),
        "{text}"
    );
    let err = f.project().load_runs().expect_err("malformed record");
    assert!(
        format!("{err:#}").contains("records/metrics.json:3:"),
        "{err:#}"
    );
}

#[test]
fn a_root_that_is_missing_or_not_a_project_is_an_error_and_nothing_is_created() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let typo = tmp.path().join("typo");
    for args in [
        vec!["verify"],
        vec!["gate"],
        vec!["build", "--version", "v1"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .arg("--root")
            .arg(&typo)
            .args(&args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("typo: no such folder") && stderr.contains("sitegen.toml"),
            "{args:?}: {stderr}"
        );
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    // A folder that exists but is not a project (no sitegen.toml).
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).expect("mkdir");
    for args in [vec!["verify"], vec!["build", "--version", "v1"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .arg("--root")
            .arg(&plain)
            .args(&args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not a sitegen project: it has no sitegen.toml"),
            "{args:?}: {stderr}"
        );
        assert!(!plain.join("site").exists(), "{args:?} built a site");
    }
}

#[test]
fn an_invalid_version_is_refused_before_anything_is_done() {
    let f = Fixture::new();
    for bad in [".", "..", "../x", "", ".cache", "latest", "a/b"] {
        for cmd in ["build", "publish"] {
            let args: &[&str] = if cmd == "publish" {
                &[cmd, "--no-progress", "--version", bad]
            } else {
                &[cmd, "--version", bad]
            };
            let (code, text) = sitegen(&f, args);
            assert_eq!(code, 1, "{cmd} --version {bad:?}: {text}");
            assert!(
                text.contains("is not a valid version name"),
                "{cmd} --version {bad:?}: {text}"
            );
            assert!(!text.contains("already exists"), "{text}");
        }
    }
    assert!(!f.root().join("site").exists(), "nothing was built");
    assert!(
        f.project().load_runs().expect("runs").is_empty(),
        "publish ran no check"
    );
}

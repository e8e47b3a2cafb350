//! The `sitegen` binary when its standard output or error cannot be written: a full disk is
//! an error with status 2 after the work is done, a closed pipe ends quietly, and neither is
//! ever a panic (status 101).

#![cfg(target_os = "linux")]

use std::process::{Command, Output, Stdio};

use crate::common::{Fixture, sitegen_cmd as sitegen};

fn full_disk() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens")
}

fn no_panic(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{what} panicked: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

/// A committed fixture with one verifiable run.
fn fixture() -> Fixture {
    let f = Fixture::new();
    f.run(&["metrics", "junit"]);
    f
}

#[test]
fn a_full_standard_output_is_an_error_with_status_2_after_the_work_is_done() {
    let f = fixture();
    for (args, version) in [
        (vec!["verify"], None),
        (vec!["gate"], None),
        (vec!["gate", "--json"], None),
        (vec!["build", "--version", "full"], Some("full")),
    ] {
        let out = sitegen(f.root(), &args)
            .stdout(full_disk())
            .output()
            .expect("sitegen runs");
        no_panic(&out, &args.join(" "));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: writing to standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
        if let Some(v) = version {
            assert!(
                f.root().join("site").join(v).join("index.html").exists(),
                "the build finished its work before reporting the lost output"
            );
        }
    }
}

#[test]
fn a_closed_pipe_on_standard_output_ends_quietly_with_the_commands_own_status() {
    let f = fixture();
    for (args, version) in [
        (vec!["verify"], None),
        (vec!["gate"], None),
        (vec!["build", "--version", "piped"], Some("piped")),
    ] {
        // What the command exits with when its output is read.
        let normal = sitegen(f.root(), &args)
            .args(version.map(|_| "--force"))
            .output()
            .expect("sitegen runs");
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = sitegen(f.root(), &args)
            .args(version.map(|_| "--force"))
            .stdout(Stdio::from(writer))
            .output()
            .expect("sitegen runs");
        no_panic(&out, &args.join(" "));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            normal.status.code(),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("standard output"), "{args:?}: {stderr}");
        if args == ["verify"] {
            assert_eq!(out.status.code(), Some(0), "{stderr}");
        }
    }
}

#[test]
fn an_unwritable_standard_error_is_no_panic() {
    let f = fixture();
    let out = sitegen(f.root(), &["build", "--version", "e"])
        .stdout(full_disk())
        .stderr(full_disk())
        .output()
        .expect("sitegen runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(f.root().join("site/e/index.html").exists());
    // A failed verification reports its problems on standard error: still status 1.
    let run = f.project().load_runs().expect("runs")[0].id.clone();
    let record = f.evidence().join(run).join("records/metrics.json");
    let text = std::fs::read_to_string(&record).expect("record");
    std::fs::write(&record, text.replace("0.95", "0.99")).expect("tamper");
    let out = sitegen(f.root(), &["verify"])
        .stderr(full_disk())
        .output()
        .expect("sitegen runs");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn help_and_commands_without_a_repository_follow_the_same_rules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("syn");
    let synthetic = [
        "synthetic",
        out_dir.to_str().expect("utf-8"),
        "--pages",
        "1",
        "--adrs",
        "1",
        "--commits",
        "1",
        "--metrics",
        "1",
    ];
    for args in [vec!["--help"], vec!["--version"], vec!["build", "--help"]] {
        let bin = || Command::new(env!("CARGO_BIN_EXE_sitegen"));
        let out = bin()
            .args(&args)
            .stdout(full_disk())
            .output()
            .expect("sitegen runs");
        no_panic(&out, &args.join(" "));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: writing to standard output"),
            "{args:?}: {stderr}"
        );
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = bin()
            .args(&args)
            .stdout(Stdio::from(writer))
            .output()
            .expect("sitegen runs");
        no_panic(&out, &args.join(" "));
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: quiet");
    }
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .args(synthetic)
        .stdout(Stdio::from(writer))
        .output()
        .expect("sitegen runs");
    no_panic(&out, "synthetic");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "quiet");
    assert!(out_dir.join("content").is_dir(), "the work was done");
}

//! Publishing under concurrency and after crashes, through the binary and the library:
//! concurrent builds each land in `versions.json`, concurrent appends each land in the
//! ledger, a reader never sees an append half-done, a waiting command says whom it waits for,
//! and killed builds leave nothing in the published root (their staging trees are removed by
//! the next build).

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Fixture, sitegen_cmd as sitegen};

fn listed_versions(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("site/versions.json")).expect("versions.json");
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON list");
    list.iter()
        .filter_map(|v| v["version"].as_str().map(str::to_string))
        .collect()
}

/// The pid of a process that has exited (and been reaped).
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawns");
    let pid = child.id();
    child.wait().expect("exits");
    pid
}

#[test]
fn two_builds_at_once_both_land_in_versions_json() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    for trial in 0..3 {
        let (a, b) = (format!("a{trial}"), format!("b{trial}"));
        let children: Vec<_> = [&a, &b]
            .iter()
            .map(|v| {
                sitegen(f.root(), &["build", "--version", v])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawns")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("waits");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let listed = listed_versions(f.root());
        for v in [&a, &b] {
            assert!(listed.contains(v), "trial {trial}: {v} lost: {listed:?}");
            assert!(f.root().join("site").join(v).join("index.html").exists());
        }
    }
    assert_eq!(listed_versions(f.root()).len(), 6);
}

#[test]
fn two_appends_at_once_both_land_and_readers_never_see_one_half_done() {
    let f = Fixture::new();
    let project = f.project();
    let rounds = 4;
    let start = Barrier::new(3);
    let stop = AtomicBool::new(false);
    let (appended, bad_reads) = std::thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    (0..rounds)
                        .map(|_| {
                            project
                                .run("quick", &["metrics".to_string()], false)
                                .map(|r| r.run_id)
                                .map_err(|e| format!("{e:#}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let reader = s.spawn(|| {
            start.wait();
            let mut bad = Vec::new();
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) || reads == 0 {
                match project.verify() {
                    Ok(report) if report.ok() => {}
                    Ok(report) => bad.push(format!("{:?}", report.problems)),
                    Err(e) => bad.push(format!("{e:#}")),
                }
                reads += 1;
            }
            bad
        });
        let appended: Vec<Result<String, String>> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        stop.store(true, Ordering::SeqCst);
        (appended, reader.join().unwrap_or_default())
    });
    let failed: Vec<&String> = appended.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "appends were refused: {failed:?}");
    assert_eq!(appended.len(), 2 * rounds);
    assert!(
        bad_reads.is_empty(),
        "a reader saw a broken ledger while runs were appended: {:?}",
        bad_reads.first()
    );
    let report = f.project().verify().expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.runs, 2 * rounds, "every append is in the ledger");
}

#[test]
fn a_build_waits_for_the_site_lock_and_says_who_holds_it() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    let lock_dir = f.root().join("target/sitegen-cache");
    std::fs::create_dir_all(&lock_dir).expect("mkdir");
    let lock_path = lock_dir.join(sitegen::site::SITE_LOCK);
    let held = sitegen::util::lock::exclusive(&lock_path).expect("locks");
    let mut child = sitegen(f.root(), &["build", "--version", "w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().expect("polls").is_none(),
        "the build did not wait for the lock"
    );
    assert!(!f.root().join("site/w").exists());
    drop(held);
    let out = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let said = format!(
        "waiting for another sitegen process (pid {}) holding {}",
        std::process::id(),
        lock_path.display()
    );
    assert_eq!(stderr.matches(&said).count(), 1, "said once: {stderr}");
    assert_eq!(listed_versions(f.root()), ["w"]);
}

/// Everything directly under `site/`.
fn site_entries(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("site"))
        .expect("site")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_killed_build_leaves_nothing_in_the_published_root_and_the_next_build_cleans_up() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    let staging = f.root().join("target/sitegen-cache/staging");
    // Kill a build while its staging tree exists.
    let mut killed: Option<PathBuf> = None;
    for attempt in 0..10 {
        let version = format!("k{attempt}");
        let mut child = sitegen(f.root(), &["build", "--version", &version])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let tree = staging.join(format!("{version}-{}", child.id()));
        let start = Instant::now();
        while !tree.exists()
            && child.try_wait().expect("polls").is_none()
            && start.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill();
        child.wait().expect("reaped");
        if tree.exists() && !f.root().join("site").join(&version).exists() {
            killed = Some(tree);
            break;
        }
    }
    let killed = killed.expect("a build was killed while staging");
    let published = |root: &Path| -> Vec<String> {
        let versions = listed_versions_or_empty(root);
        site_entries(root)
            .into_iter()
            .filter(|n| !versions.contains(n))
            .collect()
    };
    for name in published(f.root()) {
        // The evidence store may hold files of the killed build's runs: each was complete
        // (renamed into place) and has the ledger's bytes; no version links to them yet.
        assert!(
            [
                "evidence",
                "index.html",
                "latest",
                "versions.html",
                "versions.js",
                "versions.json"
            ]
            .contains(&name.as_str()),
            "a killed build left `site/{name}` in the published root"
        );
    }
    // Leftovers of older builds, in the staging folder and (from before it) in site/ itself.
    let dead = dead_pid();
    let legacy_tree = f.root().join(format!("site/.tmp-v8-{dead}"));
    std::fs::create_dir_all(legacy_tree.join("runs")).expect("mkdir");
    std::fs::write(legacy_tree.join("runs/index.html"), "x").expect("write");
    let legacy_list = f.root().join(format!("site/versions.tmp-{dead}"));
    std::fs::write(&legacy_list, "[]").expect("write");
    let aside = staging.join(format!("old-v7-{dead}"));
    std::fs::create_dir_all(&aside).expect("mkdir");
    // A live process's tree is left alone (pid 1 is always running).
    let live = staging.join("v6-1");
    std::fs::create_dir_all(&live).expect("mkdir");

    let mut o = sitegen::site::BuildOptions::new(f.root());
    o.version = Some("next".into());
    let report = sitegen::site::build(&o).expect("builds");
    for gone in [&killed, &legacy_tree, &legacy_list, &aside] {
        assert!(!gone.exists(), "{} was not removed", gone.display());
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains(&gone.display().to_string())),
            "{:?}",
            report.warnings
        );
    }
    assert!(live.exists(), "a running process's tree was removed");
    assert_eq!(
        published(f.root()),
        [
            "evidence",
            "index.html",
            "latest",
            "versions.html",
            "versions.js",
            "versions.json"
        ]
    );
    // The build state is outside the site folder; nothing of it is a version, nor inside one.
    assert!(f.root().join("target/sitegen-cache/pages.json").exists());
    let listed = listed_versions(f.root());
    assert_eq!(listed.first().map(String::as_str), Some("next"));
    assert!(listed.iter().all(|v| !v.starts_with('.')), "{listed:?}");
    assert!(!f.root().join("site/next/.cache").exists());
    let latest = std::fs::read_link(f.root().join("site/latest")).expect("latest is a link");
    assert_eq!(latest, Path::new("next"));
}

fn listed_versions_or_empty(root: &Path) -> Vec<String> {
    if root.join("site/versions.json").exists() {
        listed_versions(root)
    } else {
        Vec::new()
    }
}

//! The evidence ledger end to end over fixture repositories: runs chain and verify; every byte
//! changed, every run deleted, every file added or removed is detected and named.

use crate::common::Fixture;
use sitegen::evidence::ledger::{MANIFEST, parse_run_id};
use sitegen::evidence::record::Status;
use sitegen::evidence::verify::ProblemKind;

fn problems_text(f: &Fixture) -> String {
    let report = f.project().verify().expect("verify runs");
    assert!(!report.ok(), "verification should fail");
    report
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_run_records_every_check_and_chains_to_the_previous_one() {
    let f = Fixture::new();
    let project = f.project();
    let summary = project
        .run("quick", &[], false)
        .expect("quick profile runs");
    let statuses: Vec<_> = summary
        .records
        .iter()
        .map(|r| (r.check_id.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("metrics", Status::Pass),
            ("junit", Status::Pass),
            ("failing", Status::Fail)
        ]
    );
    let failing = &summary.records[2];
    assert_eq!(failing.exit_code, Some(3));
    assert_eq!(failing.stderr.text, "boom\n");
    assert_eq!(failing.stderr.bytes, 5);
    let junit = &summary.records[1];
    assert!(
        junit
            .metrics
            .iter()
            .any(|m| m.name == "junit.tests.total" && m.value == 2.0)
    );
    assert!(
        junit
            .artifacts
            .iter()
            .any(|a| a.path == "junit-src.xml" && a.size > 0)
    );
    assert!(junit.artifacts.iter().any(|a| a.path == "out/junit.xml"));
    let env = &summary.records[0].environment;
    assert_eq!(env.git_commit.len(), 40);
    assert!(
        !env.dirty,
        "captured before the run, on a freshly committed tree"
    );
    assert!(env.cores >= 1);
    assert!(summary.run_id.ends_with(&env.git_commit[..7]));
    parse_run_id(&summary.run_id).expect("well-formed id");

    let second = f.run(&["metrics"]);
    assert!(second > summary.run_id, "ids sort by time");
    let runs = project.load_runs().expect("load");
    assert_eq!(runs.len(), 2);
    assert!(
        !runs[1].info.environment.dirty,
        "the evidence the first run left is sitegen's own output, not a change of the tree"
    );
    f.write("notes.txt", "a change of the tree\n");
    f.run(&["metrics"]);
    let dirty = project.load_runs().expect("load")[2].info.environment.dirty;
    assert!(
        dirty,
        "an untracked file outside the outputs makes the tree dirty"
    );
    std::fs::remove_file(f.root().join("notes.txt")).expect("rm");
    let link = runs[1].manifest.previous.as_ref().expect("linked");
    assert_eq!(link.run_id, runs[0].id);
    assert_eq!(link.manifest_sha256, runs[0].manifest_sha256);
    assert!(runs[0].manifest.previous.is_none());
    let report = project.verify().expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.runs, 3);
}

#[test]
fn changing_any_byte_of_any_evidence_file_fails_verify_and_names_the_file() {
    let f = Fixture::new();
    f.run(&["metrics", "junit"]);
    f.run(&["metrics"]);
    let files = f.evidence_files();
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let original = std::fs::read(&file).expect("read");
        for offset in [0, original.len() / 2, original.len() - 1] {
            let mut changed = original.clone();
            changed[offset] ^= 0x01;
            std::fs::write(&file, &changed).expect("write");
            let text = problems_text(&f);
            let name = file.display().to_string();
            assert!(
                text.contains(&name),
                "flipping byte {offset} of {name} was reported without naming it:\n{text}"
            );
            std::fs::write(&file, &original).expect("restore");
        }
    }
    assert!(f.project().verify().expect("verify").ok());
}

#[test]
fn deleting_a_run_breaks_the_chain_and_is_reported() {
    for victim in 0..3 {
        let f = Fixture::new();
        let ids: Vec<String> = (0..3).map(|_| f.run(&["metrics"])).collect();
        std::fs::remove_dir_all(f.evidence().join(&ids[victim])).expect("delete run");
        let report = f.project().verify().expect("verify");
        let broken: Vec<_> = report
            .problems
            .iter()
            .filter(|p| matches!(p.kind, ProblemKind::BrokenLink { .. }))
            .collect();
        assert!(!broken.is_empty(), "deleting run {victim} went unnoticed");
        let text = problems_text(&f);
        assert!(
            text.contains(&ids[victim]),
            "the report should name the deleted run {}:\n{text}",
            ids[victim]
        );
    }
}

#[test]
fn extra_missing_and_rewritten_files_are_reported() {
    let f = Fixture::new();
    let id = f.run(&["metrics", "junit"]);
    let run = f.evidence().join(&id);

    std::fs::write(run.join("records/extra.json"), "{}").expect("write");
    assert!(problems_text(&f).contains("records/extra.json: unexpected file"));
    std::fs::remove_file(run.join("records/extra.json")).expect("rm");

    std::fs::write(f.evidence().join("notes.txt"), "hi").expect("write");
    assert!(problems_text(&f).contains("notes.txt: unexpected file"));
    std::fs::remove_file(f.evidence().join("notes.txt")).expect("rm");

    let record = run.join("records/junit.json");
    let original = std::fs::read_to_string(&record).expect("read");
    std::fs::remove_file(&record).expect("rm");
    assert!(problems_text(&f).contains("records/junit.json: listed in the manifest but missing"));

    // A careful forger edits a value, keeps valid JSON and even fixes the manifest hash: the
    // manifest's own hash then no longer matches the chain head.
    let forged = original.replacen("\"value\": 2.0", "\"value\": 3.0", 1);
    assert_ne!(forged, original);
    std::fs::write(&record, &forged).expect("write");
    assert!(problems_text(&f).contains("contents changed"));
    let manifest_path = run.join(MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path).expect("read");
    let fixed = manifest.replace(
        &sitegen::evidence::hash::bytes(original.as_bytes()),
        &sitegen::evidence::hash::bytes(forged.as_bytes()),
    );
    assert_ne!(fixed, manifest);
    std::fs::write(&manifest_path, fixed).expect("write");
    let text = problems_text(&f);
    assert!(
        text.contains("chain-head.json") && text.contains(MANIFEST),
        "{text}"
    );
}

#[test]
fn an_interrupted_append_leaves_no_run_and_is_cleaned_up() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    let tmp = f.evidence().join(".tmp-20991231T000000Z-abcdef0");
    std::fs::create_dir_all(tmp.join("records")).expect("mkdir");
    std::fs::write(tmp.join("run.json"), "{ half").expect("write");
    assert!(f.project().verify().expect("verify").ok());
    assert_eq!(f.project().load_runs().expect("load").len(), 1);
    f.run(&["metrics"]);
    assert!(!tmp.exists(), "the next append removes leftovers");
    assert!(f.project().verify().expect("verify").ok());
}

#[test]
fn a_check_past_its_timeout_is_killed_and_recorded() {
    let f = Fixture::new();
    let s = f
        .project()
        .run("quick", &["slow".to_string()], false)
        .expect("run");
    assert_eq!(s.records[0].status, Status::Timeout);
    assert!(s.records[0].duration_ms < 20_000);
    assert!(f.project().verify().expect("verify").ok());
}

#[test]
fn appending_onto_a_tampered_chain_is_refused() {
    let f = Fixture::new();
    let a = f.run(&["metrics"]);
    f.run(&["metrics"]);
    let newest = f.project().load_runs().expect("load")[1].id.clone();
    std::fs::remove_dir_all(f.evidence().join(&newest)).expect("rm");
    let err = f
        .project()
        .run("quick", &["metrics".to_string()], false)
        .expect_err("refused");
    assert!(format!("{err:#}").contains("chain-head.json"), "{err:#}");
    assert_eq!(f.project().load_runs().expect("load")[0].id, a);
}

#[test]
fn cli_verify_exits_non_zero_and_names_the_file() {
    let f = Fixture::new();
    let id = f.run(&["metrics"]);
    let bin = env!("CARGO_BIN_EXE_sitegen");
    let ok = std::process::Command::new(bin)
        .args(["--root", &f.root().display().to_string(), "verify"])
        .output()
        .expect("runs");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let record = f.evidence().join(&id).join("records/metrics.json");
    let mut bytes = std::fs::read(&record).expect("read");
    bytes[10] ^= 0x20;
    std::fs::write(&record, bytes).expect("write");
    let bad = std::process::Command::new(bin)
        .args(["--root", &f.root().display().to_string(), "verify"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("records/metrics.json"), "{stderr}");
}

#[test]
fn a_missing_chain_head_is_reported() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    std::fs::remove_file(f.evidence().join("chain-head.json")).expect("rm");
    let text = problems_text(&f);
    assert!(text.contains("chain-head.json: missing"), "{text}");
}

#[test]
fn a_command_that_cannot_start_is_recorded_as_error() {
    let f = Fixture::new();
    f.write(
        "sitegen.toml",
        &crate::common::CONFIG.replace("[\"sleep\", \"30\"]", "[\"/nonexistent/program\"]"),
    );
    let s = f
        .project()
        .run("quick", &["slow".to_string()], false)
        .expect("recorded");
    assert_eq!(s.records[0].status, Status::Error);
    assert!(
        s.records[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("could not start")
    );
}

fn sitegen_cli(root: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("sitegen runs")
}

#[test]
fn verify_with_no_runs_says_nothing_to_verify_and_fails() {
    let f = Fixture::new();
    let out = sitegen_cli(f.root(), &["verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing to verify"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("verified"),
        "no vacuous success"
    );
    // A ledger deleted after runs were recorded: the same.
    f.run(&["metrics"]);
    assert_eq!(sitegen_cli(f.root(), &["verify"]).status.code(), Some(0));
    std::fs::remove_dir_all(f.evidence()).expect("rm evidence");
    let out = sitegen_cli(f.root(), &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to verify"));
}

#[test]
fn truncating_the_ledger_and_rewriting_its_chain_head_is_caught_by_the_head_committed_at_git_head()
{
    let f = Fixture::new();
    let ids: Vec<String> = (0..3).map(|_| f.run(&["metrics"])).collect();
    f.commit_all("evidence: three runs");
    let report = f.project().verify().expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert!(
        matches!(
            report.anchor,
            sitegen::evidence::verify::Anchor::AtHead { .. }
        ),
        "{:?}",
        report.anchor
    );
    // Remove the two newest runs and make the chain head name the oldest: consistent on its
    // own, so only git history can tell.
    let oldest = f.project().load_runs().expect("runs")[0].clone();
    for id in &ids[1..] {
        std::fs::remove_dir_all(f.evidence().join(id)).expect("rm run");
    }
    sitegen::evidence::ledger::write::write_chain_head(
        &f.evidence(),
        &sitegen::evidence::ledger::ChainHead {
            format_version: 1,
            run_id: oldest.id.clone(),
            manifest_sha256: oldest.manifest_sha256.clone(),
        },
    )
    .expect("rewrite chain head");
    assert!(
        sitegen::evidence::verify::verify(&f.evidence())
            .expect("verify")
            .ok(),
        "the truncated ledger verifies on its own"
    );
    let text = problems_text(&f);
    assert!(
        text.contains("shorter than the one committed at HEAD")
            && text.contains(&ids[1])
            && text.contains(&ids[2])
            && text.contains("2 run(s) missing"),
        "{text}"
    );
    let out = sitegen_cli(f.root(), &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&ids[2]));
    // The site is not built from it either.
    let mut o = sitegen::site::BuildOptions::new(f.root());
    o.version = Some("t".into());
    let err = format!("{:#}", sitegen::site::build(&o).expect_err("refused"));
    assert!(err.contains("committed at HEAD"), "{err}");
}

#[test]
fn a_ledger_rewritten_from_a_committed_run_on_diverges_from_git_head() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    let newest = f.run(&["metrics"]);
    f.commit_all("evidence: two runs");
    // Rewrite the newest run consistently: record, manifest, chain head.
    let run = f.evidence().join(&newest);
    let record = run.join("records/metrics.json");
    let original = std::fs::read_to_string(&record).expect("read");
    let forged = original.replacen("0.95", "0.99", 1);
    std::fs::write(&record, &forged).expect("write");
    let manifest_path = run.join(MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path)
        .expect("read")
        .replace(
            &sitegen::evidence::hash::bytes(original.as_bytes()),
            &sitegen::evidence::hash::bytes(forged.as_bytes()),
        );
    std::fs::write(&manifest_path, &manifest).expect("write");
    sitegen::evidence::ledger::write::write_chain_head(
        &f.evidence(),
        &sitegen::evidence::ledger::ChainHead {
            format_version: 1,
            run_id: newest.clone(),
            manifest_sha256: sitegen::evidence::hash::bytes(manifest.as_bytes()),
        },
    )
    .expect("rewrite chain head");
    assert!(
        sitegen::evidence::verify::verify(&f.evidence())
            .expect("verify")
            .ok()
    );
    let text = problems_text(&f);
    assert!(
        text.contains("diverges from the one committed at HEAD")
            && text.contains(&format!("{newest}/manifest.json")),
        "{text}"
    );
}

#[test]
fn a_ledger_that_extends_the_committed_head_verifies_and_says_so() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    f.commit_all("evidence: one run");
    let out = sitegen_cli(f.root(), &["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("anchored: the chain head is the one committed at HEAD"),
        "{stdout}"
    );
    let new = f.run(&["metrics"]);
    let out = sitegen_cli(f.root(), &["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("by 1 run(s) not committed yet") && stdout.contains(&new),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("chain head: {new}")), "{stdout}");
}

#[test]
fn a_chain_head_with_nothing_to_anchor_to_is_a_warning_not_a_failure() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    // Committed without the ledger.
    let out = sitegen_cli(f.root(), &["verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: the chain head is unanchored")
            && stderr.contains("commits no evidence/chain-head.json"),
        "{stderr}"
    );
    // No repository at all.
    std::fs::remove_dir_all(f.root().join(".git")).expect("rm .git");
    let out = sitegen_cli(f.root(), &["verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not in a git repository"), "{stderr}");
}

//! Paired baselines (`sitegen pair`) on a fixture git repository whose "benchmark" is a
//! script printing metrics JSON, 50 % slower at the second commit (`fixtures/paired/`): the
//! runs alternate A B / B A, the slowdown is found with an interval excluding 1, an A/A
//! pairing finds no significant change, a check whose command fails at the baseline is "not
//! pairable" (never a pass), and the paired run verifies, shows on the site and in `gate`.
//!
//! The scripts' jitter is seeded: `SITEGEN_TEST_SEED` (default 3) picks it, and every
//! assertion message prints the seed.

use std::path::{Path, PathBuf};

use sitegen::evidence::ledger::RunKind;
use sitegen::evidence::record::{PairedVerdict, Status};
use sitegen::project::Project;

const CONFIG: &str = include_str!("../fixtures/paired/sitegen.toml");
const BENCH: &str = include_str!("../fixtures/paired/bench.sh");
const NEWBENCH: &str = include_str!("../fixtures/paired/newbench.sh");

fn seed() -> u64 {
    std::env::var("SITEGEN_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// A repository with two commits — `bench.sh` at 100 ms, then at 150 ms plus `newbench.sh`
/// — and the run log outside it.
struct Repo {
    dir: tempfile::TempDir,
    log_dir: tempfile::TempDir,
    first: String,
    second: String,
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn commit(repo: &git2::Repository, message: &str) -> String {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("Fixture", "fixture@example.invalid").expect("sig");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit")
        .to_string()
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let log_dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let log = log_dir.path().join("runs.log");
        let config = CONFIG
            .replace("@LOG@", &log.display().to_string())
            .replace("@SEED@", &seed().to_string());
        write(root, "sitegen.toml", &config);
        write(root, "content/plan.toml", crate::common::PLAN);
        write(root, ".gitignore", "/target/\n/evidence/.lock\n/site/\n");
        write(
            root,
            "bench.sh",
            &BENCH.replace("@VERSION@", "v1").replace("@BASE@", "100"),
        );
        let repo = git2::Repository::init(root).expect("git init");
        let first = commit(&repo, "first: bench at 100 ms");
        write(
            root,
            "bench.sh",
            &BENCH.replace("@VERSION@", "v2").replace("@BASE@", "150"),
        );
        write(root, "newbench.sh", NEWBENCH);
        let second = commit(&repo, "second: bench at 150 ms, newbench added");
        Repo {
            dir,
            log_dir,
            first,
            second,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.log_dir.path().join("runs.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn project(&self) -> Project {
        Project::open(self.root()).expect("open project")
    }

    fn worktree(&self, commit: &str) -> PathBuf {
        self.root().join("target/paired").join(&commit[..8])
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn pairing_alternates_and_finds_the_slowdown() {
    let seed = seed();
    let r = Repo::new();
    let summary = r
        .project()
        .pair(&r.first[..10], &ids(&["bench"]), 4, &|_| {})
        .unwrap_or_else(|e| panic!("seed {seed}: pair: {e:#}"));
    assert_eq!(summary.baseline_commit, r.first, "seed {seed}");
    // Warm-up at each side, then A B, B A, A B, B A.
    assert_eq!(
        r.log(),
        ["v1", "v2", "v1", "v2", "v2", "v1", "v1", "v2", "v2", "v1"],
        "seed {seed}"
    );
    let rec = summary.records.first().expect("one record");
    assert_eq!(rec.status, Status::Pass, "seed {seed}: {:?}", rec.message);
    let p = rec.paired.as_ref().expect("paired result");
    let firsts: Vec<&str> = p.pairs.iter().map(|x| x.first.as_str()).collect();
    assert_eq!(firsts, ["baseline", "current", "baseline", "current"]);
    assert_eq!(
        (p.baseline.commit.as_str(), p.current.commit.as_str()),
        (r.first.as_str(), r.second.as_str())
    );
    let (b, c) = (
        p.baseline.binary.as_ref().expect("baseline binary"),
        p.current.binary.as_ref().expect("current binary"),
    );
    assert_eq!((b.path.as_str(), c.path.as_str()), ("bench.sh", "bench.sh"));
    assert_ne!(b.sha256, c.sha256, "the two scripts differ");
    let time = p
        .metrics
        .iter()
        .find(|m| m.name == "bench.time_ms")
        .expect("time judged");
    assert!(
        time.ci_lower > 1.0 && time.ci_lower <= time.ratio && time.ratio <= time.ci_upper,
        "seed {seed}: {time:?}"
    );
    assert!((1.4..1.6).contains(&time.ratio), "seed {seed}: {time:?}");
    assert_eq!(
        time.verdict,
        PairedVerdict::Regressed,
        "seed {seed}: {time:?}"
    );
    let ops = p
        .metrics
        .iter()
        .find(|m| m.name == "bench.ops")
        .expect("ops judged");
    assert_eq!(
        ops.verdict,
        PairedVerdict::NoSignificantChange,
        "seed {seed}: {ops:?}"
    );
    // The baseline worktree is reused by the next pairing.
    assert!(r.worktree(&r.first).join("bench.sh").is_file());
    r.project()
        .pair(&r.first, &ids(&["bench"]), 2, &|_| {})
        .unwrap_or_else(|e| panic!("seed {seed}: second pair: {e:#}"));
    // The paired runs are in the ledger, which verifies.
    let report = r.project().verify().expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    let runs = r.project().load_runs().expect("runs");
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|run| run.info.kind == RunKind::Paired));
}

#[test]
fn an_a_a_pairing_finds_no_significant_change() {
    let seed = seed();
    let r = Repo::new();
    let summary = r
        .project()
        .pair("HEAD", &ids(&["bench"]), 5, &|_| {})
        .unwrap_or_else(|e| panic!("seed {seed}: pair: {e:#}"));
    let p = summary.records[0].paired.as_ref().expect("paired");
    assert_eq!(p.baseline.commit, p.current.commit);
    assert_eq!(p.pairs.len(), 5);
    assert_eq!(p.metrics.len(), 2, "seed {seed}: {:?}", p.metrics);
    for m in &p.metrics {
        assert_eq!(
            m.verdict,
            PairedVerdict::NoSignificantChange,
            "seed {seed}: {m:?}"
        );
        assert!(
            m.ci_lower <= 1.0 + m.threshold && m.ci_upper >= 1.0 - m.threshold,
            "seed {seed}: {m:?}"
        );
    }
}

#[test]
fn a_check_that_fails_at_the_baseline_is_not_pairable() {
    let r = Repo::new();
    // The default selection: the quick profile's pairable checks (not `unpaired`).
    let summary = r.project().pair(&r.first, &[], 2, &|_| {}).expect("pair");
    let checks: Vec<&str> = summary
        .records
        .iter()
        .map(|x| x.check_id.as_str())
        .collect();
    assert_eq!(checks, ["bench", "newbench"]);
    let new = &summary.records[1];
    assert_eq!(new.status, Status::Error);
    let why = new
        .paired
        .as_ref()
        .and_then(|p| p.not_pairable.clone())
        .expect("a reason");
    assert!(
        why.starts_with("not pairable: the check fails at the baseline: exited with code 127"),
        "{why}"
    );
    assert_eq!(new.message.as_deref(), Some(why.as_str()));
    assert!(
        new.paired
            .as_ref()
            .is_some_and(|p| p.metrics.is_empty() && p.pairs.is_empty())
    );
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let r = Repo::new();
    let err = r
        .project()
        .pair("no-such-rev", &[], 3, &|_| {})
        .expect_err("unknown revision");
    assert!(
        format!("{err:#}").contains("--baseline `no-such-rev` names no commit"),
        "{err:#}"
    );
    let err = r
        .project()
        .pair("HEAD", &ids(&["nope"]), 3, &|_| {})
        .expect_err("unknown check");
    assert!(
        format!("{err:#}").contains("unknown check `nope`"),
        "{err:#}"
    );
    let err = r
        .project()
        .pair("HEAD", &[], 1, &|_| {})
        .expect_err("one round");
    assert!(format!("{err:#}").contains("at least 2 rounds"), "{err:#}");
    // A baseline worktree changed by hand is not reused.
    r.project()
        .pair("HEAD", &ids(&["bench"]), 2, &|_| {})
        .expect("pair");
    write(&r.worktree(&r.second), "bench.sh", "exit 1\n");
    let err = r
        .project()
        .pair("HEAD", &ids(&["bench"]), 2, &|_| {})
        .expect_err("dirty worktree");
    assert!(format!("{err:#}").contains("not clean"), "{err:#}");
}

#[test]
fn pairing_runs_the_pair_command_and_defaults_to_the_baseline_runs_commit() {
    let seed = seed();
    let r = Repo::new();
    let summary = r
        .project()
        .pair(&r.first, &ids(&["twocommands"]), 2, &|_| {})
        .unwrap_or_else(|e| panic!("seed {seed}: pair: {e:#}"));
    let rec = &summary.records[0];
    assert_eq!(rec.status, Status::Pass, "seed {seed}: {:?}", rec.message);
    assert_eq!(rec.command, ["bash", "bench.sh"], "the command pairing ran");
    let p = rec.paired.as_ref().expect("paired");
    assert_eq!(
        p.baseline.command.as_deref(),
        Some(&["bash", "bench.sh", "as-the-baseline-spells-it"].map(String::from)[..]),
        "the baseline side's own spelling is recorded"
    );
    assert_eq!(p.current.command, None);
    // It was run: the script logs one line per run, alternating sides, 2 warm-ups + 2 rounds.
    let log = r.log();
    assert_eq!(log.len(), 6, "seed {seed}: {log:?}");
    let at_baseline = log
        .iter()
        .filter(|l| *l == "v1 as-the-baseline-spells-it")
        .count();
    assert_eq!(at_baseline, 3, "the baseline ran its own command: {log:?}");
    assert_eq!(log.iter().filter(|l| *l == "v2").count(), 3, "{log:?}");
    // Without --baseline and without a baseline run: an error saying what to do.
    let out = crate::common::sitegen_cmd(r.root(), &["pair", "--check", "bench"])
        .output()
        .expect("sitegen runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no baseline run is set") && stderr.contains("--baseline REV"),
        "{stderr}"
    );
    // With a baseline run recorded at the first commit, `pair` measures against it.
    let repo = git2::Repository::open(r.root()).expect("open");
    let first = repo
        .find_commit(git2::Oid::from_str(&r.first).expect("oid"))
        .expect("first commit");
    repo.checkout_tree(
        first.as_object(),
        Some(git2::build::CheckoutBuilder::new().force()),
    )
    .expect("checkout first");
    repo.set_head_detached(first.id()).expect("detach");
    let base = r
        .project()
        .run("quick", &ids(&["bench"]), false)
        .expect("baseline run")
        .run_id;
    r.project()
        .set_baseline(&base, "the fixture baseline", None)
        .expect("set baseline");
    repo.set_head("refs/heads/master")
        .or_else(|_| repo.set_head("refs/heads/main"))
        .expect("back to the branch");
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .expect("checkout branch");
    let project = r.project();
    assert_eq!(project.baseline_commit().expect("baseline commit"), r.first);
    // publish --pair: the checks, then the pairing against that commit, then the site; the gate
    // then decides bench.time_ms (50 % slower) from the pairs.
    let out = crate::common::sitegen_cmd(
        r.root(),
        &["publish", "--pair", "--pair-rounds", "3", "--no-progress"],
    )
    .output()
    .expect("publish runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let short = &r.first[..7];
    assert!(
        stdout.contains(&format!("== pair --baseline {short}")),
        "{stdout}"
    );
    assert!(stdout.contains("recorded paired run"), "{stdout}");
    assert!(stdout.contains("not pairable"), "newbench: {stdout}");
    let e = r.project().evaluate(None).expect("evaluate");
    let time = e
        .regressions
        .iter()
        .find(|x| x.metric == "bench.time_ms")
        .expect("bench.time_ms compared");
    assert!(time.paired.is_some(), "seed {seed}: {time:?}");
    assert_eq!(
        time.state,
        sitegen::evaluate::RegressionState::Regressed,
        "seed {seed}: {time:?}"
    );
}

#[test]
fn the_command_line_the_gate_and_the_site_show_the_paired_run() {
    let r = Repo::new();
    let out =
        crate::common::sitegen_cmd(r.root(), &["pair", "--baseline", &r.first, "--rounds", "3"])
            .output()
            .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A regression and a check that is not pairable: status 2, after recording.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("bench.time_ms"), "{stdout}");
    assert!(stdout.contains("regressed"), "{stdout}");
    assert!(
        stdout.contains("not pairable: the check fails at the baseline"),
        "{stdout}"
    );
    assert!(stdout.contains("recorded paired run"), "{stdout}");
    let gate = crate::common::sitegen_cmd(r.root(), &["gate"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&gate.stdout);
    assert!(text.contains("paired run "), "{text}");
    assert!(
        text.contains("bench.time_ms") && text.contains("regressed"),
        "{text}"
    );
    let mut options = sitegen::site::BuildOptions::new(r.root());
    options.version = Some("v1".into());
    sitegen::site::build(&options).expect("site builds");
    let run_id = r.project().load_runs().expect("runs")[0].id.clone();
    let page = std::fs::read_to_string(
        r.root()
            .join("site/v1/paired")
            .join(&run_id)
            .join("index.html"),
    )
    .expect("paired page");
    assert!(page.contains("bench.time_ms"), "{page}");
    assert!(page.contains("regressed"), "{page}");
    assert!(page.contains("not pairable"), "{page}");
    assert!(page.contains(&r.first), "{page}");
    let index = std::fs::read_to_string(r.root().join("site/v1/runs/index.html")).expect("runs");
    assert!(
        index.contains(&format!("paired/{run_id}/index.html")),
        "{index}"
    );
}

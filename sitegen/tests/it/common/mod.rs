//! Fixture repositories for integration tests: a temp folder with `sitegen.toml`, a plan, ADRs
//! and check scripts, committed with git2. The files come from `tests/fixtures/repo/`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sitegen::project::Project;

/// The fixture's `sitegen.toml`: checks that print metrics, copy JUnit, fail, or hang.
pub const CONFIG: &str = include_str!("../../fixtures/repo/sitegen.toml");

/// The fixture plan.
pub const PLAN: &str = include_str!("../../fixtures/repo/plan.toml");

/// ADR-0002: accepted, waives P1.compression.
pub const ADR: &str = include_str!("../../fixtures/repo/0002-defer-compression.md");

/// JUnit report with two passing tests.
pub const JUNIT: &str = include_str!("../../fixtures/repo/junit-src.xml");

/// A fixture repository in a temp folder.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// Creates and commits the fixture repository.
    pub fn new() -> Fixture {
        Fixture::new_in(&std::env::temp_dir())
    }

    /// Creates and commits the fixture repository in a new folder under `parent`.
    pub fn new_in(parent: &Path) -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir_in(parent).expect("tempdir"),
        };
        f.write("sitegen.toml", CONFIG);
        f.write("content/plan.toml", PLAN);
        f.write("adr/0002-defer-compression.md", ADR);
        f.write("junit-src.xml", JUNIT);
        f.write("out/.keep", "");
        f.write(".gitignore", "/out/junit.xml\n");
        f.metrics(&[("page_cache.hit_ratio", 0.95, "higher_is_better", &[])]);
        let repo = git2::Repository::init(f.root()).expect("git init");
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let sig = git2::Signature::now("Fixture", "fixture@example.invalid").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "fixture", &tree, &[])
            .expect("commit");
        f
    }

    /// Commits every file of the work tree (the ledger included) on top of HEAD.
    pub fn commit_all(&self, message: &str) {
        let repo = git2::Repository::open(self.root()).expect("open repo");
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("stage deletions");
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let sig = git2::Signature::now("Fixture", "fixture@example.invalid").expect("sig");
        let parent = repo.head().expect("head").peel_to_commit().expect("commit");
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[&parent])
            .expect("commit");
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The evidence folder.
    pub fn evidence(&self) -> PathBuf {
        self.root().join("evidence")
    }

    /// Writes a file (creating folders).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// Writes `metrics.json` for the `metrics` check: (name, value, direction, samples).
    pub fn metrics(&self, metrics: &[(&str, f64, &str, &[f64])]) {
        let list: Vec<serde_json::Value> = metrics
            .iter()
            .map(|(n, v, d, s)| {
                serde_json::json!({"name": n, "value": v, "unit": "", "direction": d, "samples": s})
            })
            .collect();
        let doc = serde_json::json!({"format_version": 1, "metrics": list});
        self.write("metrics.json", &doc.to_string());
    }

    /// Opens the project.
    pub fn project(&self) -> Project {
        Project::open(self.root()).expect("open fixture project")
    }

    /// Runs checks `ids` and returns the new run id.
    pub fn run(&self, ids: &[&str]) -> String {
        let only: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        self.project()
            .run("quick", &only, false)
            .expect("run")
            .run_id
    }

    /// Every file of the ledger under the evidence folder (not its lock file).
    pub fn evidence_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = walkdir::WalkDir::new(self.evidence())
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .filter(|e| e.path() != self.evidence().join(sitegen::evidence::ledger::LOCK))
            .map(|e| e.into_path())
            .collect();
        v.sort();
        v
    }
}

/// Every file under `dir`, by `/`-separated relative path, with its contents (to compare two
/// built sites byte for byte).
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// The `sitegen` binary with `--root root` and `args`, not yet spawned.
pub fn sitegen_cmd(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitegen"));
    cmd.arg("--root").arg(root).args(args);
    cmd
}

/// Runs the `sitegen` binary on fixture `f`: its exit code and its stdout followed by stderr.
pub fn sitegen(f: &Fixture, args: &[&str]) -> (i32, String) {
    let out = sitegen_cmd(f.root(), args).output().expect("sitegen runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

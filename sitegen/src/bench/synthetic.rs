//! A synthetic repository for benchmarking the site build: content pages of about 1,500 words,
//! ADRs with supersede chains and claims, and a git history whose messages mention ADRs.
//!
//! Steps: write `content/` (pages spread over a few sections, each with headings, a table, a
//! list, a footnote, code and links to other pages and anchors) → write `adr/` → commit the
//! tree in `commits` commits with fixed signatures → with `runs > 0`, a `sitegen.toml`, a plan
//! whose criteria the ADRs claim, and a verifiable evidence ledger (`synthetic_evidence.rs`). Output is deterministic for a given spec
//! (a seeded generator, fixed times), so benchmark runs are comparable.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

/// Size of the synthetic repository.
#[derive(Debug, Clone, Copy)]
pub struct SyntheticSpec {
    /// Number of content pages.
    pub pages: usize,
    /// Approximate words per content page.
    pub words_per_page: usize,
    /// Number of ADRs.
    pub adrs: usize,
    /// Number of commits in the history.
    pub commits: usize,
    /// Number of evidence runs (0: no `sitegen.toml`, plan or evidence at all).
    pub runs: usize,
    /// Metrics per run (`metric_0` …), each with 20 samples.
    pub metrics: usize,
    /// Seed of the text generator.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    /// The issue's scale for the part of the site that needs no evidence: 200 pages of about
    /// 1,500 words, 100 ADRs, 200 commits.
    fn default() -> Self {
        Self {
            pages: 200,
            words_per_page: 1500,
            adrs: 100,
            commits: 200,
            runs: 0,
            metrics: 40,
            seed: 42,
        }
    }
}

const WORDS: &[&str] = &[
    "page",
    "buffer",
    "commit",
    "latency",
    "recovery",
    "checkpoint",
    "snapshot",
    "index",
    "column",
    "segment",
    "durable",
    "replica",
    "throughput",
    "the",
    "a",
    "of",
    "and",
    "with",
    "when",
    "every",
    "writer",
    "reader",
    "lock",
    "version",
    "metric",
    "baseline",
    "threshold",
    "scan",
    "aggregate",
    "partition",
    "backup",
    "restore",
    "integrity",
    "verify",
    "budget",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = (self.next() as usize) % items.len().max(1);
        items.get(i).copied().unwrap_or("word")
    }
    fn sentence(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.pick(WORDS));
        }
        s.push('.');
        s
    }
}

fn page_slug(i: usize) -> String {
    format!("section-{}/page-{i:04}", i % 8)
}

/// Writes the synthetic repository into `root` (which should be empty).
pub fn generate(root: &Path, spec: &SyntheticSpec) -> Result<()> {
    let mut rng = Rng(spec.seed);
    for i in 0..spec.pages {
        let path = root.join("content").join(format!("{}.md", page_slug(i)));
        std::fs::create_dir_all(path.parent().context("content page has a parent")?)
            .with_context(|| format!("while creating {}", path.display()))?;
        std::fs::write(&path, content_page(&mut rng, i, spec))
            .with_context(|| format!("while writing {}", path.display()))?;
    }
    let adr_dir = root.join("adr");
    std::fs::create_dir_all(&adr_dir)
        .with_context(|| format!("while creating {}", adr_dir.display()))?;
    for n in 1..=spec.adrs {
        let path = adr_dir.join(format!("{n:04}-decision-{n}.md"));
        std::fs::write(&path, adr_file(&mut rng, n, spec.adrs))
            .with_context(|| format!("while writing {}", path.display()))?;
    }
    let commits = commit_history(root, spec)?;
    if spec.runs > 0 {
        super::synthetic_evidence::generate(root, spec, &commits)?;
    }
    Ok(())
}

fn content_page(rng: &mut Rng, i: usize, spec: &SyntheticSpec) -> String {
    let mut s = String::with_capacity(spec.words_per_page * 9);
    let _ = writeln!(
        s,
        "+++\ntitle = \"Synthetic page {i}\"\ndescription = \"Generated page {i} for build benchmarks.\"\nweight = {}\n+++\n",
        i % 50
    );
    let sections = 10;
    let words_per_section = spec.words_per_page / sections;
    let target = (i * 7 + 3) % spec.pages.max(1);
    for sec in 0..sections {
        let _ = writeln!(s, "## Section {sec}: notes on topic {sec}\n");
        let mut written = 0;
        while written < words_per_section {
            let n = 12 + (rng.next() % 10) as usize;
            let _ = writeln!(s, "{} {}", rng.sentence(n), rng.sentence(n / 2));
            written += n + n / 2;
        }
        s.push('\n');
        match sec % 4 {
            0 => {
                let _ = writeln!(
                    s,
                    "| metric | before | after |\n|---|---|---|\n| p99 | {} | {} |\n| tps | {} | {} |\n",
                    rng.next() % 1000,
                    rng.next() % 1000,
                    rng.next() % 9000,
                    rng.next() % 9000
                );
            }
            1 => {
                let _ = writeln!(
                    s,
                    "- see [section 2](#section-2-notes-on-topic-2) below\n- and [page {target}]({}.md#section-3-notes-on-topic-3)\n- footnoted claim[^n{sec}]\n\n[^n{sec}]: {}\n",
                    relative_link(target),
                    rng.sentence(6)
                );
            }
            2 => {
                let _ = writeln!(s, "```text\nldb bench --json --seed {}\n```\n", rng.next());
            }
            _ => {
                let _ = writeln!(s, "> {}\n", rng.sentence(15));
            }
        }
    }
    s
}

fn relative_link(to: usize) -> String {
    format!("../{}", page_slug(to))
}

fn adr_file(rng: &mut Rng, n: usize, total: usize) -> String {
    let status = match n % 5 {
        0 => "proposed",
        1 | 2 => "accepted",
        3 if n < total => "superseded",
        3 => "accepted",
        _ => "deprecated",
    };
    let supersedes = if n % 5 == 4 && n > 1 && (n - 1) % 5 == 3 {
        format!("[\"ADR-{:04}\"]", n - 1)
    } else {
        "[]".to_string()
    };
    let superseded_by = if status == "superseded" {
        format!("[\"ADR-{:04}\"]", n + 1)
    } else {
        "[]".to_string()
    };
    let mut s = format!(
        "+++\nid = \"ADR-{n:04}\"\ntitle = \"Decision {n}: {}\"\nstatus = \"{status}\"\ndate = \"2026-{:02}-{:02}\"\ndecision-makers = [\"Owner {}\"]\nsupersedes = {supersedes}\nsuperseded-by = {superseded_by}\n\n[claims]\nmetrics = [\"metric_{}\"]\ncriteria = [\"P{}.criterion-{n}\"]\n+++\n\n",
        rng.sentence(4).trim_end_matches('.'),
        1 + n % 12,
        1 + n % 28,
        n % 7,
        n % 40,
        n % 9
    );
    for heading in [
        "Context and problem statement",
        "Considered options",
        "Decision outcome",
        "Consequences",
    ] {
        let _ = writeln!(
            s,
            "## {heading}\n\n{} {}\n",
            rng.sentence(40),
            rng.sentence(30)
        );
    }
    s
}

/// Commits the tree; returns the commit ids, oldest first.
fn commit_history(root: &Path, spec: &SyntheticSpec) -> Result<Vec<String>> {
    let repo = git2::Repository::init(root)
        .with_context(|| format!("while creating a repository in {}", root.display()))?;
    let mut index = repo.index().context("while opening the index")?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .context("while staging the synthetic tree")?;
    index.write().context("while writing the index")?;
    let tree_id = index.write_tree().context("while writing the tree")?;
    let tree = repo.find_tree(tree_id).context("while reading the tree")?;
    let mut parent: Option<git2::Oid> = None;
    let mut ids = Vec::new();
    for c in 0..spec.commits.max(1) {
        let time = git2::Time::new(1_767_225_600 + c as i64 * 600, 0);
        let sig = git2::Signature::new("Synthetic", "synthetic@example.invalid", &time)
            .context("while making a signature")?;
        let adr = 1 + c % spec.adrs.max(1);
        let message = format!("Change {c}: apply ADR-{adr:04}\n\nBody of change {c}.");
        let parent_commit = match parent {
            Some(oid) => Some(repo.find_commit(oid).context("while reading the parent")?),
            None => None,
        };
        let parents: Vec<&git2::Commit<'_>> = parent_commit.iter().collect();
        let oid = repo
            .commit(Some("HEAD"), &sig, &sig, &message, &tree, &parents)
            .context("while committing")?;
        parent = Some(oid);
        ids.push(oid.to_string());
    }
    Ok(ids)
}

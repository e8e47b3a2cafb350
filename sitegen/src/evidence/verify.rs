//! `sitegen verify`: recompute every evidence hash and the chain.
//!
//! Steps: list the evidence folder (run folders, `chain-head.json`; `.tmp-` leftovers of an
//! interrupted append and the ledger lock are ignored; anything else is unexpected) → per run,
//! in parallel with rayon: read the manifest, walk the folder, hash every byte of every file,
//! and compare (missing, extra, differing) → walk the runs in order checking each manifest's
//! link to the previous manifest → check the chain head names the newest run →
//! ([`check_anchor`]) check the ledger holds the chain head committed at git `HEAD`. Every
//! problem is reported with its file; the first broken link is the earliest run whose link or
//! content fails. Nothing is ever taken from a cache: [`verify_and_load`] (the site build)
//! returns the runs parsed from the bytes it has just hashed.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::evidence::hash;
use crate::evidence::ledger::anchor::{self, Committed};
use crate::evidence::ledger::load::{self, LoadedRecord, Run, read_chain_head};
use crate::evidence::ledger::{
    CHAIN_HEAD, LOCK, Link, MANIFEST, Manifest, RECORDS, RUN_INFO, TMP_PREFIX, parse_json,
    parse_run_id,
};

/// Top-level files allowed in the evidence folder besides runs and the chain head.
pub const ALLOWED_TOP_LEVEL: &[&str] = &["README.md", ".gitignore", ".gitkeep"];

/// What is wrong with one file or link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The manifest lists a file that is not there.
    Missing,
    /// A file is there that the manifest does not list.
    Unexpected,
    /// The file's sha256 is not the one recorded.
    HashMismatch {
        /// Recorded.
        expected: String,
        /// Computed.
        actual: String,
    },
    /// A chain link does not match: `path` is the manifest the link should name (or the
    /// linking file itself when there is none), `recorded_in` the file holding the link.
    BrokenLink {
        /// The file holding the link (a later run's manifest, or the chain head).
        recorded_in: PathBuf,
        /// What the link should say (`<run-id> <sha256>`, or `none` for the first run).
        expected: String,
        /// What it says.
        actual: String,
    },
    /// The file could not be read or parsed.
    Unreadable(String),
    /// The ledger lacks the chain head committed at git `HEAD` (newest runs removed, or the
    /// whole ledger): `path` is the chain head file.
    Truncated {
        /// The commit (short id) whose chain head is missing.
        commit: String,
        /// Its chain head, `<run-id> <manifest sha256>`.
        committed_head: String,
        /// Runs committed at HEAD that the ledger does not have, in id order.
        missing: Vec<String>,
    },
    /// The run that the chain head committed at git `HEAD` names has a different manifest
    /// here (the ledger was rewritten from some run on): `path` is that manifest.
    Diverged {
        /// The commit (short id) whose chain head differs.
        commit: String,
        /// Its chain head, `<run-id> <manifest sha256>`.
        committed_head: String,
        /// The sha256 of the manifest here.
        actual: String,
    },
}

/// How the verified ledger relates to the chain head committed at git `HEAD`
/// ([`check_anchor`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Anchor {
    /// Not compared (only the ledger itself was verified).
    #[default]
    NotChecked,
    /// Nothing to compare with: why (no repository, no commits, no chain head committed).
    Unanchored(String),
    /// The chain head is the one committed at HEAD.
    AtHead {
        /// HEAD's short commit id.
        commit: String,
    },
    /// The ledger holds HEAD's chain head and runs appended after it, not committed yet.
    Ahead {
        /// HEAD's short commit id.
        commit: String,
        /// The runs after HEAD's chain head, oldest first.
        newer: Vec<String>,
    },
    /// The ledger lacks HEAD's chain head (a [`ProblemKind::Truncated`] or
    /// [`ProblemKind::Diverged`] problem says how).
    Broken {
        /// HEAD's short commit id.
        commit: String,
    },
}

impl Anchor {
    /// Whether the chain head is anchored in git history (at or after HEAD's).
    pub fn anchored(&self) -> bool {
        matches!(self, Anchor::AtHead { .. } | Anchor::Ahead { .. })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::NotChecked => write!(f, "not compared with git history"),
            Anchor::Unanchored(why) => write!(f, "unanchored: {why}"),
            Anchor::AtHead { commit } => {
                write!(f, "the chain head is the one committed at HEAD ({commit})")
            }
            Anchor::Ahead { commit, newer } => write!(
                f,
                "the ledger extends the chain head committed at HEAD ({commit}) by {} run(s) \
                 not committed yet",
                newer.len()
            ),
            Anchor::Broken { commit } => write!(
                f,
                "the ledger does not hold the chain head committed at HEAD ({commit})"
            ),
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The run concerned (empty for top-level files).
    pub run_id: String,
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            ProblemKind::Missing => write!(f, "{p}: listed in the manifest but missing"),
            ProblemKind::Unexpected => write!(f, "{p}: unexpected file, not in any manifest"),
            ProblemKind::HashMismatch { expected, actual } => write!(
                f,
                "{p}: contents changed: manifest records sha256 {expected}, file has {actual}"
            ),
            ProblemKind::BrokenLink {
                recorded_in,
                expected,
                actual,
            } => write!(
                f,
                "{p}: broken chain link in {}: the chain has `{expected}` here, the link records \
                 `{actual}`",
                recorded_in.display()
            ),
            ProblemKind::Unreadable(why) => write!(f, "{p}: {why}"),
            ProblemKind::Truncated {
                commit,
                committed_head,
                missing,
            } => write!(
                f,
                "{p}: the ledger is shorter than the one committed at HEAD ({commit}), whose chain \
                 head is `{committed_head}`: {} run(s) missing: {}",
                missing.len(),
                list_runs(missing)
            ),
            ProblemKind::Diverged {
                commit,
                committed_head,
                actual,
            } => write!(
                f,
                "{p}: the ledger diverges from the one committed at HEAD ({commit}): its chain \
                 head is `{committed_head}`, but this manifest has sha256 {actual}"
            ),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Runs examined.
    pub runs: usize,
    /// Files hashed.
    pub files: usize,
    /// Everything wrong, in run order.
    pub problems: Vec<Problem>,
    /// Every run, oldest first, with the sha256 of its manifest as read (empty for an
    /// unreadable one); the last is the chain head.
    pub chain: Vec<Link>,
    /// How the chain head relates to git history ([`check_anchor`]).
    pub anchor: Anchor,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first problem that breaks the chain: in the earliest affected run.
    pub fn first_broken(&self) -> Option<&Problem> {
        self.problems.first()
    }

    /// The newest run and the sha256 of its manifest, when there are runs.
    pub fn head(&self) -> Option<&Link> {
        self.chain.last()
    }
}

struct RunCheck {
    id: String,
    manifest_sha256: Option<String>,
    manifest: Option<Manifest>,
    files: usize,
    problems: Vec<Problem>,
    /// When loading: the run as read (only when it has no problem), or why it cannot be used.
    run: Option<Result<Run>>,
}

/// What [`check_run`] does besides hashing: nothing, or load the run from the bytes it hashed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Verify,
    Load,
}

fn check_run(evidence: &Path, id: &str, mode: Mode) -> RunCheck {
    let dir = evidence.join(id);
    let mut out = RunCheck {
        id: id.to_string(),
        manifest_sha256: None,
        manifest: None,
        files: 0,
        problems: Vec::new(),
        run: None,
    };
    let problem = |path: PathBuf, kind| Problem {
        run_id: id.to_string(),
        path,
        kind,
    };
    let manifest_path = dir.join(MANIFEST);
    let manifest = std::fs::read(&manifest_path)
        .map_err(|e| format!("cannot read the manifest: {e}"))
        .and_then(|bytes| {
            out.manifest_sha256 = Some(hash::bytes(&bytes));
            parse_json::<Manifest>(&manifest_path, &bytes).map_err(|e| format!("{e:#}"))
        });
    let manifest = match manifest {
        Ok(m) => m,
        Err(why) => {
            out.problems
                .push(problem(manifest_path, ProblemKind::Unreadable(why)));
            return out;
        }
    };
    if manifest.run_id != id {
        out.problems.push(problem(
            manifest_path.clone(),
            ProblemKind::Unreadable(format!(
                "manifest names run `{}` but lives in folder `{id}`",
                manifest.run_id
            )),
        ));
    }
    let mut on_disk = BTreeSet::new();
    for entry in WalkDir::new(&dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e
                    .path()
                    .strip_prefix(&dir)
                    .unwrap_or(e.path())
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel != MANIFEST {
                    on_disk.insert(rel);
                }
            }
            Ok(_) => {}
            Err(e) => out
                .problems
                .push(problem(dir.clone(), ProblemKind::Unreadable(e.to_string()))),
        }
    }
    // When loading, what is shown is parsed from exactly the bytes hashed here.
    let mut info_bytes: Option<Vec<u8>> = None;
    let mut records: Vec<LoadedRecord> = Vec::new();
    let mut load_error: Option<anyhow::Error> = None;
    for (rel, expected) in &manifest.files {
        let path = dir.join(rel);
        if !on_disk.contains(rel) {
            out.problems.push(problem(path, ProblemKind::Missing));
            continue;
        }
        out.files += 1;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.problems.push(problem(
                    path,
                    ProblemKind::Unreadable(format!("cannot be read: {e}")),
                ));
                continue;
            }
        };
        let actual = hash::bytes(&bytes);
        if &actual != expected {
            out.problems.push(problem(
                path,
                ProblemKind::HashMismatch {
                    expected: expected.clone(),
                    actual,
                },
            ));
            continue;
        }
        if mode != Mode::Load {
            continue;
        }
        if rel == RUN_INFO {
            info_bytes = Some(bytes);
        } else if rel.starts_with(&format!("{RECORDS}/")) && load_error.is_none() {
            match load::parse_record(&path, &bytes) {
                Ok(record) => records.push(LoadedRecord {
                    record,
                    path: format!("{id}/{rel}"),
                    sha256: actual,
                }),
                Err(e) => load_error = Some(e),
            }
        }
    }
    for rel in on_disk.iter().filter(|r| !manifest.files.contains_key(*r)) {
        out.problems
            .push(problem(dir.join(rel), ProblemKind::Unexpected));
    }
    out.files += 1;
    if mode == Mode::Load && out.problems.is_empty() {
        let info_path = dir.join(RUN_INFO);
        out.run = Some(match (load_error, info_bytes) {
            (Some(e), _) => Err(e),
            (None, None) => Err(anyhow::anyhow!(
                "{}: missing (every run has one, listed in its manifest)",
                info_path.display()
            )),
            (None, Some(bytes)) => load::assemble(
                evidence,
                id,
                manifest.clone(),
                out.manifest_sha256.clone().unwrap_or_default(),
                &bytes,
                records,
            ),
        });
    }
    out.manifest = Some(manifest);
    out
}

/// Verifies the ledger in `evidence`, hashing every byte of every file.
pub fn verify(evidence: &Path) -> Result<VerifyReport> {
    verify_mode(evidence, Mode::Verify).map(|(report, _)| report)
}

/// Verifies the ledger in `evidence` like [`verify`] and, when it verifies, returns its runs
/// parsed from the very bytes that were hashed — each file is read once, and nothing that was
/// not hashed in this call is ever returned (no parse is kept between calls: anyone who can
/// change the ledger could change such a cache too). The runs are empty when the report has
/// problems; an error when a file that hashes right cannot be parsed.
pub fn verify_and_load(evidence: &Path) -> Result<(VerifyReport, Vec<Run>)> {
    verify_mode(evidence, Mode::Load)
}

fn verify_mode(evidence: &Path, mode: Mode) -> Result<(VerifyReport, Vec<Run>)> {
    let mut report = VerifyReport::default();
    if !evidence.exists() {
        return Ok((report, Vec::new()));
    }
    let mut ids = Vec::new();
    let mut top_problems = Vec::new();
    for entry in std::fs::read_dir(evidence)
        .with_context(|| format!("while listing {}", evidence.display()))?
    {
        let entry = entry.with_context(|| format!("while listing {}", evidence.display()))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if name.starts_with(TMP_PREFIX) || name == LOCK {
            continue;
        }
        if path.is_dir() && parse_run_id(&name).is_ok() {
            ids.push(name);
        } else if name != CHAIN_HEAD && !ALLOWED_TOP_LEVEL.contains(&name.as_str()) {
            top_problems.push(Problem {
                run_id: String::new(),
                path,
                kind: ProblemKind::Unexpected,
            });
        }
    }
    ids.sort();
    let checks: Vec<RunCheck> = ids
        .par_iter()
        .map(|id| check_run(evidence, id, mode))
        .collect();
    report.runs = checks.len();
    let mut previous: Option<&RunCheck> = None;
    for c in &checks {
        report.files += c.files;
        report.problems.extend(c.problems.iter().cloned());
        if let Some(m) = &c.manifest {
            let expected = previous.map(|p| {
                format!(
                    "{} {}",
                    p.id,
                    p.manifest_sha256.as_deref().unwrap_or("(unreadable)")
                )
            });
            let actual = m
                .previous
                .as_ref()
                .map(|l| format!("{} {}", l.run_id, l.manifest_sha256));
            if expected != actual {
                let linking = evidence.join(&c.id).join(MANIFEST);
                report.problems.push(Problem {
                    run_id: c.id.clone(),
                    path: previous
                        .map(|p| evidence.join(&p.id).join(MANIFEST))
                        .unwrap_or_else(|| linking.clone()),
                    kind: ProblemKind::BrokenLink {
                        recorded_in: linking,
                        expected: expected.unwrap_or_else(|| "none (first run)".into()),
                        actual: actual.unwrap_or_else(|| "none".into()),
                    },
                });
            }
        }
        previous = Some(c);
    }
    let head_path = evidence.join(CHAIN_HEAD);
    let newest = checks
        .last()
        .map(|c| (c.id.clone(), c.manifest_sha256.clone().unwrap_or_default()));
    let head = read_chain_head(evidence);
    let newest_manifest = checks.last().map(|c| evidence.join(&c.id).join(MANIFEST));
    let head_problem = match (head, newest) {
        (Err(e), _) => Some((head_path.clone(), ProblemKind::Unreadable(format!("{e:#}")))),
        (Ok(None), None) => None,
        (Ok(None), Some(_)) => Some((
            head_path.clone(),
            ProblemKind::Unreadable("missing, but the ledger has runs (the newest run's id and manifest sha256 belong here)".into()),
        )),
        (Ok(Some(h)), newest) => {
            let actual = format!("{} {}", h.run_id, h.manifest_sha256);
            let expected = newest
                .map(|(id, sha)| format!("{id} {sha}"))
                .unwrap_or_else(|| "no runs".into());
            (actual != expected).then(|| {
                (
                    newest_manifest.clone().unwrap_or_else(|| head_path.clone()),
                    ProblemKind::BrokenLink {
                        recorded_in: head_path.clone(),
                        expected,
                        actual,
                    },
                )
            })
        }
    };
    report.problems.extend(top_problems);
    if let Some((path, kind)) = head_problem {
        report.problems.push(Problem {
            run_id: String::new(),
            path,
            kind,
        });
    }
    report.chain = checks
        .iter()
        .map(|c| Link {
            run_id: c.id.clone(),
            manifest_sha256: c.manifest_sha256.clone().unwrap_or_default(),
        })
        .collect();
    if !report.ok() {
        return Ok((report, Vec::new()));
    }
    let runs = checks
        .into_iter()
        .filter_map(|c| c.run)
        .collect::<Result<Vec<Run>>>()?;
    Ok((report, runs))
}

/// How many run ids a message lists at most.
pub const LIST_AT_MOST: usize = 10;

/// `ids` joined with commas, the first [`LIST_AT_MOST`] of them and how many more.
pub fn list_runs(ids: &[String]) -> String {
    let mut text = ids
        .iter()
        .take(LIST_AT_MOST)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > LIST_AT_MOST {
        text.push_str(&format!(" and {} more", ids.len() - LIST_AT_MOST));
    }
    text
}

/// Compares the chain `report` verified with the chain head committed at git `HEAD` (git
/// history is the anchor: rewriting `chain-head.json` consistently after removing the newest
/// runs leaves a ledger that verifies on its own, but not one that still holds the head HEAD
/// committed). Sets [`VerifyReport::anchor`]; a ledger that lacks HEAD's chain head — shorter,
/// or rewritten from some run on — adds a problem naming the missing runs or the differing
/// manifest. A ledger that extends HEAD's (runs appended since the commit) is fine; one that
/// cannot be compared (no repository, no commits, no chain head committed) is
/// [`Anchor::Unanchored`], not a problem.
pub fn check_anchor(report: &mut VerifyReport, root: &Path, evidence: &Path) -> Result<()> {
    let (commit, head, committed_runs) = match anchor::committed(root, evidence)? {
        Committed::Unanchored(why) => {
            report.anchor = Anchor::Unanchored(why);
            return Ok(());
        }
        Committed::Head { commit, head, runs } => (commit, head, runs),
    };
    let committed_head = format!("{} {}", head.run_id, head.manifest_sha256);
    let position = report.chain.iter().position(|l| l.run_id == head.run_id);
    match position.and_then(|i| Some((i, report.chain.get(i)?))) {
        Some((i, link)) if link.manifest_sha256 == head.manifest_sha256 => {
            let newer: Vec<String> = report
                .chain
                .iter()
                .skip(i + 1)
                .map(|l| l.run_id.clone())
                .collect();
            report.anchor = if newer.is_empty() {
                Anchor::AtHead { commit }
            } else {
                Anchor::Ahead { commit, newer }
            };
        }
        Some((_, link)) => {
            report.problems.push(Problem {
                run_id: link.run_id.clone(),
                path: evidence.join(&link.run_id).join(MANIFEST),
                kind: ProblemKind::Diverged {
                    commit: commit.clone(),
                    committed_head,
                    actual: link.manifest_sha256.clone(),
                },
            });
            report.anchor = Anchor::Broken { commit };
        }
        None => {
            let here: BTreeSet<&str> = report.chain.iter().map(|l| l.run_id.as_str()).collect();
            let mut missing: Vec<String> = committed_runs
                .into_iter()
                .filter(|id| !here.contains(id.as_str()))
                .collect();
            if !missing.contains(&head.run_id) {
                missing.push(head.run_id.clone());
            }
            missing.sort();
            report.problems.push(Problem {
                run_id: String::new(),
                path: evidence.join(CHAIN_HEAD),
                kind: ProblemKind::Truncated {
                    commit: commit.clone(),
                    committed_head,
                    missing,
                },
            });
            report.anchor = Anchor::Broken { commit };
        }
    }
    Ok(())
}

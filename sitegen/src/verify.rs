//! `sitegen verify`: recompute every evidence hash and the chain.
//!
//! Steps: list the evidence folder (run folders, `chain-head.json`; `.tmp-` leftovers of an
//! interrupted append and the ledger lock are ignored; anything else is unexpected) → per run,
//! in parallel with rayon: read the manifest, walk the folder, hash every byte of every file,
//! and compare (missing, extra, differing) → walk the runs in order checking each manifest's
//! link to the previous manifest → check the chain head names the newest run. Every
//! problem is reported with its file; the first broken link is the earliest run whose link or
//! content fails. Nothing is ever taken from a cache: [`verify_and_load`] (the site build)
//! returns the runs parsed from the bytes it has just hashed.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::hash;
use crate::ledger::load::{self, LoadedRecord, Run, read_chain_head};
use crate::ledger::{
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

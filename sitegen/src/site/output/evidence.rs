//! The published evidence: every file of every run shown on the site, copied into the version
//! at `evidence/<run-id>/<path>` — the repository's own layout, so a record's URL ends with the
//! path the ledger names it by — with a generated `evidence/<run-id>/SHA256SUMS` (the
//! `sha256sum -c` input: `manifest.json` and every file the manifest lists).
//!
//! Each copy is hashed as it is written and must equal the hash the manifest lists (the
//! evidence phase verified the originals): a file changed between verification and copying
//! fails the build, so a published hash always matches the published bytes.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::evidence::hash;
use crate::evidence::ledger::load::Run;
use crate::site::load::evidence::Evidence;
use crate::site::urls::evidence_file;

/// One file of the published evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A copy of `source`, whose sha256 must be `sha256`.
    Copy {
        /// Path under the version root.
        rel: String,
        /// The ledger's file.
        source: PathBuf,
        /// Its hash, as the manifest (or the chain) lists it.
        sha256: String,
    },
    /// A generated file (a run's `SHA256SUMS`, the version's `pages.js`).
    Generated {
        /// Path under the version root.
        rel: String,
        /// Its contents.
        bytes: Vec<u8>,
    },
}

impl Published {
    /// Path under the version root.
    pub fn rel(&self) -> &str {
        match self {
            Published::Copy { rel, .. } | Published::Generated { rel, .. } => rel,
        }
    }
}

/// `SHA256SUMS` of `run`: `manifest.json` first, then the manifest's files in its order, one
/// `<sha256>  <path>` line each (the format `sha256sum -c` reads), paths relative to the run
/// folder.
pub fn sha256sums(run: &Run) -> String {
    let mut out = format!("{}  manifest.json\n", run.manifest_sha256);
    for (path, sha) in &run.manifest.files {
        out.push_str(&format!("{sha}  {path}\n"));
    }
    out
}

/// Every file to publish for the runs of `ev` (check runs and paired runs).
pub fn files(ev: &Evidence) -> Vec<Published> {
    let mut out = Vec::new();
    for run in ev.runs.iter().chain(&ev.paired) {
        out.extend(run_files(run));
    }
    out
}

fn run_files(run: &Run) -> Vec<Published> {
    let mut out = vec![Published::Copy {
        rel: evidence_file(&run.id, "manifest.json"),
        source: run.dir.join("manifest.json"),
        sha256: run.manifest_sha256.clone(),
    }];
    for (path, sha) in &run.manifest.files {
        out.push(Published::Copy {
            rel: evidence_file(&run.id, path),
            source: run.dir.join(path),
            sha256: sha.clone(),
        });
    }
    out.push(Published::Generated {
        rel: evidence_file(&run.id, "SHA256SUMS"),
        bytes: sha256sums(run).into_bytes(),
    });
    out
}

/// The bytes to write for `file`: a copy's bytes only when they hash to the listed sha256.
pub fn contents(file: &Published) -> Result<Vec<u8>> {
    match file {
        Published::Generated { bytes, .. } => Ok(bytes.clone()),
        Published::Copy {
            rel,
            source,
            sha256,
        } => {
            let bytes = std::fs::read(source)
                .with_context(|| format!("while reading {}", source.display()))?;
            let actual = hash::bytes(&bytes);
            if &actual != sha256 {
                bail!(
                    "{} changed after the evidence was verified (sha256 {actual}, the ledger \
                     lists {sha256}); nothing was published as {rel}",
                    source.display()
                );
            }
            Ok(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_refused_when_their_hash_differs() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let source = tmp.path().join("run.json");
        std::fs::write(&source, b"{}").expect("write");
        let good = Published::Copy {
            rel: "evidence/r/run.json".into(),
            source: source.clone(),
            sha256: hash::bytes(b"{}"),
        };
        assert_eq!(contents(&good).expect("same hash"), b"{}");
        let bad = Published::Copy {
            rel: "evidence/r/run.json".into(),
            source,
            sha256: hash::bytes(b"[]"),
        };
        let err = format!("{:#}", contents(&bad).expect_err("other hash"));
        assert!(
            err.contains("changed after the evidence was verified"),
            "{err}"
        );
        assert!(err.contains("evidence/r/run.json"), "{err}");
    }
}

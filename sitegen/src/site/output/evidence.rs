//! The published evidence: the site's evidence store, `site/evidence/<run-id>/<path>` — one
//! folder per run, in the repository's own layout (so a record's URL ends with the path the
//! ledger names it by), with a generated `SHA256SUMS` (the `sha256sum -c` input:
//! `manifest.json` and every file the manifest lists). The store sits beside the versions, not
//! inside them: every version links to the same folder (`../evidence/…` from its root), so a
//! version holds its pages only and adding a run to a ledger of 1,000 writes that run's files
//! and creates that run's folders, not every run's again.
//!
//! Steps of [`publish`], in parallel over files, while the build stages its version:
//! 1. a file already in the store is read and hashed: with the listed hash (the manifest's, or
//!    the generated `SHA256SUMS`'s bytes) it stays as it is;
//! 2. otherwise — a new run, a file changed after it was published, a build killed while it
//!    wrote — the ledger's file is read and its hash checked against the manifest (a file
//!    changed between verification and copying fails the build). A file that is there with
//!    other bytes is replaced whole: written to a temporary file under the build's staging
//!    folder and renamed into place, so a reader (or an older version's page) sees the old
//!    bytes or the new, never a part. A file that is not there yet is written in place: no
//!    version links to it (builds hold the site lock), and if the build is killed half-way the
//!    next one finds the wrong bytes and replaces them.
//!
//! So after a build every file of every run it shows is in the store with exactly the bytes
//! its pages' hashes name. Runs the ledger no longer holds stay (older versions link to them).
//! A store file is never edited in place: versions share it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::evidence::hash;
use crate::evidence::ledger::load::Run;
use crate::site::load::evidence::Evidence;
use crate::site::urls::{EVIDENCE_STORE, evidence_link};

/// One file of the published evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A copy of `source`, whose sha256 must be `sha256`.
    Copy {
        /// Path under the evidence store (`<run-id>/records/x.json`).
        rel: String,
        /// The ledger's file.
        source: PathBuf,
        /// Its hash, as the manifest (or the chain) lists it.
        sha256: String,
    },
    /// A generated file (a run's `SHA256SUMS`).
    Generated {
        /// Path under the evidence store.
        rel: String,
        /// Its contents.
        bytes: Vec<u8>,
    },
}

impl Published {
    /// Path under the evidence store.
    pub fn rel(&self) -> &str {
        match self {
            Published::Copy { rel, .. } | Published::Generated { rel, .. } => rel,
        }
    }

    /// Whether `bytes` are exactly what this file must hold.
    fn matches(&self, bytes: &[u8]) -> bool {
        match self {
            Published::Copy { sha256, .. } => &hash::bytes(bytes) == sha256,
            Published::Generated {
                bytes: expected, ..
            } => bytes == expected.as_slice(),
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

/// `rel` of a run's file inside the store: `<run-id>/<file>`.
fn store_rel(run: &str, file: &str) -> String {
    format!("{run}/{file}")
}

fn run_files(run: &Run) -> Vec<Published> {
    let mut out = vec![Published::Copy {
        rel: store_rel(&run.id, "manifest.json"),
        source: run.dir.join("manifest.json"),
        sha256: run.manifest_sha256.clone(),
    }];
    for (path, sha) in &run.manifest.files {
        out.push(Published::Copy {
            rel: store_rel(&run.id, path),
            source: run.dir.join(path),
            sha256: sha.clone(),
        });
    }
    out.push(Published::Generated {
        rel: store_rel(&run.id, "SHA256SUMS"),
        bytes: sha256sums(run).into_bytes(),
    });
    out
}

/// How pages link to `file` from their version's root ([`evidence_link`]): what the link
/// checker must find.
pub fn link_target(file: &Published) -> String {
    evidence_link(file.rel())
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
                     lists {sha256}); nothing was published as {EVIDENCE_STORE}/{rel}",
                    source.display()
                );
            }
            Ok(bytes)
        }
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Files already in the store with the right bytes.
    pub kept: usize,
    /// Files written (new, or replacing different bytes).
    pub written: usize,
}

/// Makes `<site_dir>/evidence/` hold every file of `files` with exactly its listed bytes (the
/// steps in the module docs). Temporary files go to a folder `evidence-<pid>` under `tmp_root`
/// (the build's staging folder, on the site's file system), removed at the end.
pub fn publish(site_dir: &Path, tmp_root: &Path, files: &[Published]) -> Result<StoreStats> {
    let store = site_dir.join(EVIDENCE_STORE);
    let tmp = tmp_root.join(format!("evidence-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("while creating {}", tmp.display()))?;
    let (kept, written, next) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let result = files.par_iter().try_for_each(|file| {
        let target = store.join(file.rel());
        let present = match std::fs::read(&target) {
            Ok(bytes) if file.matches(&bytes) => {
                kept.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("while reading {}", target.display()));
            }
        };
        let bytes = contents(file)?;
        if present {
            // Versions may link to it: replace it whole.
            let part = tmp.join(next.fetch_add(1, Ordering::Relaxed).to_string());
            std::fs::write(&part, &bytes)
                .with_context(|| format!("while writing {}", part.display()))?;
            std::fs::rename(&part, &target).with_context(|| {
                format!("while moving {} to {}", part.display(), target.display())
            })?;
        } else {
            // No version links to a file that is not there yet (builds hold the site lock),
            // and one left half-written by a killed build fails the check above next time.
            write_creating_dirs(&target, &bytes)?;
        }
        written.fetch_add(1, Ordering::Relaxed);
        anyhow::Ok(())
    });
    let removed = std::fs::remove_dir_all(&tmp);
    result?;
    removed.with_context(|| format!("while removing {}", tmp.display()))?;
    Ok(StoreStats {
        kept: kept.into_inner(),
        written: written.into_inner(),
    })
}

/// Writes `bytes` to `path`, creating its folder when it is missing.
fn write_creating_dirs(path: &Path, bytes: &[u8]) -> Result<()> {
    let written = match std::fs::write(path, bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("while creating {}", dir.display()))?;
            }
            std::fs::write(path, bytes)
        }
        other => other,
    };
    written.with_context(|| format!("while writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_of(source: &Path, bytes: &[u8]) -> Published {
        Published::Copy {
            rel: "r/records/m.json".into(),
            source: source.to_path_buf(),
            sha256: hash::bytes(bytes),
        }
    }

    #[test]
    fn copies_are_refused_when_their_hash_differs() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let source = tmp.path().join("run.json");
        std::fs::write(&source, b"{}").expect("write");
        assert_eq!(
            contents(&copy_of(&source, b"{}")).expect("same hash"),
            b"{}"
        );
        let err = format!(
            "{:#}",
            contents(&copy_of(&source, b"[]")).expect_err("other hash")
        );
        assert!(
            err.contains("changed after the evidence was verified"),
            "{err}"
        );
        assert!(err.contains("evidence/r/records/m.json"), "{err}");
    }

    #[test]
    fn the_store_keeps_right_files_and_replaces_wrong_ones_from_the_ledger() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let (site, staging) = (tmp.path().join("site"), tmp.path().join("staging"));
        let source = tmp.path().join("ledger.json");
        std::fs::write(&source, b"{\"v\": 1}").expect("write");
        let files = vec![
            copy_of(&source, b"{\"v\": 1}"),
            Published::Generated {
                rel: "r/SHA256SUMS".into(),
                bytes: b"a  x\n".to_vec(),
            },
        ];
        let first = publish(&site, &staging, &files).expect("publish");
        assert_eq!(
            first,
            StoreStats {
                kept: 0,
                written: 2
            }
        );
        let record = site.join("evidence/r/records/m.json");
        assert_eq!(std::fs::read(&record).expect("published"), b"{\"v\": 1}");
        let inode = |p: &Path| std::fs::metadata(p).expect("stat").ino();
        let before = inode(&record);
        // Nothing changed: nothing is written again.
        let again = publish(&site, &staging, &files).expect("publish");
        assert_eq!(
            again,
            StoreStats {
                kept: 2,
                written: 0
            }
        );
        assert_eq!(inode(&record), before);
        // A published file changed after the fact (same length): rewritten from the ledger.
        std::fs::write(&record, b"{\"v\": 2}").expect("tamper");
        std::fs::write(site.join("evidence/r/SHA256SUMS"), b"b  x\n").expect("tamper");
        let repaired = publish(&site, &staging, &files).expect("publish");
        assert_eq!(
            repaired,
            StoreStats {
                kept: 0,
                written: 2
            }
        );
        assert_eq!(std::fs::read(&record).expect("published"), b"{\"v\": 1}");
        assert_eq!(
            std::fs::read(site.join("evidence/r/SHA256SUMS")).expect("sums"),
            b"a  x\n"
        );
        // The temporary folder is gone.
        assert_eq!(std::fs::read_dir(&staging).expect("staging").count(), 0);
    }

    #[test]
    fn a_ledger_file_that_no_longer_has_its_hash_publishes_nothing_in_its_place() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (site, staging) = (tmp.path().join("site"), tmp.path().join("staging"));
        let source = tmp.path().join("ledger.json");
        std::fs::write(&source, b"changed").expect("write");
        let err =
            publish(&site, &staging, &[copy_of(&source, b"original")]).expect_err("hash differs");
        assert!(format!("{err:#}").contains("changed after the evidence was verified"));
        assert!(!site.join("evidence/r/records/m.json").exists());
        assert_eq!(std::fs::read_dir(&staging).expect("staging").count(), 0);
    }

    #[test]
    fn pages_link_to_the_store_from_their_version_root() {
        let file = Published::Generated {
            rel: "20260101T000000Z-abc/SHA256SUMS".into(),
            bytes: Vec::new(),
        };
        assert_eq!(
            link_target(&file),
            "../evidence/20260101T000000Z-abc/SHA256SUMS"
        );
    }
}

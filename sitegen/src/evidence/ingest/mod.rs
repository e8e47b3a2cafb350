//! Ingestion: turning the files checks write into metrics.
//!
//! Understood inputs, decided by [`ingest_path`]:
//! 1. a criterion output folder (`**/new/{estimates,sample,benchmark}.json`) — [`criterion`];
//! 2. a `benchmark_results/<date>/` folder of metrics JSON / BMF plus text reports — [`results`];
//! 3. a JUnit XML file (`.xml`, as `cargo nextest` writes it) — [`junit`];
//! 4. a JSON file holding metrics JSON or Bencher Metric Format — [`json`] / [`bmf`].
//!
//! Anything else is an error that names the file; nothing is silently skipped.

pub mod bmf;
pub mod criterion;
pub mod json;
pub mod junit;
pub mod results;

use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use crate::evidence::metrics::Metric;

/// Largest single input file read (64 MiB): data from disk is bounded.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// What one input produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ingested {
    /// Metrics, validated.
    pub metrics: Vec<Metric>,
    /// Test failures found (JUnit), so a runner can mark the check failed.
    pub failed_tests: u64,
    /// Files read, relative to where ingestion started.
    pub files: Vec<std::path::PathBuf>,
}

/// Reads a text file no larger than [`MAX_INPUT_BYTES`].
pub fn read_bounded(path: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("while reading {}", path.display()))?;
    if meta.len() > MAX_INPUT_BYTES {
        bail!(
            "{}: {} bytes is larger than the {MAX_INPUT_BYTES}-byte input limit",
            path.display(),
            meta.len()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))
}

/// Ingests one file or folder. `prefix` names metrics derived from test reports (the check id).
/// With `since`, criterion benchmarks older than it are left out (stale output of earlier runs).
pub fn ingest_path(path: &Path, prefix: &str, since: Option<SystemTime>) -> Result<Ingested> {
    if path.is_dir() {
        if criterion::looks_like(path) {
            return criterion::ingest_dir(path, since);
        }
        return results::ingest_dir(path);
    }
    let name = path.to_string_lossy().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "xml" => {
            let report = junit::parse(&name, &read_bounded(path)?)?;
            Ok(Ingested {
                metrics: report.metrics(prefix),
                failed_tests: report.failures + report.errors,
                files: vec![path.to_path_buf()],
            })
        }
        "json" => Ok(Ingested {
            metrics: json::parse_any(&name, &read_bounded(path)?)?,
            failed_tests: 0,
            files: vec![path.to_path_buf()],
        }),
        _ => bail!(
            "{name}: unknown input format (expected a criterion folder, a benchmark_results \
             folder, JUnit `.xml`, or metrics/BMF `.json`)"
        ),
    }
}

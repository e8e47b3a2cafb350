//! `benchmark_results/<date>/`: what the baseline scripts write.
//!
//! A folder of `.json` files (metrics JSON or Bencher Metric Format) and text reports
//! (`.txt`, `.md`, `.log`, which are kept as artifacts, not parsed). Sub-folders are read the
//! same way. Any other file is an error naming it. Metric names must be unique across the folder.

use std::path::Path;

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

use crate::evidence::ingest::{Ingested, json, read_bounded};
use crate::evidence::metrics;

/// File extensions accepted as text reports.
pub const TEXT_REPORTS: &[&str] = &["txt", "md", "log"];

/// Ingests a results folder.
pub fn ingest_dir(dir: &Path) -> Result<Ingested> {
    let mut ing = Ingested::default();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("while listing {}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ext == "json" {
            let name = path.display().to_string();
            ing.metrics
                .extend(json::parse_any(&name, &read_bounded(path)?)?);
        } else if !TEXT_REPORTS.contains(&ext.as_str()) {
            bail!(
                "{}: unknown file in a benchmark results folder (expected .json metrics or a \
                 .txt/.md/.log report)",
                path.display()
            );
        }
        ing.files.push(path.to_path_buf());
    }
    metrics::validate(&dir.display().to_string(), &ing.metrics)?;
    Ok(ing)
}

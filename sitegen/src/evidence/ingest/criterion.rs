//! criterion output: `target/criterion/**/new/{estimates,sample,benchmark}.json`.
//!
//! Steps: find every `new/` folder holding `benchmark.json` → read the benchmark id, the
//! estimates (mean, median, std dev with confidence intervals) and the raw samples (total time
//! per sample ÷ iterations = time per iteration) → one [`CriterionBench`] each → metrics:
//! `<full_id>` (median ns per iteration, with the per-iteration samples and the median's
//! confidence interval), `<full_id>.mean` and `<full_id>.std_dev`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use walkdir::WalkDir;

use crate::evidence::ingest::{Ingested, read_bounded};
use crate::evidence::metrics::{self, Direction, MAX_SAMPLES, Metric};

/// A confidence interval as criterion writes it.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ConfidenceInterval {
    /// e.g. 0.95.
    pub confidence_level: f64,
    /// Lower bound.
    pub lower_bound: f64,
    /// Upper bound.
    pub upper_bound: f64,
}

/// One estimated statistic.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimate {
    /// Its confidence interval.
    pub confidence_interval: ConfidenceInterval,
    /// The point estimate.
    pub point_estimate: f64,
    /// Standard error of the estimate.
    pub standard_error: f64,
}

/// `estimates.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Estimates {
    /// Mean time per iteration (ns).
    pub mean: Estimate,
    /// Median time per iteration (ns).
    pub median: Estimate,
    /// Median absolute deviation.
    pub median_abs_dev: Estimate,
    /// Linear-regression slope, when sampling was linear.
    pub slope: Option<Estimate>,
    /// Standard deviation.
    pub std_dev: Estimate,
}

#[derive(Debug, Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct BenchmarkFile {
    full_id: String,
}

/// One benchmark's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionBench {
    /// criterion's full id, e.g. `btree/get/1000`.
    pub id: String,
    /// The estimates.
    pub estimates: Estimates,
    /// Time per iteration of each sample (ns).
    pub samples: Vec<f64>,
    /// The `new/` folder it was read from.
    pub dir: PathBuf,
}

impl CriterionBench {
    /// The metrics this benchmark contributes.
    pub fn metrics(&self) -> Vec<Metric> {
        let e = &self.estimates;
        let mut median = Metric::new(
            &self.id,
            e.median.point_estimate,
            "ns",
            Direction::LowerIsBetter,
        );
        median.samples = self.samples.clone();
        median.ci_lower = Some(e.median.confidence_interval.lower_bound);
        median.ci_upper = Some(e.median.confidence_interval.upper_bound);
        let mut mean = Metric::new(
            format!("{}.mean", self.id),
            e.mean.point_estimate,
            "ns",
            Direction::LowerIsBetter,
        );
        mean.ci_lower = Some(e.mean.confidence_interval.lower_bound);
        mean.ci_upper = Some(e.mean.confidence_interval.upper_bound);
        let std_dev = Metric::new(
            format!("{}.std_dev", self.id),
            e.std_dev.point_estimate,
            "ns",
            Direction::LowerIsBetter,
        );
        vec![median, mean, std_dev]
    }
}

/// Whether `dir` contains criterion output (some `new/benchmark.json` below it).
pub fn looks_like(dir: &Path) -> bool {
    WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name() == "benchmark.json" && is_new_dir(e.path().parent()))
}

fn is_new_dir(dir: Option<&Path>) -> bool {
    dir.and_then(|d| d.file_name()).is_some_and(|n| n == "new")
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_bounded(path)?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}: not a criterion file we understand: {e}",
            path.display(),
            e.line().max(1)
        )
    })
}

/// Reads one `new/` folder.
pub fn read_bench(new_dir: &Path) -> Result<CriterionBench> {
    let bench: BenchmarkFile = read_json(&new_dir.join("benchmark.json"))?;
    let estimates: Estimates = read_json(&new_dir.join("estimates.json"))?;
    let sample_path = new_dir.join("sample.json");
    let sample: Sample = read_json(&sample_path)?;
    if sample.iters.len() != sample.times.len() {
        bail!(
            "{}: {} iteration counts but {} times; expected equal lengths",
            sample_path.display(),
            sample.iters.len(),
            sample.times.len()
        );
    }
    if sample.iters.len() > MAX_SAMPLES {
        bail!("{}: more than {MAX_SAMPLES} samples", sample_path.display());
    }
    let mut samples = Vec::with_capacity(sample.iters.len());
    for (i, (&n, &t)) in sample.iters.iter().zip(&sample.times).enumerate() {
        if !(n.is_finite() && n > 0.0 && t.is_finite() && t >= 0.0) {
            bail!(
                "{}: sample {i} has iters {n} and time {t}; expected a positive iteration count \
                 and a finite time",
                sample_path.display()
            );
        }
        samples.push(t / n);
    }
    let b = CriterionBench {
        id: bench.full_id,
        estimates,
        samples,
        dir: new_dir.to_path_buf(),
    };
    metrics::validate(&new_dir.display().to_string(), &b.metrics())?;
    Ok(b)
}

/// Reads every benchmark under `dir`, sorted by id. With `since`, benchmarks whose
/// `estimates.json` was last written before it are left out.
pub fn read_dir(dir: &Path, since: Option<SystemTime>) -> Result<Vec<CriterionBench>> {
    let mut out = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("while listing {}", dir.display()))?;
        if entry.file_name() != "benchmark.json" || !is_new_dir(entry.path().parent()) {
            continue;
        }
        let Some(new_dir) = entry.path().parent() else {
            continue;
        };
        if let Some(since) = since {
            let est = new_dir.join("estimates.json");
            let modified = std::fs::metadata(&est)
                .and_then(|m| m.modified())
                .with_context(|| format!("while reading {}", est.display()))?;
            if modified < since {
                continue;
            }
        }
        out.push(read_bench(new_dir)?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in out.windows(2) {
        if pair[0].id == pair[1].id {
            bail!(
                "{} and {} both hold benchmark `{}`",
                pair[0].dir.display(),
                pair[1].dir.display(),
                pair[0].id
            );
        }
    }
    Ok(out)
}

/// Ingests a criterion folder.
pub fn ingest_dir(dir: &Path, since: Option<SystemTime>) -> Result<Ingested> {
    let benches = read_dir(dir, since)?;
    let mut ing = Ingested::default();
    for b in benches {
        ing.metrics.extend(b.metrics());
        for f in ["benchmark.json", "estimates.json", "sample.json"] {
            ing.files.push(b.dir.join(f));
        }
    }
    metrics::validate(&dir.display().to_string(), &ing.metrics)?;
    Ok(ing)
}

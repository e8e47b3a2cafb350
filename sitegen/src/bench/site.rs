//! `sitegen bench-site`: the site build's own figures, as evidence. Each repetition writes a
//! fresh synthetic repository ([`super::synthetic`]; by default the scale: 1,000 runs ×
//! 40 metrics, 100 ADRs, 200 content pages of about 1,500 words), builds it cold (no
//! `site/`, no cache), appends one run and builds again (the incremental path a per-commit
//! publish takes). One warm-up repetition comes first (its figures dropped: it pays for cold
//! file-system and page caches). It reports, in the metrics format, the median of each figure
//! with every measured repetition as a sample:
//!
//! - `site.build.cold_ms`, `site.build.add_run_ms` — wall time of the two builds;
//! - `site.build.cold_peak_rss_mb`, `site.build.add_run_peak_rss_mb` — each build's peak
//!   resident memory in MiB (unit `MiB`; the names, kept for the history of these metrics,
//!   still say `mb`: until the shared metrics crate they held thousands of KiB labelled `MB`);
//! - `site.build.pages`, `site.build.add_run_rendered` — pages built, and pages rendered (not
//!   shared with the previous version) by the incremental build.
//!
//! Each build is a `sitegen build` child process (the given executable), timed from spawn to
//! exit: what a user waits for. Its peak memory is what it reports itself (`peak memory` on
//! stderr, from `/proc/self/status` on Linux; left out elsewhere); its page counts are parsed
//! from its summary line. Repositories are kept until the last repetition is done, then
//! removed: on file systems without a journal, inodes deleted moments ago make creating new
//! files slower, which would tax the next repetition.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use super::synthetic::{SyntheticSpec, generate};
use super::synthetic_evidence::add_run;
use crate::evaluate::stats::median;
use crate::evidence::metrics::{Direction, Metric, MetricsFile};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    /// The synthetic repository.
    pub synthetic: SyntheticSpec,
    /// Repetitions (each a fresh repository); at least 1.
    pub repeat: usize,
    /// Where the repositories are written (a fresh folder is made inside).
    pub work_dir: PathBuf,
}

/// One repetition's figures.
#[derive(Debug, Clone, Copy)]
struct Sample {
    cold_ms: f64,
    add_ms: f64,
    cold_rss_mb: Option<f64>,
    add_rss_mb: Option<f64>,
    pages: usize,
    rendered: usize,
}

/// Runs the benchmark with `exe` (a `sitegen` binary) building; the metrics document
/// `sitegen bench-site --json` prints.
pub fn run(spec: &BenchSpec, exe: &Path, mut progress: impl FnMut(&str)) -> Result<MetricsFile> {
    let base = spec.work_dir.join(format!(
        "sitegen-bench-site-{}-{}",
        std::process::id(),
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    std::fs::create_dir_all(&base).with_context(|| format!("while creating {}", base.display()))?;
    let warm_up = repetition(exe, &base.join("warm-up"), &spec.synthetic).map(|s| {
        progress(&format!(
            "warm-up (dropped): cold {:.0} ms, one run added {:.0} ms",
            s.cold_ms, s.add_ms
        ));
    });
    let result = warm_up.and_then(|()| {
        (0..spec.repeat.max(1))
            .map(|i| {
                let s = repetition(exe, &base.join(format!("r{i}")), &spec.synthetic)?;
                progress(&format!(
                    "repetition {}: cold {:.0} ms, one run added {:.0} ms",
                    i + 1,
                    s.cold_ms,
                    s.add_ms
                ));
                Ok(s)
            })
            .collect::<Result<Vec<Sample>>>()
    });
    let removed = std::fs::remove_dir_all(&base);
    let samples = result?;
    removed.with_context(|| format!("while removing {}", base.display()))?;
    Ok(report(&samples))
}

fn repetition(exe: &Path, dir: &Path, spec: &SyntheticSpec) -> Result<Sample> {
    std::fs::create_dir_all(dir).with_context(|| format!("while creating {}", dir.display()))?;
    generate(dir, spec)?;
    let cold = child_build(exe, dir, "cold")?;
    add_run(dir, spec.runs, spec.metrics)?;
    let added = child_build(exe, dir, "one-run-added")?;
    Ok(Sample {
        cold_ms: cold.ms,
        add_ms: added.ms,
        cold_rss_mb: cold.peak_mb,
        add_rss_mb: added.peak_mb,
        pages: cold.pages,
        rendered: added.rendered,
    })
}

/// What one `sitegen build` child reported.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ChildBuild {
    ms: f64,
    peak_mb: Option<f64>,
    pages: usize,
    rendered: usize,
}

fn child_build(exe: &Path, dir: &Path, version: &str) -> Result<ChildBuild> {
    let start = Instant::now();
    let out = std::process::Command::new(exe)
        .arg("build")
        .arg("--root")
        .arg(dir)
        .args(["--version", version])
        .output()
        .with_context(|| format!("while running {} build", exe.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        anyhow::bail!(
            "`{} build --root {}` failed ({}): {}",
            exe.display(),
            dir.display(),
            out.status,
            stderr.trim()
        );
    }
    let (pages, rendered) = parse_summary(&stdout).with_context(|| {
        format!("`sitegen build` printed no `built N pages (R rendered, …` line: {stdout}")
    })?;
    Ok(ChildBuild {
        ms,
        peak_mb: parse_peak(&stderr),
        pages,
        rendered,
    })
}

/// `built 2358 pages (60 rendered, …` → (2358, 60).
fn parse_summary(stdout: &str) -> Option<(usize, usize)> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("built "))?;
    let (pages, rest) = line.split_once(" pages (")?;
    let (rendered, _) = rest.split_once(" rendered")?;
    Some((pages.trim().parse().ok()?, rendered.trim().parse().ok()?))
}

/// `  peak memory   251.7 MiB` → 251.7.
fn parse_peak(stderr: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("peak memory"))?
        .trim()
        .strip_suffix("MiB")?
        .trim()
        .parse()
        .ok()
}

fn report(samples: &[Sample]) -> MetricsFile {
    let mut metrics = Vec::new();
    let mut push = |name: &str, unit: &str, values: Vec<f64>| {
        if values.is_empty() {
            return;
        }
        let value = median(&values).unwrap_or(f64::NAN);
        let mut m = Metric::new(name, value, unit, Direction::LowerIsBetter);
        if values.len() > 1 {
            m.samples = values;
        }
        metrics.push(m);
    };
    push(
        "site.build.cold_ms",
        "ms",
        samples.iter().map(|s| s.cold_ms).collect(),
    );
    push(
        "site.build.add_run_ms",
        "ms",
        samples.iter().map(|s| s.add_ms).collect(),
    );
    push(
        "site.build.cold_peak_rss_mb",
        "MiB",
        samples.iter().filter_map(|s| s.cold_rss_mb).collect(),
    );
    push(
        "site.build.add_run_peak_rss_mb",
        "MiB",
        samples.iter().filter_map(|s| s.add_rss_mb).collect(),
    );
    if let Some(last) = samples.last() {
        metrics.push(Metric::new(
            "site.build.pages",
            last.pages as f64,
            "count",
            Direction::HigherIsBetter,
        ));
        metrics.push(Metric::new(
            "site.build.add_run_rendered",
            last.rendered as f64,
            "count",
            Direction::LowerIsBetter,
        ));
    }
    MetricsFile {
        format_version: crate::evidence::metrics::FORMAT_VERSION,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_samples() {
        let s = |cold_ms, rss| Sample {
            cold_ms,
            add_ms: cold_ms / 4.0,
            cold_rss_mb: rss,
            add_rss_mb: rss,
            pages: 10,
            rendered: 3,
        };
        let file = report(&[s(100.0, Some(50.0)), s(300.0, None), s(200.0, Some(70.0))]);
        let get = |n: &str| file.metrics.iter().find(|m| m.name == n).cloned();
        let cold = get("site.build.cold_ms").expect("cold");
        assert_eq!(cold.value, 200.0);
        assert_eq!(cold.samples, vec![100.0, 300.0, 200.0]);
        assert_eq!(get("site.build.add_run_ms").expect("add").value, 50.0);
        assert_eq!(get("site.build.cold_peak_rss_mb").expect("rss").value, 60.0);
        assert_eq!(
            get("site.build.add_run_rendered").expect("rendered").value,
            3.0
        );
        crate::evidence::metrics::validate("bench", &file.metrics).expect("valid metrics");
    }

    #[test]
    fn child_output_is_parsed() {
        let out = "built 2358 pages (60 rendered, 0 from the render cache, 2298 shared with \
                   the previous version) for version v2 in /x/site/v2\n";
        assert_eq!(parse_summary(out), Some((2358, 60)));
        assert_eq!(parse_summary("nothing"), None);
        let err = "  load 25.0 ms\n  peak memory    251.7 MiB\n";
        assert_eq!(parse_peak(err), Some(251.7));
        assert_eq!(parse_peak("  load 25.0 ms\n"), None);
        // This process's own figure is there on Linux, and plausible.
        if cfg!(target_os = "linux") {
            let mb = lightning_metrics::process::peak_rss_mib().expect("VmHWM on Linux");
            assert!(mb > 1.0 && mb < 100_000.0, "{mb}");
        }
    }
}

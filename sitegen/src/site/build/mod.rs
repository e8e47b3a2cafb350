//! The orchestrator: [`build`] runs the named, timed phases of the module docs of
//! [`crate::site`] in order, each returning `Result`; [`render`] is the render phase.

pub mod render;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use super::incremental::{self, cache, reuse};
use super::load::{self, evidence};
use super::options::BuildOptions;
use super::output::{check, evidence as output_evidence, leftovers, publish, staging};
use super::{context, pages, search, versions};
use crate::project::Project;
use render::Output;

/// How long one phase took.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTiming {
    /// Phase name.
    pub name: &'static str,
    /// Wall time.
    pub duration: Duration,
}

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The version built.
    pub version: String,
    /// `site/<version>/`.
    pub output: PathBuf,
    /// Number of pages written.
    pub pages: usize,
    /// Pages whose body was rendered (not taken from the render cache).
    pub rendered: usize,
    /// Pages shared with the previous version (hard links, nothing rendered; see [`reuse`]).
    pub reused: usize,
    /// Render-cache hits and misses over every kind of cached output.
    pub cache: cache::CacheStats,
    /// Non-fatal problems found while building.
    pub warnings: Vec<String>,
    /// Phase timings in order.
    pub timings: Vec<PhaseTiming>,
}

/// A phase run by [`timed`], not yet recorded.
type Timed<T> = (&'static str, Duration, Result<T>);

/// Runs `f` as the phase `name` (possibly beside another one), timing it.
fn timed<T>(name: &'static str, f: impl FnOnce() -> Result<T>) -> Timed<T> {
    let start = Instant::now();
    let out = f();
    (name, start.elapsed(), out)
}

/// Records a phase run by [`timed`], naming it in any error.
fn record_phase<T>(timings: &mut Vec<PhaseTiming>, (name, duration, out): Timed<T>) -> Result<T> {
    let out = out.with_context(|| format!("in build phase `{name}`"))?;
    timings.push(PhaseTiming { name, duration });
    Ok(out)
}

/// Runs `f` as the phase `name`, recording its duration and naming it in any error.
fn phase<T>(
    timings: &mut Vec<PhaseTiming>,
    name: &'static str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let start = Instant::now();
    let out = f().with_context(|| format!("in build phase `{name}`"))?;
    timings.push(PhaseTiming {
        name,
        duration: start.elapsed(),
    });
    Ok(out)
}

/// The lock file, under the build's state folder (`target/sitegen-cache/`), a build holds from start to end ([`crate::util::lock`]).
pub const SITE_LOCK: &str = "site.lock";

/// Builds the site: load → plan → render → check → write. See the module docs.
///
/// Checked first: the root exists, and the version (when given) is a valid name. Then the
/// build takes the site lock (`target/sitegen-cache/site.lock`, waiting for another build that holds
/// it), so that concurrent builds publish one after the other and each lands in
/// `versions.json`, and removes what killed builds left in the staging folder.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    // The one `Project` of the build: every phase reads its `[paths]`.
    let project = match &options.project {
        Some(project) => project.clone(),
        None => Project::open_for_site(&options.root)?,
    };
    let options = &BuildOptions {
        root: project.root.clone(),
        project: None,
        ..options.clone()
    };
    let project = &project;
    if let Some(version) = &options.version {
        versions::validate_name(version).context("in --version")?;
    }
    let site_dir = project.site_dir();
    let lock_dir = project.cache_dir();
    std::fs::create_dir_all(&lock_dir)
        .with_context(|| format!("while creating {}", lock_dir.display()))?;
    let _site_lock = crate::util::lock::exclusive(&lock_dir.join(SITE_LOCK))?;
    std::fs::create_dir_all(&site_dir)
        .with_context(|| format!("while creating {}", site_dir.display()))?;
    let left = leftovers::remove_leftovers(&site_dir, &lock_dir)?;
    let mut report = match build_once(options, project, true) {
        Err(e) if e.chain().any(|c| c.is::<reuse::ReuseFailed>()) => {
            // The previous version lost a file it was recorded with: build everything afresh.
            if let Some(dir) = cache_dir(options, project) {
                reuse::forget(&dir);
            }
            build_once(options, project, false)
        }
        other => other,
    }?;
    for path in left {
        report.warnings.push(format!(
            "removed {}, left by a build that did not finish",
            path.display()
        ));
    }
    Ok(report)
}

fn cache_dir(options: &BuildOptions, project: &Project) -> Option<PathBuf> {
    options.cache.then(|| project.cache_dir())
}

fn build_once(options: &BuildOptions, project: &Project, share: bool) -> Result<BuildReport> {
    let mut timings = Vec::new();
    let site_dir = project.site_dir();
    if !options.force
        && let Some(version) = &options.version
    {
        // Fail before doing anything when the version is already published.
        staging::refuse_existing(&site_dir, version)?;
    }
    if let Some(dir) = cache_dir(options, project) {
        // Evidence hashes (by file `stat`) and parsed records that earlier builds kept are no
        // longer trusted or written: every build hashes and parses what it shows.
        incremental::remove_stale(&dir);
    }
    // The two reading phases overlap: content, ADRs and git on one side, the ledger (hashing
    // and parsing, itself parallel) on the other.
    let (loaded, evidence) = rayon::join(
        || timed("load", || load::load(options, project)),
        || timed("evidence", || evidence::load(project)),
    );
    let mut loaded = record_phase(&mut timings, loaded)?;
    if !options.force {
        staging::refuse_existing(&site_dir, &loaded.version)?;
    }
    loaded.evidence = record_phase(&mut timings, evidence)?;
    let cache = match cache_dir(options, project) {
        Some(dir) => cache::Cache::new(&dir),
        None => cache::Cache::disabled(),
    };
    let previous = cache
        .dir()
        .filter(|_| share)
        .and_then(|dir| reuse::Previous::load(dir, &site_dir));
    let chrome = context::Chrome::new(&loaded);
    let (jobs, mut warnings, search_index) = phase(&mut timings, "plan", || {
        let (jobs, warnings) = pages::plan(options, &loaded, &cache, &chrome, previous.as_ref())?;
        anyhow::Ok((jobs, warnings, search::script(&search::entries(&loaded))))
    })?;
    // The evaluation's load-time warnings (criteria no configured check can decide) first.
    if let Some(ev) = &loaded.evidence {
        warnings.splice(0..0, ev.eval.warnings.iter().cloned());
    }
    // The evidence is in the page contexts now; free it before rendering.
    // Freeing a parsed ledger (millions of values) takes a while: a helper thread does it
    // while the pages render.
    let evidence_files: Vec<_> = loaded
        .evidence
        .as_ref()
        .map(output_evidence::files)
        .unwrap_or_default();
    // The page list the banner of older versions reads (`versions::pages_js`).
    let paths: Vec<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
    let pages_js = versions::pages_js(&paths)?;
    if let Some(evidence) = loaded.evidence.take() {
        std::thread::spawn(move || drop(evidence));
    }
    let staging = phase(&mut timings, "stage", || {
        let mut staging = staging::Staging::create(
            &site_dir,
            &project.cache_dir(),
            options.force,
            &loaded,
            &jobs,
            evidence_files.iter().map(output_evidence::link_target),
        )?;
        staging.add_file(search::FILE, &search_index)?;
        staging.add_file(versions::PAGES_JS, &pages_js)?;
        // The evidence store, beside the versions: complete before any page linking to it is
        // published.
        output_evidence::publish(&site_dir, staging.root(), &evidence_files)?;
        anyhow::Ok(staging)
    })?;
    let rendered = phase(&mut timings, "render", || {
        let out = Output {
            staging: &staging,
            previous: previous.as_ref(),
        };
        render::render(&loaded.templates, jobs, &chrome, &cache, &out)
    })?;
    let record = phase(&mut timings, "check", || {
        check::check(&rendered, &staging, previous.as_ref())
    })?;
    let output = phase(&mut timings, "write", || {
        publish::publish(&site_dir, options.force, &loaded, staging)
    })?;
    match cache.dir() {
        Some(dir) => reuse::save(dir, &loaded.version, &record)?,
        // A build without the cache that replaced the recorded version (`--force`) makes the
        // record describe files that are gone.
        None => reuse::forget_version(&project.cache_dir(), &loaded.version),
    }
    let stats = cache.stats();
    cache.finish();
    Ok(BuildReport {
        version: loaded.version,
        output,
        pages: rendered.len(),
        rendered: rendered.iter().filter(|p| !p.cached).count(),
        reused: rendered.iter().filter(|p| p.shared).count(),
        cache: stats,
        warnings,
        timings,
    })
}

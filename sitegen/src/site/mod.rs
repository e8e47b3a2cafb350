//! The site build: one orchestrator running named, timed phases, each returning `Result`.
//!
//! Phases, in order:
//! 1. **load** — content pages, ADRs, git history, templates (repository overrides over the
//!    embedded defaults), the existing `site/versions.json`;
//! 2. **evidence** — when the repository has a `sitegen.toml`: under the ledger lock, hash every
//!    file of the ledger, check the chain and its anchor at git `HEAD` (a broken ledger fails
//!    the build) and parse the runs from the bytes hashed; load the plan, evaluate the gates
//!    (`evidence.rs`);
//! 3. **plan** — turn what was loaded into a list of [`PageJob`]s (`pages.rs` for content,
//!    ADRs and history; `dashboard.rs`, `metric_pages.rs`, `run_pages.rs`, `catalog.rs` for
//!    evidence), rendering markdown and charts in parallel through the cache; warnings (e.g. a
//!    one-sided supersede) are collected here;
//! 4. **render** — every job in parallel with rayon: the page's own template (its `main`
//!    block) with the page's context, through the render cache; then the layout (`base.html`:
//!    header, sidebar, version switcher) around it — rendered once per group of pages that
//!    differ only in title, path and body, and filled in (`layout.rs`). Each page is written at
//!    once into the version's temporary tree (`site/.cache/staging/<V>-<pid>/`, created with
//!    every folder by the short `stage` phase) and its links are scanned, so only a page per thread is held in
//!    memory; a page the previous version published with the same key is hard-linked instead
//!    of rendered ([`reuse`]);
//! 5. **check** — every anchor a page links to, and the links of shared pages (`links.rs`,
//!    `writer::check`); a broken one fails the build and the temporary tree is removed;
//! 6. **write** — the temporary tree is moved atomically to `site/<version>/`, then
//!    `site/latest`, `site/versions.json` and the root redirect are updated (`writer.rs`).

//! # Adding pages
//!
//! A page is a [`PageJob`]: an output directory (`metrics/commit_p99_us`), a template name and a
//! JSON context. To add a kind of page: write a function in `pages.rs` (or a new module beside
//! it) that returns `Vec<PageJob>` built with `Shared::job` (which adds the `site` object: title,
//! version, root prefix, sidebar, versions), push its jobs in [`pages::plan`], and add the
//! template to `templates/` and to [`templates::DEFAULT_TEMPLATES`]. Rendering in parallel,
//! `data.json`, the link check and versioned publishing then apply to it unchanged. Data the
//! page needs (evidence, plan) is added to [`Loaded`] in the load phase.
//!
//! # Incremental rebuilds
//!
//! Two layers, both under `site/.cache/` — and nothing about the evidence: every build reads,
//! hashes and parses every ledger file (once each, in parallel), so nothing is shown that this
//! build did not verify:
//! - the render cache ([`cache`]): markdown documents and page bodies (the page template
//!   rendered with the page's context) by a hash of their inputs, in one pack file;
//! - page sharing ([`reuse`]): pages carry no version name (`site.js` shows it), so a page
//!   whose key — a hash of its template set, template, context (or, for run, compare and
//!   content pages, of the evidence hashes or sources the context is built from), sidebar and
//!   assets — equals the one the previous build recorded is hard-linked from the previous
//!   version; run, compare and content pages, keyed by their inputs, are not even planned
//!   then. Only shared-page links that could have broken are re-checked.
//!
//! Adding one run therefore renders only the pages whose data changed (the new run and its
//! compare pages, its predecessor, the metrics it measured, the summaries).
//! [`BuildReport::rendered`] counts re-rendered bodies, [`BuildReport::reused`] shared pages.
//!
//! # Versions
//!
//! `site/<V>/` is immutable once published: building an existing version is an error unless
//! [`BuildOptions::force`] is set, which replaces the whole tree atomically (renamed aside,
//! then removed) and makes it the newest entry of `versions.json` again.

pub mod bench;
pub mod cache;
pub mod catalog;
pub mod charts;
pub mod dashboard;
pub mod evidence;
pub mod layout;
pub mod links;
pub mod metric_pages;
pub mod pages;
pub mod reuse;
pub mod run_pages;
pub mod synthetic;
pub mod synthetic_evidence;
pub mod templates;
pub mod versions;
pub mod writer;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::model::{adr, content};
use crate::util::git;
use crate::util::repofs::Repo;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The repository root (holds `content/`, `adr/`, `templates/`; output goes to `site/`).
    pub root: PathBuf,
    /// Version name; `None` derives it from git (see [`git::default_version`]).
    pub version: Option<String>,
    /// Replace an existing `site/<version>/` instead of failing.
    pub force: bool,
    /// Pass raw HTML in markdown through (otherwise it is escaped).
    pub allow_html: bool,
    /// Site title shown in the header.
    pub title: String,
    /// Reuse and store rendered outputs in `site/.cache/` (see the module docs).
    pub cache: bool,
}

impl BuildOptions {
    /// Options for building the repository at `root` with defaults for everything else.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            version: None,
            force: false,
            allow_html: false,
            title: "Lightning".to_string(),
            cache: true,
        }
    }
}

/// One page to render: where it goes, which template renders it, and the data it shows.
#[derive(Debug, Clone, Serialize)]
pub struct PageJob {
    /// Directory of the page under the version root, no slashes at either end; `""` for the
    /// home page. The page is written to `<path>/index.html` with `<path>/data.json` beside it.
    pub path: String,
    /// Template name (`adr.html`).
    pub template: String,
    /// The template context; also written as `data.json` (see [`PageData`]). `Null` for a
    /// page shared with the previous version.
    pub context: serde_json::Value,
    /// The page key ([`reuse`]) when the page's producer derived it from the page's inputs
    /// (see [`pages::Shared::keyed_job`]); otherwise it is derived from the context.
    pub key: Option<String>,
    /// The previous version published this page with the same key: nothing to render.
    pub shared: bool,
    /// A metric page's every measurement, newest first: written to `data.json` as `points`
    /// in place of the context's `points` (which holds only the rows the page's table shows),
    /// and part of the page key. `None` for every other page.
    pub measurements: Option<Vec<metric_pages::Measurement>>,
}

impl PageJob {
    /// The same job with `measurements` as its data file's `points` (see
    /// [`PageJob::measurements`]).
    pub fn with_measurements(mut self, measurements: Vec<metric_pages::Measurement>) -> PageJob {
        self.measurements = Some(measurements);
        self
    }

    /// The relative prefix from this page back to the version root (`../../` for `adr/x`).
    pub fn root_prefix(&self) -> String {
        root_prefix(&self.path)
    }
}

/// `../` once per path segment of `path`.
pub fn root_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        "../".repeat(path.split('/').count())
    }
}

/// A page written to the staging tree: rendered, or shared with the previous version.
#[derive(Debug, Clone, Default)]
pub struct RenderedPage {
    /// Same as [`PageJob::path`].
    pub path: String,
    /// Whether its files are the previous version's ([`reuse`]); nothing was rendered.
    pub shared: bool,
    /// Whether the page body came from the render cache (or the page was shared).
    pub cached: bool,
    /// The page key ([`reuse::page_key`]) when a later build may share this page.
    pub key: Option<String>,
    /// The render-cache key of the page's body, when known.
    pub body_key: Option<String>,
    /// The `id`s on the page (rendered pages only).
    pub ids: std::collections::HashSet<String>,
    /// Links to missing files (rendered pages only), as messages.
    pub broken: Vec<String>,
    /// Links with fragments, checked once every page is written (rendered pages only).
    pub fragments: Vec<links::Fragment>,
}

/// Everything the load phase reads.
#[derive(Debug)]
pub struct Loaded {
    /// Content pages in sidebar order.
    pub pages: Vec<content::Page>,
    /// ADRs sorted by id.
    pub adrs: Vec<adr::Adr>,
    /// Git history from HEAD.
    pub history: git::History,
    /// The template set.
    pub templates: templates::Templates,
    /// Versions already published (from `site/versions.json`).
    pub versions: Vec<versions::VersionEntry>,
    /// The version being built.
    pub version: String,
    /// The verified evidence and its evaluation; `None` without a `sitegen.toml`.
    pub evidence: Option<evidence::Evidence>,
}

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

/// Files under `site/.cache/` in which earlier builds kept evidence hashes (by file `stat`) and
/// parsed records. Either could be edited to make a build show evidence it did not verify, so
/// builds no longer read them, and delete them.
pub const STALE_EVIDENCE_CACHES: [&str; 2] = ["hashes.json", "records.bin"];

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

/// The lock file, under `site/.cache/`, a build holds from start to end ([`crate::util::lock`]).
pub const SITE_LOCK: &str = "site.lock";

/// Builds the site: load → plan → render → check → write. See the module docs.
///
/// Checked first: the root exists, and the version (when given) is a valid name. Then the
/// build takes the site lock (`site/.cache/site.lock`, waiting for another build that holds
/// it), so that concurrent builds publish one after the other and each lands in
/// `versions.json`, and removes what killed builds left in the staging folder.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    if !options.root.is_dir() {
        anyhow::bail!(
            "{}: no such folder (expected the repository root to build the site of)",
            options.root.display()
        );
    }
    if let Some(version) = &options.version {
        versions::validate_name(version).context("in --version")?;
    }
    let site_dir = options.root.join("site");
    let lock_dir = site_dir.join(".cache");
    std::fs::create_dir_all(&lock_dir)
        .with_context(|| format!("while creating {}", lock_dir.display()))?;
    let _site_lock = crate::util::lock::exclusive(&lock_dir.join(SITE_LOCK))?;
    let left = writer::remove_leftovers(&site_dir)?;
    let mut report = match build_once(options, true) {
        Err(e) if e.chain().any(|c| c.is::<reuse::ReuseFailed>()) => {
            // The previous version lost a file it was recorded with: build everything afresh.
            if let Some(dir) = cache_dir(options) {
                reuse::forget(&dir);
            }
            build_once(options, false)
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

fn cache_dir(options: &BuildOptions) -> Option<PathBuf> {
    options
        .cache
        .then(|| options.root.join("site").join(".cache"))
}

fn build_once(options: &BuildOptions, share: bool) -> Result<BuildReport> {
    let mut timings = Vec::new();
    if !options.force
        && let Some(version) = &options.version
    {
        // Fail before doing anything when the version is already published.
        writer::refuse_existing(options, version)?;
    }
    if let Some(dir) = cache_dir(options) {
        // Evidence hashes (by file `stat`) and parsed records that earlier builds kept are no
        // longer trusted or written: every build hashes and parses what it shows.
        for stale in STALE_EVIDENCE_CACHES {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
    // The two reading phases overlap: content, ADRs and git on one side, the ledger (hashing
    // and parsing, itself parallel) on the other.
    let (loaded, evidence) = rayon::join(
        || timed("load", || load(options)),
        || timed("evidence", || evidence::load(&options.root)),
    );
    let mut loaded = record_phase(&mut timings, loaded)?;
    if !options.force {
        writer::refuse_existing(options, &loaded.version)?;
    }
    loaded.evidence = record_phase(&mut timings, evidence)?;
    let cache = match cache_dir(options) {
        Some(dir) => cache::Cache::new(&dir),
        None => cache::Cache::disabled(),
    };
    let previous = cache
        .dir()
        .filter(|_| share)
        .and_then(|dir| reuse::Previous::load(dir, &options.root.join("site")));
    let chrome = pages::Chrome::new(&loaded);
    let (jobs, warnings) = phase(&mut timings, "plan", || {
        pages::plan(options, &loaded, &cache, &chrome, previous.as_ref())
    })?;
    // The evidence is in the page contexts now; free it before rendering.
    // Freeing a parsed ledger (millions of values) takes a while: a helper thread does it
    // while the pages render.
    if let Some(evidence) = loaded.evidence.take() {
        std::thread::spawn(move || drop(evidence));
    }
    let staging = phase(&mut timings, "stage", || {
        writer::Staging::create(options, &loaded, &jobs)
    })?;
    let rendered = phase(&mut timings, "render", || {
        let out = Output {
            staging: &staging,
            previous: previous.as_ref(),
        };
        render(&loaded.templates, jobs, &chrome, &cache, &out)
    })?;
    let record = phase(&mut timings, "check", || {
        writer::check(&rendered, &staging, previous.as_ref())
    })?;
    let output = phase(&mut timings, "write", || {
        writer::publish(options, &loaded, staging)
    })?;
    match cache.dir() {
        Some(dir) => reuse::save(dir, &loaded.version, &record)?,
        // A build without the cache that replaced the recorded version (`--force`) makes the
        // record describe files that are gone.
        None => reuse::forget_version(&options.root.join("site").join(".cache"), &loaded.version),
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

/// The load phase.
pub fn load(options: &BuildOptions) -> Result<Loaded> {
    let root = &options.root;
    let version = match &options.version {
        Some(v) => v.clone(),
        None => git::default_version(root)?,
    };
    versions::validate_name(&version)?;
    let repo = Repo::open(root);
    Ok(Loaded {
        pages: content::load_dir(&repo, &root.join("content"))?,
        adrs: adr::load_dir(&repo, &root.join("adr"))?,
        history: git::history(root)?,
        templates: templates::Templates::load(&repo, &root.join("templates"))?,
        versions: versions::read(&root.join("site"))?,
        version,
        evidence: None,
    })
}

/// The page's `data.json`: its context without the sidebar, the version name and list (which
/// the folder name and `site/versions.json` give, and which would make the file differ between
/// versions) and without the embedded SVG and HTML renderings of data it already holds (keys
/// ending in `_svg` / `_html`), so data files stay small and grow only with the page's own
/// data. Serialised without copying the context. A metric page's `points` are its
/// [`PageJob::measurements`], all of them, not the context's table rows.
pub struct PageData<'a> {
    /// The page context.
    pub context: &'a serde_json::Value,
    /// Replaces the context's `points` when set.
    pub measurements: Option<&'a [metric_pages::Measurement]>,
}

impl Serialize for PageData<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(obj) = self.context.as_object() else {
            return self.context.serialize(s);
        };
        let mut map = s.serialize_map(None)?;
        for (k, v) in obj {
            if k.ends_with("_svg") || k.ends_with("_html") {
                continue;
            }
            match self.measurements {
                Some(all) if k == "points" => map.serialize_entry(k, all)?,
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// Where the render phase puts pages.
pub struct Output<'a> {
    /// The version's temporary tree.
    pub staging: &'a writer::Staging,
    /// The previous build, whose pages may be shared.
    pub previous: Option<&'a reuse::Previous>,
}

/// The render phase: every job's body through its template (cached by template set and
/// context), then the layout with the version's [`pages::Chrome`] around it, in parallel; each
/// page is written to the staging tree and its links scanned at once, so only a page per thread
/// is in memory. A page whose key matches the one the previous version published is not
/// rendered but shared (see [`reuse`]).
pub fn render(
    templates: &templates::Templates,
    jobs: Vec<PageJob>,
    chrome: &pages::Chrome,
    cache: &cache::Cache,
    out: &Output<'_>,
) -> Result<Vec<RenderedPage>> {
    let previous = out.previous;
    let body_key = |job: &PageJob| -> Result<String> {
        let mut inputs = templates.fingerprint().as_bytes().to_vec();
        inputs.extend_from_slice(job.template.as_bytes());
        inputs.push(0);
        serde_json::to_writer(&mut inputs, &job.context)?;
        Ok(cache::Cache::key("body", &inputs))
    };
    let body_with_key = |job: &PageJob, key: &str| -> Result<(String, bool)> {
        let mut computed = false;
        let body = cache.get_or_keyed("body", key, || {
            computed = true;
            templates.render_body(&job.template, &job.context)
        })?;
        Ok((body, !computed))
    };
    let body_of = |job: &PageJob| body_with_key(job, &body_key(job)?);
    let chrome_digest = reuse::chrome_digest(templates, &chrome.nav)?;
    let layouts = layout::Layouts::build(templates, &jobs, chrome, body_of)?;
    let nav_paths: std::collections::HashSet<&str> = chrome
        .nav
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("path").and_then(serde_json::Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let share = |path: &str, key: String, body_key: Option<String>| -> Result<RenderedPage> {
        let prev = previous.context("internal error: a shared page without a previous version")?;
        out.staging.share_page(path, &prev.dir)?;
        if let Some(k) = &body_key {
            cache.keep("body", k);
        }
        Ok(RenderedPage {
            path: path.to_string(),
            shared: true,
            cached: true,
            key: Some(key),
            body_key,
            ..RenderedPage::default()
        })
    };
    // Jobs are consumed: each context is freed as soon as its page is written.
    jobs.into_par_iter()
        .map(|job| {
            let job = &job;
            let named = || {
                format!(
                    "while rendering page `{}/index.html` with template `{}`",
                    job.path, job.template
                )
            };
            if job.shared {
                // Shared by its producer, which derived the key from the page's inputs.
                let key = job
                    .key
                    .clone()
                    .context("internal error: shared page without a key")?;
                let body_key = previous
                    .and_then(|p| p.body_key(&job.path))
                    .map(str::to_string);
                return share(&job.path, key, body_key);
            }
            let (html, cached, key, body_key) = if templates.has_layout(&job.template) {
                let body_key = body_key(job).with_context(named)?;
                let key = match (&job.key, &job.measurements) {
                    (Some(k), _) => k.clone(),
                    (None, None) => reuse::page_key(&body_key, &chrome_digest),
                    // The data file holds more than the body shows.
                    (None, Some(all)) => reuse::page_key(
                        &reuse::page_key(&body_key, &chrome_digest),
                        &cache::Cache::key("measurements", &serde_json::to_vec(all)?),
                    ),
                };
                if previous.is_some_and(|p| p.unchanged(&job.path, &key)) {
                    return share(&job.path, key, Some(body_key));
                }
                let (body, cached) = body_with_key(job, &body_key).with_context(named)?;
                // A body the layout check rendered a moment ago counts as rendered.
                let cached = cached && !layouts.rendered_bodies.contains(&job.path);
                let html = match layouts.wrap(job, &body, &nav_paths) {
                    Some(html) => html,
                    None => templates
                        .render_layout(&body, &job.context, chrome)
                        .with_context(named)?,
                };
                (html, cached, Some(key), Some(body_key))
            } else {
                // A template that does not use the layout is rendered whole, with the version
                // name and list in `site`; such pages are never shared between versions.
                let mut full = job.context.clone();
                if let Some(site) = full.get_mut("site").and_then(|s| s.as_object_mut()) {
                    site.insert("version".into(), chrome.version.clone().into());
                    site.insert("nav".into(), chrome.nav.clone());
                    site.insert("versions".into(), chrome.versions.clone());
                }
                let html = templates.render(&job.template, &full).with_context(named)?;
                (html, false, None, None)
            };
            let data = serde_json::to_string_pretty(&PageData {
                context: &job.context,
                measurements: job.measurements.as_deref(),
            })
            .with_context(|| format!("while serialising data for `{}`", job.path))?;
            out.staging.write_page(&job.path, &html, &data)?;
            let file = if job.path.is_empty() {
                "index.html".to_string()
            } else {
                format!("{}/index.html", job.path)
            };
            let scanned = links::scan(&file, &html, out.staging.files());
            Ok(RenderedPage {
                path: job.path.clone(),
                shared: false,
                cached,
                key,
                body_key,
                ids: scanned.ids,
                broken: scanned.broken,
                fragments: scanned.fragments,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(run: &str, value: f64) -> metric_pages::Measurement {
        metric_pages::Measurement {
            check: Some("bench".into()),
            commit: "abc1234".into(),
            high: None,
            low: None,
            run: run.into(),
            samples: 0,
            sha256: "ab".repeat(32),
            short: "ab".repeat(6),
            value,
        }
    }

    #[test]
    fn data_file_drops_renderings_and_lists_every_measurement() {
        let context = serde_json::json!({
            "name": "m", "trend_svg": "<svg/>", "body_html": "<p>x</p>",
            "points": [{"run": "r2", "value": 2.0}], "points_total": 2,
        });
        let all = [measurement("r2", 2.0), measurement("r1", 1.0)];
        let plain: serde_json::Value = serde_json::to_value(PageData {
            context: &context,
            measurements: None,
        })
        .expect("serialises");
        assert_eq!(plain["points"].as_array().map(Vec::len), Some(1));
        assert!(plain.get("trend_svg").is_none() && plain.get("body_html").is_none());
        let full: serde_json::Value = serde_json::to_value(PageData {
            context: &context,
            measurements: Some(&all),
        })
        .expect("serialises");
        let points = full["points"].as_array().expect("points");
        assert_eq!(points.len(), 2, "every measurement, not the table rows");
        assert_eq!(points[1]["run"], "r1");
        assert_eq!(points[1]["check"], "bench");
        assert_eq!(full["name"], "m");
    }
}

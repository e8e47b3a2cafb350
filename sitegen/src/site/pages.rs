//! The plan phase: what was loaded becomes a list of page jobs.
//!
//! Steps: the shared context (site title, version, navigation, known versions) → home →
//! content pages (markdown rendered in parallel) → ADR index → one page per ADR (markdown in
//! parallel; supersede links checked in both directions, one-sided ones become warnings;
//! commits mentioning it) → history. Every value from git or an ADR goes into the context as
//! plain text and is escaped by the templates; only rendered markdown is marked safe.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::cache::Cache;
use super::evidence::{self, Acceptance, Evidence};
use super::reuse::{self, Previous};
use super::templates::Templates;
use super::{
    BuildOptions, Loaded, PageJob, catalog, dashboard, metric_pages, root_prefix, run_pages,
    versions,
};
use crate::markdown::{self, RenderOptions, Rendered};
use crate::model::adr::{Adr, AdrStatus};
use crate::util::git::Commit;

/// Every ADR status, in the order the index shows its filter.
const STATUSES: &[AdrStatus] = &[
    AdrStatus::Proposed,
    AdrStatus::Accepted,
    AdrStatus::Rejected,
    AdrStatus::Deprecated,
    AdrStatus::Superseded,
];

/// URL path of an ADR page: `ADR-0007` → `adr/adr-0007`.
pub fn adr_path(id: &str) -> String {
    format!("adr/{}", id.to_ascii_lowercase())
}

/// Builds every page job and returns them with the build warnings.
pub fn plan(
    options: &BuildOptions,
    loaded: &Loaded,
    cache: &Cache,
    chrome: &Chrome,
    previous: Option<&Previous>,
) -> Result<(Vec<PageJob>, Vec<String>)> {
    let mut warnings = Vec::new();
    let shared = Shared::new(options, loaded, chrome, previous)?;
    let ev = loaded.evidence.as_ref();
    let accepted = evidence::acceptances(&loaded.adrs, &loaded.history)?;
    let mut jobs = vec![home(&shared, loaded)];
    jobs.extend(content_pages(&shared, options, loaded, cache)?);
    jobs.push(adr_index(&shared, loaded));
    jobs.extend(adr_pages(
        &shared,
        options,
        loaded,
        &accepted,
        cache,
        &mut warnings,
    )?);
    jobs.push(history(&shared, loaded));
    jobs.push(catalog::catalog_page(&shared, ev)?);
    if let Some(ev) = ev {
        jobs.push(dashboard::dashboard(&shared, ev));
        jobs.push(dashboard::traceability(&shared, ev, &loaded.adrs));
        let register = loaded
            .pages
            .iter()
            .find(|p| p.slug == RISK_REGISTER)
            .map(|p| (p.slug.as_str(), p.body.as_str()));
        jobs.push(dashboard::signoff_report(
            &shared,
            ev,
            &loaded.adrs,
            register,
        ));
        jobs.extend(metric_pages::metric_pages(
            &shared,
            ev,
            &loaded.adrs,
            &accepted,
        )?);
        jobs.extend(run_pages::run_pages(&shared, ev)?);
    }
    Ok((jobs, warnings))
}

/// Slug of the content page holding the risk register (`content/risk-register.md`), the one
/// source of the sign-off report's open risks.
pub const RISK_REGISTER: &str = "risk-register";

/// Renders markdown through the cache (keyed by source and options).
/// The render-cache inputs of a markdown document.
fn markdown_inputs(source: &str, options: &RenderOptions) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(&(source, options))?)
}

fn render_markdown(cache: &Cache, source: &str, options: &RenderOptions) -> Result<Rendered> {
    let key = markdown_inputs(source, options)?;
    let text = cache.get_or("markdown", &key, || {
        Ok(serde_json::to_string(&markdown::render(source, options))?)
    })?;
    Ok(serde_json::from_str(&text)?)
}

/// What the layout adds to every page of this version: the version name, the sidebar and the
/// version list. Kept out of each page's context, so page bodies do not depend on the version
/// (and are reused from the render cache) and no page's context holds copies of them.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The version being built.
    pub version: String,
    /// Sidebar documents: `[{title, path}]`.
    pub nav: Value,
    /// Every published version, this one included, newest first.
    pub versions: Value,
}

impl Chrome {
    /// The chrome of the version `loaded` builds.
    pub fn new(loaded: &Loaded) -> Self {
        let nav = loaded
            .pages
            .iter()
            .map(|p| json!({"title": p.meta.title, "path": p.slug}))
            .collect();
        Self {
            version: loaded.version.clone(),
            nav,
            versions: json!(versions::with_new(
                &loaded.versions,
                &loaded.version,
                &loaded.version
            )),
        }
    }
}

/// Context shared by every page; [`Shared::job`] adds the page-specific root prefix.
pub struct Shared<'a> {
    title: String,
    evidence: bool,
    /// [`reuse::chrome_digest`] of this build.
    chrome: String,
    previous: Option<&'a Previous>,
    templates: &'a Templates,
}

impl<'a> Shared<'a> {
    fn new(
        options: &BuildOptions,
        loaded: &'a Loaded,
        chrome: &Chrome,
        previous: Option<&'a Previous>,
    ) -> Result<Self> {
        Ok(Self {
            title: options.title.clone(),
            evidence: loaded.evidence.is_some(),
            chrome: reuse::chrome_digest(&loaded.templates, &chrome.nav)?,
            previous,
            templates: &loaded.templates,
        })
    }

    /// Like [`Shared::job`] for a page whose context `context()` builds from nothing but what
    /// `inputs` identifies (the caller's digest of every input: evidence hashes, ids of linked
    /// pages, configuration). The page key is derived from `inputs`, so when the previous
    /// version published the page with the same key the context is never built and the page
    /// is shared ([`PageJob::shared`]).
    pub fn keyed_job(
        &self,
        path: String,
        template: &str,
        section: &str,
        inputs: &[u8],
        context: impl FnOnce() -> Result<Value>,
    ) -> Result<PageJob> {
        if !self.templates.has_layout(template) {
            // Rendered whole with the version name: never shared.
            return Ok(self.job(path, template, section, context()?));
        }
        let mut all = Vec::with_capacity(inputs.len() + self.title.len() + 16);
        all.extend_from_slice(self.title.as_bytes());
        all.push(0);
        all.push(u8::from(self.evidence));
        all.extend_from_slice(section.as_bytes());
        all.push(0);
        all.extend_from_slice(inputs);
        let key = reuse::input_page_key(&self.chrome, template, &path, &all);
        if self.previous.is_some_and(|p| p.unchanged(&path, &key)) {
            return Ok(PageJob {
                path,
                template: template.to_string(),
                context: Value::Null,
                key: Some(key),
                shared: true,
                measurements: None,
            });
        }
        let mut job = self.job(path, template, section, context()?);
        job.key = Some(key);
        Ok(job)
    }

    /// A page job at `path` rendered by `template`, in sidebar `section`, with `page` as its
    /// context plus the `site` object (title, root prefix, path, section, whether there is
    /// evidence; the layout adds the version, sidebar and version list from [`Chrome`]).
    pub fn job(&self, path: String, template: &str, section: &str, mut page: Value) -> PageJob {
        let site = json!({
            "title": self.title,
            "root": root_prefix(&path),
            "path": path,
            "section": section,
            "evidence": self.evidence,
        });
        if let Some(obj) = page.as_object_mut() {
            obj.insert("site".to_string(), site);
        }
        PageJob {
            path,
            template: template.to_string(),
            context: page,
            key: None,
            shared: false,
            measurements: None,
        }
    }
}

fn home(shared: &Shared, loaded: &Loaded) -> PageJob {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for adr in &loaded.adrs {
        *counts.entry(adr.meta.status.as_str()).or_default() += 1;
    }
    let recent: Vec<Value> = loaded
        .history
        .commits
        .iter()
        .take(8)
        .map(|c| commit_json(c, &HashMap::new()))
        .collect();
    let pages: Vec<Value> = loaded
        .pages
        .iter()
        .map(|p| json!({"title": p.meta.title, "description": p.meta.description, "path": p.slug}))
        .collect();
    shared.job(
        String::new(),
        "home.html",
        "home",
        json!({
            "title": shared.title,
            "pages": pages,
            "adr_count": loaded.adrs.len(),
            "adr_status_counts": counts,
            "commit_count": loaded.history.commits.len(),
            "branch": loaded.history.branch,
            "recent_commits": recent,
            "dashboard": loaded.evidence.as_ref().map(|ev| {
                let count = |v: crate::evaluate::Verdict| {
                    ev.eval.criteria.iter().filter(|c| c.verdict == v).count()
                };
                json!({
                    "gate_passes": ev.eval.gate_passes(&ev.config),
                    "met": count(crate::evaluate::Verdict::Met),
                    "waived": count(crate::evaluate::Verdict::Waived),
                    "not_met": count(crate::evaluate::Verdict::NotMet),
                    "no_evidence": count(crate::evaluate::Verdict::NoEvidence),
                })
            }),
        }),
    )
}

fn content_pages(
    shared: &Shared,
    options: &BuildOptions,
    loaded: &Loaded,
    cache: &Cache,
) -> Result<Vec<PageJob>> {
    loaded
        .pages
        .par_iter()
        .map(|page| {
            let source = relative(&options.root, &page.path);
            let md_options = RenderOptions {
                allow_html: options.allow_html,
                top_heading_level: 2,
                root_prefix: root_prefix(&page.slug),
                source_dir: parent_dir(&source),
            };
            // The page is a function of its front matter title and description, its source
            // path, and its markdown with the render options: keyed by them, an unchanged page
            // is shared without rendering or even reading its markdown from the cache.
            let md_inputs = markdown_inputs(&page.body, &md_options)?;
            cache.keep("markdown", &Cache::key("markdown", &md_inputs));
            let mut inputs =
                serde_json::to_vec(&(&page.meta.title, &page.meta.description, &source))?;
            inputs.push(0);
            inputs.extend_from_slice(&md_inputs);
            shared.keyed_job(page.slug.clone(), "page.html", "content", &inputs, || {
                let rendered = render_markdown(cache, &page.body, &md_options)?;
                Ok(json!({
                    "title": page.meta.title,
                    "description": page.meta.description,
                    "source": source,
                    "content": rendered.html,
                    "toc": rendered.toc,
                }))
            })
        })
        .collect()
}

fn adr_summary(adr: &Adr) -> Value {
    json!({
        "id": adr.meta.id,
        "title": adr.meta.title,
        "status": adr.meta.status.as_str(),
        "date": adr.meta.date,
        "path": adr_path(&adr.meta.id),
        "decision_makers": adr.meta.decision_makers,
    })
}

fn adr_index(shared: &Shared, loaded: &Loaded) -> PageJob {
    let statuses: Vec<Value> = STATUSES
        .iter()
        .map(|s| {
            let count = loaded.adrs.iter().filter(|a| a.meta.status == *s).count();
            json!({"name": s.as_str(), "count": count})
        })
        .collect();
    let adrs: Vec<Value> = loaded.adrs.iter().map(adr_summary).collect();
    shared.job(
        "adr".to_string(),
        "adr_index.html",
        "adr",
        json!({"title": "Architecture decisions", "adrs": adrs, "statuses": statuses}),
    )
}

/// Checks that every supersede is named on both sides and every named ADR exists.
pub fn supersede_warnings(adrs: &[Adr]) -> Vec<String> {
    let by_id: HashMap<&str, &Adr> = adrs.iter().map(|a| (a.meta.id.as_str(), a)).collect();
    let mut warnings = Vec::new();
    for adr in adrs {
        let id = &adr.meta.id;
        for other in &adr.meta.supersedes {
            match by_id.get(other.as_str()) {
                None => warnings.push(format!(
                    "{}: supersedes {other}, which does not exist",
                    adr.path.display()
                )),
                Some(o) if !o.meta.superseded_by.contains(id) => warnings.push(format!(
                    "{}: {id} supersedes {other}, but {} does not list {id} in superseded-by",
                    adr.path.display(),
                    o.path.display()
                )),
                Some(_) => {}
            }
        }
        for other in &adr.meta.superseded_by {
            match by_id.get(other.as_str()) {
                None => warnings.push(format!(
                    "{}: superseded by {other}, which does not exist",
                    adr.path.display()
                )),
                Some(o) if !o.meta.supersedes.contains(id) => warnings.push(format!(
                    "{}: {id} is superseded by {other}, but {} does not list {id} in supersedes",
                    adr.path.display(),
                    o.path.display()
                )),
                Some(_) => {}
            }
        }
    }
    warnings
}

fn adr_pages(
    shared: &Shared,
    options: &BuildOptions,
    loaded: &Loaded,
    accepted: &HashMap<String, Acceptance>,
    cache: &Cache,
    warnings: &mut Vec<String>,
) -> Result<Vec<PageJob>> {
    warnings.extend(supersede_warnings(&loaded.adrs));
    let titles: HashMap<&str, &str> = loaded
        .adrs
        .iter()
        .map(|a| (a.meta.id.as_str(), a.meta.title.as_str()))
        .collect();
    let link = |id: &String| -> Value {
        match titles.get(id.as_str()) {
            Some(title) => json!({"id": id, "title": title, "path": adr_path(id)}),
            None => json!({"id": id, "title": Value::Null, "path": Value::Null}),
        }
    };
    let known: HashMap<&str, ()> = titles.keys().map(|k| (*k, ())).collect();
    loaded
        .adrs
        .par_iter()
        .map(|adr| {
            let path = adr_path(&adr.meta.id);
            let rendered = render_markdown(
                cache,
                &adr.body,
                &RenderOptions {
                    allow_html: options.allow_html,
                    top_heading_level: 2,
                    root_prefix: root_prefix(&path),
                    source_dir: parent_dir(&relative(&options.root, &adr.path)),
                },
            )?;
            let commits: Vec<Value> = loaded
                .history
                .commits
                .iter()
                .filter(|c| c.adrs.contains(&adr.meta.id))
                .map(|c| commit_json(c, &known))
                .collect();
            let mut summary = adr_summary(adr);
            if let Some(obj) = summary.as_object_mut() {
                obj.insert(
                    "supersedes".into(),
                    adr.meta.supersedes.iter().map(link).collect(),
                );
                obj.insert(
                    "superseded_by".into(),
                    adr.meta.superseded_by.iter().map(link).collect(),
                );
                obj.insert("claims".into(), json!(adr.meta.claims));
                obj.insert("source".into(), json!(relative(&options.root, &adr.path)));
            }
            let acceptance = accepted.get(&adr.meta.id);
            let before_after = match (loaded.evidence.as_ref(), acceptance) {
                (Some(ev), Some(acc)) => before_after(ev, adr, acc),
                _ => Vec::new(),
            };
            Ok(shared.job(
                path,
                "adr.html",
                "adr",
                json!({
                    "title": format!("{}: {}", adr.meta.id, adr.meta.title),
                    "adr": summary,
                    "content": rendered.html,
                    "toc": rendered.toc,
                    "commits": commits,
                    "accepted": acceptance,
                    "has_evidence": loaded.evidence.is_some(),
                    "before_after": before_after,
                }),
            ))
        })
        .collect()
}

/// For each metric an ADR claims: the newest value measured before it was accepted and the
/// first value measured at or after, with the runs and the relative change.
fn before_after(ev: &Evidence, adr: &Adr, acc: &Acceptance) -> Vec<Value> {
    let split = evidence::split_at(ev, acc.time);
    adr.meta
        .claims
        .metrics
        .iter()
        .map(|name| {
            let series = ev.series.get(name);
            let before = series.and_then(|s| s.points.iter().rev().find(|p| p.run < split));
            let after = series.and_then(|s| s.points.iter().find(|p| p.run >= split));
            let point = |p: Option<&evidence::SeriesPoint>| {
                p.map(|p| json!({"value": p.value, "run": p.run_id, "path": run_pages::run_path(&p.run_id), "sha256": p.sha256}))
            };
            json!({
                "metric": dashboard::metric_link(name, ev),
                "unit": series.map(|s| s.unit.as_str()),
                "direction": series.map(|s| s.direction),
                "before": point(before),
                "after": point(after),
                "change": dashboard::change(before.map(|p| p.value), after.map(|p| p.value)),
            })
        })
        .collect()
}

/// `path` relative to the repository root, with `/` separators, for display.
fn relative(root: &std::path::Path, path: &std::path::Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The directory part of a `/`-separated path (`""` for a bare file name).
fn parent_dir(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// A commit for templates; ADR mentions link to pages only when the ADR is `known`.
fn commit_json(commit: &Commit, known: &HashMap<&str, ()>) -> Value {
    let adrs: Vec<Value> = commit
        .adrs
        .iter()
        .map(|id| {
            let path = known.contains_key(id.as_str()).then(|| adr_path(id));
            json!({"id": id, "path": path})
        })
        .collect();
    let body = commit
        .message
        .split_once('\n')
        .map(|(_, rest)| rest.trim())
        .unwrap_or("");
    json!({
        "id": commit.id,
        "short_id": commit.short_id,
        "author": commit.author,
        "time": commit.time,
        "date": commit.time.get(..10).unwrap_or(&commit.time),
        "summary": commit.summary,
        "body": body,
        "adrs": adrs,
    })
}

fn history(shared: &Shared, loaded: &Loaded) -> PageJob {
    let known: HashMap<&str, ()> = loaded
        .adrs
        .iter()
        .map(|a| (a.meta.id.as_str(), ()))
        .collect();
    let mut runs_at: HashMap<String, Vec<Value>> = HashMap::new();
    if let Some(ev) = &loaded.evidence {
        for run in &ev.runs {
            let failed = run
                .records
                .iter()
                .filter(|r| r.record.status != crate::evidence::record::Status::Pass)
                .count();
            runs_at
                .entry(run.info.environment.git_commit.clone())
                .or_default()
                .push(json!({"id": run.id, "path": run_pages::run_path(&run.id),
                             "failed": failed, "checks": run.records.len(),
                             "dirty": run.info.environment.dirty}));
        }
    }
    let commits: Vec<Value> = loaded
        .history
        .commits
        .iter()
        .map(|c| {
            let mut v = commit_json(c, &known);
            if let (Some(obj), Some(runs)) = (v.as_object_mut(), runs_at.get(&c.id)) {
                obj.insert("runs".into(), json!(runs));
            }
            v
        })
        .collect();
    shared.job(
        "history".to_string(),
        "history.html",
        "history",
        json!({"title": "History", "commits": commits, "branch": loaded.history.branch}),
    )
}

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

use super::{BuildOptions, Loaded, PageJob, root_prefix, versions};
use crate::adr::{Adr, AdrStatus};
use crate::git::Commit;
use crate::markdown::{self, RenderOptions};

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
pub fn plan(options: &BuildOptions, loaded: &Loaded) -> Result<(Vec<PageJob>, Vec<String>)> {
    let mut warnings = Vec::new();
    let shared = Shared::new(options, loaded);
    let mut jobs = vec![home(&shared, loaded)];
    jobs.extend(content_pages(&shared, options, loaded));
    jobs.push(adr_index(&shared, loaded));
    jobs.extend(adr_pages(&shared, options, loaded, &mut warnings));
    jobs.push(history(&shared, loaded));
    Ok((jobs, warnings))
}

/// Context shared by every page; [`Shared::site`] adds the page-specific root prefix.
struct Shared {
    title: String,
    version: String,
    nav: Vec<Value>,
    versions: Vec<versions::VersionEntry>,
}

impl Shared {
    fn new(options: &BuildOptions, loaded: &Loaded) -> Self {
        let nav = loaded
            .pages
            .iter()
            .map(|p| json!({"title": p.meta.title, "path": p.slug}))
            .collect();
        Self {
            title: options.title.clone(),
            version: loaded.version.clone(),
            nav,
            versions: versions::with_new(&loaded.versions, &loaded.version, &loaded.version),
        }
    }

    fn job(&self, path: String, template: &str, section: &str, mut page: Value) -> PageJob {
        let site = json!({
            "title": self.title,
            "version": self.version,
            "root": root_prefix(&path),
            "path": path,
            "section": section,
            "nav": self.nav,
            "versions": self.versions,
        });
        if let Some(obj) = page.as_object_mut() {
            obj.insert("site".to_string(), site);
        }
        PageJob {
            path,
            template: template.to_string(),
            context: page,
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
        }),
    )
}

fn content_pages(shared: &Shared, options: &BuildOptions, loaded: &Loaded) -> Vec<PageJob> {
    loaded
        .pages
        .par_iter()
        .map(|page| {
            let rendered = markdown::render(
                &page.body,
                &RenderOptions {
                    allow_html: options.allow_html,
                    top_heading_level: 2,
                    root_prefix: root_prefix(&page.slug),
                    source_dir: parent_dir(&relative(&options.root, &page.path)),
                },
            );
            shared.job(
                page.slug.clone(),
                "page.html",
                "content",
                json!({
                    "title": page.meta.title,
                    "description": page.meta.description,
                    "source": relative(&options.root, &page.path),
                    "content": rendered.html,
                    "toc": rendered.toc,
                }),
            )
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
    warnings: &mut Vec<String>,
) -> Vec<PageJob> {
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
            let rendered = markdown::render(
                &adr.body,
                &RenderOptions {
                    allow_html: options.allow_html,
                    top_heading_level: 2,
                    root_prefix: root_prefix(&path),
                    source_dir: parent_dir(&relative(&options.root, &adr.path)),
                },
            );
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
            shared.job(
                path,
                "adr.html",
                "adr",
                json!({
                    "title": format!("{}: {}", adr.meta.id, adr.meta.title),
                    "adr": summary,
                    "content": rendered.html,
                    "toc": rendered.toc,
                    "commits": commits,
                }),
            )
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
    let commits: Vec<Value> = loaded
        .history
        .commits
        .iter()
        .map(|c| commit_json(c, &known))
        .collect();
    shared.job(
        "history".to_string(),
        "history.html",
        "history",
        json!({"title": "History", "commits": commits, "branch": loaded.history.branch}),
    )
}

//! ADR pages: the index (filter by status) and one page per ADR (markdown in parallel;
//! supersede links checked in both directions, one-sided ones become warnings; the commits
//! mentioning it; with evidence, the claimed metrics before and after it was accepted).

use std::collections::HashMap;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::model::adr::{Adr, AdrStatus};
use crate::site::context::Shared;
use crate::site::incremental::cache::Cache;
use crate::site::job::PageJob;
use crate::site::load::Loaded;
use crate::site::load::evidence::{self, Acceptance, Evidence};
use crate::site::options::BuildOptions;
use crate::site::render::markdown::RenderOptions;
use crate::site::urls::{adr_path, root_prefix, run_path};
use crate::site::view::{self, commit_json, parent_dir, relative, render_markdown};

/// Every ADR status, in the order the index shows its filter.
const STATUSES: &[AdrStatus] = &[
    AdrStatus::Proposed,
    AdrStatus::Accepted,
    AdrStatus::Rejected,
    AdrStatus::Deprecated,
    AdrStatus::Superseded,
];

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

/// The ADR index page.
pub fn adr_index(shared: &Shared, loaded: &Loaded) -> PageJob {
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

/// One page job per ADR; one-sided supersede links are added to `warnings`.
pub fn adr_pages(
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
                    content_dir: loaded.paths.content.clone(),
                    adr_dir: loaded.paths.adr.clone(),
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
                obj.insert(
                    "claim_links".into(),
                    claim_links(adr, loaded.evidence.as_ref()),
                );
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

/// Where each claim of `adr` leads: a claimed metric to its page, a claimed or waived criterion
/// to its row on the dashboard (when the plan has it); `path`/`href` null otherwise.
fn claim_links(adr: &Adr, ev: Option<&Evidence>) -> Value {
    let criterion = |id: &String| {
        let known = ev.is_some_and(|ev| ev.eval.criteria.iter().any(|c| &c.id == id));
        json!({"id": id, "href": known.then(|| format!("dashboard/index.html#crit-{id}"))})
    };
    let c = &adr.meta.claims;
    json!({
        "metrics": c.metrics.iter().map(|m| match ev {
            Some(ev) => view::metric_link(m, ev),
            None => json!({"name": m, "path": null}),
        }).collect::<Vec<_>>(),
        "criteria": c.criteria.iter().map(criterion).collect::<Vec<_>>(),
        "waives": c.waives.iter().map(criterion).collect::<Vec<_>>(),
    })
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
                p.map(|p| json!({"value": p.value, "run": p.run_id, "path": run_path(&p.run_id), "sha256": p.sha256}))
            };
            json!({
                "metric": view::metric_link(name, ev),
                "unit": series.map(|s| s.unit.as_str()),
                "direction": series.map(|s| s.direction),
                "before": point(before),
                "after": point(after),
                "change": view::change(before.map(|p| p.value), after.map(|p| p.value)),
            })
        })
        .collect()
}

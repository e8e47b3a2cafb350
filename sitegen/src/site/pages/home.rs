//! The home page: the content pages, ADR counts by status, recent commits and, with evidence,
//! the gate summary.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::evaluate::Verdict;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::Loaded;
use crate::site::view::commit_json;

/// The home page.
pub fn home(shared: &Shared, loaded: &Loaded) -> PageJob {
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
                let count = |v: Verdict| {
                    ev.eval.criteria.iter().filter(|c| c.verdict == v).count()
                };
                json!({
                    "gate_passes": ev.eval.gate_passes(&ev.config),
                    "met": count(Verdict::Met),
                    "waived": count(Verdict::Waived),
                    "not_met": count(Verdict::NotMet),
                    "undecided": ev.eval.criteria.iter().filter(|c| !c.verdict.passes()).count()
                        - count(Verdict::NotMet),
                })
            }),
        }),
    )
}

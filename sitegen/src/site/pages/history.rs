//! The history page: every commit from `HEAD`, its ADR mentions and the runs recorded at it.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::Loaded;
use crate::site::urls::run_path;
use crate::site::view::commit_json;

/// The history page.
pub fn history(shared: &Shared, loaded: &Loaded) -> PageJob {
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
                .push(json!({"id": run.id, "path": run_path(&run.id),
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

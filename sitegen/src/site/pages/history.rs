//! The history page: every commit from `HEAD`, its ADR mentions and the runs recorded at it,
//! folded by day ([`by_day`]): one `<details>` per calendar day (the author time's date),
//! newest first and open, older days closed with their counts in the summary. Each commit keeps
//! its anchor (`#c-<short id>`); `fold.js` opens the day holding a linked commit.

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
            if let Some(obj) = v.as_object_mut() {
                // The day is the heading; each commit shows its time of day.
                obj.insert("clock".into(), json!(c.time.get(11..16)));
                if let Some(runs) = runs_at.get(&c.id) {
                    obj.insert("runs".into(), json!(runs));
                }
            }
            v
        })
        .collect();
    let total = commits.len();
    shared.job(
        "history".to_string(),
        "history.html",
        "history",
        json!({"title": "History", "days": by_day(commits), "total": total,
               "branch": loaded.history.branch}),
    )
}

/// Commits (each with a `date`, newest first) grouped by date, days in the order their first
/// commit appears, commits in their given order; each day with its commit, run and ADR-mention
/// counts.
fn by_day(commits: Vec<Value>) -> Vec<Value> {
    let mut days: Vec<(String, Vec<Value>)> = Vec::new();
    for c in commits {
        let date = c["date"].as_str().unwrap_or_default().to_string();
        match days.iter_mut().find(|(d, _)| *d == date) {
            Some((_, list)) => list.push(c),
            None => days.push((date, vec![c])),
        }
    }
    days.into_iter()
        .map(|(date, commits)| {
            let count = |key: &str| -> usize {
                commits
                    .iter()
                    .map(|c| c[key].as_array().map_or(0, Vec::len))
                    .sum()
            };
            json!({"date": date, "id": format!("day-{date}"), "runs": count("runs"),
                   "adrs": count("adrs"), "commits": commits})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_fold_by_day_in_order_with_counts() {
        let c = |id: &str, date: &str, runs: usize| {
            json!({"short_id": id, "date": date, "adrs": [{"id": "ADR-1"}],
                   "runs": (0..runs).map(|i| json!({"id": i})).collect::<Vec<_>>()})
        };
        let days = by_day(vec![
            c("a", "2026-12-03", 2),
            c("b", "2026-12-02", 0),
            c("c", "2026-12-03", 1),
            c("d", "2026-12-01", 0),
        ]);
        let dates: Vec<&str> = days
            .iter()
            .map(|d| d["date"].as_str().expect("date"))
            .collect();
        assert_eq!(dates, ["2026-12-03", "2026-12-02", "2026-12-01"]);
        let first: Vec<&str> = days[0]["commits"]
            .as_array()
            .expect("commits")
            .iter()
            .map(|c| c["short_id"].as_str().expect("id"))
            .collect();
        assert_eq!(first, ["a", "c"]);
        assert_eq!(
            (days[0]["runs"].as_u64(), days[0]["adrs"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(days[1]["runs"], 0);
        assert_eq!(days[0]["id"], "day-2026-12-03");
        assert!(by_day(Vec::new()).is_empty());
    }
}

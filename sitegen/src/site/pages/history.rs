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
        json!({"title": "History", "days": by_day(&commits), "commits": commits,
               "total": total, "branch": loaded.history.branch}),
    )
}

/// The days of `commits` (each with a `date`, newest first): each run of consecutive commits
/// of one date is a day `{date, id, start, end, count, runs, adrs}`, `start..end` its commits in
/// `commits` (so the page context keeps the flat `commits` list templates already use), with
/// its run and ADR-mention counts. A date seen again later (history is in graph order) gets
/// its own day, with `-2`, `-3`… added to its id.
fn by_day(commits: &[Value]) -> Vec<Value> {
    let mut days: Vec<Value> = Vec::new();
    let mut start = 0;
    for i in 1..=commits.len() {
        let date = |j: usize| commits[j]["date"].as_str().unwrap_or_default();
        if i < commits.len() && date(i) == date(start) {
            continue;
        }
        let day = &commits[start..i];
        let count = |key: &str| -> usize {
            day.iter()
                .map(|c| c[key].as_array().map_or(0, Vec::len))
                .sum()
        };
        let d = date(start);
        let seen = days.iter().filter(|x| x["date"] == d).count();
        let id = match seen {
            0 => format!("day-{d}"),
            n => format!("day-{d}-{}", n + 1),
        };
        days.push(
            json!({"date": d, "id": id, "start": start, "end": i, "count": i - start,
                         "runs": count("runs"), "adrs": count("adrs")}),
        );
        start = i;
    }
    days
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
        let days = by_day(&[
            c("a", "2026-12-03", 2),
            c("b", "2026-12-03", 1),
            c("c", "2026-12-02", 0),
            c("d", "2026-12-01", 0),
            c("e", "2026-12-02", 0),
        ]);
        let ids: Vec<&str> = days.iter().map(|d| d["id"].as_str().expect("id")).collect();
        assert_eq!(
            ids,
            [
                "day-2026-12-03",
                "day-2026-12-02",
                "day-2026-12-01",
                "day-2026-12-02-2"
            ]
        );
        let range = |d: &Value| (d["start"].as_u64(), d["end"].as_u64());
        assert_eq!(range(&days[0]), (Some(0), Some(2)));
        assert_eq!(range(&days[3]), (Some(4), Some(5)));
        assert_eq!(
            (days[0]["runs"].as_u64(), days[0]["adrs"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(days[1]["runs"], 0);
        assert!(by_day(&[]).is_empty());
    }
}

//! The sign-off dashboard.
//!
//! Steps: order the plan's phases by dependency → give each a status (signed off / ready /
//! blocked / in progress) from the evaluation → list its criteria with verdict, deciding value,
//! threshold, the reason and the evidence record (link and sha256). Every undecided state (no
//! measurement, no baseline, not comparable, stale) is grey, counted on its own card and never
//! shown as a pass; load-time warnings are listed above the phases.

use serde_json::{Value, json};

use crate::evaluate::RegressionState;
use crate::model::adr::Adr;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::Evidence;
use crate::site::urls::adr_path;
use crate::site::view::{
    criterion_json, dependency_order, metric_link, percent, phase_status_label, verdict_counts,
};

/// The dashboard page.
pub fn dashboard(shared: &Shared, ev: &Evidence, adrs: &[Adr]) -> PageJob {
    let eval = &ev.eval;
    let phases: Vec<Value> = dependency_order(&eval.phases)
        .into_iter()
        .map(|p| {
            let (label, class) = phase_status_label(p);
            let criteria: Vec<Value> = eval
                .criteria
                .iter()
                .filter(|c| c.phase == Some(p.id))
                .map(|c| criterion_json(c, ev))
                .collect();
            json!({
                "id": p.id, "title": p.title, "owner": p.owner, "eta": p.eta,
                "depends_on": p.depends_on, "blocked_by": p.blocked_by,
                "status": label, "class": class,
                "met": p.met, "waived": p.waived, "not_met": p.not_met,
                "undecided": p.undecided, "criteria": criteria,
            })
        })
        .collect();
    let cross: Vec<Value> = eval
        .criteria
        .iter()
        .filter(|c| c.phase.is_none())
        .map(|c| criterion_json(c, ev))
        .collect();
    let regressed: Vec<Value> = eval
        .regressed()
        .into_iter()
        .map(|r| {
            json!({"metric": metric_link(&r.metric, ev), "baseline": r.baseline_value,
                   "current": r.current_value, "worse_by": r.worse_by.map(percent),
                   "paired": r.paired.as_ref().map(|p| json!({
                       "text": p.describe(), "run_id": p.evidence.run_id}))})
        })
        .collect();
    // Newest first: the change in force leads.
    let baseline_history: Vec<Value> = ev
        .baseline_history
        .iter()
        .rev()
        .map(|e| {
            let change = e.change.as_ref();
            json!({
                "set_at": e.set_at, "baseline": e.baseline, "previous": e.previous,
                "entry": e.entry,
                "reason": change.map(|c| c.reason.as_str()),
                "set_by": change.map(|c| c.set_by.as_str()),
                "adr": change.and_then(|c| c.adr.as_deref()).map(|id| {
                    // A link only to an ADR that still exists (the link check would fail).
                    let known = adrs.iter().any(|a| a.meta.id == id);
                    json!({"id": id, "path": known.then(|| adr_path(id))})
                }),
            })
        })
        .collect();
    let not_comparable: Vec<Value> = eval
        .regressions
        .iter()
        .filter(|r| r.state == RegressionState::NotComparable)
        .map(|r| json!({"metric": metric_link(&r.metric, ev), "reason": r.reason}))
        .collect();
    shared.job(
        "dashboard".into(),
        "dashboard.html",
        "dashboard",
        json!({
            "title": "Sign-off dashboard",
            "plan_title": ev.plan.title,
            "latest_run": eval.latest_run,
            "baseline": eval.baseline,
            "latest_testbed": eval.latest_testbed,
            "baseline_testbed": eval.baseline_testbed,
            "gate_passes": eval.gate_passes(&ev.config),
            "counts": verdict_counts(eval),
            "warnings": eval.warnings,
            "phases": phases,
            "cross_cutting": cross,
            "regressed": regressed,
            "not_comparable": not_comparable,
            "verified": {"runs": ev.verified_runs, "files": ev.verified_files},
            "chain_head": ev.chain_head.as_ref().map(|h| json!({
                "run_id": h.run_id,
                "sha256": h.manifest_sha256,
                "short": crate::util::ids::short_sha256(&h.manifest_sha256),
                "listed": ev.runs.iter().any(|r| r.id == h.run_id),
            })),
            "anchor": {"anchored": ev.anchor.anchored(), "text": ev.anchor.to_string()},
            "baseline_history": baseline_history,
        }),
    )
}

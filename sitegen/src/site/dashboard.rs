//! Evidence summary pages: the sign-off dashboard, the traceability matrix and the sign-off
//! report.
//!
//! Steps for the dashboard: order the plan's phases by dependency → give each a status (signed
//! off / ready / blocked / in progress) from the evaluation → list its criteria with verdict,
//! deciding value, threshold and the evidence record (link and sha256). "No evidence" has its
//! own class and is never shown as a pass. The traceability matrix joins ADR claims, criteria,
//! the metrics each criterion reads and their newest evidence, and lists the holes. The
//! sign-off report shows per phase the baseline → latest values of the metrics its criteria
//! read, the open risks (the risk register in `content/`), and the criteria still unmet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::PageJob;
use super::evidence::Evidence;
use super::pages::{Shared, adr_path};
use crate::evaluate::{CriterionVerdict, EvidenceRef, PhaseState, PhaseStatus, Verdict};
use crate::model::adr::{Adr, AdrStatus};

/// CSS class of a verdict; only `met` is green.
pub fn verdict_class(c: &CriterionVerdict) -> &'static str {
    match c.verdict {
        Verdict::Met => "ok",
        Verdict::Waived => "waived",
        Verdict::NotMet => "bad",
        Verdict::NoEvidence => "missing",
    }
}

/// The verdict as shown: `waived by ADR-0004` names the ADR.
pub fn verdict_label(c: &CriterionVerdict) -> String {
    match (&c.verdict, &c.waived_by) {
        (Verdict::Waived, Some(a)) => format!("waived by {a}"),
        (v, _) => v.label().to_string(),
    }
}

/// Link data for an evidence reference: record runs link to the run page's check anchor.
pub fn evidence_json(e: &EvidenceRef) -> Value {
    let href = e.run_id.as_ref().map(|run| {
        let check = e
            .path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .unwrap_or("");
        format!("runs/{run}/index.html#check-{check}")
    });
    json!({
        "run_id": e.run_id,
        "path": e.path,
        "sha256": e.sha256,
        "short": e.sha256.get(..12).unwrap_or(&e.sha256),
        "href": href,
    })
}

/// A criterion verdict for templates.
pub fn criterion_json(c: &CriterionVerdict, ev: &Evidence) -> Value {
    let metrics: Vec<Value> = c
        .comparisons
        .iter()
        .map(|m| metric_link(&m.metric, ev))
        .collect();
    json!({
        "id": c.id,
        "phase": c.phase,
        "text": c.text,
        "decided_by": c.decided_by,
        "verdict": verdict_label(c),
        "class": verdict_class(c),
        "value": c.value,
        "threshold": c.threshold,
        "blocking": c.blocking,
        "waived_by": c.waived_by.as_ref().map(|a| json!({"id": a, "path": adr_path(a)})),
        "evidence": c.evidence.as_ref().map(evidence_json),
        "metrics": metrics,
    })
}

/// A metric name with its page path when it has one.
pub fn metric_link(name: &str, ev: &Evidence) -> Value {
    json!({"name": name, "path": ev.slugs.get(name).map(|s| format!("metrics/{s}"))})
}

/// Phase status as the dashboard names it.
pub fn phase_status_label(p: &PhaseStatus) -> (&'static str, &'static str) {
    match p.state {
        PhaseState::Complete => ("signed off", "ok"),
        _ if !p.blocked_by.is_empty() => ("blocked", "bad"),
        PhaseState::InProgress => ("in progress", "waived"),
        PhaseState::NotStarted => ("ready", "missing"),
    }
}

/// Phases in dependency order (a phase after every phase it depends on; plan order otherwise).
pub fn dependency_order(phases: &[PhaseStatus]) -> Vec<&PhaseStatus> {
    let mut done: BTreeSet<u32> = BTreeSet::new();
    let mut out: Vec<&PhaseStatus> = Vec::new();
    let mut left: Vec<&PhaseStatus> = phases.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|p| {
            let ready = p
                .depends_on
                .iter()
                .all(|d| done.contains(d) || !phases.iter().any(|q| q.id == *d));
            if ready {
                done.insert(p.id);
                out.push(p);
            }
            !ready
        });
        if left.len() == before {
            // A cycle (plan validation rejects them); keep plan order for the rest.
            out.append(&mut left);
        }
    }
    out
}

/// The dashboard page.
pub fn dashboard(shared: &Shared, ev: &Evidence) -> PageJob {
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
                "no_evidence": p.no_evidence, "criteria": criteria,
            })
        })
        .collect();
    let cross: Vec<Value> = eval
        .criteria
        .iter()
        .filter(|c| c.phase.is_none())
        .map(|c| criterion_json(c, ev))
        .collect();
    let count = |v: Verdict| eval.criteria.iter().filter(|c| c.verdict == v).count();
    let regressed: Vec<Value> = eval
        .regressed()
        .into_iter()
        .map(|r| {
            json!({"metric": metric_link(&r.metric, ev), "baseline": r.baseline_value,
                   "current": r.current_value, "worse_by": r.worse_by.map(|w| w * 100.0)})
        })
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
            "gate_passes": eval.gate_passes(&ev.config),
            "counts": {"met": count(Verdict::Met), "waived": count(Verdict::Waived),
                       "not_met": count(Verdict::NotMet), "no_evidence": count(Verdict::NoEvidence)},
            "phases": phases,
            "cross_cutting": cross,
            "regressed": regressed,
            "verified": {"runs": ev.verified_runs, "files": ev.verified_files},
            "chain_head": ev.chain_head.as_ref().map(|h| json!({
                "run_id": h.run_id,
                "sha256": h.manifest_sha256,
                "short": h.manifest_sha256.get(..12).unwrap_or(&h.manifest_sha256),
                "listed": ev.runs.iter().any(|r| r.id == h.run_id),
            })),
            "anchor": {"anchored": ev.anchor.anchored(), "text": ev.anchor.to_string()},
        }),
    )
}

/// The traceability matrix: ADR × criterion × metric × latest evidence, with the holes.
pub fn traceability(shared: &Shared, ev: &Evidence, adrs: &[Adr]) -> PageJob {
    let verdicts: HashMap<&str, &CriterionVerdict> = ev
        .eval
        .criteria
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut claimed_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in adrs {
        for c in a.meta.claims.criteria.iter().chain(&a.meta.claims.waives) {
            claimed_by
                .entry(c.as_str())
                .or_default()
                .push(a.meta.id.as_str());
        }
    }
    let mut used_metrics: BTreeSet<&str> = BTreeSet::new();
    let rows: Vec<Value> = ev
        .eval
        .criteria
        .iter()
        .map(|c| {
            let adr_ids = claimed_by.get(c.id.as_str()).cloned().unwrap_or_default();
            let metrics: Vec<Value> = c
                .comparisons
                .iter()
                .map(|m| {
                    used_metrics.insert(m.metric.as_str());
                    let mut link = metric_link(&m.metric, ev);
                    if let Some(o) = link.as_object_mut() {
                        o.insert("value".into(), json!(m.value));
                        o.insert("truth".into(), json!(m.truth));
                        o.insert("evidence".into(), json!(m.evidence.as_ref().map(evidence_json)));
                    }
                    link
                })
                .collect();
            json!({
                "criterion": criterion_json(c, ev),
                "adrs": adr_ids.iter().map(|a| json!({"id": a, "path": adr_path(a)})).collect::<Vec<_>>(),
                "metrics": metrics,
            })
        })
        .collect();
    let unclaimed: Vec<&str> = ev
        .eval
        .criteria
        .iter()
        .filter(|c| !claimed_by.contains_key(c.id.as_str()))
        .map(|c| c.id.as_str())
        .collect();
    let adr_rows: Vec<Value> = adrs
        .iter()
        .map(|a| {
            let metrics: Vec<Value> = a
                .meta
                .claims
                .metrics
                .iter()
                .map(|m| metric_link(m, ev))
                .collect();
            let criteria: Vec<Value> = a
                .meta
                .claims
                .criteria
                .iter()
                .map(|c| {
                    json!({"id": c, "verdict": verdicts.get(c.as_str()).map(|v| verdict_label(v)),
                           "class": verdicts.get(c.as_str()).map(|v| verdict_class(v))})
                })
                .collect();
            json!({"id": a.meta.id, "title": a.meta.title, "status": a.meta.status.as_str(),
                   "path": adr_path(&a.meta.id), "metrics": metrics, "criteria": criteria})
        })
        .collect();
    let adrs_without_metric: Vec<Value> = adrs
        .iter()
        .filter(|a| a.meta.claims.metrics.is_empty())
        .map(|a| json!({"id": a.meta.id, "path": adr_path(&a.meta.id)}))
        .collect();
    let unused_metrics: Vec<Value> = ev
        .series
        .keys()
        .filter(|m| !used_metrics.contains(m.as_str()))
        .map(|m| metric_link(m, ev))
        .collect();
    shared.job(
        "trace".into(),
        "trace.html",
        "trace",
        json!({
            "title": "Traceability",
            "rows": rows,
            "adrs": adr_rows,
            "unclaimed_criteria": unclaimed,
            "adrs_without_metric": adrs_without_metric,
            "unused_metrics": unused_metrics,
        }),
    )
}

/// Markdown link text: `[R1](#r1)` → `R1`; anything else unchanged.
fn link_text(cell: &str) -> String {
    match (cell.strip_prefix('['), cell.find("](")) {
        (Some(_), Some(end)) if cell.ends_with(')') => cell.get(1..end).unwrap_or(cell).to_string(),
        _ => cell.to_string(),
    }
}

/// The open risks of the register: its first markdown table (`| ID | Risk | … | Status |`),
/// rows whose status is not `closed`. Returns the header and the rows.
pub fn open_risks(register: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in register.lines().map(str::trim) {
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| link_text(c.trim()))
            .collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        if header.is_empty() {
            header = cells;
            continue;
        }
        let status = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("status"))
            .and_then(|i| cells.get(i))
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        if !status.contains("closed") {
            rows.push(cells);
        }
    }
    (header, rows)
}

/// The sign-off report: per phase the metrics its criteria read (baseline → latest), the open
/// risks from the risk register, and the criteria still unmet.
pub fn signoff_report(
    shared: &Shared,
    ev: &Evidence,
    adrs: &[Adr],
    risk_register: Option<(&str, &str)>,
) -> PageJob {
    let baseline_idx = ev.eval.baseline.as_deref().and_then(|b| ev.run_index(b));
    let phases: Vec<Value> = dependency_order(&ev.eval.phases)
        .into_iter()
        .map(|p| {
            let (label, class) = phase_status_label(p);
            let mut names: BTreeSet<&str> = BTreeSet::new();
            for c in ev.eval.criteria.iter().filter(|c| c.phase == Some(p.id)) {
                names.extend(c.comparisons.iter().map(|m| m.metric.as_str()));
            }
            let metrics: Vec<Value> = names
                .into_iter()
                .map(|name| {
                    let series = ev.series.get(name);
                    let before = series.and_then(|s| {
                        baseline_idx
                            .and_then(|b| s.points.iter().rev().find(|pt| pt.run <= b))
                            .or_else(|| s.points.first())
                    });
                    let after = series.and_then(|s| s.points.last());
                    json!({
                        "metric": metric_link(name, ev),
                        "unit": series.map(|s| s.unit.as_str()),
                        "before": before.map(|b| json!({"value": b.value, "run": b.run_id})),
                        "after": after.map(|a| json!({"value": a.value, "run": a.run_id})),
                        "change": change(before.map(|b| b.value), after.map(|a| a.value)),
                    })
                })
                .collect();
            json!({"id": p.id, "title": p.title, "status": label, "class": class, "metrics": metrics})
        })
        .collect();
    let unmet: Vec<Value> = ev
        .eval
        .criteria
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::NotMet | Verdict::NoEvidence))
        .map(|c| criterion_json(c, ev))
        .collect();
    let accepted: Vec<Value> = adrs
        .iter()
        .filter(|a| a.meta.status == AdrStatus::Accepted)
        .map(|a| json!({"id": a.meta.id, "title": a.meta.title, "path": adr_path(&a.meta.id)}))
        .collect();
    let (risk_header, risk_rows) = risk_register
        .map(|(_, text)| open_risks(text))
        .unwrap_or_default();
    shared.job(
        "signoff".into(),
        "signoff.html",
        "signoff",
        json!({
            "title": "Sign-off report",
            "baseline": ev.eval.baseline,
            "latest_run": ev.eval.latest_run,
            "phases": phases,
            "unmet": unmet,
            "accepted_adrs": accepted,
            "risk_page": risk_register.map(|(p, _)| p),
            "risk_header": risk_header,
            "risks": risk_rows,
        }),
    )
}

/// Relative change in percent, when both exist and the first is not zero.
pub fn change(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if b != 0.0 => Some((a - b) / b.abs() * 100.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(id: u32, depends_on: Vec<u32>) -> PhaseStatus {
        PhaseStatus {
            id,
            title: format!("p{id}"),
            owner: String::new(),
            eta: String::new(),
            depends_on,
            state: PhaseState::NotStarted,
            met: 0,
            waived: 0,
            not_met: 0,
            no_evidence: 0,
            blocked_by: Vec::new(),
        }
    }

    #[test]
    fn phases_come_after_their_dependencies() {
        let phases = vec![phase(2, vec![3]), phase(3, vec![1]), phase(1, vec![])];
        let order: Vec<u32> = dependency_order(&phases).iter().map(|p| p.id).collect();
        assert_eq!(order, [1, 3, 2]);
        // A cycle keeps plan order instead of looping or dropping phases.
        let cyclic = vec![phase(1, vec![2]), phase(2, vec![1])];
        assert_eq!(dependency_order(&cyclic).len(), 2);
    }

    #[test]
    fn status_labels_never_call_missing_evidence_done() {
        let mut p = phase(1, vec![0]);
        p.blocked_by = vec![0];
        assert_eq!(phase_status_label(&p), ("blocked", "bad"));
        p.blocked_by.clear();
        assert_eq!(phase_status_label(&p), ("ready", "missing"));
        p.state = PhaseState::InProgress;
        assert_eq!(phase_status_label(&p).0, "in progress");
        p.state = PhaseState::Complete;
        assert_eq!(phase_status_label(&p), ("signed off", "ok"));
    }

    #[test]
    fn open_risks_reads_the_first_table_and_skips_closed_rows() {
        let text = "intro\n\n| ID | Risk | Status |\n|---|---|---|\n| [R1](#r1) | a | open |\n\
                    | R2 | b | Closed |\n| R3 | c | mitigating |\n\nmore\n\n| X | Y |\n|---|---|\n| 1 | 2 |\n";
        let (header, rows) = open_risks(text);
        assert_eq!(header, ["ID", "Risk", "Status"]);
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, ["R1", "R3"]);
    }

    #[test]
    fn change_is_relative_and_undefined_from_zero() {
        assert_eq!(change(Some(200.0), Some(150.0)), Some(-25.0));
        assert_eq!(change(Some(0.0), Some(1.0)), None);
        assert_eq!(change(None, Some(1.0)), None);
    }
}

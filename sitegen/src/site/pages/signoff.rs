//! The sign-off report: per phase the baseline → latest values of the metrics its criteria
//! read, the open risks (the risk register in `content/`), and the criteria still unmet.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::model::adr::{Adr, AdrStatus};
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::Evidence;
use crate::site::urls::adr_path;
use crate::site::view::{
    change, criterion_json, dependency_order, metric_link, phase_status_label, signed_off_phases,
};

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
    let signed = signed_off_phases(&ev.eval.phases);
    let phases: Vec<Value> = dependency_order(&ev.eval.phases)
        .into_iter()
        .map(|p| {
            let (label, class) = phase_status_label(p, &ev.eval.phases, &signed);
            let mut names: BTreeSet<&str> = BTreeSet::new();
            for c in ev.eval.criteria.iter().filter(|c| c.phase == Some(p.id)) {
                names.extend(c.comparisons.iter().map(|m| m.metric.as_str()));
            }
            let metrics: Vec<Value> = names
                .into_iter()
                .map(|name| {
                    let series = ev.series.get(name);
                    // With a baseline, "before" is the baseline run's own value — nothing
                    // earlier or later stands in for a value it did not measure. Without one,
                    // it is the first measurement (the heading says so).
                    let before = series.and_then(|s| match (&ev.eval.baseline, baseline_idx) {
                        (None, _) => s.points.first(),
                        (Some(_), Some(b)) => s.points.iter().find(|pt| pt.run == b),
                        (Some(_), None) => None,
                    });
                    let after = series.and_then(|s| s.points.last());
                    json!({
                        "metric": metric_link(name, ev),
                        "unit": series.map(|s| s.unit.as_str()),
                        "direction": series.map(|s| s.direction),
                        "before": before.map(|b| json!({"value": b.value, "run": b.run_id})),
                        "after": after.map(|a| json!({"value": a.value, "run": a.run_id})),
                        "change": change(before.map(|b| b.value), after.map(|a| a.value)),
                    })
                })
                .collect();
            // The files the phase's artifact criteria found, at the commit they were read at.
            let artifacts: Vec<Value> = ev
                .eval
                .criteria
                .iter()
                .filter(|c| c.phase == Some(p.id) && c.decided_by == "artifact")
                .filter(|c| c.evidence.is_some())
                .map(|c| criterion_json(c, ev))
                .collect();
            json!({"id": p.id, "title": p.title, "status": label, "class": class,
                   "metrics": metrics, "artifacts": artifacts})
        })
        .collect();
    let unmet: Vec<Value> = ev
        .eval
        .criteria
        .iter()
        .filter(|c| !c.verdict.passes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_risks_reads_the_first_table_and_skips_closed_rows() {
        let text = "intro\n\n| ID | Risk | Status |\n|---|---|---|\n| [R1](#r1) | a | open |\n\
                    | R2 | b | Closed |\n| R3 | c | mitigating |\n\nmore\n\n| X | Y |\n|---|---|\n| 1 | 2 |\n";
        let (header, rows) = open_risks(text);
        assert_eq!(header, ["ID", "Risk", "Status"]);
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, ["R1", "R3"]);
    }
}

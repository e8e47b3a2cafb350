//! The traceability matrix: joins ADR claims, criteria, the metrics each criterion reads and
//! their newest evidence, and lists the holes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::evaluate::CriterionVerdict;
use crate::model::adr::Adr;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::Evidence;
use crate::site::urls::adr_path;
use crate::site::view::{criterion_json, evidence_json, metric_link, verdict_class, verdict_label};

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

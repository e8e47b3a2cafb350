//! Paired run pages (`paired/<run-id>`): one page per paired run (`sitegen pair`) with, per
//! check, both commits and binaries, every pair's values in the order measured, and each
//! metric's geometric mean ratio, 95 % interval and verdict. The runs index links them.

use serde_json::{Value, json};

use crate::evidence::ledger::load::Run;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::{Evidence, short_commit};
use crate::site::urls::paired_path;

/// A line of the runs index for a paired run.
pub fn summary(run: &Run) -> Value {
    let baseline = run
        .records
        .iter()
        .find_map(|r| r.record.paired.as_ref())
        .map(|p| short_commit(&p.baseline.commit));
    let regressed = run
        .records
        .iter()
        .filter_map(|r| r.record.paired.as_ref())
        .flat_map(|p| &p.metrics)
        .filter(|m| m.verdict == crate::evidence::record::PairedVerdict::Regressed)
        .count();
    let not_pairable = run
        .records
        .iter()
        .filter_map(|r| r.record.paired.as_ref())
        .filter(|p| p.not_pairable.is_some())
        .count();
    json!({"id": run.id, "path": paired_path(&run.id), "started_at": run.info.started_at,
           "commit": short_commit(&run.info.environment.git_commit), "baseline": baseline,
           "checks": run.records.len(), "regressed": regressed, "not_pairable": not_pairable})
}

fn context(run: &Run) -> Value {
    let checks: Vec<Value> = run
        .records
        .iter()
        .filter_map(|r| {
            let p = r.record.paired.as_ref()?;
            let names: Vec<&String> = p.metrics.iter().map(|m| &m.name).collect();
            let pairs: Vec<Value> = p
                .pairs
                .iter()
                .map(|pair| {
                    let cells: Vec<Value> = names
                        .iter()
                        .map(|n| {
                            let (b, c) = (pair.baseline.get(*n), pair.current.get(*n));
                            let ratio = match (b, c) {
                                (Some(b), Some(c)) if *b != 0.0 => Some(c / b),
                                _ => None,
                            };
                            json!({"baseline": b, "current": c, "ratio": ratio})
                        })
                        .collect();
                    json!({"round": pair.round, "first": pair.first, "cells": cells})
                })
                .collect();
            let metrics: Vec<Value> = p
                .metrics
                .iter()
                .map(|m| {
                    let class = match m.verdict {
                        crate::evidence::record::PairedVerdict::Regressed => "bad",
                        crate::evidence::record::PairedVerdict::Improved => "ok",
                        crate::evidence::record::PairedVerdict::NoSignificantChange => "missing",
                    };
                    json!({"name": m.name, "unit": m.unit, "pairs": m.pairs,
                           "ratio": m.ratio, "low": m.ci_lower, "high": m.ci_upper,
                           "threshold": crate::site::view::percent(m.threshold),
                           "verdict": m.verdict.label(), "class": class})
                })
                .collect();
            Some(json!({
                "id": r.record.check_id, "status": r.record.status.as_str(),
                "not_pairable": p.not_pairable, "duration_ms": r.record.duration_ms,
                "command": r.record.command.join(" "), "record": r.path, "sha256": r.sha256,
                "file": crate::site::urls::evidence_link(&r.path),
                "baseline": p.baseline, "current": p.current, "rounds": p.rounds,
                "interval": p.interval, "names": names, "pairs": pairs, "metrics": metrics,
            }))
        })
        .collect();
    json!({"title": format!("Paired run {}", run.id), "run": summary(run), "info": run.info,
           "manifest_sha256": run.manifest_sha256,
           "manifest_file": crate::site::urls::evidence_file(&run.id, "manifest.json"), "checks": checks})
}

/// One page per paired run.
pub fn paired_pages(shared: &Shared, ev: &Evidence) -> Vec<PageJob> {
    ev.paired
        .iter()
        .map(|run| shared.job(paired_path(&run.id), "paired.html", "runs", context(run)))
        .collect()
}

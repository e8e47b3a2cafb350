//! View helpers shared by page producers: how verdicts, evidence references, criteria,
//! metric links, commits and relative changes appear in page contexts, and markdown rendered
//! through the render cache.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use serde_json::{Value, json};

use super::incremental::cache::Cache;
use super::load::evidence::Evidence;
use super::render::format::quantity;
use super::render::markdown::{self, RenderOptions, Rendered};
use super::urls::{adr_path, metric_path};
use crate::evaluate::regression::relative_change;
use crate::evaluate::{CriterionVerdict, EvidenceRef, PhaseState, PhaseStatus, Verdict};
use crate::model::site::{SiteConfig, file_url};
use crate::util::git::Commit;
use crate::util::ids::{short_commit, short_sha256};

/// The render-cache inputs of a markdown document.
pub fn markdown_inputs(source: &str, options: &RenderOptions) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(&(source, options))?)
}

/// Renders markdown through the cache (keyed by source and options).
pub fn render_markdown(cache: &Cache, source: &str, options: &RenderOptions) -> Result<Rendered> {
    let key = markdown_inputs(source, options)?;
    let text = cache.get_or("markdown", &key, || {
        Ok(serde_json::to_string(&markdown::render(source, options))?)
    })?;
    Ok(serde_json::from_str(&text)?)
}

/// `path` relative to the repository root, with `/` separators, for display.
pub fn relative(root: &std::path::Path, path: &std::path::Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The directory part of a `/`-separated path (`""` for a bare file name).
pub fn parent_dir(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// A commit for templates; ADR mentions link to pages only when the ADR is `known`.
pub fn commit_json(commit: &Commit, known: &HashMap<&str, ()>) -> Value {
    let adrs: Vec<Value> = commit
        .adrs
        .iter()
        .map(|id| {
            let path = known.contains_key(id.as_str()).then(|| adr_path(id));
            json!({"id": id, "path": path})
        })
        .collect();
    let body = commit
        .message
        .split_once('\n')
        .map(|(_, rest)| rest.trim())
        .unwrap_or("");
    json!({
        "id": commit.id,
        "short_id": commit.short_id,
        "author": commit.author,
        "time": commit.time,
        "date": commit.time.get(..10).unwrap_or(&commit.time),
        "summary": commit.summary,
        "body": body,
        "adrs": adrs,
    })
}

/// CSS class of a verdict; only `met` is green. Every undecided state has its own class (all
/// of them grey and dashed, never green): `missing` (no measurement), `no-signoff` (a human
/// sign-off not yet recorded), `no-adr` (the deciding ADR does not exist), `no-baseline`,
/// `not-comparable`, `stale`.
pub fn verdict_class(c: &CriterionVerdict) -> &'static str {
    match (c.verdict, c.decided_by) {
        (Verdict::Met, _) => "ok",
        (Verdict::Waived, _) => "waived",
        (Verdict::NotMet, _) => "bad",
        (Verdict::NoMeasurement, "signoff") => "no-signoff",
        (Verdict::NoMeasurement, "adr") => "no-adr",
        (Verdict::NoMeasurement, _) => "missing",
        (Verdict::NoBaseline, _) => "no-baseline",
        (Verdict::NotComparable, _) => "not-comparable",
        (Verdict::Stale, _) => "stale",
    }
}

/// Per-state counts of `eval`'s criteria, keyed by the verdict's snake-case name.
pub fn verdict_counts(eval: &crate::evaluate::Evaluation) -> Value {
    let mut counts = serde_json::Map::new();
    for v in Verdict::ALL {
        let key = serde_json::to_value(v)
            .ok()
            .and_then(|k| k.as_str().map(str::to_string))
            .unwrap_or_default();
        counts.insert(key, json!(eval.count(v)));
    }
    Value::Object(counts)
}

/// The verdict as shown: `waived by ADR-0004` names the ADR.
pub fn verdict_label(c: &CriterionVerdict) -> String {
    match (&c.verdict, &c.waived_by) {
        (Verdict::Waived, Some(a)) => format!("waived by {a}"),
        (Verdict::NoMeasurement, _) if c.decided_by == "signoff" => "awaiting sign-off".into(),
        (Verdict::NoMeasurement, _) if c.decided_by == "adr" => "no ADR".into(),
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
    // A ledger record is published in the site's evidence store, `../evidence/<path>` from the
    // version root (`site::output::evidence`).
    let file = e
        .run_id
        .as_ref()
        .map(|_| crate::site::urls::evidence_link(&e.path));
    json!({
        "run_id": e.run_id,
        "file": file,
        "path": e.path,
        "sha256": e.sha256,
        "short": short_sha256(&e.sha256),
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
        "reason": c.reason,
        "warning": c.warning,
        "value": c.value,
        "value_shown": deciding_value(c),
        "threshold": c.threshold,
        "threshold_shown": threshold_shown(c),
        "blocking": c.blocking,
        "waived_by": c.waived_by.as_ref().map(|a| json!({"id": a, "path": adr_path(a)})),
        "evidence": c.evidence.as_ref().map(|e| {
            let mut v = evidence_json(e);
            if c.decided_by == "artifact" {
                artifact_link(&mut v, e, &ev.config.site);
            }
            v
        }),
        "metrics": metrics,
    })
}

/// Adds to an artifact's evidence `v` the commit it was read at (`commit`, `short_commit`)
/// and, with `[site] source_file_url`, the URL of the artifact at that commit (`source`).
/// An artifact that is not committed unchanged at `HEAD` has neither: it is shown by its path
/// and sha256 only.
pub fn artifact_link(v: &mut Value, e: &EvidenceRef, site: &SiteConfig) {
    let Some(at) = &e.commit else {
        return;
    };
    let source = site
        .source_file_url
        .as_deref()
        .map(|t| file_url(t, &at.commit, &at.path));
    if let Some(o) = v.as_object_mut() {
        o.insert("commit".into(), json!(at.commit));
        o.insert("short_commit".into(), json!(short_commit(&at.commit)));
        o.insert("source".into(), json!(source));
    }
}

/// The deciding value as pages show it (`oltp.p99 = 1.47 ms`): the comparison the evaluation
/// named in `value` (`metric = …`), its value formatted with its unit.
pub fn deciding_value(c: &CriterionVerdict) -> Option<String> {
    let named = c.value.as_deref()?;
    let o = c.comparisons.iter().find(|o| {
        o.value.is_some()
            && named
                .strip_prefix(o.metric.as_str())
                .is_some_and(|rest| rest.starts_with(" = "))
    })?;
    Some(format!("{} = {}", o.metric, quantity(o.value?, &o.unit)))
}

/// The threshold as pages show it: the expression as written and, for a bound resolved from
/// other evidence, that bound formatted in the metric's unit (`… (bound 68.6 µs)`); the
/// evaluation's own text when no comparison holds the bound it names.
pub fn threshold_shown(c: &CriterionVerdict) -> String {
    let Some((written, bound)) = c.threshold.rsplit_once(" (bound ") else {
        return c.threshold.clone();
    };
    let Some(b) = bound.strip_suffix(')').and_then(|b| b.parse::<f64>().ok()) else {
        return c.threshold.clone();
    };
    let held = c.comparisons.iter().find_map(|o| {
        let t = o.threshold?;
        // The evaluation writes bounds with at most four decimals.
        let close = (t - b).abs() <= 5.1e-5;
        (o.bound_evidence.is_some() && close).then(|| quantity(t, &o.unit))
    });
    match held {
        Some(q) => format!("{written} (bound {q})"),
        None => c.threshold.clone(),
    }
}

/// A metric name with its page path when it has one.
pub fn metric_link(name: &str, ev: &Evidence) -> Value {
    json!({"name": name, "path": ev.slugs.get(name).map(|s| metric_path(s))})
}

/// The phases that are signed off: complete (every criterion met or waived) and every phase
/// they depend on signed off too, transitively. A phase outside `phases` does not hold others.
pub fn signed_off_phases(phases: &[PhaseStatus]) -> BTreeSet<u32> {
    let mut signed = BTreeSet::new();
    for p in dependency_order(phases) {
        let deps_done = p
            .depends_on
            .iter()
            .all(|d| signed.contains(d) || !phases.iter().any(|q| q.id == *d));
        if p.state == PhaseState::Complete && deps_done {
            signed.insert(p.id);
        }
    }
    signed
}

/// The phases `p` depends on that are not signed off (`signed`: [`signed_off_phases`]).
pub fn waiting_on(p: &PhaseStatus, phases: &[PhaseStatus], signed: &BTreeSet<u32>) -> Vec<u32> {
    p.depends_on
        .iter()
        .copied()
        .filter(|d| !signed.contains(d) && phases.iter().any(|q| q.id == *d))
        .collect()
}

/// Phase status as pages name it, with its CSS class: `signed off` only when the phase and
/// everything it depends on are done; `complete, waiting` when its own criteria are done but a
/// dependency is not; `blocked` when a dependency is unfinished and so is the phase; then
/// `in progress` (some criteria met) or `ready` (none yet). `signed`: [`signed_off_phases`].
pub fn phase_status_label(
    p: &PhaseStatus,
    phases: &[PhaseStatus],
    signed: &BTreeSet<u32>,
) -> (&'static str, &'static str) {
    let waiting = !waiting_on(p, phases, signed).is_empty();
    match p.state {
        PhaseState::Complete if waiting => ("complete, waiting", "waiting"),
        PhaseState::Complete => ("signed off", "ok"),
        _ if waiting => ("blocked", "bad"),
        PhaseState::InProgress => ("in progress", "progress"),
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

/// A fraction (0.12) as the percent page contexts show (12).
pub fn percent(fraction: f64) -> f64 {
    fraction * 100.0
}

/// Relative change in percent, when both exist and the first is not zero (the model's
/// [`relative_change`], a fraction, formatted for pages).
pub fn change(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) => relative_change(b, a).map(percent),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::criteria::ComparisonOutcome;

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
            undecided: 0,
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
        let mut phases = vec![phase(0, vec![]), phase(1, vec![0]), phase(2, vec![1])];
        let label =
            |ps: &[PhaseStatus], i: usize| phase_status_label(&ps[i], ps, &signed_off_phases(ps));
        assert_eq!(label(&phases, 1), ("blocked", "bad"));
        assert_eq!(label(&phases, 0), ("ready", "missing"));
        phases[0].state = PhaseState::InProgress;
        assert_eq!(label(&phases, 0), ("in progress", "progress"));
        // Done itself, but its dependency is not: complete and waiting, never "signed off".
        phases[1].state = PhaseState::Complete;
        phases[2].state = PhaseState::Complete;
        assert_eq!(label(&phases, 1), ("complete, waiting", "waiting"));
        // Transitively: phase 2's direct dependency is complete but not signed off.
        assert_eq!(label(&phases, 2), ("complete, waiting", "waiting"));
        let signed = signed_off_phases(&phases);
        assert_eq!(waiting_on(&phases[2], &phases, &signed), [1]);
        phases[0].state = PhaseState::Complete;
        assert_eq!(label(&phases, 2), ("signed off", "ok"));
        assert_eq!(signed_off_phases(&phases).len(), 3);
    }

    fn outcome(metric: &str, value: f64, unit: &str, bound: Option<f64>) -> ComparisonOutcome {
        ComparisonOutcome {
            expression: format!("{metric} <= 0.7 × baseline"),
            metric: metric.into(),
            value: Some(value),
            unit: unit.into(),
            threshold: bound,
            truth: "not met",
            reason: String::new(),
            evidence: None,
            bound_evidence: bound.map(|_| EvidenceRef {
                run_id: None,
                path: "b.json".into(),
                sha256: "00".into(),
                commit: None,
            }),
            paired: None,
        }
    }

    #[test]
    fn criterion_value_and_bound_are_shown_in_the_metric_unit() {
        let c = CriterionVerdict {
            id: "P3.lock".into(),
            phase: Some(3),
            text: String::new(),
            decided_by: "metric",
            verdict: Verdict::NotMet,
            reason: String::new(),
            warning: None,
            value: Some("lock_wait_ms = 0.0987 ms".into()),
            threshold: "lock_wait_ms <= 0.7 × baseline (bound 0.0686)".into(),
            evidence: None,
            waived_by: None,
            blocking: true,
            comparisons: vec![
                outcome("other_ms", 5.0, "ms", None),
                outcome("lock_wait_ms", 0.0987, "ms", Some(0.068_61)),
            ],
        };
        assert_eq!(
            deciding_value(&c).as_deref(),
            Some("lock_wait_ms = 98.7 µs")
        );
        assert_eq!(
            threshold_shown(&c),
            "lock_wait_ms <= 0.7 × baseline (bound 68.6 µs)"
        );
        // A bound no comparison holds is left as the evaluation wrote it.
        let mut other = c.clone();
        other.threshold = "lock_wait_ms <= 0.7 × baseline (bound 3)".into();
        assert_eq!(threshold_shown(&other), other.threshold);
        other.value = None;
        assert_eq!(deciding_value(&other), None);
    }

    #[test]
    fn change_is_relative_and_undefined_from_zero() {
        assert_eq!(change(Some(200.0), Some(150.0)), Some(-25.0));
        assert_eq!(change(Some(0.0), Some(1.0)), None);
        assert_eq!(change(None, Some(1.0)), None);
    }
}

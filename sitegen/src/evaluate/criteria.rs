//! Deciding acceptance criteria.
//!
//! Per criterion: parse its decider → decide it from the evidence index (metric expression,
//! check status), the repository (artifact existence), the ADRs (status) or the sign-offs →
//! apply an accepted ADR's waiver when the criterion is not met → mark it blocking per config.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::evaluate::index::Index;
use crate::evaluate::{EvidenceRef, Inputs};
use crate::evidence::hash;
use crate::evidence::record::Status;
use crate::model::adr::AdrStatus;
use crate::model::plan::Decider;
use crate::model::plan::expr::{Bound, Truth};

/// A criterion's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The evidence meets it.
    Met,
    /// The evidence does not meet it.
    NotMet,
    /// There is no evidence to decide it.
    NoEvidence,
    /// Not met, but waived by an accepted ADR.
    Waived,
}

impl Verdict {
    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::NoEvidence => "no evidence",
            Verdict::Waived => "waived",
        }
    }
}

/// How one comparison of a metric expression came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonOutcome {
    /// The comparison as written.
    pub expression: String,
    /// The metric.
    pub metric: String,
    /// Its value, when measured.
    pub value: Option<f64>,
    /// Its unit.
    pub unit: String,
    /// The bound it was compared with (resolved against the baseline when relative).
    pub threshold: Option<f64>,
    /// The outcome.
    pub truth: &'static str,
    /// Where the value was measured.
    pub evidence: Option<EvidenceRef>,
    /// Where the bound was measured (baseline run for relative bounds, or the other metric).
    pub bound_evidence: Option<EvidenceRef>,
}

/// A criterion's verdict with what decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionVerdict {
    /// Criterion id.
    pub id: String,
    /// Its phase (`None` for cross-cutting).
    pub phase: Option<u32>,
    /// The criterion's wording.
    pub text: String,
    /// `metric`, `check`, `artifact`, `adr` or `signoff`.
    pub decided_by: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// The deciding value, as shown.
    pub value: Option<String>,
    /// The threshold it was held to, as shown.
    pub threshold: String,
    /// The evidence that decided it.
    pub evidence: Option<EvidenceRef>,
    /// The ADR waiving it, when waived.
    pub waived_by: Option<String>,
    /// Whether the gate fails when it is not met.
    pub blocking: bool,
    /// For metric expressions: every comparison.
    pub comparisons: Vec<ComparisonOutcome>,
}

fn truth_name(t: Truth) -> &'static str {
    match t {
        Truth::True => "met",
        Truth::False => "not met",
        Truth::Unknown => "no evidence",
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}").trim_end_matches('0').to_string()
    }
}

/// Finds paths matching `pattern` (components; `*` matches any one name) under `root`.
fn matching_paths(root: &Path, pattern: &str) -> Vec<String> {
    let mut found = vec![(root.to_path_buf(), String::new())];
    for comp in pattern.split('/').filter(|c| !c.is_empty() && *c != ".") {
        let mut next = Vec::new();
        for (dir, rel) in found {
            let join = |name: &str| {
                if rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel}/{name}")
                }
            };
            if comp == "*" {
                if let Ok(entries) = std::fs::read_dir(&dir) {
                    let mut names: Vec<String> = entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .filter(|n| !n.starts_with('.'))
                        .collect();
                    names.sort();
                    for n in names {
                        next.push((dir.join(&n), join(&n)));
                    }
                }
            } else if dir.join(comp).exists() {
                next.push((dir.join(comp), join(comp)));
            }
        }
        found = next;
    }
    found
        .into_iter()
        .map(|(_, rel)| rel)
        .filter(|r| !r.is_empty())
        .collect()
}

/// sha256 of a file, or for a folder, of its sorted `path sha256` listing.
fn path_digest(path: &Path) -> Result<String> {
    if path.is_file() {
        return Ok(hash::file(path)?.0);
    }
    let mut listing = String::new();
    for e in walkdir::WalkDir::new(path).sort_by_file_name() {
        let e = e.map_err(|e| anyhow::anyhow!("while listing {}: {e}", path.display()))?;
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(path).unwrap_or(e.path());
            listing.push_str(&format!("{} {}\n", rel.display(), hash::file(e.path())?.0));
        }
    }
    Ok(hash::bytes(listing.as_bytes()))
}

struct Decided {
    verdict: Verdict,
    value: Option<String>,
    threshold: String,
    evidence: Option<EvidenceRef>,
    comparisons: Vec<ComparisonOutcome>,
}

fn decide(
    inputs: &Inputs<'_>,
    id: &str,
    decider: &Decider,
    cur: &Index<'_>,
    base: &Index<'_>,
) -> Result<Decided> {
    let simple = |verdict, value: Option<String>, threshold: String, evidence| Decided {
        verdict,
        value,
        threshold,
        evidence,
        comparisons: Vec::new(),
    };
    Ok(match decider {
        Decider::Check(check) => {
            let threshold = format!("check `{check}` passes");
            match cur.check(check) {
                Some((status, ev)) => simple(
                    if *status == Status::Pass {
                        Verdict::Met
                    } else {
                        Verdict::NotMet
                    },
                    Some(status.as_str().to_string()),
                    threshold,
                    Some(ev.clone()),
                ),
                None => simple(Verdict::NoEvidence, None, threshold, None),
            }
        }
        Decider::Artifact(pattern) => {
            let threshold = format!("`{pattern}` exists");
            let found = matching_paths(inputs.root, pattern);
            if let Some(rel) = found.first() {
                crate::util::repofs::Repo::open(inputs.root).check_tree(&inputs.root.join(rel))?;
            }
            match found.first() {
                Some(rel) => simple(
                    Verdict::Met,
                    Some(rel.clone()),
                    threshold,
                    Some(EvidenceRef {
                        run_id: None,
                        path: rel.clone(),
                        sha256: path_digest(&inputs.root.join(rel))?,
                    }),
                ),
                None => simple(Verdict::NoEvidence, None, threshold, None),
            }
        }
        Decider::Adr(adr_id) => {
            let threshold = format!("{adr_id} accepted");
            match inputs.adrs.iter().find(|a| &a.meta.id == adr_id) {
                Some(a) => {
                    let rel = a.path.strip_prefix(inputs.root).unwrap_or(&a.path);
                    simple(
                        if a.meta.status == AdrStatus::Accepted {
                            Verdict::Met
                        } else {
                            Verdict::NotMet
                        },
                        Some(a.meta.status.as_str().to_string()),
                        threshold,
                        Some(EvidenceRef {
                            run_id: None,
                            path: rel.display().to_string(),
                            sha256: hash::file(&a.path)?.0,
                        }),
                    )
                }
                None => simple(Verdict::NoEvidence, None, threshold, None),
            }
        }
        Decider::Signoff(role) => {
            let threshold = format!("signed off by {role}");
            match inputs.signoffs.find(id, role) {
                Some(s) => simple(
                    Verdict::Met,
                    Some(format!("signed by {} on {}", s.by, s.date)),
                    threshold,
                    Some(EvidenceRef {
                        run_id: None,
                        path: inputs.signoffs_path.to_string(),
                        sha256: hash::file(&inputs.root.join(inputs.signoffs_path))?.0,
                    }),
                ),
                None => simple(Verdict::NoEvidence, None, threshold, None),
            }
        }
        Decider::Metric(expr) => {
            let mut outcomes = Vec::new();
            let truth = expr.eval(&mut |c| {
                let now = cur.metric(&c.metric);
                let (threshold, base_ev) = match &c.bound {
                    Bound::Absolute(v) => (Some(*v), None),
                    Bound::Relative(k) => match base.metric(&c.metric) {
                        Some(b) => (Some(k * b.metric.value), Some(b.evidence.clone())),
                        None => (None, None),
                    },
                    Bound::Metric(other, k) => match cur.metric(other) {
                        Some(b) => (Some(k * b.metric.value), Some(b.evidence.clone())),
                        None => (None, None),
                    },
                };
                let truth = match (now, threshold) {
                    (Some(m), Some(t)) if c.op.holds(m.metric.value, t) => Truth::True,
                    (Some(_), Some(_)) => Truth::False,
                    _ => Truth::Unknown,
                };
                outcomes.push((
                    truth,
                    ComparisonOutcome {
                        expression: c.to_string(),
                        metric: c.metric.clone(),
                        value: now.map(|m| m.metric.value),
                        unit: now.map(|m| m.metric.unit.clone()).unwrap_or_default(),
                        threshold,
                        truth: truth_name(truth),
                        evidence: now.map(|m| m.evidence.clone()),
                        bound_evidence: base_ev,
                    },
                ));
                truth
            });
            let deciding = outcomes
                .iter()
                .find(|(t, _)| *t == truth)
                .or(outcomes.first())
                .map(|(_, o)| o.clone());
            let verdict = match truth {
                Truth::True => Verdict::Met,
                Truth::False => Verdict::NotMet,
                Truth::Unknown => Verdict::NoEvidence,
            };
            let written = expr.to_string();
            Decided {
                verdict,
                value: deciding.as_ref().and_then(|d| {
                    d.value.map(|v| {
                        let unit = if d.unit.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", d.unit)
                        };
                        format!("{} = {}{unit}", d.metric, fmt_num(v))
                    })
                }),
                threshold: match deciding.as_ref().and_then(|d| d.threshold.map(|t| (d, t))) {
                    Some((d, t)) if d.bound_evidence.is_some() => {
                        format!("{written} (bound {})", fmt_num(t))
                    }
                    _ => written,
                },
                evidence: deciding.and_then(|d| d.evidence),
                comparisons: outcomes.into_iter().map(|(_, o)| o).collect(),
            }
        }
    })
}

/// Decides every criterion of the plan.
pub fn decide_all(
    inputs: &Inputs<'_>,
    cur: &Index<'_>,
    base: &Index<'_>,
) -> Result<Vec<CriterionVerdict>> {
    let mut out = Vec::new();
    for (phase, c) in inputs.plan.criteria() {
        let decider = c.decider()?;
        let d = decide(inputs, &c.id, &decider, cur, base)?;
        let waiver = inputs
            .adrs
            .iter()
            .find(|a| a.meta.status == AdrStatus::Accepted && a.meta.claims.waives.contains(&c.id));
        let (verdict, waived_by) = match (d.verdict, waiver) {
            (Verdict::Met, _) | (_, None) => (d.verdict, None),
            (_, Some(a)) => (Verdict::Waived, Some(a.meta.id.clone())),
        };
        out.push(CriterionVerdict {
            id: c.id.clone(),
            phase,
            text: c.text.clone(),
            decided_by: decider.kind(),
            verdict,
            value: d.value,
            threshold: d.threshold,
            evidence: d.evidence,
            waived_by,
            blocking: inputs.config.gate.is_blocking(&c.id),
            comparisons: d.comparisons,
        });
    }
    Ok(out)
}

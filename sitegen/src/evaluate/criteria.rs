//! Deciding acceptance criteria.
//!
//! Per criterion: parse its decider → decide it from the evidence index (metric expression,
//! check status), the repository (artifact existence), the ADRs (status) or the sign-offs →
//! apply an accepted ADR's waiver when the criterion is not met → mark it blocking per config.
//!
//! Every verdict is one of seven states, each with a reason ([`Verdict`]). A metric
//! expression is decided comparison by comparison: a comparison is met or not met when its
//! value and bound are known, and otherwise undecided for a named reason — no measurement,
//! stale, no baseline, or not comparable (the baseline value, or the other metric a bound
//! names, is from another testbed); a stale value that fails is not met all the same. The
//! expression is met when its three-valued truth is true; **not met whenever a measured value
//! fails**, whatever else is missing (so a failure is never hidden behind a missing baseline);
//! and otherwise takes the state of its first undecided comparison, with every undecided
//! comparison's reason.
//!
//! A comparison relative to the baseline (`m <= 0.8 * baseline`) is decided by a paired
//! measurement of `m` at the current commit against the baseline commit when there is one
//! ([`super::paired`]): the ratio current / baseline is held to the factor, and the comparison
//! is met only when the whole 95 % interval satisfies it — a change the pairs cannot tell from
//! noise does not meet a criterion that asks for it.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::evaluate::index::Index;
use crate::evaluate::paired::{PairedIndex, PairedRef};
use crate::evaluate::{EvidenceRef, Inputs};
use crate::evidence::hash;
use crate::evidence::record::Status;
use crate::evidence::testbed;
use crate::model::adr::AdrStatus;
use crate::model::plan::Decider;
use crate::model::plan::expr::{Bound, Comparison, Truth};
use crate::util::git;

/// A criterion's verdict. Only `met` and `waived` pass; every other state fails a blocking
/// criterion and keeps its phase from completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The evidence meets it.
    Met,
    /// The evidence does not meet it: a measured value fails (or the check failed, the ADR is
    /// not accepted).
    NotMet,
    /// Not met, but waived by an accepted ADR.
    Waived,
    /// Nothing was measured (no run recorded the metric or check; no file, ADR or sign-off).
    NoMeasurement,
    /// Measured now, but the baseline run has no value to compare with.
    NoBaseline,
    /// The current value and the baseline value come from different testbeds.
    NotComparable,
    /// The newest value is older than the newest run of the check that records it.
    Stale,
}

impl Verdict {
    /// Every state, in display order.
    pub const ALL: [Verdict; 7] = [
        Verdict::Met,
        Verdict::NotMet,
        Verdict::Waived,
        Verdict::NoMeasurement,
        Verdict::NoBaseline,
        Verdict::NotComparable,
        Verdict::Stale,
    ];

    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not met",
            Verdict::Waived => "waived",
            Verdict::NoMeasurement => "no measurement",
            Verdict::NoBaseline => "no baseline",
            Verdict::NotComparable => "not comparable",
            Verdict::Stale => "stale",
        }
    }

    /// Whether it passes: met or waived.
    pub fn passes(self) -> bool {
        matches!(self, Verdict::Met | Verdict::Waived)
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
    /// The outcome: a [`Verdict`] label (`met`, `not met`, `no measurement`, `no baseline`,
    /// `not comparable`, `stale`).
    pub truth: &'static str,
    /// Why it came out so.
    pub reason: String,
    /// Where the value was measured.
    pub evidence: Option<EvidenceRef>,
    /// Where the bound was measured (baseline run for relative bounds, or the other metric).
    pub bound_evidence: Option<EvidenceRef>,
    /// The paired measurement that decided a relative comparison, when one did.
    pub paired: Option<PairedRef>,
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
    /// Why: what was measured and held against what, or what is missing.
    pub reason: String,
    /// Found when the project loaded: the criterion names a metric no configured check
    /// emits, so it cannot be decided until one does.
    pub warning: Option<String>,
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
    reason: String,
    value: Option<String>,
    threshold: String,
    evidence: Option<EvidenceRef>,
    comparisons: Vec<ComparisonOutcome>,
}

/// What the comparisons are decided against besides the current evidence.
struct Baseline<'i, 'a> {
    index: &'i Index<'a>,
    run: Option<&'i str>,
    paired: &'i PairedIndex,
}

impl Baseline<'_, '_> {
    /// Why the baseline has no value of `metric`, which check `check` records now.
    fn missing(&self, metric: &str, check: &str) -> String {
        let why = match self.run {
            None => "no baseline run is set".to_string(),
            Some(run) if self.index.check(check).is_none() => {
                format!("baseline run {run} has no `{check}` check")
            }
            Some(run) => format!("baseline run {run}'s `{check}` check did not record it"),
        };
        format!("no baseline value for `{metric}` ({why})")
    }
}

/// One comparison decided: its state (a verdict), the truth it feeds the expression, the bound,
/// the bound's evidence and the reason.
struct Decision {
    state: Verdict,
    threshold: Option<f64>,
    bound_evidence: Option<EvidenceRef>,
    reason: String,
    paired: Option<PairedRef>,
}

/// A relative comparison `metric op k × baseline` decided by a paired measurement at `value`:
/// met when the whole interval of the ratio satisfies `op k` (for `=`, the ratio itself). The
/// bound is shown in the metric's unit as `k × value / ratio`, the baseline the pairs imply.
fn decide_paired(c: &Comparison, k: f64, value: f64, p: &PairedRef) -> Decision {
    use crate::model::plan::expr::Op;
    let deciding = match c.op {
        Op::Ge | Op::Gt => p.ci_lower,
        Op::Le | Op::Lt => p.ci_upper,
        Op::Eq => p.ratio,
    };
    let holds = c.op.holds(deciding, k);
    let which = match c.op {
        Op::Ge | Op::Gt => "its lower bound",
        Op::Le | Op::Lt => "its upper bound",
        Op::Eq => "the ratio",
    };
    let reason = if holds {
        format!(
            "met (paired): `{}` {}; {which} {} {} {}",
            c.metric,
            p.describe(),
            fmt_num(deciding),
            c.op.as_str(),
            fmt_num(k)
        )
    } else if c.op.holds(p.ratio, k) {
        format!(
            "not met (paired): `{}` {}; the ratio {} {} {} but {which} {} {} {} — not established \
             at 95 %",
            c.metric,
            p.describe(),
            fmt_num(p.ratio),
            c.op.as_str(),
            fmt_num(k),
            fmt_num(deciding),
            negated(c.op),
            fmt_num(k)
        )
    } else {
        format!(
            "not met (paired): `{}` {}; the ratio {} {} {}",
            c.metric,
            p.describe(),
            fmt_num(p.ratio),
            negated(c.op),
            fmt_num(k)
        )
    };
    Decision {
        state: if holds { Verdict::Met } else { Verdict::NotMet },
        threshold: (p.ratio > 0.0).then(|| k * value / p.ratio),
        bound_evidence: Some(p.evidence.clone()),
        reason,
        paired: Some(p.clone()),
    }
}

/// One comparison decided. A stale value (see [`Index::stale`]) decides nothing — unless it
/// fails: a measured failure that nothing newer contradicts is not met, with the staleness in
/// the reason.
fn decide_comparison(c: &Comparison, cur: &Index<'_>, base: &Baseline<'_, '_>) -> Decision {
    let d = decide_value(c, cur, base);
    let Some(why) = cur.stale(&c.metric) else {
        return d;
    };
    if d.state == Verdict::NotMet {
        return Decision {
            reason: format!("{} ({why})", d.reason),
            ..d
        };
    }
    Decision {
        state: Verdict::Stale,
        threshold: None,
        bound_evidence: None,
        reason: why,
        paired: None,
    }
}

/// One comparison decided on the newest value of its metric, stale or not.
fn decide_value(c: &Comparison, cur: &Index<'_>, base: &Baseline<'_, '_>) -> Decision {
    let undecided = |state, reason: String| Decision {
        state,
        threshold: None,
        bound_evidence: None,
        reason,
        paired: None,
    };
    let Some(now) = cur.metric(&c.metric) else {
        return undecided(
            Verdict::NoMeasurement,
            format!("no measurement: no run recorded `{}`", c.metric),
        );
    };
    let (threshold, bound_evidence) = match &c.bound {
        Bound::Absolute(v) => (*v, None),
        Bound::Relative(k) => match base.paired.get(&c.metric, now.environment) {
            Some(p) => return decide_paired(c, *k, now.metric.value, p),
            None => match base.index.metric(&c.metric) {
                None => {
                    return undecided(Verdict::NoBaseline, base.missing(&c.metric, now.check_id));
                }
                Some(b) => match testbed::not_comparable(b.environment, now.environment) {
                    Some(why) => return undecided(Verdict::NotComparable, why),
                    None => (k * b.metric.value, Some(b.evidence.clone())),
                },
            },
        },
        Bound::Metric(other, k) => match cur.metric(other) {
            None => {
                return undecided(
                    Verdict::NoMeasurement,
                    format!("no measurement: no run recorded `{other}`, the bound of `{c}`"),
                );
            }
            Some(b) => match testbed::not_comparable(b.environment, now.environment) {
                Some(why) => {
                    return undecided(
                        Verdict::NotComparable,
                        format!("{why}, between `{}` and its bound `{other}`", c.metric),
                    );
                }
                None => (k * b.metric.value, Some(b.evidence.clone())),
            },
        },
    };
    let v = now.metric.value;
    let holds = c.op.holds(v, threshold);
    Decision {
        state: if holds { Verdict::Met } else { Verdict::NotMet },
        threshold: Some(threshold),
        bound_evidence,
        paired: None,
        reason: format!(
            "{}: {} = {} {} {}",
            if holds { "met" } else { "not met" },
            c.metric,
            fmt_num(v),
            if holds { c.op.as_str() } else { negated(c.op) },
            fmt_num(threshold)
        ),
    }
}

/// The operator that holds when `op` does not, as written in a reason.
fn negated(op: crate::model::plan::expr::Op) -> &'static str {
    use crate::model::plan::expr::Op;
    match op {
        Op::Ge => "<",
        Op::Le => ">",
        Op::Gt => "<=",
        Op::Lt => ">=",
        Op::Eq => "!=",
    }
}

fn decide(
    inputs: &Inputs<'_>,
    id: &str,
    decider: &Decider,
    cur: &Index<'_>,
    base: &Baseline<'_, '_>,
) -> Result<Decided> {
    let simple =
        |verdict, reason: String, value: Option<String>, threshold: String, evidence| Decided {
            verdict,
            reason,
            value,
            threshold,
            evidence,
            comparisons: Vec::new(),
        };
    Ok(match decider {
        Decider::Check(check) => {
            let threshold = format!("check `{check}` passes");
            match cur.check(check) {
                Some((status, ev)) => {
                    let run = ev.run_id.as_deref().unwrap_or("?");
                    let (verdict, word) = if *status == Status::Pass {
                        (Verdict::Met, "met")
                    } else {
                        (Verdict::NotMet, "not met")
                    };
                    simple(
                        verdict,
                        format!(
                            "{word}: check `{check}` ended `{}` in run {run}",
                            status.as_str()
                        ),
                        Some(status.as_str().to_string()),
                        threshold,
                        Some(ev.clone()),
                    )
                }
                None => simple(
                    Verdict::NoMeasurement,
                    format!("no measurement: no run recorded check `{check}`"),
                    None,
                    threshold,
                    None,
                ),
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
                    format!("met: `{rel}` exists"),
                    Some(rel.clone()),
                    threshold,
                    Some(EvidenceRef {
                        run_id: None,
                        path: rel.clone(),
                        sha256: path_digest(&inputs.root.join(rel))?,
                        commit: git::committed_unchanged(inputs.root, rel)?,
                    }),
                ),
                None => simple(
                    Verdict::NoMeasurement,
                    format!("no measurement: nothing in the repository matches `{pattern}`"),
                    None,
                    threshold,
                    None,
                ),
            }
        }
        Decider::Adr(adr_id) => {
            let threshold = format!("{adr_id} accepted");
            match inputs.adrs.iter().find(|a| &a.meta.id == adr_id) {
                Some(a) => {
                    let rel = a.path.strip_prefix(inputs.root).unwrap_or(&a.path);
                    let accepted = a.meta.status == AdrStatus::Accepted;
                    simple(
                        if accepted {
                            Verdict::Met
                        } else {
                            Verdict::NotMet
                        },
                        format!(
                            "{}: {adr_id} is {}",
                            if accepted { "met" } else { "not met" },
                            a.meta.status.as_str()
                        ),
                        Some(a.meta.status.as_str().to_string()),
                        threshold,
                        Some(EvidenceRef {
                            run_id: None,
                            path: rel.display().to_string(),
                            sha256: hash::file(&a.path)?.0,
                            commit: None,
                        }),
                    )
                }
                None => simple(
                    Verdict::NoMeasurement,
                    format!("no measurement: there is no {adr_id}"),
                    None,
                    threshold,
                    None,
                ),
            }
        }
        Decider::Signoff(role) => {
            let threshold = format!("signed off by {role}");
            match inputs.signoffs.find(id, role) {
                Some(s) => simple(
                    Verdict::Met,
                    format!("met: signed off by {} ({role}) on {}", s.by, s.date),
                    Some(format!("signed by {} on {}", s.by, s.date)),
                    threshold,
                    Some(EvidenceRef {
                        run_id: None,
                        path: inputs.signoffs_path.to_string(),
                        sha256: hash::file(&inputs.root.join(inputs.signoffs_path))?.0,
                        commit: None,
                    }),
                ),
                None => simple(
                    Verdict::NoMeasurement,
                    format!(
                        "no measurement: no sign-off by {role} in {}",
                        inputs.signoffs_path
                    ),
                    None,
                    threshold,
                    None,
                ),
            }
        }
        Decider::Metric(expr) => {
            let mut outcomes: Vec<(Verdict, ComparisonOutcome)> = Vec::new();
            let truth = expr.eval(&mut |c| {
                let now = cur.metric(&c.metric);
                let d = decide_comparison(c, cur, base);
                let truth = match d.state {
                    Verdict::Met => Truth::True,
                    Verdict::NotMet => Truth::False,
                    _ => Truth::Unknown,
                };
                outcomes.push((
                    d.state,
                    ComparisonOutcome {
                        expression: c.to_string(),
                        metric: c.metric.clone(),
                        value: now.map(|m| m.metric.value),
                        unit: now.map(|m| m.metric.unit.clone()).unwrap_or_default(),
                        threshold: d.threshold,
                        truth: d.state.label(),
                        reason: d.reason,
                        evidence: now.map(|m| m.evidence.clone()),
                        bound_evidence: d.bound_evidence,
                        paired: d.paired,
                    },
                ));
                truth
            });
            let failed = outcomes.iter().any(|(v, _)| *v == Verdict::NotMet);
            let undecided: Vec<&(Verdict, ComparisonOutcome)> = outcomes
                .iter()
                .filter(|(v, _)| !matches!(v, Verdict::Met | Verdict::NotMet))
                .collect();
            let verdict = match truth {
                Truth::True => Verdict::Met,
                Truth::False => Verdict::NotMet,
                // A measured failure beats whatever is missing.
                Truth::Unknown if failed => Verdict::NotMet,
                Truth::Unknown => undecided
                    .first()
                    .map(|(v, _)| *v)
                    .unwrap_or(Verdict::NoMeasurement),
            };
            let reasons = |pick: &dyn Fn(Verdict) -> bool| -> Vec<String> {
                outcomes
                    .iter()
                    .filter(|(v, _)| pick(*v))
                    .map(|(_, o)| o.reason.clone())
                    .collect()
            };
            let reason = match verdict {
                Verdict::Met => reasons(&|v| v == Verdict::Met).join("; "),
                Verdict::NotMet => {
                    let mut r = reasons(&|v| v == Verdict::NotMet);
                    let rest = reasons(&|v| !matches!(v, Verdict::Met | Verdict::NotMet));
                    if !rest.is_empty() {
                        r.push(format!("also undecided: {}", rest.join("; ")));
                    }
                    r.join("; ")
                }
                _ => undecided
                    .iter()
                    .map(|(_, o)| o.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            // The deciding comparison: the first whose state is the verdict.
            let deciding = outcomes
                .iter()
                .find(|(v, _)| *v == verdict)
                .or(outcomes.iter().find(|(_, o)| o.value.is_some()))
                .or(outcomes.first())
                .map(|(_, o)| o.clone());
            let written = expr.to_string();
            Decided {
                verdict,
                reason,
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

/// Decides every criterion of the plan against the current evidence `cur` and the baseline
/// run's `base` (`baseline_run`: its id, when one is set); `warnings` are the load-time notes
/// by criterion id ([`crate::evaluate::emitter_warnings`]).
pub fn decide_all(
    inputs: &Inputs<'_>,
    cur: &Index<'_>,
    base: &Index<'_>,
    paired: &PairedIndex,
    baseline_run: Option<&str>,
    warnings: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<CriterionVerdict>> {
    let baseline = Baseline {
        index: base,
        run: baseline_run,
        paired,
    };
    let mut out = Vec::new();
    for (phase, c) in inputs.plan.criteria() {
        let decider = c.decider()?;
        let d = decide(inputs, &c.id, &decider, cur, &baseline)?;
        let waiver = inputs
            .adrs
            .iter()
            .find(|a| a.meta.status == AdrStatus::Accepted && a.meta.claims.waives.contains(&c.id));
        let (verdict, waived_by, reason) = match (d.verdict, waiver) {
            (Verdict::Met, _) | (_, None) => (d.verdict, None, d.reason),
            (_, Some(a)) => (
                Verdict::Waived,
                Some(a.meta.id.clone()),
                format!("waived by {}; without the waiver: {}", a.meta.id, d.reason),
            ),
        };
        out.push(CriterionVerdict {
            id: c.id.clone(),
            phase,
            text: c.text.clone(),
            decided_by: decider.kind(),
            verdict,
            reason,
            warning: warnings.get(&c.id).cloned(),
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

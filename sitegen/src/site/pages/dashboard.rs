//! The sign-off dashboard.
//!
//! Steps: the answer first — one headline sentence from the evaluation ([`headline`]: the gate,
//! regressed metrics, criteria not met, criteria lacking evidence and how many of those await a
//! human sign-off or an ADR), each cause linked → order the plan's phases by dependency → give
//! each a status (signed off / complete, waiting / blocked / in progress / ready) and the one
//! thing blocking it ([`phase_blocker`]) → list its criteria with verdict, deciding value,
//! threshold, the reason and the evidence record (link and sha256). Every undecided state (no
//! measurement, no baseline, not comparable, stale) is grey, counted on its own card and never
//! shown as a pass; load-time warnings are listed above the phases.

use serde_json::{Value, json};

use std::collections::BTreeSet;

use crate::evaluate::{CriterionVerdict, Evaluation, PhaseStatus, RegressionState, Verdict};
use crate::model::adr::Adr;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::Evidence;
use crate::site::urls::adr_path;
use crate::site::view::{
    criterion_json, dependency_order, metric_link, percent, phase_status_label, signed_off_phases,
    verdict_counts, waiting_on,
};

/// One cause in the headline: its words and the anchor on the dashboard it links to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cause {
    /// The words, e.g. `13 metrics regressed vs baseline`.
    pub text: String,
    /// The anchor it links to (`#regressions`, `#crit-p1-latency`); empty for none.
    pub href: String,
}

/// The dashboard's answer: whether sign-off passes, and the causes when it does not.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Headline {
    /// The blocking gate passes.
    pub passes: bool,
    /// `Signed off: …` or `Sign-off blocked: …`.
    pub lead: String,
    /// Causes, in the order shown, separated by `; `.
    pub causes: Vec<Cause>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The headline sentence from the evaluation: when the gate passes, `Signed off: every blocking
/// criterion met or waived` with the counts; otherwise `Sign-off blocked:` with the regressed
/// metrics (→ `#regressions`), the criteria not met and the criteria lacking evidence, of which
/// how many await a human sign-off or an ADR (each → the first such criterion).
pub fn headline(eval: &Evaluation, passes: bool) -> Headline {
    let first = |f: &dyn Fn(&CriterionVerdict) -> bool| {
        eval.criteria
            .iter()
            .filter(|c| f(c))
            .map(|c| format!("#crit-{}", c.id))
            .next()
    };
    let undecided = |c: &CriterionVerdict| !c.verdict.passes() && c.verdict != Verdict::NotMet;
    let awaiting =
        |c: &CriterionVerdict, by: &str| c.verdict == Verdict::NoMeasurement && c.decided_by == by;
    let count =
        |f: &dyn Fn(&CriterionVerdict) -> bool| eval.criteria.iter().filter(|c| f(c)).count();
    if passes {
        let met = eval.count(Verdict::Met);
        let waived = eval.count(Verdict::Waived);
        let open = count(&|c| !c.verdict.passes());
        let mut lead = format!(
            "Signed off: every blocking criterion met or waived ({met} met, {waived} waived)"
        );
        if open > 0 {
            lead.push_str(&format!(
                "; {} not blocking",
                plural(open, "open criterion is", "open criteria are")
            ));
        }
        return Headline {
            passes,
            lead,
            causes: Vec::new(),
        };
    }
    let mut causes = Vec::new();
    let regressed = eval.regressed().len();
    if regressed > 0 {
        causes.push(Cause {
            text: format!(
                "{} vs baseline",
                plural(regressed, "metric regressed", "metrics regressed")
            ),
            href: "#regressions".into(),
        });
    }
    let not_met = count(&|c| c.verdict == Verdict::NotMet);
    if not_met > 0 {
        causes.push(Cause {
            text: format!("{} not met", plural(not_met, "criterion", "criteria")),
            href: first(&|c| c.verdict == Verdict::NotMet && c.blocking)
                .or_else(|| first(&|c| c.verdict == Verdict::NotMet))
                .unwrap_or_default(),
        });
    }
    let lacking = count(&undecided);
    if lacking > 0 {
        let mut text = format!(
            "{} evidence",
            plural(lacking, "criterion lacks", "criteria lack")
        );
        let signoffs = count(&|c| awaiting(c, "signoff"));
        let adrs = count(&|c| awaiting(c, "adr"));
        let mut of: Vec<String> = Vec::new();
        if signoffs > 0 {
            of.push(plural(
                signoffs,
                "awaits a human sign-off",
                "await a human sign-off",
            ));
        }
        if adrs > 0 {
            of.push(plural(
                adrs,
                "names an ADR that does not exist",
                "name an ADR that does not exist",
            ));
        }
        if !of.is_empty() {
            text.push_str(&format!(", of which {}", of.join(", ")));
        }
        causes.push(Cause {
            text,
            href: first(&undecided).unwrap_or_default(),
        });
    }
    if causes.is_empty() {
        // The gate can fail on other grounds (a failing check); say so rather than nothing.
        causes.push(Cause {
            text: "a blocking criterion is not met".into(),
            href: first(&|c| c.blocking && !c.verdict.passes()).unwrap_or_default(),
        });
    }
    Headline {
        passes,
        lead: "Sign-off blocked".into(),
        causes,
    }
}

/// The one thing holding phase `p` back: its first failing blocking criterion, else its first
/// failing criterion, else the first phase it waits on; `None` when it is signed off.
pub fn phase_blocker(p: &PhaseStatus, eval: &Evaluation, signed: &BTreeSet<u32>) -> Option<Cause> {
    let mine = || {
        eval.criteria
            .iter()
            .filter(|c| c.phase == Some(p.id) && !c.verdict.passes())
    };
    if let Some(c) = mine().find(|c| c.blocking).or_else(|| mine().next()) {
        return Some(Cause {
            text: format!("{} ({})", c.id, crate::site::view::verdict_label(c)),
            href: format!("#crit-{}", c.id),
        });
    }
    waiting_on(p, &eval.phases, signed).first().map(|d| Cause {
        text: format!("phase {d} not signed off"),
        href: format!("#phase-{d}"),
    })
}

/// The dashboard page.
pub fn dashboard(shared: &Shared, ev: &Evidence, adrs: &[Adr]) -> PageJob {
    let eval = &ev.eval;
    let signed = signed_off_phases(&eval.phases);
    let phases: Vec<Value> = dependency_order(&eval.phases)
        .into_iter()
        .map(|p| {
            let (label, class) = phase_status_label(p, &eval.phases, &signed);
            let criteria: Vec<Value> = eval
                .criteria
                .iter()
                .filter(|c| c.phase == Some(p.id))
                .map(|c| criterion_json(c, ev))
                .collect();
            json!({
                "id": p.id, "title": p.title, "owner": p.owner, "eta": p.eta,
                "depends_on": p.depends_on,
                "waiting_on": waiting_on(p, &eval.phases, &signed),
                "blocker": phase_blocker(p, eval, &signed),
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
            json!({"metric": metric_link(&r.metric, ev), "unit": r.unit, "direction": r.direction,
                   "baseline": r.baseline_value,
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
            "headline": headline(eval, eval.gate_passes(&ev.config)),
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
                "published": ev.runs.iter().chain(&ev.paired).any(|r| r.id == h.run_id),
                "file": crate::site::urls::evidence_file(&h.run_id, "manifest.json"),
            })),
            "anchor": {"anchored": ev.anchor.anchored(), "text": ev.anchor.to_string()},
            "baseline_history": baseline_history,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::PhaseState;

    fn crit(
        id: &str,
        verdict: Verdict,
        decided_by: &'static str,
        blocking: bool,
    ) -> CriterionVerdict {
        CriterionVerdict {
            id: id.into(),
            phase: Some(1),
            text: String::new(),
            decided_by,
            verdict,
            reason: String::new(),
            warning: None,
            value: None,
            threshold: String::new(),
            evidence: None,
            waived_by: None,
            blocking,
            comparisons: Vec::new(),
        }
    }

    fn eval(criteria: Vec<CriterionVerdict>) -> Evaluation {
        Evaluation {
            latest_run: None,
            baseline: None,
            latest_testbed: None,
            baseline_testbed: None,
            criteria,
            phases: vec![PhaseStatus {
                id: 1,
                title: "p1".into(),
                owner: String::new(),
                eta: String::new(),
                depends_on: vec![],
                state: PhaseState::InProgress,
                met: 1,
                waived: 0,
                not_met: 1,
                undecided: 3,
                blocked_by: vec![],
            }],
            regressions: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_blocked_headline_counts_and_links_each_cause() {
        let e = eval(vec![
            crit("ok", Verdict::Met, "metric", true),
            crit("soft", Verdict::NotMet, "metric", false),
            crit("hard", Verdict::NotMet, "metric", true),
            crit("sig1", Verdict::NoMeasurement, "signoff", true),
            crit("sig2", Verdict::NoMeasurement, "signoff", false),
            crit("adr", Verdict::NoMeasurement, "adr", true),
            crit("old", Verdict::Stale, "metric", true),
        ]);
        let h = headline(&e, false);
        assert_eq!(h.lead, "Sign-off blocked");
        let causes: Vec<(&str, &str)> = h
            .causes
            .iter()
            .map(|c| (c.text.as_str(), c.href.as_str()))
            .collect();
        assert_eq!(
            causes,
            [
                // The link goes to the first blocking one, not the first one.
                ("2 criteria not met", "#crit-hard"),
                (
                    "4 criteria lack evidence, of which 2 await a human sign-off, \
                     1 names an ADR that does not exist",
                    "#crit-sig1"
                ),
            ]
        );
        // The phase's blocker is its first failing blocking criterion.
        let signed = BTreeSet::new();
        let b = phase_blocker(&e.phases[0], &e, &signed).expect("a blocker");
        assert_eq!(
            (b.text.as_str(), b.href.as_str()),
            ("hard (not met)", "#crit-hard")
        );
    }

    #[test]
    fn a_passing_headline_says_signed_off_and_counts_what_is_open() {
        let e = eval(vec![
            crit("ok", Verdict::Met, "metric", true),
            crit("later", Verdict::NoMeasurement, "metric", false),
        ]);
        let h = headline(&e, true);
        assert!(h.passes && h.causes.is_empty());
        assert_eq!(
            h.lead,
            "Signed off: every blocking criterion met or waived (1 met, 0 waived); \
             1 open criterion is not blocking"
        );
    }
}

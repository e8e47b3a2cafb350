//! Run pages: an index of runs, one page per evidence run, and compare pages.
//!
//! Which pairs get a compare page: each run against its predecessor and against the baseline
//! run — at most two per run, so pages grow linearly with runs (never one per pair). The
//! comparison reuses the gate's regression code ([`regression::compare`]): the same threshold,
//! the same Mann–Whitney U test on samples, the same verdicts.
//!
//! The index shows the newest [`INDEX_RUNS`] runs; every run also sits on an archive page of
//! [`ARCHIVE_SIZE`] runs numbered from the oldest, so adding a run changes only the index and
//! the newest archive page, and no page lists the whole history.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::evaluate::index::Index;
use crate::evaluate::regression::relative_change;
use crate::evaluate::{Method, RegressionState, regression};
use crate::evidence::conditions::Conditions;
use crate::evidence::ledger::load::Run;
use crate::evidence::record::{Captured, Status};
use crate::evidence::testbed::{self, testbed};
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::{Evidence, short_commit};
use crate::site::urls::{compare_path, evidence_file, metric_path, run_path};
use crate::site::view::percent;

/// Runs listed on the runs index.
pub const INDEX_RUNS: usize = 50;
/// Runs per archive page.
pub const ARCHIVE_SIZE: usize = 100;
/// Characters of a log kept on a run page (the end of the captured text, where errors are).
pub const LOG_EXCERPT: usize = 4000;

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass => "ok",
        Status::Fail | Status::Error | Status::Timeout => "bad",
    }
}

fn run_summary(run: &Run) -> Value {
    let count = |s: Status| run.records.iter().filter(|r| r.record.status == s).count();
    json!({
        "id": run.id, "path": run_path(&run.id), "profile": run.info.profile,
        "started_at": run.info.started_at,
        "commit": short_commit(&run.info.environment.git_commit),
        "dirty": run.info.environment.dirty,
        "testbed": testbed(&run.info.environment),
        "checks": run.records.len(), "pass": count(Status::Pass),
        "failed": run.records.len() - count(Status::Pass),
    })
}

/// The end of a captured log, with whether it was cut.
fn excerpt(c: &Captured) -> Value {
    let chars = c.text.chars().count();
    let text: String = if chars > LOG_EXCERPT {
        c.text.chars().skip(chars - LOG_EXCERPT).collect()
    } else {
        c.text.clone()
    };
    json!({"text": text, "bytes": c.bytes, "cut": c.truncated || chars > LOG_EXCERPT,
           "sha256": c.sha256})
}

/// What every run and compare page is built from besides its runs: the metric page slugs
/// (they link to metric pages) and the regression rules. Hashed once per build.
fn common_inputs(ev: &Evidence) -> serde_json::Result<Vec<u8>> {
    let mut slugs: Vec<(&String, &String)> = ev.slugs.iter().collect();
    slugs.sort();
    let bytes = serde_json::to_vec(&(slugs, &ev.config.regression))?;
    Ok(crate::evidence::hash::bytes(&bytes).into_bytes())
}

/// What a run contributes to the inputs of a page built from it: its id, the hash of its
/// manifest (which names the hash of every file of the run; the evidence phase verified them),
/// its run information and the hash of each record.
fn run_inputs(out: &mut Vec<u8>, run: &Run) -> serde_json::Result<()> {
    out.extend_from_slice(run.id.as_bytes());
    out.push(0);
    out.extend_from_slice(run.manifest_sha256.as_bytes());
    out.push(0);
    serde_json::to_writer(&mut *out, &run.info)?;
    for r in &run.records {
        out.push(0);
        out.extend_from_slice(r.path.as_bytes());
        out.push(0);
        out.extend_from_slice(r.sha256.as_bytes());
    }
    out.push(0xff);
    Ok(())
}

/// Every run-related page: index, archives, one page per run, compare pages. Run and compare
/// pages are keyed by their inputs ([`Shared::keyed_job`]): adding a run builds the context of
/// only the pages it changes.
pub fn run_pages(shared: &Shared, ev: &Evidence) -> anyhow::Result<Vec<PageJob>> {
    let baseline = ev.eval.baseline.as_deref();
    let common = common_inputs(ev).ok();
    let common = common.as_deref();
    let mut jobs: Vec<PageJob> = (0..ev.runs.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let mut out = vec![run_page(shared, ev, i, common)];
            let mut against: BTreeSet<usize> = BTreeSet::new();
            if i > 0 {
                against.insert(i - 1);
            }
            if let Some(b) = baseline.and_then(|b| ev.run_index(b)).filter(|b| *b != i) {
                against.insert(b);
            }
            for j in against {
                out.push(compare_page(shared, ev, i, j, common));
            }
            out
        })
        .collect::<anyhow::Result<_>>()?;
    let newest: Vec<Value> = ev
        .runs
        .iter()
        .rev()
        .take(INDEX_RUNS)
        .map(run_summary)
        .collect();
    let archives: Vec<Value> = (0..ev.runs.len().div_ceil(ARCHIVE_SIZE))
        .map(|k| {
            let first = ev.runs.get(k * ARCHIVE_SIZE).map(|r| r.id.as_str());
            let last = ev
                .runs
                .get(((k + 1) * ARCHIVE_SIZE).min(ev.runs.len()) - 1)
                .map(|r| r.id.as_str());
            json!({"number": k + 1, "path": format!("runs/archive/{}", k + 1), "first": first, "last": last})
        })
        .collect();
    for (k, chunk) in ev.runs.chunks(ARCHIVE_SIZE).enumerate() {
        let runs: Vec<Value> = chunk.iter().map(run_summary).collect();
        jobs.push(shared.job(
            format!("runs/archive/{}", k + 1),
            "runs.html",
            "runs",
            json!({"title": format!("Runs, archive {}", k + 1), "runs": runs, "archives": archives,
                   "baseline": baseline}),
        ));
    }
    let mut index = json!({"title": "Evidence runs", "runs": newest, "archives": archives,
                           "total": ev.runs.len(), "baseline": baseline, "latest": true});
    // Paired runs are listed only where there are some (the index of a ledger without any is
    // unchanged).
    if let (false, Some(obj)) = (ev.paired.is_empty(), index.as_object_mut()) {
        let paired: Vec<Value> = ev
            .paired
            .iter()
            .rev()
            .map(crate::site::pages::paired::summary)
            .collect();
        obj.insert("paired".into(), Value::Array(paired));
    }
    jobs.push(shared.job("runs".into(), "runs.html", "runs", index));
    Ok(jobs)
}

/// The inputs of a page built from `runs` and the links it holds (`links`: ids of the runs it
/// links to, the baseline), or `None` when they cannot be serialised (then the page is built
/// and keyed by its context as usual).
fn page_inputs(common: Option<&[u8]>, runs: &[&Run], links: &[Option<&str>]) -> Option<Vec<u8>> {
    let mut inputs = common?.to_vec();
    for run in runs {
        run_inputs(&mut inputs, run).ok()?;
    }
    for link in links {
        inputs.push(0);
        if let Some(id) = link {
            inputs.push(1);
            inputs.extend_from_slice(id.as_bytes());
        }
    }
    Some(inputs)
}

fn run_page(
    shared: &Shared,
    ev: &Evidence,
    i: usize,
    common: Option<&[u8]>,
) -> anyhow::Result<PageJob> {
    let run = &ev.runs[i];
    let path = run_path(&run.id);
    let previous = i.checked_sub(1).and_then(|p| ev.runs.get(p));
    let next = ev.runs.get(i + 1);
    let inputs = page_inputs(
        common,
        &[run],
        &[
            previous.map(|r| r.id.as_str()),
            next.map(|r| r.id.as_str()),
            ev.eval.baseline.as_deref(),
        ],
    );
    match inputs {
        Some(inputs) => {
            shared.keyed_job(path, "run.html", "runs", &inputs, || Ok(run_context(ev, i)))
        }
        None => Ok(shared.job(path, "run.html", "runs", run_context(ev, i))),
    }
}

/// A record's conditions as the run page shows them: one line per reading (start, end), each
/// part "not exposed" where the machine did not expose it; empty for records without them.
fn conditions_view(c: Option<&Conditions>) -> Vec<Value> {
    let absent = || "not exposed".to_string();
    c.map(|c| {
        [("start", &c.start), ("end", &c.end)]
            .into_iter()
            .map(|(when, r)| {
                let load = r.load.map_or_else(absent, |l| {
                    format!("{:.2} / {:.2} / {:.2}", l.one, l.five, l.fifteen)
                });
                let cpu = r.cpu_mhz.as_ref().map_or_else(absent, |m| {
                    format!(
                        "{:.0}–{:.0} MHz, median {:.0} over {} cores ({})",
                        m.min, m.max, m.median, m.cores, m.source
                    )
                });
                let governor = r.governor.clone().unwrap_or_else(absent);
                json!({"when": when, "load": load, "cpu": cpu, "governor": governor})
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The context of run `i`'s page: a function of the run, its neighbours' ids, the baseline's
/// id and the metric slugs only (see [`run_page`]'s inputs).
fn run_context(ev: &Evidence, i: usize) -> Value {
    let run = &ev.runs[i];
    let checks: Vec<Value> = run
        .records
        .iter()
        .map(|r| {
            let rec = &r.record;
            let metrics: Vec<Value> = rec
                .metrics
                .iter()
                .map(|m| {
                    json!({"name": m.name, "value": m.value, "unit": m.unit, "direction": m.direction,
                           "samples": m.samples.len(),
                           "low": m.ci_lower, "high": m.ci_upper,
                           "path": ev.slugs.get(&m.name).map(|s| metric_path(s))})
                })
                .collect();
            // Columns a check's metrics table shows only when some metric fills them.
            let has_ci = rec.metrics.iter().any(|m| m.ci_lower.is_some());
            let has_samples = rec.metrics.iter().any(|m| !m.samples.is_empty());
            json!({
                "has_ci": has_ci, "has_samples": has_samples,
                "id": rec.check_id, "status": rec.status.as_str(), "class": status_class(rec.status),
                "phase": rec.phase, "command": rec.command.join(" "), "workdir": rec.workdir,
                "started_at": rec.started_at, "duration_ms": rec.duration_ms,
                "exit_code": rec.exit_code, "message": rec.message,
                "metrics": metrics, "artifacts": rec.artifacts,
                "conditions": conditions_view(rec.conditions.as_ref()),
                "stdout": excerpt(&rec.stdout), "stderr": excerpt(&rec.stderr),
                "record": r.path, "sha256": r.sha256, "file": crate::site::urls::evidence_link(&r.path),
            })
        })
        .collect();
    let previous = i.checked_sub(1).and_then(|p| ev.runs.get(p));
    let baseline = ev
        .eval
        .baseline
        .as_deref()
        .filter(|b| *b != run.id)
        .map(|b| json!({"id": b, "compare": compare_path(&run.id, b)}));
    let next = ev
        .runs
        .get(i + 1)
        .map(|n| json!({"id": n.id, "path": run_path(&n.id)}));
    let files: Vec<Value> = run
        .manifest
        .files
        .iter()
        .map(|(p, h)| json!({"path": p, "sha256": h, "file": evidence_file(&run.id, p)}))
        .collect();
    json!({
            "title": format!("Run {}", run.id),
            "run": run_summary(run),
            "info": run.info,
            "manifest_sha256": run.manifest_sha256,
            "manifest_file": evidence_file(&run.id, "manifest.json"),
            "sums_file": evidence_file(&run.id, "SHA256SUMS"),
            "previous_link": run.manifest.previous,
            "files": files,
            "previous": previous.map(|p| json!({"id": p.id, "path": run_path(&p.id), "compare": compare_path(&run.id, &p.id)})),
            "next": next,
            "baseline": baseline,
            "checks": checks,
    })
}

fn compare_page(
    shared: &Shared,
    ev: &Evidence,
    new: usize,
    old: usize,
    common: Option<&[u8]>,
) -> anyhow::Result<PageJob> {
    let (a, b) = (&ev.runs[new], &ev.runs[old]);
    let path = compare_path(&a.id, &b.id);
    match page_inputs(common, &[a, b], &[]) {
        Some(inputs) => shared.keyed_job(path, "compare.html", "runs", &inputs, || {
            Ok(compare_context(ev, new, old))
        }),
        None => Ok(shared.job(path, "compare.html", "runs", compare_context(ev, new, old))),
    }
}

/// The context of the compare page of run `new` against run `old`: a function of the two runs,
/// the regression rules and the metric slugs only (see [`compare_page`]'s inputs).
fn compare_context(ev: &Evidence, new: usize, old: usize) -> Value {
    let (a, b) = (&ev.runs[new], &ev.runs[old]);
    let cur = Index::build([a]);
    let base = Index::build([b]);
    let cfg = &ev.config.regression;
    // Two recorded runs, compared as recorded: no paired measurement stands in.
    let no_pairs = crate::evaluate::paired::PairedIndex::default();
    let verdicts = regression::compare(cfg, &cur, &base, Some(&b.id), &no_pairs);
    let rows: Vec<Value> = verdicts
        .iter()
        .map(|r| {
            let (significance, p) = match r.method {
                Method::MannWhitney { p_value } if p_value < cfg.alpha => {
                    ("significant", Some(p_value))
                }
                Method::MannWhitney { p_value } => ("not significant", Some(p_value)),
                Method::Threshold => ("no samples: threshold only", None),
            };
            let change = relative_change(r.baseline_value, r.current_value).map(percent);
            let class = match r.state {
                RegressionState::Regressed => "bad",
                RegressionState::Improved => "ok",
                RegressionState::WithinNoise => "waived",
                RegressionState::Unchanged | RegressionState::NotComparable => "missing",
            };
            json!({
                "metric": r.metric, "unit": r.unit, "direction": r.direction,
                "path": ev.slugs.get(&r.metric).map(|s| metric_path(s)),
                "old": r.baseline_value, "new": r.current_value, "change": change,
                "worse_by": r.worse_by.map(percent), "threshold": percent(r.threshold),
                "state": r.state, "reason": r.reason,
                "class": class, "significance": significance, "p_value": p,
            })
        })
        .collect();
    let compared: BTreeSet<&str> = verdicts.iter().map(|r| r.metric.as_str()).collect();
    let names = |run: &Run| -> BTreeSet<String> {
        run.records
            .iter()
            .flat_map(|r| r.record.metrics.iter().map(|m| m.name.clone()))
            .collect()
    };
    let (na, nb) = (names(a), names(b));
    let only_new: Vec<&String> = na.difference(&nb).collect();
    let only_old: Vec<&String> = nb.difference(&na).collect();
    let ignored: Vec<&String> = na
        .intersection(&nb)
        .filter(|m| !compared.contains(m.as_str()))
        .collect();
    json!({
        "title": format!("Compare {} with {}", a.id, b.id),
        "new": run_summary(a), "old": run_summary(b),
        "alpha": cfg.alpha, "rows": rows,
        "not_comparable": testbed::not_comparable(&b.info.environment, &a.info.environment),
        "only_new": only_new, "only_old": only_old, "ignored": ignored,
    })
}

//! Metric pages: an index of every measured metric (latest value, change vs baseline, regression
//! state) and one page per metric.
//!
//! Steps per metric page: take the metric's series (one point per run that measured it, oldest
//! first) → the baseline value (the point measured in the baseline run) → the gate threshold
//! band from the criteria that compare this metric (their thresholds as evaluated, so relative
//! bounds are already resolved) → markers where an accepted ADR claiming this metric was
//! accepted → the trend chart → a histogram of the newest raw samples,
//! when there are samples → the points with each record's sha256, newest first (all of them in
//! `data.json`; the page's table shows the newest [`TABLE_ROWS`]).

use std::collections::HashMap;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::model::adr::Adr;
use crate::site::context::Shared;
use crate::site::job::{Measurement, PageJob};
use crate::site::load::evidence::{Acceptance, Evidence, Series, split_at};
use crate::site::render::charts::{self, Marker, TrendChart, TrendPoint};
use crate::site::urls::{adr_path, metric_path};
use crate::site::view::{change, criterion_json};

/// Bins of the latency histogram.
const HISTOGRAM_BINS: usize = 24;

/// Rows of the measurements table on a metric page: the newest ones. Every measurement stays in
/// the page's `data.json` (`points`), so the HTML page stays small and quick to render however
/// long the history grows, while nothing is lost for machines or auditors.
pub const TABLE_ROWS: usize = 100;

/// The metrics index and one page per metric.
pub fn metric_pages(
    shared: &Shared,
    ev: &Evidence,
    adrs: &[Adr],
    accepted: &HashMap<String, Acceptance>,
) -> Result<Vec<PageJob>> {
    let baseline_idx = ev.eval.baseline.as_deref().and_then(|b| ev.run_index(b));
    let series: Vec<&Series> = ev.series.values().collect();
    let mut jobs: Vec<PageJob> = series
        .par_iter()
        .map(|s| metric_page(shared, ev, s, baseline_idx, adrs, accepted))
        .collect::<Result<_>>()?;
    let rows: Vec<Value> = series
        .iter()
        .map(|s| {
            let latest = s.points.last();
            let base = baseline_value(s, baseline_idx);
            let regression = ev.eval.regressions.iter().find(|r| r.metric == s.name);
            json!({
                "name": s.name,
                "path": ev.slugs.get(&s.name).map(|p| metric_path(p)),
                "unit": s.unit,
                "direction": s.direction,
                "latest": latest.map(|p| p.value),
                "latest_run": latest.map(|p| p.run_id.as_str()),
                "baseline": base,
                "change": change(base, latest.map(|p| p.value)),
                "state": regression.map(|r| r.state),
                "reason": regression.and_then(|r| r.reason.as_deref()),
                "points": s.points.len(),
            })
        })
        .collect();
    jobs.push(shared.job(
        "metrics".into(),
        "metrics_index.html",
        "metrics",
        json!({"title": "Metrics", "metrics": rows, "baseline": ev.eval.baseline}),
    ));
    Ok(jobs)
}

fn baseline_value(s: &Series, baseline_idx: Option<usize>) -> Option<f64> {
    let b = baseline_idx?;
    s.points.iter().find(|p| p.run == b).map(|p| p.value)
}

/// The band the gate accepts, from the first criterion comparison on this metric that has a
/// resolved threshold: `>=`/`>` accept at or above it, `<=`/`<` at or below it.
fn threshold_band(ev: &Evidence, s: &Series) -> Option<(f64, f64, String)> {
    let values = s.points.iter().map(|p| p.value);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    for c in &ev.eval.criteria {
        for cmp in c.comparisons.iter().filter(|m| m.metric == s.name) {
            let Some(t) = cmp.threshold else { continue };
            let span = (hi.max(t) - lo.min(t)).abs().max(t.abs() * 0.1).max(1e-9);
            if cmp.expression.contains('>') {
                return Some((t, hi.max(t) + span * 0.1, c.id.clone()));
            }
            if cmp.expression.contains('<') {
                return Some((lo.min(t) - span * 0.1, t, c.id.clone()));
            }
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn metric_page(
    shared: &Shared,
    ev: &Evidence,
    s: &Series,
    baseline_idx: Option<usize>,
    adrs: &[Adr],
    accepted: &HashMap<String, Acceptance>,
) -> Result<PageJob> {
    let slug = ev.slugs.get(&s.name).cloned().unwrap_or_default();
    let path = metric_path(&slug);
    let baseline = baseline_value(s, baseline_idx);
    let band = threshold_band(ev, s);
    let mut markers = Vec::new();
    let mut adr_rows = Vec::new();
    for adr in adrs
        .iter()
        .filter(|a| a.meta.claims.metrics.contains(&s.name))
    {
        let acc = accepted.get(&adr.meta.id);
        if let Some(acc) = acc {
            let first_after = split_at(ev, acc.time);
            if let Some(index) = s.points.iter().position(|p| p.run >= first_after) {
                markers.push(Marker {
                    index,
                    label: adr.meta.id.clone(),
                });
            }
        }
        adr_rows.push(json!({
            "id": adr.meta.id, "title": adr.meta.title, "status": adr.meta.status.as_str(),
            "path": adr_path(&adr.meta.id),
            "accepted_at": acc.map(|a| a.time.to_rfc3339()), "accepted_commit": acc.and_then(|a| a.commit.clone()),
        }));
    }
    let chart = TrendChart {
        title: s.name.clone(),
        unit: s.unit.clone(),
        points: s
            .points
            .iter()
            .map(|p| TrendPoint {
                label: p.commit.clone(),
                value: p.value,
                low: p.low,
                high: p.high,
            })
            .collect(),
        baseline,
        threshold: band.as_ref().map(|(lo, hi, _)| (*lo, *hi)),
        markers,
    };
    // Charts are drawn, not cached: a metric's chart changes with each of its measurements, so
    // a cached chart would almost never be read again, and drawing one takes about a
    // millisecond at 1,000 points.
    let trend = charts::trend_svg(&chart)?;
    let newest_samples = s.points.last().and_then(|p| {
        let run = ev.runs.get(p.run)?;
        run.records
            .iter()
            .flat_map(|r| &r.record.metrics)
            .find(|m| m.name == s.name && !m.samples.is_empty())
            .map(|m| (m.samples.clone(), p.run_id.clone()))
    });
    let histogram = match &newest_samples {
        Some((samples, run)) => {
            let title = format!("{} samples in {run}", s.name);
            Some(charts::histogram_svg(
                &title,
                &s.unit,
                samples,
                HISTOGRAM_BINS,
            )?)
        }
        None => None,
    };
    let criteria: Vec<Value> = ev
        .eval
        .criteria
        .iter()
        .filter(|c| c.comparisons.iter().any(|m| m.metric == s.name))
        .map(|c| criterion_json(c, ev))
        .collect();
    let measurements: Vec<Measurement> = s
        .points
        .iter()
        .rev()
        .map(|p| Measurement {
            check: p
                .record
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string),
            commit: p.commit.clone(),
            high: p.high,
            low: p.low,
            run: p.run_id.clone(),
            samples: p.samples,
            short: crate::util::ids::short_sha256(&p.sha256).to_string(),
            sha256: p.sha256.clone(),
            value: p.value,
        })
        .collect();
    let points = serde_json::to_value(&measurements[..measurements.len().min(TABLE_ROWS)])?;
    Ok(shared
        .job(
            path,
            "metric.html",
            "metrics",
            json!({
                "title": format!("Metric {}", s.name),
                "name": s.name,
                "unit": s.unit,
                "direction": s.direction,
                // The measurements table shows these columns only when some point fills them.
                "has_ci": s.points.iter().any(|p| p.low.is_some()),
                "has_samples": s.points.iter().any(|p| p.samples > 0),
                "latest": s.points.last().map(|p| p.value),
                "baseline": baseline,
                "baseline_run": ev.eval.baseline,
                "change": change(baseline, s.points.last().map(|p| p.value)),
                "band": band.map(|(lo, hi, by)| json!({"low": lo, "high": hi, "criterion": by})),
                "trend_svg": trend,
                "histogram_svg": histogram,
                "histogram_run": newest_samples.map(|(_, r)| r),
                "criteria": criteria,
                "adrs": adr_rows,
                "points": points,
                "points_total": measurements.len(),
                "table_rows": TABLE_ROWS,
            }),
        )
        .with_measurements(measurements))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::render::templates::Templates;

    #[test]
    fn table_shows_the_newest_rows_and_points_to_data_json() {
        let dir = std::path::Path::new("/nonexistent/templates");
        let t = Templates::load(&crate::util::repofs::Repo::open(dir), dir).expect("defaults");
        let page = |n: usize| {
            let points: Vec<Value> = (0..n)
                .rev()
                .map(|i| {
                    json!({"run": format!("run-{i:04}"), "commit": "c", "value": i, "low": null,
                           "high": null, "samples": 0, "sha256": "ab", "short": "ab", "check": "x"})
                })
                .collect();
            let ctx = json!({"name": "m", "unit": "ms", "direction": "lower_is_better",
                             "latest": 1.0, "baseline": null, "change": null, "band": null,
                             "histogram_svg": null, "trend_svg": "<svg></svg>", "criteria": [],
                             "adrs": [], "points_total": points.len(), "table_rows": TABLE_ROWS,
                             "points": points.into_iter().take(TABLE_ROWS).collect::<Vec<_>>()});
            t.render_body("metric.html", &ctx).expect("renders")
        };
        let long = page(TABLE_ROWS + 50);
        assert_eq!(long.matches("<tr><td>").count(), TABLE_ROWS);
        let newest = format!("run-{:04}", TABLE_ROWS + 49);
        let oldest_shown = format!("run-{:04}", 50);
        assert!(long.contains(&newest) && long.contains(&oldest_shown));
        assert!(
            !long.contains("run-0049/"),
            "older rows are left to data.json"
        );
        assert!(
            long.contains("href=\"data.json\""),
            "the note links the full data"
        );
        let short = page(3);
        assert_eq!(short.matches("<tr><td>").count(), 3);
        assert!(
            !short.contains("href=\"data.json\""),
            "no note when every row is shown"
        );
    }
}

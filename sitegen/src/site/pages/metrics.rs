//! Metric pages: an index of every measured metric (latest value, change vs baseline, regression
//! state, the criteria it feeds), grouped by area ([`crate::site::areas`]), and one page per
//! metric.
//!
//! Steps per metric page: take the metric's series (one point per run that measured it, oldest
//! first) → the baseline value (the point measured in the baseline run) → the threshold of
//! every criterion comparison on this metric (as evaluated, so relative bounds are already
//! resolved), each labelled with its criterion → markers where an accepted ADR claiming this metric was
//! accepted → the trend chart → a histogram of the newest raw samples,
//! when there are samples → the points with each record's sha256, newest first (all of them in
//! `data.json`; the page's table shows the newest [`TABLE_ROWS`]).

use std::collections::HashMap;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::evaluate::stats::percentile;
use crate::model::adr::Adr;
use crate::site::areas;
use crate::site::context::Shared;
use crate::site::job::{Measurement, PageJob};
use crate::site::load::evidence::{Acceptance, Evidence, Series, SeriesPoint, split_at};
use crate::site::render::charts::{self, Interval, Marker, Threshold, TrendChart, TrendPoint};
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
                "spark": charts::sparkline_svg(&s.name, &s.unit, &s.points.iter().map(|p| p.value).collect::<Vec<_>>()),
                "criteria": ev.eval.criteria.iter()
                    .filter(|c| c.comparisons.iter().any(|m| m.metric == s.name))
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let total = rows.len();
    jobs.push(shared.job(
        "metrics".into(),
        "metrics_index.html",
        "metrics",
        json!({"title": "Metrics", "areas": group_by_area(rows), "total": total,
               "baseline": ev.eval.baseline}),
    ));
    Ok(jobs)
}

/// Index rows (each with a `name`) grouped by area, areas in display order, rows in their given
/// order within an area; empty areas are left out.
fn group_by_area(rows: Vec<Value>) -> Vec<Value> {
    let mut groups: Vec<(&'static areas::Area, Vec<Value>)> = Vec::new();
    for row in rows {
        let area = areas::area_of(row["name"].as_str().unwrap_or_default());
        match groups.iter_mut().find(|(a, _)| a.id == area.id) {
            Some((_, list)) => list.push(row),
            None => groups.push((area, vec![row])),
        }
    }
    groups.sort_by_key(|(a, _)| areas::rank(a));
    groups
        .into_iter()
        .map(|(a, metrics)| json!({"id": a.id, "title": a.title, "prefixes": a.prefixes, "metrics": metrics}))
        .collect()
}

fn baseline_value(s: &Series, baseline_idx: Option<usize>) -> Option<f64> {
    let b = baseline_idx?;
    s.points.iter().find(|p| p.run == b).map(|p| p.value)
}

/// The comparison operator of `expression` (`>=`, `<=`, `==`, `>`, `<`), when it has one.
fn operator(expression: &str) -> Option<&'static str> {
    [">=", "<=", "==", ">", "<"]
        .into_iter()
        .find(|op| expression.contains(op))
}

/// Every criterion comparison on this metric that has a resolved threshold, in plan order:
/// the chart's threshold lines and the lede's statement of them.
fn thresholds(ev: &Evidence, s: &Series) -> Vec<(Threshold, String)> {
    let mut out = Vec::new();
    for c in &ev.eval.criteria {
        for cmp in c.comparisons.iter().filter(|m| m.metric == s.name) {
            let (Some(t), Some(op)) = (cmp.threshold, operator(&cmp.expression)) else {
                continue;
            };
            let text = threshold_text(&cmp.expression, op, t, &s.unit);
            let threshold = Threshold {
                criterion: c.id.clone(),
                op: op.to_string(),
                value: t,
            };
            if !out.iter().any(|(o, _)| o == &threshold) {
                out.push((threshold, text));
            }
        }
    }
    out
}

/// A threshold as the lede states it: the bound as written, and its resolved value when the
/// bound is relative (`≥ 1.2 × baseline = 9,643 ops/s`) or another metric; an absolute bound
/// is just its value with the unit (`≤ 250 ms`). Values are written as the rest of the page
/// writes them ([`quantity`](crate::site::render::format::quantity)).
fn threshold_text(expression: &str, op: &str, value: f64, unit: &str) -> String {
    let bound = expression
        .split_once(op)
        .map(|(_, b)| b.trim())
        .unwrap_or_default();
    let resolved = crate::site::render::format::quantity(value, unit);
    let symbol = charts::trend::op_symbol(op);
    if bound.is_empty() || bound.parse::<f64>().is_ok() {
        format!("{symbol} {resolved}")
    } else {
        format!("{symbol} {bound} = {resolved}")
    }
}

/// Least samples for an interquartile bar.
const IQR_MIN_SAMPLES: usize = 4;

/// A point's bar: the recorded confidence interval, else the interquartile range of its raw
/// samples (at least [`IQR_MIN_SAMPLES`]), else none.
fn bar(ev: &Evidence, s: &Series, p: &SeriesPoint) -> TrendPoint {
    if p.low.is_some() && p.high.is_some() {
        return TrendPoint {
            low: p.low,
            high: p.high,
            ..Default::default()
        };
    }
    if p.samples < IQR_MIN_SAMPLES {
        return TrendPoint::default();
    }
    let samples = ev.runs.get(p.run).and_then(|run| {
        run.records
            .iter()
            .filter(|r| r.path == p.record)
            .flat_map(|r| &r.record.metrics)
            .find(|m| m.name == s.name)
            .map(|m| &m.samples)
    });
    let Some(samples) = samples else {
        return TrendPoint::default();
    };
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    TrendPoint {
        low: percentile(&sorted, 0.25),
        high: percentile(&sorted, 0.75),
        interval: Interval::SampleIqr,
        ..Default::default()
    }
}

/// What the trend chart draws, for its caption: only layers that are there.
fn chart_layers(chart: &TrendChart) -> Vec<String> {
    let mut out =
        vec!["each run's value as a point (hover for value, run, commit and date)".to_string()];
    let n = chart.points.len();
    let bars = |kind: Interval| {
        chart
            .points
            .iter()
            .filter(|p| p.low.is_some() && p.high.is_some() && p.interval == kind)
            .count()
    };
    let recorded = bars(Interval::Recorded);
    if recorded > 0 {
        out.push(format!(
            "as a bar, the confidence interval recorded with the measurement (ci_lower–ci_upper) on {recorded} of {n} points"
        ));
    }
    let iqr = bars(Interval::SampleIqr);
    if iqr > 0 {
        out.push(format!(
            "as a bar, the interquartile range of the raw samples (25th–75th percentile) on {iqr} of {n} points recorded without an interval"
        ));
    }
    if chart.baseline.is_some() {
        out.push("the baseline run's value as a dashed grey line".into());
    }
    if !chart.thresholds.is_empty() {
        out.push(
            "each criterion's threshold as a dashed green line labelled with its id, or an arrow at the edge when it lies far outside the data"
                .into(),
        );
    }
    if !chart.markers.is_empty() {
        out.push("ADR acceptances as red lines".into());
    }
    out
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
    let thresholds = thresholds(ev, s);
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
                run: p.run_id.clone(),
                date: ev
                    .runs
                    .get(p.run)
                    .map(|r| r.info.started_at.chars().take(10).collect())
                    .unwrap_or_default(),
                value: p.value,
                ..bar(ev, s, p)
            })
            .collect(),
        baseline,
        thresholds: thresholds.iter().map(|(t, _)| t.clone()).collect(),
        markers,
    };
    let layers = chart_layers(&chart);
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
                "thresholds": thresholds.iter().map(|(t, text)| json!({"criterion": t.criterion, "text": text})).collect::<Vec<_>>(),
                "chart_layers": layers,
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
    fn the_caption_names_only_what_is_drawn() {
        let point = |bar: Option<Interval>| TrendPoint {
            value: 1.0,
            low: bar.map(|_| 0.5),
            high: bar.map(|_| 1.5),
            interval: bar.unwrap_or_default(),
            ..Default::default()
        };
        let mut chart = TrendChart {
            points: vec![point(None), point(None)],
            ..Default::default()
        };
        let plain = chart_layers(&chart).join("; ");
        for absent in ["bar", "baseline", "threshold", "ADR"] {
            assert!(!plain.contains(absent), "{absent} in {plain}");
        }
        chart.points = vec![
            point(Some(Interval::Recorded)),
            point(Some(Interval::SampleIqr)),
            point(None),
        ];
        chart.baseline = Some(1.0);
        let full = chart_layers(&chart).join("; ");
        assert!(
            full.contains("(ci_lower–ci_upper) on 1 of 3 points"),
            "{full}"
        );
        assert!(
            full.contains(
                "interquartile range of the raw samples (25th–75th percentile) on 1 of 3"
            )
        );
        assert!(full.contains("baseline") && !full.contains("threshold"));
    }

    #[test]
    fn thresholds_state_the_bound_and_its_resolved_value() {
        assert_eq!(operator("oltp.tps >= 1.2 × baseline"), Some(">="));
        assert_eq!(operator("lat < 5"), Some("<"));
        assert_eq!(operator("ok"), None);
        assert_eq!(
            threshold_text("oltp.tps >= 1.2 × baseline", ">=", 9643.2, "ops/s"),
            "≥ 1.2 × baseline = 9,643 ops/s"
        );
        assert_eq!(threshold_text("rto_s <= 10", "<=", 10.0, "s"), "≤ 10.0 s");
        assert_eq!(
            threshold_text("a.p99 <= b.p99", "<=", 1500.0, "µs"),
            "≤ b.p99 = 1.50 ms"
        );
    }

    #[test]
    fn index_groups_rows_by_area_in_display_order() {
        let rows = [
            "zzz.odd",
            "oltp.tps",
            "engine.scan.keys_per_sec",
            "oltp.retries",
        ]
        .iter()
        .map(|n| json!({"name": n}))
        .collect();
        let groups = group_by_area(rows);
        let ids: Vec<&str> = groups
            .iter()
            .map(|g| g["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, ["storage", "oltp", "other"]);
        let oltp: Vec<&str> = groups[1]["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .map(|m| m["name"].as_str().expect("name"))
            .collect();
        assert_eq!(
            oltp,
            ["oltp.tps", "oltp.retries"],
            "order kept within an area"
        );
    }

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
                             "latest": 1.0, "baseline": null, "change": null, "thresholds": [], "chart_layers": [],
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

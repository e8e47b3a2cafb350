//! The trend chart of a metric, written by hand (one path or polyline per layer): series run to
//! thousands of points.

use anyhow::{Result, bail};
use serde::Serialize;

use super::*;

/// One point of a trend: a commit (or run) and its measured value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// X-axis label (short commit id or run id).
    pub label: String,
    /// The measured value.
    pub value: f64,
    /// Lower confidence bound, where samples exist.
    pub low: Option<f64>,
    /// Upper confidence bound, where samples exist.
    pub high: Option<f64>,
}

/// A labelled vertical marker (an ADR accepted at that point).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// Index into the points.
    pub index: usize,
    /// Label, e.g. `ADR-0004`.
    pub label: String,
}

/// Everything a trend chart shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrendChart {
    /// Chart title (the metric name); also the accessible name.
    pub title: String,
    /// Unit of the values, shown on the y axis.
    pub unit: String,
    /// The series, oldest first.
    pub points: Vec<TrendPoint>,
    /// Baseline value, drawn as a horizontal line.
    pub baseline: Option<f64>,
    /// Acceptable range `(low, high)`, drawn as a band.
    pub threshold: Option<(f64, f64)>,
    /// ADR markers.
    pub markers: Vec<Marker>,
}

/// Renders a trend chart as an SVG document.
pub fn trend_svg(chart: &TrendChart) -> Result<String> {
    if chart.points.is_empty() {
        bail!("chart `{}`: no points to draw", chart.title);
    }
    let mut values: Vec<f64> = Vec::new();
    for p in &chart.points {
        values.push(p.value);
        values.extend(p.low);
        values.extend(p.high);
    }
    values.extend(chart.baseline);
    if let Some((lo, hi)) = chart.threshold {
        values.extend([lo, hi]);
    }
    if values.iter().any(|v| !v.is_finite()) {
        bail!("chart `{}`: a value is not a finite number", chart.title);
    }
    if let Some(m) = chart.markers.iter().find(|m| m.index >= chart.points.len()) {
        bail!(
            "chart `{}`: marker `{}` points past the last point",
            chart.title,
            m.label
        );
    }
    let total = chart.points.len();
    let chart = &bounded_trend(chart);
    let values: Vec<f64> = values.into_iter().map(bound).collect();
    let (ymin, ymax) = padded_range(&values);
    let mut description = describe_trend(chart);
    if total > chart.points.len() {
        description.push_str(&format!(
            "; the newest {} of {total} points are drawn",
            chart.points.len()
        ));
    }
    Ok(accessible(draw_trend(chart, ymin, ymax), &description))
}

/// The part of `chart` that is drawn: its newest [`MAX_TREND_POINTS`] points (markers
/// re-indexed, older ones dropped) with every value [`bound`]ed.
fn bounded_trend(chart: &TrendChart) -> TrendChart {
    let skip = chart.points.len().saturating_sub(MAX_TREND_POINTS);
    TrendChart {
        title: chart.title.clone(),
        unit: chart.unit.clone(),
        points: chart.points[skip..]
            .iter()
            .map(|p| TrendPoint {
                label: p.label.clone(),
                value: bound(p.value),
                low: p.low.map(bound),
                high: p.high.map(bound),
            })
            .collect(),
        baseline: chart.baseline.map(bound),
        threshold: chart.threshold.map(|(lo, hi)| (bound(lo), bound(hi))),
        markers: chart
            .markers
            .iter()
            .filter(|m| m.index >= skip)
            .map(|m| Marker {
                index: m.index - skip,
                label: m.label.clone(),
            })
            .collect(),
    }
}

/// Plot area of the trend chart: left, top, right, bottom edges in SVG units.
pub(super) const PLOT: (f64, f64, f64, f64) = (76.0, 40.0, 708.0, 284.0);

/// Writes the trend chart's SVG by hand: one path or polyline per layer, so the document stays
/// small (about 50 bytes per point) and quick to produce for series of thousands of points.
/// Layers in drawing order: background, title, y grid and labels, x labels, threshold band,
/// baseline, confidence bars, value line, points, ADR markers.
fn draw_trend(chart: &TrendChart, ymin: f64, ymax: f64) -> String {
    use std::fmt::Write as _;
    let (left, top, right, bottom) = PLOT;
    let n = chart.points.len();
    // x spans -0.5 ..= n - 0.5 so every point has half a slot either side.
    let xs = (right - left) / n as f64;
    let x = |i: f64| left + (i + 0.5) * xs;
    let y = |v: f64| bottom - (v - ymin) / (ymax - ymin) * (bottom - top);
    let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    let (w, h) = SIZE;
    let mut o = String::with_capacity(2048 + n * 48);
    // `write!` to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        o,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n\
         <text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"15\">{}</text>\n",
        f64::from(w) / 2.0,
        escape(&chart.title)
    );
    // Y axis: five evenly spaced ticks with light grid lines, the unit written sideways.
    o.push_str("<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#000000\">\n");
    for k in 0..=4 {
        let v = ymin + (ymax - ymin) * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = writeln!(
            o,
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\" stroke=\"#000000\" stroke-opacity=\"0.1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            yy + 4.0,
            tick_label(v, ymax - ymin)
        );
    }
    let mid = (top + bottom) / 2.0;
    let _ = writeln!(
        o,
        "<text x=\"14\" y=\"{mid:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {mid:.1})\">{}</text>",
        escape(&chart.unit)
    );
    // X axis: up to 12 point labels, evenly spread, first and last included.
    let labels = n.min(12);
    let mut last_label = usize::MAX;
    for k in 0..labels {
        let i = if labels == 1 {
            0
        } else {
            k * (n - 1) / (labels - 1)
        };
        if i == last_label {
            continue;
        }
        last_label = i;
        if let Some(p) = chart.points.get(i) {
            // The newest label ends at its point when it would overhang the chart's right edge.
            let anchor = if n > 1 && i == n - 1 && right - x(i as f64) < 30.0 {
                "end"
            } else {
                "middle"
            };
            let _ = writeln!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                x(i as f64),
                bottom + 16.0,
                escape(&p.label)
            );
        }
    }
    let _ = write!(
        o,
        "<path d=\"M{left} {top}V{bottom}H{right}\" fill=\"none\" stroke=\"#000000\"/>\n</g>\n"
    );
    if let Some((lo, hi)) = chart.threshold {
        let _ = writeln!(
            o,
            "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"0.12\"/>",
            y(hi),
            right - left,
            (y(lo) - y(hi)).max(0.0),
            hex(BAND)
        );
    }
    if let Some(b) = chart.baseline {
        let _ = writeln!(
            o,
            "<line x1=\"{left}\" y1=\"{yb:.1}\" x2=\"{right}\" y2=\"{yb:.1}\" stroke=\"{}\" stroke-width=\"2\"/>",
            hex(BASELINE),
            yb = y(b)
        );
    }
    // Confidence bars: a vertical stroke with a cap at each end, all in one path.
    let cap = (xs * 0.24).clamp(0.5, 6.0);
    let mut bars = String::new();
    for (i, p) in chart.points.iter().enumerate() {
        if let (Some(lo), Some(hi)) = (p.low, p.high) {
            let (xx, l, h) = (x(i as f64), y(lo), y(hi));
            let _ = write!(
                bars,
                "M{:.1} {l:.1}h{:.1}m{:.1} 0V{h:.1}m{:.1} 0h{:.1}",
                xx - cap,
                2.0 * cap,
                -cap,
                -cap,
                2.0 * cap
            );
        }
    }
    if !bars.is_empty() {
        let _ = writeln!(
            o,
            "<path d=\"{bars}\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.6\"/>",
            hex(LINE)
        );
    }
    let line = hex(LINE);
    let _ = write!(
        o,
        "<polyline fill=\"none\" stroke=\"{line}\" stroke-width=\"2\" points=\""
    );
    for (i, p) in chart.points.iter().enumerate() {
        let _ = write!(o, "{:.1},{:.1} ", x(i as f64), y(p.value));
    }
    let _ = write!(o, "\"/>\n<g fill=\"{line}\">");
    for (i, p) in chart.points.iter().enumerate() {
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"/>",
            x(i as f64),
            y(p.value)
        );
    }
    o.push_str("</g>\n");
    let marker = hex(MARKER);
    for m in &chart.markers {
        let xx = x(m.index as f64);
        let _ = writeln!(
            o,
            "<line x1=\"{xx:.1}\" y1=\"{top}\" x2=\"{xx:.1}\" y2=\"{bottom}\" stroke=\"{marker}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"12\" fill=\"{marker}\">{}</text>",
            xx + 3.0,
            top + 10.0,
            escape(&m.label)
        );
    }
    o.push_str("</svg>\n");
    o
}

/// A y tick label with as many decimals as the axis span needs (at most 4 significant
/// digits beyond it).
fn tick_label(v: f64, span: f64) -> String {
    if v.abs() >= 1e15 {
        return format!("{v:.3e}");
    }
    let decimals = if span > 0.0 {
        (2.0 - span.log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        2
    };
    format!("{v:.decimals$}")
}

fn describe_trend(chart: &TrendChart) -> String {
    let last = chart.points.last().map(|p| p.value).unwrap_or(f64::NAN);
    let mut d = format!(
        "Trend of {} over {} points; latest {last} {}",
        chart.title,
        chart.points.len(),
        chart.unit
    );
    if let Some(b) = chart.baseline {
        d.push_str(&format!("; baseline {b}"));
    }
    if let Some((lo, hi)) = chart.threshold {
        d.push_str(&format!("; acceptable range {lo} to {hi}"));
    }
    d
}

//! The trend chart of a metric, written by hand (one path or polyline per layer): series run to
//! thousands of points.
//!
//! The y axis is fitted to the data ([`Axis::fit`]); each criterion threshold and the baseline
//! is a labelled horizontal line when near the data, or a labelled arrow at the edge it lies
//! beyond. The x axis labels a few points with their short commit and run date; every point
//! has a `<title>` tooltip (value with unit, run, commit, date).

use anyhow::{Result, bail};
use serde::Serialize;

use super::scale::{Axis, Placement};
use super::*;
use crate::site::render::format::axis::AxisFormat;
use crate::site::render::format::quantity;

/// One point of a trend: a run's measured value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Short commit id the run measured.
    pub label: String,
    /// Run id.
    pub run: String,
    /// Date of the run (`YYYY-MM-DD`), empty when unknown.
    pub date: String,
    /// The measured value.
    pub value: f64,
    /// Lower confidence bound, where recorded.
    pub low: Option<f64>,
    /// Upper confidence bound, where recorded.
    pub high: Option<f64>,
    /// What `low`–`high` is, named in the tooltip.
    pub interval: Interval,
}

/// What a point's bar (`low`–`high`) shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// The confidence interval recorded with the measurement (`ci_lower`–`ci_upper`).
    #[default]
    Recorded,
    /// The interquartile range (25th–75th percentile, nearest rank) of the raw samples, for a
    /// measurement recorded without an interval.
    SampleIqr,
}

impl Interval {
    /// Its name in tooltips.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Recorded => "CI",
            Interval::SampleIqr => "IQR",
        }
    }
}

/// A labelled vertical marker (an ADR accepted at that point).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// Index into the points.
    pub index: usize,
    /// Label, e.g. `ADR-0004`.
    pub label: String,
}

/// A criterion's threshold on this metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The criterion id, the line's label.
    pub criterion: String,
    /// The comparison operator (`>=`, `<=`, `>`, `<`, `==`).
    pub op: String,
    /// The resolved bound.
    pub value: f64,
}

/// Everything a trend chart shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrendChart {
    /// Chart title (the metric name); the accessible name.
    pub title: String,
    /// Unit of the values.
    pub unit: String,
    /// The series, oldest first.
    pub points: Vec<TrendPoint>,
    /// Baseline value, drawn as a labelled dashed line.
    pub baseline: Option<f64>,
    /// Thresholds of every criterion comparing this metric.
    pub thresholds: Vec<Threshold>,
    /// ADR markers.
    pub markers: Vec<Marker>,
}

/// The operator as shown (`≥` for `>=`).
pub fn op_symbol(op: &str) -> &str {
    match op {
        ">=" => "≥",
        "<=" => "≤",
        "==" => "=",
        other => other,
    }
}

/// Renders a trend chart as an SVG document.
pub fn trend_svg(chart: &TrendChart) -> Result<String> {
    if chart.points.is_empty() {
        bail!("chart `{}`: no points to draw", chart.title);
    }
    let finite = chart.points.iter().all(|p| {
        p.value.is_finite() && p.low.is_none_or(f64::is_finite) && p.high.is_none_or(f64::is_finite)
    }) && chart.baseline.is_none_or(f64::is_finite)
        && chart.thresholds.iter().all(|t| t.value.is_finite());
    if !finite {
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
    let mut description = describe_trend(chart);
    if total > chart.points.len() {
        description.push_str(&format!(
            "; the newest {} of {total} points are drawn",
            chart.points.len()
        ));
    }
    Ok(accessible(draw_trend(chart), &description))
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
                value: bound(p.value),
                low: p.low.map(bound),
                high: p.high.map(bound),
                ..p.clone()
            })
            .collect(),
        baseline: chart.baseline.map(bound),
        thresholds: chart
            .thresholds
            .iter()
            .map(|t| Threshold {
                value: bound(t.value),
                ..t.clone()
            })
            .collect(),
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

/// The axis of a (bounded) trend: fitted to values and confidence bounds, extended to the
/// thresholds and baseline near them; never negative when no value is, whole-number steps when
/// every value is a whole number.
pub fn trend_axis(chart: &TrendChart) -> Axis {
    let mut data = Vec::with_capacity(chart.points.len() * 3);
    for p in &chart.points {
        data.push(p.value);
        data.extend(p.low);
        data.extend(p.high);
    }
    let mut refs: Vec<f64> = chart.thresholds.iter().map(|t| t.value).collect();
    refs.extend(chart.baseline);
    let non_negative = data.iter().all(|&v| v >= 0.0);
    let integer = data.iter().all(|v| v.fract() == 0.0);
    Axis::fit(&data, &refs, non_negative, integer)
}

/// Width and height of the trend's viewBox.
pub const VIEW: (f64, f64) = (640.0, 340.0);

/// Plot area of the trend chart: left, top, right, bottom edges in viewBox units (room for
/// labels at the narrow-screen font size of [`STYLE`]).
pub(super) const PLOT: (f64, f64, f64, f64) = (92.0, 44.0, 624.0, 270.0);

/// Most x labels (every other one is hidden on narrow screens).
const X_LABELS: usize = 8;

/// Indices of the points that get an x label: at most [`X_LABELS`], evenly spread, the first
/// and the newest included.
pub fn x_label_indices(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let k = n.min(X_LABELS);
    if k == 1 {
        return vec![0];
    }
    let mut out: Vec<usize> = (0..k).map(|j| j * (n - 1) / (k - 1)).collect();
    out.dedup();
    out
}

/// A point's tooltip: value with unit, run, commit and date.
pub fn tooltip(p: &TrendPoint, unit: &str) -> String {
    let mut t = quantity(p.value, unit);
    if let (Some(lo), Some(hi)) = (p.low, p.high) {
        t.push_str(&format!(
            " ({} {} – {})",
            p.interval.as_str(),
            quantity(lo, unit),
            quantity(hi, unit)
        ));
    }
    t.push_str(&format!(" · run {} · commit {}", p.run, p.label));
    if !p.date.is_empty() {
        t.push_str(&format!(" · {}", p.date));
    }
    t
}

/// Writes the trend chart's SVG by hand: one path or polyline per layer, so the document stays
/// small and quick to produce for series of thousands of points.
/// Layers in drawing order: background, y grid and labels, x labels, thresholds, baseline,
/// confidence bars, value line, points with tooltips, ADR markers.
fn draw_trend(chart: &TrendChart) -> String {
    use std::fmt::Write as _;
    let (left, top, right, bottom) = PLOT;
    let (w, h) = VIEW;
    let n = chart.points.len();
    let axis = trend_axis(chart);
    let ticks = axis.ticks;
    let max_abs = ticks.max.abs().max(ticks.min.abs());
    let fmt = AxisFormat::new(&chart.unit, max_abs, ticks.step);
    // x spans -0.5 ..= n - 0.5 so every point has half a slot either side.
    let xs = (right - left) / n as f64;
    let x = |i: usize| left + (i as f64 + 0.5) * xs;
    let y = |v: f64| bottom - axis.fraction(v).clamp(0.0, 1.0) * (bottom - top);
    let mut o = String::with_capacity(4096 + n * 160);
    // `write!` to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        o,
        "<svg class=\"lc\" width=\"100%\" viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"xMidYMid meet\" xmlns=\"http://www.w3.org/2000/svg\">{STYLE}\n\
         <rect class=\"bg\" width=\"{w}\" height=\"{h}\"/>\n<g class=\"tx\">\n"
    );
    // The unit once, above the y labels.
    if !fmt.unit().is_empty() {
        let _ = writeln!(
            o,
            "<text x=\"4\" y=\"{:.0}\" class=\"mut\">{}</text>",
            top - 18.0,
            escape(fmt.unit())
        );
    }
    for v in ticks.values() {
        let yy = y(v);
        let _ = writeln!(
            o,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            yy + 4.0,
            fmt.tick(v)
        );
    }
    for (k, i) in x_label_indices(n).into_iter().enumerate() {
        let p = &chart.points[i];
        let anchor = if n > 1 && i == n - 1 && right - x(i) < 40.0 {
            "end"
        } else if i == 0 && x(i) - left < 40.0 {
            "start"
        } else {
            "middle"
        };
        // Every other label (never the newest) is hidden on narrow screens.
        let class = if k % 2 == 1 && i != n - 1 {
            " class=\"x2\""
        } else {
            ""
        };
        let xx = x(i);
        let _ = write!(
            o,
            "<text{class} x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}",
            bottom + 20.0,
            escape(&p.label)
        );
        if !p.date.is_empty() {
            let _ = write!(
                o,
                "<tspan class=\"mut\" x=\"{xx:.1}\" dy=\"1.3em\">{}</tspan>",
                escape(&p.date)
            );
        }
        o.push_str("</text>\n");
    }
    let _ = write!(
        o,
        "<path class=\"axis\" d=\"M{left} {top}V{bottom}H{right}\"/>\n</g>\n"
    );
    // Reference lines: thresholds (labelled with the criterion) and the baseline. Labels of
    // lines close together are stacked so they do not overprint.
    let mut refs: Vec<(f64, String, &str)> = chart
        .thresholds
        .iter()
        .map(|t| {
            (
                t.value,
                format!(
                    "{} {} {}",
                    t.criterion,
                    op_symbol(&t.op),
                    quantity(t.value, &chart.unit)
                ),
                "thr",
            )
        })
        .collect();
    if let Some(b) = chart.baseline {
        refs.push((b, format!("baseline {}", quantity(b, &chart.unit)), "base"));
    }
    refs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut last_label_y = f64::NEG_INFINITY;
    for (v, text, class) in &refs {
        let (yy, text) = match axis.place(*v) {
            Placement::Inside => {
                let _ = writeln!(
                    o,
                    "<line class=\"{class}\" x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\"/>",
                    yy = y(*v)
                );
                (y(*v) - 5.0, escape(text))
            }
            Placement::Above => {
                let _ = writeln!(
                    o,
                    "<path class=\"{class} arrow\" d=\"M{:.1} {:.1}l6 -9l6 9z\"/>",
                    right - 14.0,
                    top + 10.0
                );
                (top + 16.0, format!("{} (above the axis)", escape(text)))
            }
            Placement::Below => {
                let _ = writeln!(
                    o,
                    "<path class=\"{class} arrow\" d=\"M{:.1} {:.1}l6 9l6 -9z\"/>",
                    right - 14.0,
                    bottom - 10.0
                );
                (bottom - 6.0, format!("{} (below the axis)", escape(text)))
            }
        };
        let yy = if yy < last_label_y + 16.0 {
            last_label_y + 16.0
        } else {
            yy
        };
        last_label_y = yy;
        let _ = writeln!(
            o,
            "<text class=\"{class} tx\" x=\"{:.1}\" y=\"{yy:.1}\" text-anchor=\"end\">{text}</text>",
            right - 18.0
        );
    }
    // Confidence bars: a vertical stroke with a cap at each end, all in one path.
    let cap = (xs * 0.24).clamp(0.5, 6.0);
    let mut bars = String::new();
    for (i, p) in chart.points.iter().enumerate() {
        if let (Some(lo), Some(hi)) = (p.low, p.high) {
            let (xx, l, h) = (x(i), y(lo), y(hi));
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
        let _ = writeln!(o, "<path class=\"ci\" d=\"{bars}\"/>");
    }
    o.push_str("<polyline class=\"line\" points=\"");
    for (i, p) in chart.points.iter().enumerate() {
        let _ = write!(o, "{:.1},{:.1} ", x(i), y(p.value));
    }
    o.push_str("\"/>\n<g class=\"pt\">");
    let r = (xs * 0.4).clamp(1.5, 3.5);
    for (i, p) in chart.points.iter().enumerate() {
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\"><title>{}</title></circle>",
            x(i),
            y(p.value),
            escape(&tooltip(p, &chart.unit))
        );
    }
    o.push_str("</g>\n");
    for m in &chart.markers {
        let xx = x(m.index);
        let _ = writeln!(
            o,
            "<line class=\"adr\" x1=\"{xx:.1}\" y1=\"{top}\" x2=\"{xx:.1}\" y2=\"{bottom}\"/>\
             <text class=\"adr tx\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            xx + 3.0,
            top - 4.0,
            escape(&m.label)
        );
    }
    o.push_str("</svg>\n");
    o
}

fn describe_trend(chart: &TrendChart) -> String {
    let last = chart.points.last().map(|p| p.value).unwrap_or(f64::NAN);
    let mut d = format!(
        "Trend of {} over {} points; latest {}",
        chart.title,
        chart.points.len(),
        quantity(last, &chart.unit)
    );
    if let Some(b) = chart.baseline {
        d.push_str(&format!("; baseline {}", quantity(b, &chart.unit)));
    }
    for t in &chart.thresholds {
        d.push_str(&format!(
            "; {} {} {}",
            t.criterion,
            op_symbol(&t.op),
            quantity(t.value, &chart.unit)
        ));
    }
    d
}

//! SVG charts: a metric trend and a sample histogram, readable without
//! JavaScript and self-contained (no fonts or external resources referenced).
//!
//! Steps for a trend: validate the series (finite values, at least one point) → compute the
//! y range over values, confidence bounds, baseline and threshold band, with a margin → draw
//! the threshold band, the baseline line, confidence bars, the value line and points, then the
//! ADR markers as labelled vertical lines → add an accessible `<title>` and `aria-label`.
//! The trend is written by hand (one path or polyline per layer), because metric series run to
//! thousands of points; the histogram, a few dozen bars, is drawn with plotters' SVG backend.
//!
//! # Bounded work
//!
//! Every finite number the ingest accepts must draw, and draw quickly. So:
//! - a value beyond ±[`VALUE_LIMIT`] is drawn at that limit ([`bound`]), which keeps every
//!   span, margin and coordinate finite (`1e308 - -1e308` would overflow);
//! - a trend draws at most [`MAX_TREND_POINTS`] points (the newest), with a fixed number of y
//!   ticks and x labels;
//! - a histogram's range is never narrower than [`MIN_SPAN`] or a [`MIN_RELATIVE_SPAN`]
//!   fraction of its magnitude (a narrower one is drawn as a single value): plotters' tick
//!   search loops forever on a range whose width is not finite, or so small that its tick step
//!   underflows, and it only ever sees ranges inside these bounds.

use anyhow::{Result, anyhow, bail};
use plotters::prelude::*;
use serde::Serialize;

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

/// Largest magnitude drawn; larger values are drawn at ±this limit.
pub const VALUE_LIMIT: f64 = 1e300;

/// Most points a trend chart draws: longer series show their newest points.
pub const MAX_TREND_POINTS: usize = 10_000;

/// Narrowest histogram range drawn as a range (absolute).
pub const MIN_SPAN: f64 = 1e-200;

/// Narrowest histogram range drawn as a range, relative to the largest magnitude in it.
pub const MIN_RELATIVE_SPAN: f64 = 1e-12;

/// `v` limited to ±[`VALUE_LIMIT`] (non-finite values are refused before this is used).
pub fn bound(v: f64) -> f64 {
    v.clamp(-VALUE_LIMIT, VALUE_LIMIT)
}

const SIZE: (u32, u32) = (720, 320);
const LINE: RGBColor = RGBColor(11, 92, 173);
const BASELINE: RGBColor = RGBColor(87, 96, 106);
const BAND: RGBColor = RGBColor(17, 99, 41);
const MARKER: RGBColor = RGBColor(164, 14, 38);

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("while drawing chart: {e}")
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
const PLOT: (f64, f64, f64, f64) = (76.0, 40.0, 708.0, 284.0);

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

/// Most bins a histogram has.
pub const MAX_BINS: usize = 1_000;

/// Counts `samples` into `bins` equal-width bins over their range; returns `(bin start, bin
/// end, count)` for each bin. Non-finite samples are an error; samples are [`bound`]ed first.
/// A range narrower than [`MIN_SPAN`] or [`MIN_RELATIVE_SPAN`] of its magnitude counts as a
/// single value: bins of width 1 (or a millionth of the value, when that is larger) from it.
pub fn histogram_bins(samples: &[f64], bins: usize) -> Result<Vec<(f64, f64, usize)>> {
    if samples.is_empty() || bins == 0 {
        bail!("histogram: need at least one sample and one bin");
    }
    if bins > MAX_BINS {
        bail!("histogram: {bins} bins asked for; at most {MAX_BINS}");
    }
    if samples.iter().any(|v| !v.is_finite()) {
        bail!("histogram: a sample is not a finite number");
    }
    let min = samples
        .iter()
        .copied()
        .map(bound)
        .fold(VALUE_LIMIT, f64::min);
    let max = samples
        .iter()
        .copied()
        .map(bound)
        .fold(-VALUE_LIMIT, f64::max);
    let span = max - min;
    let magnitude = min.abs().max(max.abs());
    let width = if span > MIN_SPAN && span > magnitude * MIN_RELATIVE_SPAN {
        span / bins as f64
    } else {
        (magnitude * 1e-6).max(1.0)
    };
    let mut counts = vec![0usize; bins];
    for &s in samples {
        let i = (((bound(s) - min) / width) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (min + i as f64 * width, min + (i + 1) as f64 * width, c))
        .collect())
}

/// Renders a histogram of `samples` as an SVG document.
pub fn histogram_svg(title: &str, unit: &str, samples: &[f64], bins: usize) -> Result<String> {
    let counts = histogram_bins(samples, bins)?;
    let x0 = counts.first().map(|b| b.0).unwrap_or(0.0);
    let x1 = counts.last().map(|b| b.1).unwrap_or(1.0);
    let top = counts.iter().map(|b| b.2).max().unwrap_or(1) as f64 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut plot = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0f64..top.max(1.0))
            .map_err(err)?;
        plot.configure_mesh()
            .disable_x_mesh()
            .x_desc(unit)
            .y_desc("samples")
            .draw()
            .map_err(err)?;
        plot.draw_series(
            counts.iter().map(|&(a, b, c)| {
                Rectangle::new([(a, 0.0), (b, c as f64)], LINE.mix(0.75).filled())
            }),
        )
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    let desc = format!(
        "Histogram of {} samples of {title} from {} to {} {unit} in {bins} bins",
        samples.len(),
        fixed3(x0),
        fixed3(x1)
    );
    Ok(accessible(svg, &desc))
}

/// `v` with 3 decimals, or in scientific notation when it would take more than 15 digits.
fn fixed3(v: f64) -> String {
    if v.abs() >= 1e15 {
        format!("{v:.3e}")
    } else {
        format!("{v:.3}")
    }
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

/// Adds `role="img"`, an `aria-label` and a `<title>` to the root `<svg>` element.
fn accessible(svg: String, description: &str) -> String {
    let text = escape(description);
    match svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    {
        Some(end) => format!(
            "{} role=\"img\" aria-label=\"{text}\"><title>{text}</title>{}",
            &svg[..end],
            &svg[end + 1..]
        ),
        None => svg,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn padded_range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if max > min {
        max - min
    } else {
        max.abs().max(1.0)
    };
    (min - span * 0.08, max + span * 0.12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(n: usize, seed: u64) -> Vec<TrendPoint> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 40) as f64 / (1u64 << 24) as f64;
                let v = 100.0 - i as f64 * 1.5 + noise * 4.0;
                TrendPoint {
                    label: format!("c{i:02}"),
                    value: v,
                    low: Some(v - 2.0),
                    high: Some(v + 2.0),
                }
            })
            .collect()
    }

    #[test]
    fn trend_has_every_layer_and_accessible_name() {
        let chart = TrendChart {
            title: "commit latency <p99>".into(),
            unit: "µs".into(),
            points: synthetic(20, 7),
            baseline: Some(100.0),
            threshold: Some((60.0, 90.0)),
            markers: vec![Marker {
                index: 10,
                label: "ADR-0004".into(),
            }],
        };
        let svg = trend_svg(&chart).expect("draws");
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>Trend of commit latency &lt;p99&gt; over 20 points"));
        assert!(svg.contains("ADR-0004"));
        assert!(
            svg.contains(">c00<") && svg.contains(">c19<"),
            "x labels are commit labels"
        );
        assert!(!svg.contains("<p99>"), "title must be escaped");
        // 20 circles for the points.
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(!svg.contains("http://") || svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    }

    /// Parses the value line's points back from the SVG.
    fn polyline(svg: &str) -> Vec<(f64, f64)> {
        let start = svg.find("<polyline").expect("value line");
        let attr = &svg[start..];
        let from = attr.find("points=\"").expect("points") + 8;
        let to = from + attr[from..].find('"').expect("end of points");
        attr[from..to]
            .split_whitespace()
            .map(|xy| {
                let (x, y) = xy.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn trend_geometry_follows_the_data() {
        let points = synthetic(1000, 11);
        let chart = TrendChart {
            title: "m".into(),
            unit: "ms".into(),
            points: points.clone(),
            baseline: Some(points[0].value),
            threshold: Some((50.0, 80.0)),
            markers: vec![],
        };
        let svg = trend_svg(&chart).expect("draws");
        let xy = polyline(&svg);
        assert_eq!(xy.len(), 1000, "one vertex per point");
        let (left, top, right, bottom) = PLOT;
        for (i, w) in xy.windows(2).enumerate() {
            assert!(w[1].0 > w[0].0, "x grows with the index at {i}");
            // A higher value is drawn higher up (smaller y); 2 units are 0.3 px here, above the
            // 0.1 px rounding.
            let (a, b) = (points[i].value, points[i + 1].value);
            if (a - b).abs() > 2.0 {
                assert_eq!(a > b, w[0].1 < w[1].1, "y order at {i}: {a} vs {b}");
            }
        }
        assert!(
            xy.iter()
                .all(|&(x, y)| x >= left && x <= right && y >= top && y <= bottom)
        );
        assert_eq!(svg.matches("<circle").count(), 1000);
        // Every point has a confidence bar: three strokes (two caps and the bar) each.
        assert_eq!(
            svg.matches('V').count() - 1,
            1000,
            "one vertical stroke per bar"
        );
        assert!(
            svg.contains("fill-opacity=\"0.12\""),
            "threshold band drawn"
        );
        assert!(
            svg.contains("stroke=\"#57606A\" stroke-width=\"2\""),
            "baseline drawn"
        );
        assert!(svg.len() < 1000 * 120, "compact: {} bytes", svg.len());
    }

    #[test]
    fn bad_series_are_errors() {
        assert!(trend_svg(&TrendChart::default()).is_err());
        let mut chart = TrendChart {
            title: "m".into(),
            points: synthetic(3, 1),
            ..Default::default()
        };
        chart.points[1].value = f64::NAN;
        assert!(trend_svg(&chart).is_err());
        chart.points[1].value = 1.0;
        chart.markers.push(Marker {
            index: 3,
            label: "x".into(),
        });
        assert!(trend_svg(&chart).is_err());
    }

    /// Every number in the SVG is finite and the chart has what it should.
    fn assert_drawn(svg: &str) {
        assert!(svg.starts_with("<svg"), "{svg}");
        for bad in ["NaN", "inf"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
    }

    /// Series that overflow spans, underflow tick steps or have no width at all: each chart
    /// is drawn, and drawing it finishes (plotters' tick search used to loop forever on
    /// `[1e308, -1e308]`).
    const EXTREME: &[&[f64]] = &[
        &[1e308, -1e308],
        &[f64::MAX, f64::MIN_POSITIVE],
        &[f64::MAX, f64::MAX],
        &[-f64::MAX, f64::MAX, 0.0],
        &[1e300, 1e300],
        &[1e16, 1e16],
        &[5.0, 5.0],
        &[0.0, 5e-324],
        &[1.0, 1.0 + f64::EPSILON],
        &[f64::MIN_POSITIVE, -f64::MIN_POSITIVE],
        &[0.0],
    ];

    #[test]
    fn extreme_values_draw_bounded_histograms() {
        for samples in EXTREME {
            let svg = histogram_svg("m", "ns", samples, 24).expect("draws");
            assert_drawn(&svg);
            assert!(svg.contains("<rect"), "bars for {samples:?}");
            let bins = histogram_bins(samples, 24).expect("bins");
            assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), samples.len());
            assert!(
                bins.iter()
                    .all(|b| b.0.is_finite() && b.1.is_finite() && b.1 > b.0)
            );
        }
        assert!(histogram_bins(&[1.0], MAX_BINS + 1).is_err());
    }

    #[test]
    fn extreme_values_draw_bounded_trends() {
        for samples in EXTREME {
            let points = samples
                .iter()
                .enumerate()
                .map(|(i, &v)| TrendPoint {
                    label: format!("c{i}"),
                    value: v,
                    low: Some(-f64::MAX),
                    high: Some(f64::MAX),
                })
                .collect();
            let chart = TrendChart {
                title: "m".into(),
                unit: "ns".into(),
                points,
                baseline: Some(f64::MAX),
                threshold: Some((-f64::MAX, f64::MAX)),
                markers: vec![],
            };
            let svg = trend_svg(&chart).expect("draws");
            assert_drawn(&svg);
            assert_eq!(svg.matches("<circle").count(), samples.len());
            let (left, top, right, bottom) = PLOT;
            assert!(
                polyline(&svg)
                    .iter()
                    .all(|&(x, y)| x >= left && x <= right && y >= top && y <= bottom),
                "{samples:?}: {svg}"
            );
        }
    }

    #[test]
    fn long_trends_draw_their_newest_points() {
        let chart = TrendChart {
            title: "m".into(),
            points: synthetic(MAX_TREND_POINTS + 5, 3),
            markers: vec![
                Marker {
                    index: 2,
                    label: "ADR-0001".into(),
                },
                Marker {
                    index: MAX_TREND_POINTS + 4,
                    label: "ADR-0002".into(),
                },
            ],
            ..Default::default()
        };
        let svg = trend_svg(&chart).expect("draws");
        assert_eq!(svg.matches("<circle").count(), MAX_TREND_POINTS);
        assert!(svg.contains(&format!(
            "the newest {MAX_TREND_POINTS} of {} points",
            MAX_TREND_POINTS + 5
        )));
        assert!(!svg.contains("ADR-0001") && svg.contains("ADR-0002"));
    }

    #[test]
    fn histogram_counts_every_sample_once() {
        let samples: Vec<f64> = (0..1000).map(|i| (i % 97) as f64 * 0.5).collect();
        let bins = histogram_bins(&samples, 10).expect("bins");
        assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), 1000);
        assert_eq!(bins.len(), 10);
        let svg = histogram_svg("latency", "ms", &samples, 10).expect("draws");
        assert!(svg.contains("Histogram of 1000 samples"));
        assert!(
            histogram_bins(&[1.0, 1.0], 4)
                .expect("flat")
                .iter()
                .map(|b| b.2)
                .sum::<usize>()
                == 2
        );
        assert!(histogram_bins(&[], 4).is_err());
    }
}

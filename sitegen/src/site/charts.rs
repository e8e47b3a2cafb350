//! SVG charts with plotters: a metric trend and a sample histogram, readable without
//! JavaScript and self-contained (no fonts or external resources referenced).
//!
//! Steps for a trend: validate the series (finite values, at least one point) → compute the
//! y range over values, confidence bounds, baseline and threshold band, with a margin → draw
//! the threshold band, the baseline line, confidence bars, the value line and points, then the
//! ADR markers as labelled vertical lines → add an accessible `<title>` and `aria-label`.

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
    let (ymin, ymax) = padded_range(&values);
    let n = chart.points.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut plot = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..n - 0.5, ymin..ymax)
            .map_err(err)?;
        let labels: Vec<String> = chart.points.iter().map(|p| p.label.clone()).collect();
        let label_at = move |x: &f64| -> String {
            let i = x.round();
            if i < 0.0 || (x - i).abs() > 1e-6 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        plot.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(2)
            .x_labels(chart.points.len().min(12))
            .x_label_formatter(&label_at)
            .y_desc(chart.unit.as_str())
            .draw()
            .map_err(err)?;
        if let Some((lo, hi)) = chart.threshold {
            plot.draw_series(std::iter::once(Rectangle::new(
                [(-0.5, lo), (n - 0.5, hi)],
                BAND.mix(0.12).filled(),
            )))
            .map_err(err)?;
        }
        if let Some(b) = chart.baseline {
            plot.draw_series(LineSeries::new(
                [(-0.5, b), (n - 0.5, b)],
                BASELINE.stroke_width(2),
            ))
            .map_err(err)?;
        }
        for (i, p) in chart.points.iter().enumerate() {
            if let (Some(lo), Some(hi)) = (p.low, p.high) {
                let x = i as f64;
                let cap = 0.12;
                let style = LINE.mix(0.6).stroke_width(1);
                plot.draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], style),
                    PathElement::new(vec![(x - cap, lo), (x + cap, lo)], style),
                    PathElement::new(vec![(x - cap, hi), (x + cap, hi)], style),
                ])
                .map_err(err)?;
            }
        }
        let xy: Vec<(f64, f64)> = chart
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, p.value))
            .collect();
        plot.draw_series(LineSeries::new(xy.clone(), LINE.stroke_width(2)))
            .map_err(err)?;
        plot.draw_series(
            xy.iter()
                .map(|&(x, y)| Circle::new((x, y), 3, LINE.filled())),
        )
        .map_err(err)?;
        for m in &chart.markers {
            let x = m.index as f64;
            plot.draw_series([PathElement::new(
                vec![(x, ymin), (x, ymax)],
                MARKER.stroke_width(1),
            )])
            .map_err(err)?;
            plot.draw_series([Text::new(
                m.label.clone(),
                (x, ymax),
                ("sans-serif", 12).into_font().color(&MARKER),
            )])
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(accessible(svg, &describe_trend(chart)))
}

/// Counts `samples` into `bins` equal-width bins over their range; returns `(bin start, bin
/// end, count)` for each bin. Non-finite samples are an error.
pub fn histogram_bins(samples: &[f64], bins: usize) -> Result<Vec<(f64, f64, usize)>> {
    if samples.is_empty() || bins == 0 {
        bail!("histogram: need at least one sample and one bin");
    }
    if samples.iter().any(|v| !v.is_finite()) {
        bail!("histogram: a sample is not a finite number");
    }
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = if max > min {
        (max - min) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &s in samples {
        let i = (((s - min) / width) as usize).min(bins - 1);
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
        "Histogram of {} samples of {title} from {x0:.3} to {x1:.3} {unit} in {bins} bins",
        samples.len()
    );
    Ok(accessible(svg, &desc))
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
            svg.contains("\nc00\n") && svg.contains("\nc10\n"),
            "x labels are commit labels"
        );
        assert!(!svg.contains("<p99>"), "title must be escaped");
        // 20 circles for the points.
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(!svg.contains("http://") || svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
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

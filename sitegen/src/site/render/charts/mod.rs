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

//!
//! [`trend`] draws trends, [`histogram`] histograms; the bounds and drawing helpers both use
//! are here.

pub mod histogram;
pub mod trend;

use anyhow::anyhow;
use plotters::prelude::*;

pub use histogram::{MAX_BINS, histogram_bins, histogram_svg};
pub use trend::{Marker, TrendChart, TrendPoint, trend_svg};

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

/// `v` with 3 decimals, or in scientific notation when it would take more than 15 digits.
fn fixed3(v: f64) -> String {
    if v.abs() >= 1e15 {
        format!("{v:.3e}")
    } else {
        format!("{v:.3}")
    }
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
    use super::trend::PLOT;
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

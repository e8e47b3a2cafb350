//! SVG charts: a metric trend, a sample histogram, a sparkline and byte-layout strips, readable without
//! JavaScript and self-contained (no fonts or external resources referenced).
//!
//! Steps for a trend: validate the series (finite values, at least one point) → fit the y
//! axis to the values and confidence bounds ([`scale`]), taking in the thresholds and baseline
//! only when they are near the data → draw grid and nice tick labels (in the site's number format,
//! [`crate::site::render::format::axis`]), x labels
//! (short commit and date), each criterion's threshold and the baseline as labelled lines (or
//! arrows at the edge they lie beyond), confidence bars, the value line and points with
//! tooltips, then the ADR markers → add an accessible `<title>` and `aria-label`.
//! Every chart is written by hand as one SVG with a `viewBox` and `width="100%"`, styled by
//! classes and its own `<style>` ([`STYLE`]): light and dark colours follow
//! `prefers-color-scheme`, and labels grow on narrow screens so they stay readable on a phone.
//!
//! # Bounded work
//!
//! Every finite number the ingest accepts must draw, and draw quickly. So:
//! - a value beyond ±[`VALUE_LIMIT`] is drawn at that limit ([`bound`]), which keeps every
//!   span, margin and coordinate finite (`1e308 - -1e308` would overflow);
//! - a trend draws at most [`MAX_TREND_POINTS`] points (the newest), with a bounded number of
//!   y ticks and x labels;
//! - a histogram's range is never narrower than [`MIN_SPAN`] or a [`MIN_RELATIVE_SPAN`]
//!   fraction of its magnitude (a narrower one is drawn as a single value), so its bin width
//!   and tick steps never underflow.
//!
//! [`trend`] draws trends, [`histogram`] histograms, [`sparkline`] sparklines, [`strip`] the
//! byte layout of an on-disk structure; [`scale`] fits axes; their numbers, tooltips and
//! reference labels are written by [`crate::site::render::format`], as tables write them;
//! the bounds and shared helpers are here.

pub mod histogram;
pub mod scale;
pub mod sparkline;
pub mod strip;
pub mod trend;

pub use histogram::{MAX_BINS, histogram_bins, histogram_svg};
pub use sparkline::sparkline_svg;
pub use trend::{Interval, Marker, Threshold, TrendChart, TrendPoint, trend_svg};

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

/// The style every chart carries (class `lc` on its root): colours for light and dark
/// (`prefers-color-scheme`), and label sizes in viewBox units that stay at least 11 px on
/// screens down to 360 px wide (17 units below 720 px; 24 below 480 px, where every other x
/// label is hidden: 11.4 px on the 304 px a chart gets on a 360 px phone). Rules are scoped to `.lc`, so an inlined chart styles nothing else.
pub const STYLE: &str = "<style>.lc text{font-family:system-ui,sans-serif;font-size:12px;fill:#1b1f24}.lc .bg{fill:#fff}.lc .mut,.lc text.base{fill:#57606a}.lc .grid{stroke:#1b1f24;stroke-opacity:.1}.lc .axis{stroke:#57606a;fill:none}.lc .line{stroke:#0b5cad;stroke-width:2;fill:none}.lc .pt,.lc .bar{fill:#0b5cad}.lc .ci{stroke:#0b5cad;stroke-opacity:.55;fill:none}.lc line.base{stroke:#57606a;stroke-width:2;stroke-dasharray:8 5}.lc line.thr{stroke:#116329;stroke-width:1.5;stroke-dasharray:4 3}.lc text.thr{fill:#116329}.lc path.thr{fill:#116329}.lc path.base{fill:#57606a}.lc line.adr{stroke:#a40e26}.lc text.adr{fill:#a40e26}@media (prefers-color-scheme:dark){.lc text{fill:#e6edf3}.lc .bg{fill:#0f1419}.lc .mut,.lc text.base{fill:#9da7b3}.lc .grid{stroke:#e6edf3;stroke-opacity:.14}.lc .axis{stroke:#9da7b3}.lc .line{stroke:#6cb6ff}.lc .pt,.lc .bar{fill:#6cb6ff}.lc .ci{stroke:#6cb6ff}.lc line.base{stroke:#9da7b3}.lc path.base{fill:#9da7b3}.lc line.thr{stroke:#56d364}.lc text.thr,.lc path.thr{fill:#56d364}.lc line.adr{stroke:#ff7b72}.lc text.adr{fill:#ff7b72}}@media (max-width:720px){.lc text{font-size:17px}}@media (max-width:480px){.lc text{font-size:24px}.lc .x2{display:none}}</style>";

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

#[cfg(test)]
mod tests {
    use super::scale::Placement;
    use super::trend::{PLOT, VIEW, tooltip, trend_axis, x_label_indices};
    use super::*;

    fn synthetic(n: usize, seed: u64) -> Vec<TrendPoint> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 40) as f64 / (1u64 << 24) as f64;
                let v = 100.0 - i as f64 * 0.05 + noise * 4.0;
                TrendPoint {
                    label: format!("c{i:02}"),
                    run: format!("run-{i:04}"),
                    date: format!("2026-11-{:02}", 1 + i % 28),
                    value: v,
                    low: Some(v - 2.0),
                    high: Some(v + 2.0),
                    interval: Interval::Recorded,
                }
            })
            .collect()
    }

    fn threshold(criterion: &str, op: &str, value: f64) -> Threshold {
        Threshold {
            criterion: criterion.into(),
            op: op.into(),
            value,
        }
    }

    #[test]
    fn trend_has_every_layer_and_accessible_name() {
        let chart = TrendChart {
            title: "commit latency <p99>".into(),
            unit: "µs".into(),
            points: synthetic(20, 7),
            baseline: Some(100.0),
            thresholds: vec![threshold("P1.lat", "<=", 104.0)],
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
        assert!(svg.contains(">2026-11-01</tspan>"), "x labels carry dates");
        assert!(!svg.contains("<p99>"), "title must be escaped");
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(svg.contains("P1.lat ≤ 104 µs</text>"), "threshold labelled");
        assert!(svg.contains("baseline 100 µs</text>"), "baseline labelled");
        assert!(svg.contains("<line class=\"thr\"") && svg.contains("<line class=\"base\""));
    }

    #[test]
    fn trend_scales_with_the_page_and_follows_dark_mode() {
        let chart = TrendChart {
            title: "m".into(),
            points: synthetic(3, 1),
            ..Default::default()
        };
        let svg = trend_svg(&chart).expect("draws");
        assert!(svg.contains("width=\"100%\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {} {}\"", VIEW.0, VIEW.1)));
        assert!(!svg.contains("width=\"720\""));
        assert!(svg.contains("@media (prefers-color-scheme:dark)"));
        assert!(svg.contains("class=\"lc\""));
        // 22 viewBox units at a 360 px wide chart are 360/640 × 22 ≈ 12.4 px ≥ 11 px.
        assert!(STYLE.contains("@media (max-width:480px){.lc text{font-size:24px}"));
        assert!(360.0 / VIEW.0 * 22.0 >= 11.0);
    }

    #[test]
    fn tooltips_name_value_run_commit_and_date() {
        let p = TrendPoint {
            label: "abc1234".into(),
            run: "2026-12-01T10-00-00Z".into(),
            date: "2026-12-01".into(),
            value: 1204.0,
            low: Some(1100.0),
            high: Some(1300.0),
            interval: Interval::Recorded,
        };
        // The value reads as a table cell does (`qty`): three significant digits.
        assert_eq!(
            tooltip(&p, "µs"),
            "1.20 ms (CI 1.10 ms – 1.30 ms) · run 2026-12-01T10-00-00Z · commit abc1234 · 2026-12-01"
        );
        assert!(
            tooltip(&p, "µs").starts_with(&crate::site::render::format::quantity(1204.0, "us"))
        );
        let iqr = TrendPoint {
            interval: Interval::SampleIqr,
            ..p.clone()
        };
        assert!(tooltip(&iqr, "µs").starts_with("1.20 ms (IQR 1.10 ms – 1.30 ms) · run"));
        let chart = TrendChart {
            title: "m".into(),
            unit: "µs".into(),
            points: vec![p],
            ..Default::default()
        };
        let svg = trend_svg(&chart).expect("draws");
        assert!(svg.contains("<title>1.20 ms (CI 1.10 ms – 1.30 ms) · run 2026-12-01T10-00-00Z"));
    }

    #[test]
    fn far_thresholds_are_arrows_at_the_edge_near_ones_lines() {
        let mut points = synthetic(10, 3);
        for p in &mut points {
            p.value += 8000.0;
            p.low = None;
            p.high = None;
        }
        let chart = TrendChart {
            title: "tps".into(),
            unit: "ops/s".into(),
            points,
            baseline: Some(8050.0),
            thresholds: vec![
                threshold("P3.tps-positive", ">", 0.0),
                threshold("P3.slo", ">=", 9643.0),
                threshold("P3.near", ">=", 8090.0),
            ],
            markers: vec![],
        };
        let axis = trend_axis(&chart);
        assert!(axis.ticks.min > 7000.0, "axis fitted to the data: {axis:?}");
        assert_eq!(axis.place(0.0), Placement::Below);
        assert_eq!(axis.place(9643.0), Placement::Above);
        assert_eq!(axis.place(8090.0), Placement::Inside);
        let svg = trend_svg(&chart).expect("draws");
        assert!(
            svg.contains("P3.tps-positive &gt; 0 ops/s (below the axis)"),
            "{svg}"
        );
        assert!(svg.contains("P3.slo ≥ 9,643 ops/s (above the axis)"));
        assert!(svg.contains(">P3.near ≥ 8,090 ops/s</text>"));
        assert_eq!(svg.matches("<line class=\"thr\"").count(), 1);
        assert_eq!(svg.matches("class=\"thr arrow\"").count(), 2);
        // Ticks are round numbers without fractional noise.
        for t in axis.ticks.values() {
            assert_eq!(t % axis.ticks.step, 0.0, "{t}");
        }
    }

    #[test]
    fn count_series_have_non_negative_whole_ticks() {
        let points = [0.0, 1.0, 0.0, 2.0, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| TrendPoint {
                label: format!("c{i}"),
                value: v,
                ..Default::default()
            })
            .collect();
        let chart = TrendChart {
            title: "lock waits".into(),
            unit: "count".into(),
            points,
            ..Default::default()
        };
        let axis = trend_axis(&chart);
        assert_eq!(axis.ticks.min, 0.0);
        assert!(
            axis.ticks
                .values()
                .iter()
                .all(|v| v.fract() == 0.0 && *v >= 0.0)
        );
        let svg = trend_svg(&chart).expect("draws");
        assert!(!svg.contains(">-"), "no negative tick");
        assert!(!svg.contains(">0.5<"), "no fractional count");
    }

    /// The y tick labels of `svg`, lowest first (`text-anchor="end"` texts after a grid line).
    fn y_ticks(svg: &str) -> Vec<String> {
        svg.split("<line class=\"grid\"")
            .skip(1)
            .filter_map(|part| {
                let text = part.split("text-anchor=\"end\">").nth(1)?;
                Some(text.split('<').next()?.to_string())
            })
            .collect()
    }

    #[test]
    fn y_ticks_are_written_as_tables_write_numbers() {
        let chart = |unit: &str, values: &[f64]| TrendChart {
            title: "m".into(),
            unit: unit.into(),
            points: values
                .iter()
                .enumerate()
                .map(|(i, &v)| TrendPoint {
                    label: format!("c{i}"),
                    value: v,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        // Microseconds below a millisecond stay microseconds, named once above the axis.
        let svg = trend_svg(&chart("us", &[20.0, 480.0])).expect("draws");
        assert!(svg.contains("class=\"mut\">µs</text>"), "{svg}");
        let ticks = y_ticks(&svg);
        assert!(ticks.contains(&"200".to_string()), "{ticks:?}");
        // Thousands separated by commas, never `10k`.
        let svg = trend_svg(&chart("ops/s", &[9_000.0, 12_500.0])).expect("draws");
        let ticks = y_ticks(&svg);
        assert!(ticks.contains(&"10,000".to_string()), "{ticks:?}");
        assert!(!svg.contains("k</text>"), "no k suffix");
        // Seconds with the decimals the step needs, on every tick alike.
        let svg = trend_svg(&chart("ms", &[1100.0, 1900.0])).expect("draws");
        assert!(svg.contains("class=\"mut\">s</text>"), "{svg}");
        let ticks = y_ticks(&svg);
        assert!(ticks.contains(&"1.4".to_string()), "{ticks:?}");
        assert!(
            ticks
                .iter()
                .all(|t| t.split('.').nth(1).map(str::len) == Some(1)),
            "{ticks:?}"
        );
    }

    #[test]
    fn x_labels_are_thinned_evenly() {
        assert_eq!(x_label_indices(1), vec![0]);
        assert_eq!(x_label_indices(3), vec![0, 1, 2]);
        let many = x_label_indices(1000);
        assert_eq!(many.len(), 8);
        assert_eq!((many[0], many[7]), (0, 999));
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
            thresholds: vec![threshold("P1.x", "<=", 110.0)],
            markers: vec![],
        };
        let svg = trend_svg(&chart).expect("draws");
        let xy = polyline(&svg);
        assert_eq!(xy.len(), 1000, "one vertex per point");
        let (left, top, right, bottom) = PLOT;
        let axis = trend_axis(&chart);
        let px_per_unit = (bottom - top) / (axis.ticks.max - axis.ticks.min);
        for (i, w) in xy.windows(2).enumerate() {
            assert!(w[1].0 > w[0].0, "x grows with the index at {i}");
            let (a, b) = (points[i].value, points[i + 1].value);
            if (a - b).abs() * px_per_unit > 0.3 {
                assert_eq!(a > b, w[0].1 < w[1].1, "y order at {i}: {a} vs {b}");
            }
        }
        assert!(
            xy.iter()
                .all(|&(x, y)| x >= left && x <= right && y >= top && y <= bottom)
        );
        assert_eq!(svg.matches("<circle").count(), 1000);
        assert_eq!(
            svg.split("class=\"ci\" d=\"")
                .nth(1)
                .map(|d| d.matches('V').count()),
            Some(1000),
            "one vertical stroke per bar"
        );
        assert!(svg.len() < 1000 * 200, "compact: {} bytes", svg.len());
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
    /// is drawn, and drawing it finishes.
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
            assert!(svg.contains("<rect x="), "bars for {samples:?}");
            let bins = histogram_bins(samples, 24).expect("bins");
            assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), samples.len());
            assert!(
                bins.iter()
                    .all(|b| b.0.is_finite() && b.1.is_finite() && b.1 > b.0),
                "{samples:?}: {bins:?}"
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
                    ..Default::default()
                })
                .collect();
            let chart = TrendChart {
                title: "m".into(),
                unit: "ns".into(),
                points,
                baseline: Some(f64::MAX),
                thresholds: vec![
                    threshold("a", ">=", -f64::MAX),
                    threshold("b", "<=", f64::MAX),
                ],
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
        assert!((5..=20).contains(&bins.len()), "{}", bins.len());
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

//! A sparkline: a tiny inline SVG of a metric's newest values for the metrics index, drawn in
//! the text colour (`currentColor`), so it follows light and dark mode without a style sheet.

use super::*;
use crate::site::render::format::quantity;

/// Values a sparkline shows: the newest ones.
pub const SPARK_POINTS: usize = 30;

/// Width and height of a sparkline in CSS pixels.
const SIZE: (f64, f64) = (100.0, 24.0);

/// A sparkline of the newest [`SPARK_POINTS`] `values` (oldest first) with a `<title>`
/// naming the range shown and the latest value; `None` when there is nothing finite to draw.
pub fn sparkline_svg(name: &str, unit: &str, values: &[f64]) -> Option<String> {
    use std::fmt::Write as _;
    let skip = values.len().saturating_sub(SPARK_POINTS);
    let vals: Vec<f64> = values[skip..].iter().copied().map(bound).collect();
    if vals.is_empty() || vals.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (w, h) = SIZE;
    let pad = 3.0;
    let x = |i: usize| {
        if vals.len() == 1 {
            w / 2.0
        } else {
            pad + i as f64 / (vals.len() - 1) as f64 * (w - 2.0 * pad)
        }
    };
    let y = |v: f64| {
        if hi > lo {
            h - pad - (v - lo) / (hi - lo) * (h - 2.0 * pad)
        } else {
            h / 2.0
        }
    };
    let last = vals[vals.len() - 1];
    let title = format!(
        "{name}: last {} value{}, {} to {}; latest {}",
        vals.len(),
        if vals.len() == 1 { "" } else { "s" },
        quantity(lo, unit),
        quantity(hi, unit),
        quantity(last, unit)
    );
    let mut o = String::with_capacity(256 + vals.len() * 12);
    let _ = write!(
        o,
        "<svg class=\"spark\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"",
        t = escape(&title)
    );
    for (i, &v) in vals.iter().enumerate() {
        let _ = write!(o, "{:.1},{:.1} ", x(i), y(v));
    }
    let _ = write!(
        o,
        "\"/><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"currentColor\"/></svg>",
        x(vals.len() - 1),
        y(last)
    );
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_shows_the_newest_values_with_a_title() {
        let values: Vec<f64> = (0..50).map(f64::from).collect();
        let svg = sparkline_svg("oltp.tps", "ops/s", &values).expect("draws");
        assert!(
            svg.contains(
                "<title>oltp.tps: last 30 values, 20 ops/s to 49 ops/s; latest 49 ops/s</title>"
            ),
            "{svg}"
        );
        let pts = svg.split("points=\"").nth(1).expect("points");
        let pts = &pts[..pts.find('"').expect("end")];
        assert_eq!(pts.split_whitespace().count(), SPARK_POINTS);
        // Rising values: the newest point is drawn highest (smallest y).
        assert!(svg.contains("cy=\"3.0\""), "{svg}");
        assert!(svg.contains("currentColor"));
        assert!(sparkline_svg("m", "", &[]).is_none());
        let flat = sparkline_svg("m", "ms", &[2.0, 2.0]).expect("flat");
        assert!(flat.contains("cy=\"12.0\""));
    }
}

//! The histogram of a metric's samples: bins with nice edges (multiples of a 1-2-5 width, whole
//! numbers for whole-number samples), integer count ticks, a tooltip per bar.

use anyhow::{Result, bail};

use super::scale::nice_ticks;
use super::*;
use crate::site::render::format::axis::AxisFormat;
use crate::site::render::format::{number, quantity};

/// Most bins a histogram has.
pub const MAX_BINS: usize = 1_000;

/// Counts `samples` into about `bins` bins of a nice width whose edges are multiples of it;
/// returns `(bin start, bin end, count)` for each bin. Non-finite samples are an error;
/// samples are [`bound`]ed first. A range narrower than [`MIN_SPAN`] or [`MIN_RELATIVE_SPAN`]
/// of its magnitude counts as a single value: one bin of width 1 (or a millionth of the
/// value, when that is larger) centred on it.
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
    if !(span > MIN_SPAN && span > magnitude * MIN_RELATIVE_SPAN) {
        let width = (magnitude * 1e-6).max(1.0);
        let mid = (min + max) / 2.0;
        return Ok(vec![(mid - width / 2.0, mid + width / 2.0, samples.len())]);
    }
    let integer = samples.iter().all(|v| v.fract() == 0.0);
    let ticks = nice_ticks(min, max, bins + 1, integer);
    let width = ticks.step;
    let n = (((ticks.max - ticks.min) / width).round() as usize).clamp(1, MAX_BINS);
    let mut counts = vec![0usize; n];
    for &s in samples {
        let i = (((bound(s) - ticks.min) / width).floor().max(0.0) as usize).min(n - 1);
        counts[i] += 1;
    }
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let a = ticks.min + i as f64 * width;
            (a, a + width, c)
        })
        .collect())
}

/// Width and height of the histogram's viewBox.
const VIEW: (f64, f64) = (640.0, 300.0);

/// Plot area: left, top, right, bottom edges in viewBox units.
pub(super) const PLOT: (f64, f64, f64, f64) = (92.0, 40.0, 624.0, 236.0);

/// Renders a histogram of `samples` as an SVG document: about `bins` bins (see
/// [`histogram_bins`]).
pub fn histogram_svg(title: &str, unit: &str, samples: &[f64], bins: usize) -> Result<String> {
    use std::fmt::Write as _;
    let counts = histogram_bins(samples, bins)?;
    let x0 = counts.first().map(|b| b.0).unwrap_or(0.0);
    let x1 = counts.last().map(|b| b.1).unwrap_or(1.0);
    let width = counts.first().map(|b| b.1 - b.0).unwrap_or(1.0);
    let peak = counts.iter().map(|b| b.2).max().unwrap_or(1);
    let yt = nice_ticks(0.0, peak as f64, 5, true);
    let (left, top, right, bottom) = PLOT;
    let (w, h) = VIEW;
    let x = |v: f64| left + (v - x0) / (x1 - x0) * (right - left);
    let y = |c: f64| bottom - c / yt.max * (bottom - top);
    let mut o = String::with_capacity(4096 + counts.len() * 160);
    let _ = write!(
        o,
        "<svg class=\"lc\" width=\"100%\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">{STYLE}\n\
         <rect class=\"bg\" width=\"{w}\" height=\"{h}\"/>\n\
         <text x=\"4\" y=\"{:.0}\" class=\"mut\">samples</text>\n",
        top - 16.0
    );
    for c in yt.values() {
        let yy = y(c);
        let _ = writeln!(
            o,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            yy + 4.0,
            number(c.round())
        );
    }
    // Edge labels: every k-th edge, at most 6, so labels never crowd.
    let edges = counts.len() + 1;
    let every = edges.div_ceil(6).max(1);
    let fmt = AxisFormat::new(
        unit,
        x0.abs().max(x1.abs()),
        if counts.len() == 1 {
            0.0
        } else {
            width * every as f64
        },
    );
    let mut k = 0;
    while k < edges {
        let v = x0 + k as f64 * width;
        let anchor = if k == 0 && counts.len() > 1 {
            "start"
        } else if k + 1 == edges && counts.len() > 1 {
            "end"
        } else {
            "middle"
        };
        let label = if counts.len() == 1 {
            // A single value: its bin is labelled with the value.
            if k == 0 {
                fmt.tick((x0 + x1) / 2.0)
            } else {
                String::new()
            }
        } else {
            fmt.tick(v)
        };
        let xx = if counts.len() == 1 {
            (left + right) / 2.0
        } else {
            x(v)
        };
        if !label.is_empty() {
            // Every other inner label is hidden on narrow screens, where labels are larger.
            let class = if (k / every) % 2 == 1 && k + every < edges {
                " class=\"x2\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "<text{class} x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{label}</text>",
                bottom + 20.0
            );
        }
        k += every;
    }
    let _ = writeln!(
        o,
        "<text class=\"mut\" x=\"{right}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n\
         <path class=\"axis\" d=\"M{left} {top}V{bottom}H{right}\"/>",
        bottom + 48.0,
        escape(fmt.unit())
    );
    o.push_str("<g class=\"bar\">");
    for &(a, b, c) in &counts {
        if c == 0 {
            continue;
        }
        let (xa, xb) = (x(a), x(b));
        let bw = ((xb - xa) - 1.0).max(0.5);
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\"><title>{} – {}: {} sample{}</title></rect>",
            xa + 0.5,
            y(c as f64),
            bottom - y(c as f64),
            fmt.with_unit(a),
            fmt.with_unit(b),
            number(c as f64),
            if c == 1 { "" } else { "s" }
        );
    }
    o.push_str("</g>\n</svg>\n");
    let desc = format!(
        "Histogram of {} samples of {title} from {} to {} in {} bins of {}",
        samples.len(),
        fmt.with_unit(x0),
        fmt.with_unit(x1),
        counts.len(),
        quantity(width, unit)
    );
    Ok(accessible(o, &desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_have_nice_edges_and_whole_counts() {
        let samples: Vec<f64> = (0..200).map(|i| 1.03 + (i % 37) as f64 * 0.11).collect();
        let bins = histogram_bins(&samples, 12).expect("bins");
        let w = bins[0].1 - bins[0].0;
        assert!([0.2, 0.5, 0.25].iter().any(|n| (w - n).abs() < 1e-9), "{w}");
        for b in &bins {
            let k = b.0 / w;
            assert!(
                (k - k.round()).abs() < 1e-6,
                "edge {} not a multiple of {w}",
                b.0
            );
        }
        assert!(bins[0].0 <= 1.03 && bins.last().expect("a bin").1 >= 1.03 + 36.0 * 0.11);
        assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), 200);
    }

    #[test]
    fn whole_number_samples_get_whole_bins() {
        let bins = histogram_bins(&[0.0, 1.0, 1.0, 2.0, 3.0], 24).expect("bins");
        assert!(
            bins.iter().all(|b| b.1 - b.0 >= 1.0 && b.0.fract() == 0.0),
            "{bins:?}"
        );
    }

    #[test]
    fn bars_stay_inside_the_plot_and_count_ticks_are_integers() {
        let samples: Vec<f64> = (0..7).map(|i| 100.0 + f64::from(i) * 3.0).collect();
        let svg = histogram_svg("lat", "µs", &samples, 24).expect("draws");
        let (left, top, right, bottom) = PLOT;
        for rect in svg.split("<rect x=\"").skip(1) {
            let num = |key: &str| -> f64 {
                let from = rect.find(key).map(|i| i + key.len()).unwrap_or(0);
                let s = if key.is_empty() { rect } else { &rect[from..] };
                s[..s.find('"').expect("end")].parse().expect("number")
            };
            let (x, y, w, h) = (num(""), num("y=\""), num("width=\""), num("height=\""));
            assert!(x >= left && x + w <= right + 0.01, "{x} {w}");
            assert!(y >= top - 0.01 && y + h <= bottom + 0.01, "{y} {h}");
        }
        // Count ticks: whole numbers only, no "0.5".
        assert!(!svg.contains(">0.5<") && svg.contains(">0<") && svg.contains(">1<"));
        assert!(svg.contains("sample</title>"), "tooltips name the count");
        assert!(svg.contains("viewBox") && !svg.contains("width=\"720\""));
    }
}

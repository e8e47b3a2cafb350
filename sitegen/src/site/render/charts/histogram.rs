//! The histogram of a metric's samples, a few dozen bars drawn with plotters' SVG backend.

use anyhow::{Result, bail};
use plotters::prelude::*;

use super::*;

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

//! Axis scales: "nice" ticks (Heckbert's 1-2-5 steps) and an axis fitted to the data, with
//! reference lines (thresholds, baseline) inside it only when they are near the data.
//!
//! The rule for references: the axis covers the data; a reference extends it when it lies
//! within [`REFERENCE_REACH`] data spans of the data's range, otherwise it is drawn as a
//! labelled arrow at the axis edge. A non-negative series never gets a negative tick, and a
//! series of whole numbers (counts) gets whole-number steps.

/// How far outside the data (in data spans) a reference may lie and still extend the axis.
pub const REFERENCE_REACH: f64 = 1.0;

/// Ticks of one axis: `min..=max` in steps of `step`, every tick a multiple of `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ticks {
    /// First tick (the axis minimum).
    pub min: f64,
    /// Last tick (the axis maximum).
    pub max: f64,
    /// Distance between ticks.
    pub step: f64,
}

impl Ticks {
    /// The tick values, `min` first.
    pub fn values(&self) -> Vec<f64> {
        let n = ((self.max - self.min) / self.step).round() as usize;
        // Decimal digits of the step, to snap ticks to it (3 × 0.2 is 0.6, not 0.6000000000000001).
        let digits = (-self.step.log10().floor()).clamp(0.0, 300.0) as i32;
        let scale = 10f64.powi(digits);
        (0..=n)
            .map(|k| {
                let v = self.min + k as f64 * self.step;
                let snapped = if digits > 0 && scale.is_finite() {
                    (v * scale).round() / scale
                } else {
                    v
                };
                // Zero is never printed as -0.
                if snapped == 0.0 { 0.0 } else { snapped }
            })
            .collect()
    }
}

/// The "nice" number near `x` (> 0): 1, 2, 5 or 10 times a power of ten; rounded to the
/// nearest when `round`, otherwise the smallest nice number ≥ `x` (Heckbert 1990).
pub fn nice_number(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let p = 10f64.powf(exp);
    let f = x / p;
    let nice = if round {
        if f < 1.5 {
            1.0
        } else if f < 3.0 {
            2.0
        } else if f < 7.0 {
            5.0
        } else {
            10.0
        }
    } else if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * p
}

/// About `target` nice ticks covering `lo..=hi` ("loose" labelling: the first and last tick
/// enclose the range). `integer` forces a whole-number step (at least 1). A range of zero
/// width is widened around its value.
pub fn nice_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> Ticks {
    let (lo, hi) = if hi < lo { (hi, lo) } else { (lo, hi) };
    let (lo, hi) = if hi - lo <= hi.abs().max(lo.abs()) * 1e-12 || hi - lo < 1e-300 {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let range = nice_number(hi - lo, false);
    let mut step = nice_number(range / (target.max(2) - 1) as f64, true);
    if integer {
        step = step.max(1.0).round();
    }
    let min = (lo / step).floor() * step;
    let max = (hi / step).ceil() * step;
    Ticks { min, max, step }
}

/// Where a reference value sits against a fitted axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Inside the axis: drawn as a line.
    Inside,
    /// Above the axis: drawn as an arrow at the top edge.
    Above,
    /// Below the axis: drawn as an arrow at the bottom edge.
    Below,
}

/// An axis fitted to data.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The ticks (the axis runs from the first to the last).
    pub ticks: Ticks,
}

impl Axis {
    /// Fits an axis to `data` (values and confidence bounds, at least one, all finite) and the
    /// `references` near enough to it ([`REFERENCE_REACH`]). `non_negative` keeps the axis at
    /// or above zero; `integer` makes the steps whole numbers.
    pub fn fit(data: &[f64], references: &[f64], non_negative: bool, integer: bool) -> Axis {
        let lo = data.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let span = (hi - lo).max(hi.abs().max(lo.abs()) * 0.05);
        let reach = span * REFERENCE_REACH;
        let (mut a, mut b) = (lo, hi);
        for &r in references {
            if r >= lo - reach && r <= hi + reach {
                a = a.min(r);
                b = b.max(r);
            }
        }
        // A little room above and below so points do not sit on the frame.
        let pad = (b - a) * 0.04;
        let (mut a, b) = (a - pad, b + pad);
        if non_negative && a < 0.0 {
            a = 0.0;
        }
        let mut ticks = nice_ticks(a, b, 6, integer);
        if non_negative && ticks.min < 0.0 {
            ticks.min = 0.0;
        }
        Axis { ticks }
    }

    /// Where `v` sits: inside the axis or beyond one of its edges.
    pub fn place(&self, v: f64) -> Placement {
        if v > self.ticks.max {
            Placement::Above
        } else if v < self.ticks.min {
            Placement::Below
        } else {
            Placement::Inside
        }
    }

    /// `v` as a fraction of the axis, 0 at the minimum and 1 at the maximum (not clamped).
    pub fn fraction(&self, v: f64) -> f64 {
        (v - self.ticks.min) / (self.ticks.max - self.ticks.min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers_are_one_two_five() {
        assert_eq!(nice_number(0.43, true), 0.5);
        assert_eq!(nice_number(0.73, true), 1.0);
        assert_eq!(nice_number(1.4, true), 1.0);
        assert_eq!(nice_number(2.9, true), 2.0);
        assert_eq!(nice_number(6.9, true), 5.0);
        assert_eq!(nice_number(7.1, true), 10.0);
        assert_eq!(nice_number(4291.0, false), 5000.0);
        assert_eq!(nice_number(0.0021, false), 0.005);
    }

    #[test]
    fn ticks_are_round_and_enclose_the_range() {
        // The old axis printed -1144, 3147, 7439 for this kind of range.
        let t = nice_ticks(-633.0, 14305.7, 6, false);
        assert_eq!(t.step, 5000.0);
        assert_eq!((t.min, t.max), (-5000.0, 15000.0));
        let v = t.values();
        assert_eq!(v, vec![-5000.0, 0.0, 5000.0, 10000.0, 15000.0]);
        let t = nice_ticks(0.1, 0.7, 6, false);
        assert_eq!(t.values(), vec![0.0, 0.2, 0.4, 0.6, 0.8]);
        let flat = nice_ticks(5.0, 5.0, 6, false);
        assert!(flat.min < 5.0 && flat.max > 5.0, "{flat:?}");
    }

    #[test]
    fn counts_get_whole_steps() {
        let t = nice_ticks(0.0, 2.0, 6, true);
        assert_eq!(t.step, 1.0);
        assert_eq!(t.values(), vec![0.0, 1.0, 2.0]);
        assert_eq!(nice_ticks(0.0, 2.0, 6, false).step, 0.5);
    }

    #[test]
    fn axis_fits_the_data_not_a_far_threshold() {
        // Throughput around 8,000 with a `tps > 0` rule and a target of 40,000: neither
        // flattens the line.
        let data = [7900.0, 8050.0, 8120.0, 7980.0];
        let axis = Axis::fit(&data, &[0.0, 40_000.0], true, false);
        assert!(axis.ticks.min >= 7000.0, "{axis:?}");
        assert!(axis.ticks.max <= 9000.0, "{axis:?}");
        assert_eq!(axis.place(0.0), Placement::Below);
        assert_eq!(axis.place(40_000.0), Placement::Above);
        assert_eq!(axis.place(8000.0), Placement::Inside);
        // A threshold within one data span extends the axis and is drawn inside it.
        let axis = Axis::fit(&[10.0, 20.0], &[25.0], true, false);
        assert_eq!(axis.place(25.0), Placement::Inside);
        assert!(axis.ticks.max >= 25.0);
    }

    #[test]
    fn non_negative_axes_never_go_below_zero() {
        let axis = Axis::fit(&[0.0, 0.2, 3.0], &[], true, true);
        assert_eq!(axis.ticks.min, 0.0);
        assert!(
            axis.ticks
                .values()
                .iter()
                .all(|&v| v >= 0.0 && v.fract() == 0.0)
        );
        let signed = Axis::fit(&[0.0, 0.2, 3.0], &[], false, false);
        assert!(signed.ticks.min < 0.0, "{signed:?}");
    }

    #[test]
    fn fraction_maps_the_axis_to_zero_one() {
        let axis = Axis {
            ticks: Ticks {
                min: 10.0,
                max: 20.0,
                step: 5.0,
            },
        };
        assert_eq!(axis.fraction(10.0), 0.0);
        assert_eq!(axis.fraction(15.0), 0.5);
        assert_eq!(axis.fraction(20.0), 1.0);
    }
}

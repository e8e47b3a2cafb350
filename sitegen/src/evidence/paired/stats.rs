//! The statistics of a paired measurement: the geometric mean of the ratios current /
//! baseline with a 95 % Student t interval on the log ratios, and the verdict per metric.
//!
//! Each round measures both sides back to back, so the machine's drift (thermal state, other
//! load, frequency) mostly cancels within a pair; the log ratios of the rounds are then
//! treated as independent samples. The interval is deterministic: no resampling, no seed.

use crate::evidence::metrics::Direction;
use crate::evidence::record::PairedVerdict;

/// Two-sided 95 % quantiles of Student's t for 1 to 30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (`df ≥ 1`): the table up to
/// 30, the Cornish–Fisher expansion around the normal quantile beyond (error < 0.001).
pub fn t975(df: usize) -> f64 {
    if let Some(t) = df.checked_sub(1).and_then(|i| T975.get(i)) {
        return *t;
    }
    let z = 1.959_964_f64;
    let n = df.max(1) as f64;
    z + (z.powi(3) + z) / (4.0 * n)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
}

/// A ratio and its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Geometric mean of the ratios.
    pub ratio: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The geometric mean of `ratios` with the 95 % t interval of their logarithms, exponentiated;
/// `None` with fewer than two ratios or any ratio that is not finite and positive.
pub fn interval(ratios: &[f64]) -> Option<Interval> {
    if ratios.len() < 2 || ratios.iter().any(|r| !r.is_finite() || *r <= 0.0) {
        return None;
    }
    let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = t975(logs.len() - 1) * (var / n).sqrt();
    Some(Interval {
        ratio: mean.exp(),
        lower: (mean - half).exp(),
        upper: (mean + half).exp(),
    })
}

/// How much worse `ratio` (current / baseline) is, as a fraction, in `direction`: 0.25 = 25 %
/// worse, negative = better. For a higher-is-better metric, 0.8 is 25 % worse (1 / 0.8 − 1),
/// so that a change and its reverse weigh the same.
pub fn worse_by(direction: Direction, ratio: f64) -> f64 {
    match direction {
        Direction::LowerIsBetter => ratio - 1.0,
        Direction::HigherIsBetter => 1.0 / ratio - 1.0,
    }
}

/// The verdict: `regressed` when the whole interval is on the worse side of 1 and the
/// geometric mean is worse by more than `threshold`; `improved` the same on the better side;
/// otherwise `no significant change`.
pub fn verdict(direction: Direction, iv: &Interval, threshold: f64) -> PairedVerdict {
    let (lo, hi) = (worse_by(direction, iv.lower), worse_by(direction, iv.upper));
    let (least, most) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let point = worse_by(direction, iv.ratio);
    if least > 0.0 && point > threshold {
        PairedVerdict::Regressed
    } else if most < 0.0 && -point > threshold {
        PairedVerdict::Improved
    } else {
        PairedVerdict::NoSignificantChange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_join_the_table_smoothly() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(30), 2.042);
        assert!((t975(31) - 2.040).abs() < 0.002, "{}", t975(31));
        assert!((t975(120) - 1.980).abs() < 0.002, "{}", t975(120));
    }

    #[test]
    fn identical_ratios_give_a_point_interval_and_no_change() {
        let iv = interval(&[1.0, 1.0, 1.0]).expect("interval");
        assert_eq!((iv.ratio, iv.lower, iv.upper), (1.0, 1.0, 1.0));
        assert_eq!(
            verdict(Direction::LowerIsBetter, &iv, 0.1),
            PairedVerdict::NoSignificantChange
        );
    }

    #[test]
    fn a_consistent_slowdown_regresses_by_direction() {
        let iv = interval(&[1.50, 1.52, 1.48, 1.51, 1.49]).expect("interval");
        assert!(iv.lower > 1.0 && iv.upper < 2.0, "{iv:?}");
        assert_eq!(
            verdict(Direction::LowerIsBetter, &iv, 0.1),
            PairedVerdict::Regressed
        );
        // The same ratios for a throughput are an improvement.
        assert_eq!(
            verdict(Direction::HigherIsBetter, &iv, 0.1),
            PairedVerdict::Improved
        );
        // Significant but within the threshold: no significant change.
        let small = interval(&[1.05, 1.051, 1.049]).expect("interval");
        assert_eq!(
            verdict(Direction::LowerIsBetter, &small, 0.1),
            PairedVerdict::NoSignificantChange
        );
    }

    #[test]
    fn noisy_ratios_around_one_are_no_change_and_bad_ratios_none() {
        let iv = interval(&[0.7, 1.4, 0.9, 1.2]).expect("interval");
        assert!(iv.lower < 1.0 && iv.upper > 1.0, "{iv:?}");
        assert_eq!(
            verdict(Direction::LowerIsBetter, &iv, 0.1),
            PairedVerdict::NoSignificantChange
        );
        assert_eq!(interval(&[1.0]), None);
        assert_eq!(interval(&[1.0, 0.0]), None);
        assert_eq!(interval(&[1.0, f64::NAN]), None);
    }
}

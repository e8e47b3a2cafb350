//! Summary statistics of sample sets: the one percentile definition of the workspace
//! (nearest rank), the median, and the Mann–Whitney U test (two-sided, normal approximation
//! with tie and continuity correction) that decides whether two sample sets differ beyond
//! noise.

/// The `p`-th quantile (`0.0 < p ≤ 1.0`) of `sorted` (ascending) by the nearest-rank rule: the
/// smallest sample with at least `p·n` samples at or below it. `None` when there are no samples.
///
/// Nearest rank always returns a measured sample (never an interpolation), so a p99 over
/// 1,000 commits is the 990th-fastest commit.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).copied()
}

/// The median of `values` (any order): the middle sample, or the mean of the two middle ones.
/// `None` when there are no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v.get(n / 2 - 1)? + v.get(n / 2)?) / 2.0),
    }
}

/// Complementary error function; fractional error below 1.2e-7 everywhere (Chebyshev fit).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Result of a Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Two-sided Mann–Whitney U test of `a` against `b`. Returns `None` when either is empty.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_sum_a - n1f * (n1f + 1.0) / 2.0;
    let mean = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)).max(1.0));
    if var <= 0.0 {
        return Some(MannWhitney { u, p_value: 1.0 });
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    Some(MannWhitney {
        u,
        p_value: erfc(z / std::f64::consts::SQRT_2).clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.95), Some(95.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 0.99), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    proptest::proptest! {
        /// Seeded by proptest (the failing case and its seed are printed on failure).
        #[test]
        fn percentile_returns_a_sample_and_grows_with_p(
            mut v in proptest::collection::vec(-1e9f64..1e9, 1..200),
            p in 0.001f64..1.0,
            q in 0.001f64..1.0,
        ) {
            v.sort_by(f64::total_cmp);
            let a = percentile(&v, p).expect("non-empty");
            proptest::prop_assert!(v.contains(&a));
            let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
            proptest::prop_assert!(percentile(&v, lo) <= percentile(&v, hi));
            let at_or_below = v.iter().filter(|x| **x <= a).count() as f64;
            proptest::prop_assert!(at_or_below >= p * v.len() as f64 - 1e-9);
        }
    }

    #[test]
    fn median_averages_the_two_middle_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }

    #[test]
    fn separated_samples_are_significant_identical_are_not() {
        let a: Vec<f64> = (0..20).map(|i| 100.0 + i as f64).collect();
        let b: Vec<f64> = (0..20).map(|i| 200.0 + i as f64).collect();
        let r = mann_whitney(&a, &b).expect("non-empty");
        assert_eq!(r.u, 0.0);
        assert!(r.p_value < 1e-6, "{r:?}");
        let same = mann_whitney(&a, &a).expect("non-empty");
        assert!(same.p_value > 0.9, "{same:?}");
        let ties = mann_whitney(&[1.0; 5], &[1.0; 5]).expect("non-empty");
        assert_eq!(ties.p_value, 1.0);
        assert!(mann_whitney(&[], &a).is_none());
    }

    #[test]
    fn matches_a_hand_computed_case() {
        // a = {1,2,3}, b = {4,5,6}: U = 0, mean 4.5, var = 9*7/12 = 5.25,
        // z = (4.5 - 0.5)/sqrt(5.25) = 1.7457, p = erfc(1.7457/√2) ≈ 0.0809.
        let r = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).expect("non-empty");
        assert!((r.p_value - 0.0809).abs() < 1e-3, "{r:?}");
    }
}

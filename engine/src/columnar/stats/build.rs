//! Building one column's statistics from a vector without a scalar per value: the non-NULL
//! values are hashed and sorted in their own type (integers, doubles, byte slices, booleans),
//! and only the histogram's bounds become scalars. The sketch is of every non-NULL value; the
//! histogram equals [`EquiDepthHistogram::build`] over the same values up to
//! [`HISTOGRAM_SAMPLE`] of them, and beyond is built from an evenly spaced sample (exact
//! minimum, maximum and total count; approximate bucket counts).
#![deny(clippy::indexing_slicing)]

use super::{ColumnStats, EquiDepthHistogram, HyperLogLog, hash_scalar, hash64};
use crate::columnar::predicate::Scalar;
use crate::columnar::vector::{ColumnVector, Values};

/// Above this many values a segment's histogram is built from an evenly spaced sample of
/// this many (each standing for the run of values up to the next), not from every value.
pub const HISTOGRAM_SAMPLE: usize = 16_384;

/// Cuts sorted `(value, weight)` points into at most `buckets` equi-depth buckets, the rule of
/// [`EquiDepthHistogram::build`]: a bucket ends where the running weight reaches
/// `total · i / buckets` and the next value differs.
fn cut<T: PartialEq>(
    sorted: &[(T, u64)],
    buckets: usize,
    scalar: &impl Fn(&T) -> Scalar,
) -> EquiDepthHistogram {
    let Some((first, _)) = sorted.first() else {
        return EquiDepthHistogram::default();
    };
    let total: u64 = sorted.iter().map(|p| p.1).sum();
    let buckets = buckets.max(1) as u64;
    let mut bounds = vec![scalar(first)];
    let mut counts: Vec<u64> = Vec::new();
    let (mut acc, mut in_bucket) = (0u64, 0u64);
    for (i, (v, w)) in sorted.iter().enumerate() {
        acc += w;
        in_bucket += w;
        let target = total * (counts.len() as u64 + 1) / buckets;
        let next = sorted.get(i + 1);
        let next_differs = next.is_none_or(|(x, _)| x != v);
        if (acc >= target && next_differs) || next.is_none() {
            bounds.push(scalar(v));
            counts.push(in_bucket);
            in_bucket = 0;
        }
    }
    EquiDepthHistogram { bounds, counts }
}

/// The histogram of `xs` (in row order) ordered by `cmp`: exact up to [`HISTOGRAM_SAMPLE`]
/// values; beyond, every `k`-th value (`k = ⌈n / HISTOGRAM_SAMPLE⌉`) weighted by the `k`
/// values it stands for, so the counts still sum to `n`, and the first and last bounds set to
/// the true minimum and maximum.
fn histogram<T: PartialEq + Copy>(
    xs: &[T],
    buckets: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    scalar: impl Fn(&T) -> Scalar,
) -> EquiDepthHistogram {
    let k = xs.len().div_ceil(HISTOGRAM_SAMPLE).max(1);
    let mut points: Vec<(T, u64)> = xs
        .chunks(k)
        .filter_map(|c| c.first().map(|f| (*f, c.len() as u64)))
        .collect();
    points.sort_unstable_by(|a, b| cmp(&a.0, &b.0));
    let mut h = cut(&points, buckets, &scalar);
    if k > 1 {
        if let (Some(lo), Some(b)) = (xs.iter().min_by(|a, b| cmp(a, b)), h.bounds.first_mut()) {
            *b = scalar(lo);
        }
        if let (Some(hi), Some(b)) = (xs.iter().max_by(|a, b| cmp(a, b)), h.bounds.last_mut()) {
            *b = scalar(hi);
        }
    }
    h
}

/// The statistics of `col` with at most `buckets` histogram buckets.
pub(super) fn column_stats(col: &ColumnVector, buckets: usize) -> ColumnStats {
    let valid = |i: &usize| !col.is_null(*i);
    let mut distinct = HyperLogLog::new();
    let histogram = match &col.values {
        Values::Int(v) => {
            let xs: Vec<i64> = (0..v.len())
                .filter(valid)
                .filter_map(|i| v.get(i).copied())
                .collect();
            for x in &xs {
                distinct.add_hash(hash64(&x.to_le_bytes()));
            }
            histogram(&xs, buckets, i64::cmp, |x| Scalar::Int(*x))
        }
        Values::Double(v) => {
            let mut xs: Vec<f64> = Vec::with_capacity(v.len());
            for x in (0..v.len()).filter(valid).filter_map(|i| v.get(i).copied()) {
                distinct.add_hash(hash_scalar(&Scalar::Double(x)));
                if !x.is_nan() {
                    xs.push(x);
                }
            }
            let cmp = |a: &f64, b: &f64| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal);
            histogram(&xs, buckets, cmp, |x| Scalar::Double(*x))
        }
        Values::Bool(v) => {
            let xs: Vec<bool> = (0..v.len())
                .filter(valid)
                .filter_map(|i| v.get(i).copied())
                .collect();
            for x in &xs {
                distinct.add_hash(hash64(&[u8::from(*x)]));
            }
            histogram(&xs, buckets, bool::cmp, |x| Scalar::Bool(*x))
        }
        Values::Bytes(c) => {
            let xs: Vec<&[u8]> = (0..c.len()).filter(valid).map(|i| c.get(i)).collect();
            for x in &xs {
                distinct.add_hash(hash64(x));
            }
            histogram(&xs, buckets, |a, b| a.cmp(b), |x| Scalar::Bytes(x.to_vec()))
        }
    };
    ColumnStats {
        rows: col.len() as u64,
        null_count: col.null_count() as u64,
        min: histogram.bounds.first().cloned(),
        max: histogram.bounds.last().cloned(),
        distinct,
        histogram,
    }
}

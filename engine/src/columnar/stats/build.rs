//! Building one column's statistics from a vector without a scalar per value: the non-NULL
//! values are hashed and sorted in their own type (integers, doubles, byte slices, booleans),
//! and only the histogram's bounds become scalars. The result equals
//! [`EquiDepthHistogram::build`] over the same values and the sketch of every non-NULL value.
#![deny(clippy::indexing_slicing)]

use super::{ColumnStats, EquiDepthHistogram, HyperLogLog, hash_scalar, hash64};
use crate::columnar::predicate::Scalar;
use crate::columnar::vector::{ColumnVector, Values};

/// Cuts sorted values (each of weight 1) into at most `buckets` equi-depth buckets, the rule of
/// [`EquiDepthHistogram::build`]: a bucket ends where the running count reaches
/// `n · i / buckets` and the next value differs.
fn cut<T: PartialEq>(
    sorted: &[T],
    buckets: usize,
    scalar: impl Fn(&T) -> Scalar,
) -> EquiDepthHistogram {
    let Some(first) = sorted.first() else {
        return EquiDepthHistogram::default();
    };
    let n = sorted.len() as u64;
    let buckets = buckets.max(1) as u64;
    let mut bounds = vec![scalar(first)];
    let mut counts: Vec<u64> = Vec::new();
    let mut in_bucket = 0u64;
    for (i, v) in sorted.iter().enumerate() {
        in_bucket += 1;
        let acc = i as u64 + 1;
        let target = n * (counts.len() as u64 + 1) / buckets;
        let next = sorted.get(i + 1);
        let next_differs = next.is_none_or(|x| x != v);
        if (acc >= target && next_differs) || next.is_none() {
            bounds.push(scalar(v));
            counts.push(in_bucket);
            in_bucket = 0;
        }
    }
    EquiDepthHistogram { bounds, counts }
}

/// The statistics of `col` with at most `buckets` histogram buckets.
pub(super) fn column_stats(col: &ColumnVector, buckets: usize) -> ColumnStats {
    let valid = |i: &usize| !col.is_null(*i);
    let mut distinct = HyperLogLog::new();
    let histogram = match &col.values {
        Values::Int(v) => {
            let mut xs: Vec<i64> = (0..v.len())
                .filter(valid)
                .filter_map(|i| v.get(i).copied())
                .collect();
            for x in &xs {
                distinct.add_hash(hash64(&x.to_le_bytes()));
            }
            xs.sort_unstable();
            cut(&xs, buckets, |x| Scalar::Int(*x))
        }
        Values::Double(v) => {
            let mut xs: Vec<f64> = Vec::with_capacity(v.len());
            for x in (0..v.len()).filter(valid).filter_map(|i| v.get(i).copied()) {
                distinct.add_hash(hash_scalar(&Scalar::Double(x)));
                if !x.is_nan() {
                    xs.push(x);
                }
            }
            xs.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            cut(&xs, buckets, |x| Scalar::Double(*x))
        }
        Values::Bool(v) => {
            let mut xs: Vec<bool> = (0..v.len())
                .filter(valid)
                .filter_map(|i| v.get(i).copied())
                .collect();
            for x in &xs {
                distinct.add_hash(hash64(&[u8::from(*x)]));
            }
            xs.sort_unstable();
            cut(&xs, buckets, |x| Scalar::Bool(*x))
        }
        Values::Bytes(c) => {
            let mut xs: Vec<&[u8]> = (0..c.len()).filter(valid).map(|i| c.get(i)).collect();
            for x in &xs {
                distinct.add_hash(hash64(x));
            }
            xs.sort_unstable();
            cut(&xs, buckets, |x| Scalar::Bytes(x.to_vec()))
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

//! Column statistics, kept as segments are written and merged across segments, for the
//! optimizer's estimates: row and NULL counts, bounds, a distinct-count sketch
//! ([`HyperLogLog`]) and an [`EquiDepthHistogram`]; [`estimate`] turns them into row estimates.
//!
//! Hash of the sketch ([`hash64`]), fixed forever since sketches are stored: FNV-1a 64 over the
//! value's bytes, then the SplitMix64 finalizer. A value's bytes: an integer's 8 bytes
//! little-endian, a double's bits (`-0.0` as `0.0`, every NaN as `0x7FF8000000000000`), a
//! boolean as one byte, bytes as they are.
//!
//! Layout (via [`crate::util::codec`], see `engine/FORMAT.md`): rows `u64`, NULL count `u64`,
//! min and max as zone-map scalars, the sketch (precision `u8` = 12, then 4096 register bytes,
//! each ≤ 53), the histogram (bucket count `u32`, that many + 1 scalar bounds, that many `u64`
//! counts).
#![deny(clippy::indexing_slicing)]

pub mod build;
pub mod estimate;
mod hll;

pub use hll::{HLL_PRECISION, HyperLogLog, hash_scalar, hash64};

use std::cmp::Ordering;

use super::encoding::{ChunkError, invalid};
use super::predicate::{Scalar, compare};
use super::vector::{ColumnVector, Values};
use super::zone::{decode_scalar, encode_scalar};
use crate::util::codec::{Reader, push_u32, push_u64};

/// The longest bytes bound statistics store (1 MiB).
pub const MAX_BOUND_BYTES: usize = 1 << 20;

/// An equi-depth histogram: bucket `i` holds `counts[i]` values in `bounds[i]..=bounds[i+1]`
/// (the first bound is the minimum, each later one the largest value of its bucket).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EquiDepthHistogram {
    /// `buckets + 1` bounds, ascending.
    pub bounds: Vec<Scalar>,
    /// Values per bucket.
    pub counts: Vec<u64>,
}

fn total(a: &Scalar, b: &Scalar) -> Ordering {
    compare(a, b).unwrap_or_else(|| match (a, b) {
        (Scalar::Double(x), Scalar::Double(y)) => x.total_cmp(y),
        _ => Ordering::Equal,
    })
}

impl EquiDepthHistogram {
    /// The histogram of `values` (NaNs left out) with at most `buckets` buckets.
    pub fn build(values: &[Scalar], buckets: usize) -> EquiDepthHistogram {
        let mut v: Vec<&Scalar> = values
            .iter()
            .filter(|s| !matches!(s, Scalar::Double(x) if x.is_nan()))
            .collect();
        v.sort_by(|a, b| total(a, b));
        let weighted: Vec<(&Scalar, u64)> = v.into_iter().map(|s| (s, 1)).collect();
        EquiDepthHistogram::from_weighted(&weighted, buckets)
    }

    /// From sorted `(value, weight)` points: cut where the running weight crosses each
    /// `total · i / buckets`.
    fn from_weighted(points: &[(&Scalar, u64)], buckets: usize) -> EquiDepthHistogram {
        let total_w: u64 = points.iter().map(|p| p.1).sum();
        let Some(&(first, _)) = points.first() else {
            return EquiDepthHistogram::default();
        };
        let buckets = buckets.max(1) as u64;
        let mut bounds = vec![first.clone()];
        let mut counts = Vec::new();
        let (mut acc, mut in_bucket) = (0u64, 0u64);
        for (i, &(s, w)) in points.iter().enumerate() {
            acc += w;
            in_bucket += w;
            let target = total_w * (counts.len() as u64 + 1) / buckets;
            let next_differs = points.get(i + 1).is_none_or(|(n, _)| total(n, s).is_ne());
            if (acc >= target && next_differs) || i + 1 == points.len() {
                bounds.push(s.clone());
                counts.push(in_bucket);
                in_bucket = 0;
            }
        }
        EquiDepthHistogram { bounds, counts }
    }

    /// Estimated number of values `≤ x`: whole buckets below `x`, plus the bucket holding `x`
    /// by linear interpolation (numbers) or half (others). Off by at most that bucket's count.
    pub fn estimate_le(&self, x: &Scalar) -> f64 {
        let mut est = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            let (Some(lo), Some(hi)) = (self.bounds.get(i), self.bounds.get(i + 1)) else {
                break;
            };
            if total(hi, x).is_le() {
                est += c as f64;
            } else {
                if total(lo, x).is_le() {
                    est += c as f64 * fraction(lo, hi, x);
                }
                break;
            }
        }
        est
    }

    /// The histogram of the union of the values of `self` and `other` (approximate: each
    /// bucket counts as its weight at its upper bound), with as many buckets as the larger.
    pub fn merge(&self, other: &EquiDepthHistogram) -> EquiDepthHistogram {
        let buckets = self.counts.len().max(other.counts.len());
        EquiDepthHistogram::merge_all(&[self, other], buckets)
    }

    /// The histogram of the union of the values of all of `parts` in one pass (each bucket
    /// counts as its weight at its upper bound, each first bound as weight 0), cut into at most
    /// `buckets` buckets. One pass over every part loses less than merging pairwise.
    pub fn merge_all(parts: &[&EquiDepthHistogram], buckets: usize) -> EquiDepthHistogram {
        let mut points: Vec<(&Scalar, u64)> = Vec::new();
        for h in parts {
            if let Some(first) = h.bounds.first() {
                points.push((first, 0));
            }
            points.extend(h.bounds.iter().skip(1).zip(h.counts.iter().copied()));
        }
        points.sort_by(|a, b| total(a.0, b.0));
        EquiDepthHistogram::from_weighted(&points, buckets)
    }
}

fn fraction(lo: &Scalar, hi: &Scalar, x: &Scalar) -> f64 {
    let num = |s: &Scalar| match s {
        Scalar::Int(v) => Some(*v as f64),
        Scalar::Double(v) => Some(*v),
        _ => None,
    };
    match (num(lo), num(hi), num(x)) {
        (Some(a), Some(b), Some(x)) if b > a => ((x - a) / (b - a)).clamp(0.0, 1.0),
        _ => 0.5,
    }
}

/// Statistics of one column over one or more segments.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ColumnStats {
    /// Rows.
    pub rows: u64,
    /// NULL rows.
    pub null_count: u64,
    /// The smallest non-NULL value (NaN left out), if any.
    pub min: Option<Scalar>,
    /// The largest non-NULL value (NaN left out), if any.
    pub max: Option<Scalar>,
    /// The distinct-count sketch of the non-NULL values.
    pub distinct: HyperLogLog,
    /// The distribution of the non-NULL values.
    pub histogram: EquiDepthHistogram,
}

/// The non-NULL values of `col` as scalars.
pub fn scalars(col: &ColumnVector) -> Vec<Scalar> {
    let n = col.len();
    let valid = (0..n).filter(|&i| !col.is_null(i));
    match &col.values {
        Values::Int(v) => valid
            .filter_map(|i| v.get(i).map(|x| Scalar::Int(*x)))
            .collect(),
        Values::Double(v) => valid
            .filter_map(|i| v.get(i).map(|x| Scalar::Double(*x)))
            .collect(),
        Values::Bool(v) => valid
            .filter_map(|i| v.get(i).map(|x| Scalar::Bool(*x)))
            .collect(),
        Values::Bytes(c) => valid.map(|i| Scalar::Bytes(c.get(i).to_vec())).collect(),
    }
}

impl ColumnStats {
    /// The statistics of `col`, with a histogram of at most `buckets` buckets (values sorted
    /// in their own type, see [`build`]).
    pub fn of(col: &ColumnVector, buckets: usize) -> ColumnStats {
        build::column_stats(col, buckets)
    }

    /// Merges the statistics of another segment of the same column in.
    pub fn merge(&mut self, other: &ColumnStats) {
        self.rows += other.rows;
        self.null_count += other.null_count;
        let pick = |a: &Option<Scalar>, b: &Option<Scalar>, want: Ordering| match (a, b) {
            (Some(x), Some(y)) => Some(if total(y, x) == want { y } else { x }.clone()),
            (x, y) => x.clone().or_else(|| y.clone()),
        };
        self.min = pick(&self.min, &other.min, Ordering::Less);
        self.max = pick(&self.max, &other.max, Ordering::Greater);
        self.distinct.merge(&other.distinct);
        self.histogram = self.histogram.merge(&other.histogram);
    }

    /// Appends the statistics (layout in the module doc).
    pub fn encode(&self, out: &mut Vec<u8>) {
        push_u64(out, self.rows);
        push_u64(out, self.null_count);
        encode_scalar(self.min.as_ref(), out);
        encode_scalar(self.max.as_ref(), out);
        self.distinct.encode(out);
        push_u32(out, self.histogram.counts.len() as u32);
        for b in &self.histogram.bounds {
            encode_scalar(Some(b), out);
        }
        for &c in &self.histogram.counts {
            push_u64(out, c);
        }
    }

    /// Reads statistics written by [`ColumnStats::encode`], bounding every count by the bytes
    /// left.
    pub fn decode(r: &mut Reader<'_>) -> Result<ColumnStats, ChunkError> {
        let rows = r.u64()?;
        let null_count = r.u64()?;
        if null_count > rows {
            return Err(invalid(format!("NULL count {null_count} > rows {rows}")));
        }
        let min = decode_scalar(r, MAX_BOUND_BYTES)?;
        let max = decode_scalar(r, MAX_BOUND_BYTES)?;
        let distinct = HyperLogLog::decode(r)?;
        let buckets = r.u32()? as usize;
        // Each bucket takes at least one bound tag byte and an 8-byte count.
        if buckets.saturating_mul(9) > r.remaining() {
            return Err(invalid(format!(
                "{buckets} histogram buckets in {} bytes",
                r.remaining()
            )));
        }
        let mut bounds = Vec::with_capacity(buckets + 1);
        for _ in 0..buckets + usize::from(buckets > 0) {
            bounds.push(
                decode_scalar(r, MAX_BOUND_BYTES)?
                    .ok_or_else(|| invalid("empty histogram bound"))?,
            );
        }
        let counts = (0..buckets)
            .map(|_| r.u64())
            .collect::<Result<Vec<_>, _>>()?;
        if counts.iter().fold(0u64, |a, &c| a.saturating_add(c)) > rows {
            return Err(invalid("histogram counts exceed the row count"));
        }
        Ok(ColumnStats {
            rows,
            null_count,
            min,
            max,
            distinct,
            histogram: EquiDepthHistogram { bounds, counts },
        })
    }
}

//! [`Histogram`]: a fixed-size, mergeable latency histogram with bounded relative error.
//!
//! Values (nanoseconds) fall into log-linear buckets: every power of two is split into
//! 64 equal sub-buckets, so a bucket's width is at most 1/64 of its lower bound and a reported
//! percentile is within about 1.6% of the true value (values below 64 are exact). The bucket
//! array covers all of `u64` in 3,776 counters; recording is one index computation and one
//! increment, so each client thread keeps its own and the driver merges them at the end.

/// Sub-bucket bits: 2^6 = 64 sub-buckets per power of two.
const SUB_BITS: u32 = 6;
const SUB_COUNT: usize = 1 << SUB_BITS;
/// Buckets needed for every `u64`: the exact range `0..64`, then 58 halvings of 64 each.
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB_COUNT;

/// A latency histogram; see the module docs.
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    /// A summary (count, min, percentiles, max), not the 3,776 counters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min", &self.min())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .field("max", &self.max)
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

fn index(v: u64) -> usize {
    if v < SUB_COUNT as u64 {
        return v as usize;
    }
    let top = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = top - SUB_BITS;
    let sub = ((v >> shift) as usize) & (SUB_COUNT - 1);
    ((shift as usize + 1) << SUB_BITS) + sub
}

/// The smallest value of bucket `i`.
fn lower_bound(i: usize) -> u64 {
    if i < SUB_COUNT {
        return i as u64;
    }
    let shift = (i >> SUB_BITS) - 1;
    let sub = (i & (SUB_COUNT - 1)) as u64;
    (SUB_COUNT as u64 | sub) << shift
}

/// The largest value of bucket `i`.
fn upper_bound(i: usize) -> u64 {
    if i + 1 >= BUCKETS {
        u64::MAX
    } else {
        lower_bound(i + 1) - 1
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.count += 1;
        self.sum += u128::from(value);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Records a duration in nanoseconds (saturating at `u64::MAX`, about 584 years).
    pub fn record_duration(&mut self, d: std::time::Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest value recorded (0 when empty).
    pub fn min(&self) -> u64 {
        if self.count == 0 { 0 } else { self.min }
    }

    /// The largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The exact mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value at quantile `q` (0.0..=1.0; clamped): the upper bound of the bucket holding the
    /// `ceil(q × count)`-th smallest value, clamped to the recorded min and max (so quantile 0
    /// is the exact min and quantile 1 the exact max). 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let q = if q.is_nan() { 1.0 } else { q.clamp(0.0, 1.0) };
        if q == 0.0 {
            return self.min;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_bound(i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_whole_range_in_order() {
        assert_eq!(lower_bound(0), 0);
        for i in 0..BUCKETS - 1 {
            assert_eq!(
                upper_bound(i) + 1,
                lower_bound(i + 1),
                "gap after bucket {i}"
            );
            assert_eq!(index(lower_bound(i)), i);
            assert_eq!(index(upper_bound(i)), i);
            let width = upper_bound(i) - lower_bound(i);
            assert!(width <= lower_bound(i) / 64, "bucket {i} too wide: {width}");
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_within_the_relative_error() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1_000);
        }
        for (q, exact) in [(0.5, 50_000_000u64), (0.95, 95_000_000), (0.99, 99_000_000)] {
            let got = h.quantile(q);
            let err = got.abs_diff(exact) as f64 / exact as f64;
            assert!(err < 0.02, "q{q}: {got} vs {exact}");
        }
        assert_eq!(h.quantile(0.0), 1_000);
        assert_eq!(h.quantile(1.0), 100_000_000);
        assert_eq!(h.count(), 100_000);
        assert!((h.mean() - 50_000_500.0).abs() < 1e-3);
        assert_eq!((h.min(), h.max()), (1_000, 100_000_000));
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in [5u64, 70, 9_000, 1 << 40] {
            a.record(v);
            all.record(v);
        }
        for v in [3u64, 123_456, u64::MAX] {
            b.record(v);
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a, all);
        assert_eq!(a.min(), 3);
        assert_eq!(a.max(), u64::MAX);
        assert_eq!(a.quantile(1.0), u64::MAX);
        let empty = Histogram::new();
        assert_eq!(
            (empty.quantile(0.5), empty.min(), empty.mean()),
            (0, 0, 0.0)
        );
    }
}

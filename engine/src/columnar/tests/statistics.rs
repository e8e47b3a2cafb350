//! Sketches, histograms, merging statistics, and the zone map and statistics codecs.

use super::*;
use crate::columnar::predicate::{Scalar, compare};
use crate::columnar::stats::{ColumnStats, EquiDepthHistogram, HyperLogLog};
use crate::columnar::zone::{ZONE_BYTES, ZoneMap};
use crate::util::codec::Reader;

#[test]
fn hyperloglog_estimates_within_five_percent() {
    for (seed, n) in [(1u64, 100_000u64), (2, 1_000), (3, 20_000)] {
        let mut rng = SplitMix64::new(seed);
        let mut h = HyperLogLog::new();
        let start = rng.next_u64() as i64 >> 2;
        for i in 0..n as i64 {
            h.add(&Scalar::Int(start + i));
            h.add(&Scalar::Int(start + i)); // duplicates do not count
        }
        let est = h.estimate();
        assert!(
            (est - n as f64).abs() <= 0.05 * n as f64,
            "seed {seed}: {est} for {n}"
        );
    }
    assert_eq!(HyperLogLog::new().estimate(), 0.0);
}

fn true_le(values: &[Scalar], x: &Scalar) -> f64 {
    values
        .iter()
        .filter(|v| compare(v, x).is_some_and(|o| o.is_le()))
        .count() as f64
}

#[test]
fn histogram_estimates_within_one_bucket() {
    for seed in 0..5u64 {
        let mut rng = SplitMix64::new(0x4157 + seed);
        let shape = SHAPES[seed as usize % SHAPES.len()];
        let values: Vec<Scalar> = ints(shape, 10_000, &mut rng)
            .into_iter()
            .map(Scalar::Int)
            .collect();
        let h = EquiDepthHistogram::build(&values, 20);
        let max_bucket = *h.counts.iter().max().expect("buckets") as f64;
        assert_eq!(h.counts.iter().sum::<u64>(), 10_000);
        for _ in 0..200 {
            let x = values[rng.below(10_000) as usize].clone();
            let x = if let Scalar::Int(v) = x {
                Scalar::Int(v.saturating_add(rng.below(3) as i64 - 1))
            } else {
                x
            };
            let (est, want) = (h.estimate_le(&x), true_le(&values, &x));
            assert!(
                (est - want).abs() <= max_bucket,
                "seed {seed} {shape:?} {x:?}: {est} vs {want}"
            );
        }
    }
}

#[test]
fn merged_statistics_equal_statistics_of_the_concatenation() {
    for seed in 0..4u64 {
        let mut rng = SplitMix64::new(0x3E26E + seed);
        let a = column(
            Values::Int(ints(Shape::RandomWide, 5000, &mut rng)),
            1,
            &mut rng,
        );
        let b = column(
            Values::Int(ints(Shape::Sorted, 3000, &mut rng)),
            2,
            &mut rng,
        );
        let mut all_vals = match (&a.values, &b.values) {
            (Values::Int(x), Values::Int(y)) => [x.clone(), y.clone()].concat(),
            _ => unreachable!(),
        };
        let mut validity = Bitmap::all(8000);
        for i in 0..8000 {
            let null = if i < 5000 {
                a.is_null(i)
            } else {
                b.is_null(i - 5000)
            };
            validity.set(i, !null);
        }
        let both = ColumnVector {
            values: Values::Int(std::mem::take(&mut all_vals)),
            validity: Some(validity),
        };
        let mut merged = ColumnStats::of(&a, 16);
        merged.merge(&ColumnStats::of(&b, 16));
        let whole = ColumnStats::of(&both, 16);
        let ctx = format!("seed {seed}");
        assert_eq!(
            (merged.rows, merged.null_count),
            (whole.rows, whole.null_count),
            "{ctx}"
        );
        assert_eq!(
            (&merged.min, &merged.max),
            (&whole.min, &whole.max),
            "{ctx}"
        );
        assert_eq!(merged.distinct, whole.distinct, "{ctx}");
        // The merged histogram is approximate: within the input and output bucket errors.
        let values = crate::columnar::stats::scalars(&both);
        let slack = |h: &EquiDepthHistogram| *h.counts.iter().max().unwrap_or(&0) as f64;
        let bound = slack(&ColumnStats::of(&a, 16).histogram)
            + slack(&ColumnStats::of(&b, 16).histogram)
            + slack(&merged.histogram);
        for _ in 0..100 {
            let x = values[rng.below(values.len() as u64) as usize].clone();
            let (est, want) = (merged.histogram.estimate_le(&x), true_le(&values, &x));
            assert!((est - want).abs() <= bound, "{ctx} {x:?}: {est} vs {want}");
        }
    }
}

#[test]
fn statistics_and_zone_maps_round_trip_and_refuse_damage() {
    let mut rng = SplitMix64::new(0x57A7);
    for ty in [
        PhysicalType::Int,
        PhysicalType::Double,
        PhysicalType::Bool,
        PhysicalType::Bytes,
    ] {
        let col = column(values(ty, Shape::FewDistinct, 500, &mut rng), 1, &mut rng);
        let stats = ColumnStats::of(&col, 8);
        let mut out = Vec::new();
        stats.encode(&mut out);
        assert_eq!(
            ColumnStats::decode(&mut Reader::new(&out)).expect("stats"),
            stats,
            "{ty:?}"
        );
        for cut in 0..out.len() {
            assert!(
                ColumnStats::decode(&mut Reader::new(&out[..cut])).is_err(),
                "{ty:?} cut {cut}"
            );
        }
        let zone = ZoneMap::of(&col);
        let mut z = Vec::new();
        zone.encode(&mut z);
        assert_eq!(ZoneMap::decode(&mut Reader::new(&z)).expect("zone"), zone);
        for cut in 0..z.len() {
            assert!(ZoneMap::decode(&mut Reader::new(&z[..cut])).is_err());
        }
    }
}

#[test]
fn bytes_zone_bounds_are_truncated_bounds() {
    let mut rng = SplitMix64::new(0x2013);
    for _ in 0..50 {
        let mut col = ByteColumn::new();
        for _ in 0..rng.range_inclusive(1, 20) {
            let len = rng.below(150) as usize;
            let fill = if rng.chance(1, 2) {
                0xFF
            } else {
                rng.next_u64() as u8
            };
            col.push(&vec![fill; len]);
        }
        let values: Vec<Vec<u8>> = col.iter().map(<[u8]>::to_vec).collect();
        let zone = ZoneMap::of(&ColumnVector {
            values: Values::Bytes(col),
            validity: None,
        });
        let Some(Scalar::Bytes(min)) = &zone.min else {
            panic!("a minimum")
        };
        assert!(min.len() <= ZONE_BYTES && values.iter().all(|v| min <= v));
        if let Some(Scalar::Bytes(max)) = &zone.max {
            assert!(
                max.len() <= ZONE_BYTES && values.iter().all(|v| max >= v),
                "{max:?}"
            );
        }
    }
}

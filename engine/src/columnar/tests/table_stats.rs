//! Stored column statistics entries (every damaged byte refused, never a panic), the
//! verification's rules, and the estimates of each predicate on known distributions.

use super::*;
use crate::columnar::predicate::{ChunkPredicate, CmpOp, Scalar};
use crate::columnar::stats::ColumnStats;
use crate::columnar::stats::estimate::selectivity;
use crate::columnar::table_stats::verify::compare_stats;
use crate::columnar::table_stats::{HISTOGRAM_BUCKETS, StoredStats};

fn int_column(values: &[Option<i64>]) -> ColumnVector {
    let mut validity = Bitmap::all(values.len());
    for (i, v) in values.iter().enumerate() {
        if v.is_none() {
            validity.set(i, false);
        }
    }
    ColumnVector {
        values: Values::Int(values.iter().map(|v| v.unwrap_or(0)).collect()),
        validity: Some(validity),
    }
}

fn sample() -> StoredStats {
    let vals: Vec<Option<i64>> = (0..3000)
        .map(|i| if i % 10 == 0 { None } else { Some(i % 500) })
        .collect();
    StoredStats {
        inserted: 3000,
        deleted: 12,
        stats: ColumnStats::of(&int_column(&vals), HISTOGRAM_BUCKETS),
    }
}

#[test]
fn an_entry_round_trips_and_every_damaged_byte_is_refused() {
    let s = sample();
    let bytes = s.encode();
    assert_eq!(StoredStats::decode(&bytes).expect("decodes"), s);
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x04;
        assert!(StoredStats::decode(&b).is_err(), "byte {i} flipped");
    }
    for cut in 0..bytes.len() {
        assert!(StoredStats::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn verification_is_exact_without_deletes_and_conservative_with_them() {
    let live = sample().stats;
    let exact = StoredStats {
        inserted: 0,
        deleted: 0,
        stats: live.clone(),
    };
    assert!(compare_stats(&exact, &live).is_empty());
    let mut off = exact.clone();
    off.stats.null_count += 1;
    off.stats.min = Some(Scalar::Int(-1));
    let problems = compare_stats(&off, &live);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("NULL count 301 stored, 300"),
        "{problems:?}"
    );
    assert!(problems[1].contains("min -1 stored, 1 in"), "{problems:?}");
    // With rows deleted since ANALYZE, wider bounds and more rows (up to the deleted count)
    // pass; narrower bounds or too many rows do not.
    let mut stale = off.clone();
    stale.deleted = 5;
    stale.stats.rows += 5;
    stale.stats.max = Some(Scalar::Int(10_000));
    assert!(compare_stats(&stale, &live).is_empty());
    stale.stats.rows += 1;
    stale.stats.max = Some(Scalar::Int(498));
    let problems = compare_stats(&stale, &live);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1].contains("does not bound the live max 499"),
        "{problems:?}"
    );
    // A sketch of other values is beyond the error bound.
    let other: Vec<Option<i64>> = (0..3000).map(|i| Some(i + 1_000_000)).collect();
    let mut sketch = exact.clone();
    sketch.stats.distinct = ColumnStats::of(&int_column(&other), 4).distinct;
    let problems = compare_stats(&sketch, &live);
    assert!(
        problems.iter().any(|p| p.contains("distinct estimate")),
        "{problems:?}"
    );
}

#[test]
fn estimates_follow_a_known_distribution() {
    // 0..10_000 uniform, each value once, and 2 500 NULLs.
    let vals: Vec<Option<i64>> = (0..12_500)
        .map(|i| (i % 5 != 4).then_some(i / 5 * 4 + i % 5))
        .collect();
    let s = ColumnStats::of(&int_column(&vals), HISTOGRAM_BUCKETS);
    assert_eq!((s.rows, s.null_count), (12_500, 2_500));
    let rows = |p: ChunkPredicate| selectivity(&s, &p) * 12_500.0;
    let cmp = |op, v| ChunkPredicate::Cmp {
        op,
        value: Scalar::Int(v),
    };
    let bucket = 10_000.0 / HISTOGRAM_BUCKETS as f64;
    let near = |got: f64, want: f64, tol: f64| {
        assert!((got - want).abs() <= tol, "{got} against {want} ± {tol}");
    };
    near(rows(cmp(CmpOp::Eq, 77)), 1.0, 0.1);
    near(rows(cmp(CmpOp::Eq, 10_000)), 0.0, 0.0);
    near(rows(cmp(CmpOp::Ne, 77)), 9_999.0, 1.0);
    near(rows(cmp(CmpOp::Lt, 2_500)), 2_500.0, bucket);
    near(rows(cmp(CmpOp::Le, 2_500)), 2_501.0, bucket);
    near(rows(cmp(CmpOp::Gt, 7_000)), 2_999.0, bucket);
    near(rows(cmp(CmpOp::Ge, 7_000)), 3_000.0, bucket);
    near(
        rows(ChunkPredicate::Between {
            lo: Scalar::Int(1_000),
            hi: Scalar::Int(1_999),
        }),
        1_000.0,
        2.0 * bucket,
    );
    near(rows(ChunkPredicate::IsNull), 2_500.0, 0.0);
    near(rows(ChunkPredicate::IsNotNull), 10_000.0, 0.0);
    near(
        rows(ChunkPredicate::InList(vec![
            Scalar::Int(1),
            Scalar::Int(2),
            Scalar::Int(-5),
        ])),
        2.0,
        0.2,
    );
    // No rows described: no information, nothing filtered.
    assert_eq!(
        selectivity(&ColumnStats::default(), &cmp(CmpOp::Eq, 1)),
        1.0
    );
}

#[test]
fn statistics_built_per_type_equal_those_built_from_scalars() {
    use crate::columnar::stats::{EquiDepthHistogram, HyperLogLog, scalars};
    for seed in 0..seeds(3) {
        let mut rng = SplitMix64::new(0x5747 + seed);
        for ty in [
            PhysicalType::Int,
            PhysicalType::Double,
            PhysicalType::Bool,
            PhysicalType::Bytes,
        ] {
            for shape in SHAPES {
                let n = 1 + rng.below(3000) as usize;
                let nulls = rng.below(3);
                let col = column(values(ty, shape, n, &mut rng), nulls, &mut rng);
                let vals = scalars(&col);
                let mut sketch = HyperLogLog::new();
                for v in &vals {
                    sketch.add(v);
                }
                let hist = EquiDepthHistogram::build(&vals, 16);
                let got = ColumnStats::of(&col, 16);
                let what = format!("seed {seed} {ty:?} {shape:?} n {n}");
                assert_eq!(got.histogram, hist, "{what}");
                assert_eq!(got.distinct, sketch, "{what}");
                assert_eq!(got.rows, n as u64, "{what}");
                assert_eq!(got.null_count, col.null_count() as u64, "{what}");
                assert_eq!(
                    (got.min.as_ref(), got.max.as_ref()),
                    (hist.bounds.first(), hist.bounds.last()),
                    "{what}"
                );
            }
        }
    }
}

#[test]
fn a_large_segment_histogram_from_a_sample_keeps_exact_bounds_and_counts() {
    use crate::columnar::stats::build::HISTOGRAM_SAMPLE;
    use crate::columnar::stats::{EquiDepthHistogram, scalars};
    for seed in 0..seeds(2) {
        let mut rng = SplitMix64::new(0x5A3F + seed);
        for ty in [PhysicalType::Int, PhysicalType::Double, PhysicalType::Bytes] {
            for shape in [
                Shape::Sorted,
                Shape::RandomWide,
                Shape::FewDistinct,
                Shape::Runs,
            ] {
                let n = HISTOGRAM_SAMPLE * 4 + rng.below(5000) as usize;
                let col = column(values(ty, shape, n, &mut rng), 1, &mut rng);
                let vals = scalars(&col);
                let exact = EquiDepthHistogram::build(&vals, HISTOGRAM_BUCKETS);
                let got = ColumnStats::of(&col, HISTOGRAM_BUCKETS);
                let what = format!("seed {seed} {ty:?} {shape:?} n {n}");
                let h = &got.histogram;
                assert_eq!(
                    h.counts.iter().sum::<u64>(),
                    exact.counts.iter().sum::<u64>(),
                    "{what}"
                );
                assert_eq!(
                    (h.bounds.first(), h.bounds.last()),
                    (exact.bounds.first(), exact.bounds.last()),
                    "{what}"
                );
                assert!(h.counts.len() <= HISTOGRAM_BUCKETS, "{what}");
                let worst = *exact.counts.iter().max().unwrap_or(&0) as f64;
                for _ in 0..50 {
                    let x = &vals[rng.below(vals.len() as u64) as usize];
                    let (est, want) = (h.estimate_le(x), exact.estimate_le(x));
                    assert!(
                        (est - want).abs() <= 2.0 * worst + 8.0,
                        "{what} {x:?}: {est} against {want}"
                    );
                }
            }
        }
    }
}

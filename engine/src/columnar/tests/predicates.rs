//! `filter` on every encoding against the naive evaluation of the decoded values, and
//! `may_match` never pruning a chunk that has a match.

use super::*;
use crate::columnar::encoding::{EncodeOptions, EncodingKind, decode, encode};
use crate::columnar::predicate::{ChunkPredicate, CmpOp, Scalar, eval, filter, may_match};

const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

fn scalar_at(col: &ColumnVector, i: usize) -> Option<Scalar> {
    if col.is_null(i) {
        return None;
    }
    Some(match &col.values {
        Values::Int(v) => Scalar::Int(v[i]),
        Values::Double(v) => Scalar::Double(v[i]),
        Values::Bool(v) => Scalar::Bool(v[i]),
        Values::Bytes(c) => Scalar::Bytes(c.get(i).to_vec()),
    })
}

/// A constant near the column's values (or an edge case).
fn constant(col: &ColumnVector, rng: &mut SplitMix64) -> Scalar {
    let n = col.len();
    let pick = if n == 0 {
        None
    } else {
        scalar_at(col, rng.below(n as u64) as usize)
    };
    let nudge = rng.below(8);
    match (pick, col.values.physical_type()) {
        (Some(Scalar::Int(x)), _) => match nudge {
            0 => Scalar::Int(x.saturating_add(1)),
            1 => Scalar::Double(x as f64 + 0.5),
            2 => Scalar::Double(x as f64 - 0.25),
            3 => Scalar::Double(x as f64),
            4 => Scalar::Double(
                [f64::NAN, 1e300, -1e300, (1u64 << 63) as f64][rng.below(4) as usize],
            ),
            5 => Scalar::Int([i64::MIN, i64::MAX][rng.below(2) as usize]),
            _ => Scalar::Int(x),
        },
        (Some(Scalar::Double(x)), _) => match nudge {
            0 => Scalar::Double(x + 0.005),
            1 => Scalar::Double(x - 0.01),
            2 => Scalar::Int(x as i64),
            3 => Scalar::Double([f64::NAN, 0.0, -0.0, f64::INFINITY][rng.below(4) as usize]),
            4 => Scalar::Double(x * 1.0000001),
            _ => Scalar::Double(x),
        },
        (Some(Scalar::Bytes(mut b)), _) => {
            if nudge == 0 {
                b.push(0);
            } else if nudge == 1 {
                b.pop();
            }
            Scalar::Bytes(b)
        }
        (Some(s), _) => s,
        (None, PhysicalType::Int) => Scalar::Int(0),
        (None, PhysicalType::Double) => Scalar::Double(0.0),
        (None, PhysicalType::Bool) => Scalar::Bool(true),
        (None, PhysicalType::Bytes) => Scalar::Bytes(b"MAIL".to_vec()),
    }
}

fn predicate(col: &ColumnVector, rng: &mut SplitMix64) -> ChunkPredicate {
    match rng.below(6) {
        0 => ChunkPredicate::Between {
            lo: constant(col, rng),
            hi: constant(col, rng),
        },
        1 => ChunkPredicate::IsNull,
        2 => ChunkPredicate::IsNotNull,
        3 => ChunkPredicate::InList((0..rng.below(4)).map(|_| constant(col, rng)).collect()),
        _ => ChunkPredicate::Cmp {
            op: OPS[rng.below(6) as usize],
            value: constant(col, rng),
        },
    }
}

#[test]
fn filter_equals_naive_evaluation_on_every_encoding() {
    let types = [
        PhysicalType::Int,
        PhysicalType::Double,
        PhysicalType::Bool,
        PhysicalType::Bytes,
    ];
    for seed in 0..seeds(12) {
        let mut rng = SplitMix64::new(0xF117E2 + seed);
        for ty in types {
            for shape in SHAPES {
                let n = [0, 1, 5, 64, 130, 1000][rng.below(6) as usize];
                let nulls = rng.below(3);
                let col = column(values(ty, shape, n, &mut rng), nulls, &mut rng);
                let mut forces: Vec<Option<EncodingKind>> = vec![None];
                forces.extend(
                    EncodingKind::ALL
                        .into_iter()
                        .filter(|k| k.applies_to(ty))
                        .map(Some),
                );
                for force in forces {
                    let chunk = encode(
                        &col,
                        &EncodeOptions {
                            sample: true,
                            force,
                        },
                    );
                    let decoded = decode(&chunk.bytes, ty, n).expect("decodes");
                    for _ in 0..12 {
                        let pred = predicate(&col, &mut rng);
                        let ctx = format!(
                            "seed {seed} {ty:?} {shape:?} n={n} {} {pred:?}",
                            chunk.encoding
                        );
                        let got = filter(&chunk.bytes, ty, n, &pred)
                            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        let want: Vec<usize> = (0..n)
                            .filter(|&i| eval(&pred, scalar_at(&decoded, i).as_ref()))
                            .collect();
                        assert_eq!(got.iter_ones().collect::<Vec<_>>(), want, "{ctx}");
                        if !want.is_empty() {
                            assert!(
                                may_match(&chunk.zone, &pred),
                                "{ctx}: zone {:?} pruned a match",
                                chunk.zone
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn integer_columns_compare_exactly_with_double_constants() {
    let col = ColumnVector {
        values: Values::Int(vec![1, 2, 3, -3, i64::MAX, (1 << 53) + 1]),
        validity: None,
    };
    for kind in [
        EncodingKind::For,
        EncodingKind::Dict,
        EncodingKind::Rle,
        EncodingKind::Plain,
    ] {
        let chunk = encode(
            &col,
            &EncodeOptions {
                sample: true,
                force: Some(kind),
            },
        );
        let f = |op, c: f64| {
            let p = ChunkPredicate::Cmp {
                op,
                value: Scalar::Double(c),
            };
            filter(&chunk.bytes, PhysicalType::Int, 6, &p)
                .expect("filter")
                .iter_ones()
                .collect::<Vec<_>>()
        };
        assert_eq!(f(CmpOp::Lt, 2.5), [0, 1, 3], "{kind:?}");
        assert_eq!(f(CmpOp::Ge, -2.5), [0, 1, 2, 4, 5], "{kind:?}");
        assert_eq!(f(CmpOp::Eq, 2.5), Vec::<usize>::new(), "{kind:?}");
        assert_eq!(f(CmpOp::Ne, 2.5).len(), 6, "{kind:?}");
        assert_eq!(
            f(CmpOp::Eq, (1u64 << 53) as f64),
            Vec::<usize>::new(),
            "{kind:?}: 2^53+1 != 2^53"
        );
        assert_eq!(f(CmpOp::Lt, 9.3e18), [0, 1, 2, 3, 4, 5], "{kind:?}");
        assert_eq!(
            f(CmpOp::Ne, f64::NAN),
            Vec::<usize>::new(),
            "{kind:?}: NaN matches nothing"
        );
    }
}

#[test]
fn decimal_predicates_compare_mantissas_exactly() {
    let prices = vec![0.1, 0.2, 0.3, 1234.56, -7.05, 99.99];
    let col = ColumnVector {
        values: Values::Double(prices.clone()),
        validity: None,
    };
    let chunk = encode(
        &col,
        &EncodeOptions {
            sample: true,
            force: Some(EncodingKind::Decimal),
        },
    );
    assert_eq!(chunk.encoding.kind, EncodingKind::Decimal);
    for c in [
        0.1 + 0.2,
        0.3,
        0.30000000000000004,
        99.99,
        99.990000001,
        -7.05,
        1234.56,
    ] {
        for op in OPS {
            let p = ChunkPredicate::Cmp {
                op,
                value: Scalar::Double(c),
            };
            let got: Vec<usize> = filter(&chunk.bytes, PhysicalType::Double, 6, &p)
                .expect("filter")
                .iter_ones()
                .collect();
            let want: Vec<usize> = (0..6)
                .filter(|&i| op.holds(prices[i].partial_cmp(&c)))
                .collect();
            assert_eq!(got, want, "{op:?} {c:?}");
        }
    }
}

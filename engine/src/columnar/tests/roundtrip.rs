//! Round trips of every encoding, forced and chosen, and the chooser's picks.

use super::*;
use crate::columnar::encoding::{EncodeOptions, EncodingKind, decode, encode};

const TYPES: [PhysicalType; 4] = [
    PhysicalType::Int,
    PhysicalType::Double,
    PhysicalType::Bool,
    PhysicalType::Bytes,
];

fn check(col: &ColumnVector, opts: &EncodeOptions, ctx: &str) -> EncodingKind {
    let ty = col.values.physical_type();
    let chunk = encode(col, opts);
    let back = decode(&chunk.bytes, ty, col.len())
        .unwrap_or_else(|e| panic!("{ctx}: {} failed to decode: {e}", chunk.encoding));
    assert!(
        same(col, &back),
        "{ctx}: {} did not round-trip",
        chunk.encoding
    );
    assert_eq!(chunk.zone, crate::columnar::ZoneMap::of(col), "{ctx}");
    chunk.encoding.kind
}

#[test]
fn every_encoding_round_trips_every_shape() {
    for seed in 0..seeds(2) {
        let mut rng = SplitMix64::new(0x5EED_0000 + seed);
        for ty in TYPES {
            for shape in SHAPES {
                for n in [0usize, 1, 2, 63, 64, 65, 700, 3000] {
                    let nulls = rng.below(3);
                    let col = column(values(ty, shape, n, &mut rng), nulls, &mut rng);
                    let ctx = format!("seed {seed} {ty:?} {shape:?} n={n} nulls={nulls}/8");
                    for sample in [true, false] {
                        check(
                            &col,
                            &EncodeOptions {
                                sample,
                                force: None,
                            },
                            &ctx,
                        );
                    }
                    for kind in EncodingKind::ALL {
                        let opts = EncodeOptions {
                            sample: true,
                            force: Some(kind),
                        };
                        let got = check(&col, &opts, &format!("{ctx} forced {kind:?}"));
                        let applies = kind.applies_to(ty)
                            && !matches!(kind, EncodingKind::BitPack | EncodingKind::Decimal);
                        if applies {
                            assert_eq!(got, kind, "{ctx}: forcing {kind:?}");
                        }
                        if !kind.applies_to(ty) {
                            assert_ne!(got, kind, "{ctx}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn large_chunks_round_trip() {
    let mut rng = SplitMix64::new(0x128_000);
    for ty in TYPES {
        for shape in [Shape::Sorted, Shape::FewDistinct, Shape::RandomWide] {
            let col = column(values(ty, shape, 128 * 1024, &mut rng), 1, &mut rng);
            check(
                &col,
                &EncodeOptions::default(),
                &format!("seed 0x128000 {ty:?} {shape:?}"),
            );
        }
    }
}

#[test]
fn pseudodecimal_refuses_nan_infinity_negative_zero_and_falls_back() {
    for bad in [f64::NAN, f64::INFINITY, -0.0, 0.123_45, 1e300] {
        let col = ColumnVector {
            values: Values::Double(vec![1.25, bad, 2.5]),
            validity: None,
        };
        let opts = EncodeOptions {
            sample: true,
            force: Some(EncodingKind::Decimal),
        };
        let kind = check(&col, &opts, &format!("{bad:?}"));
        assert_ne!(
            kind,
            EncodingKind::Decimal,
            "{bad:?} is not a pseudodecimal"
        );
    }
    let col = ColumnVector {
        values: Values::Double(vec![1.25, 2.5, 0.0001]),
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
    assert_eq!(chunk.encoding.param, 4);
}

fn chosen(values: Values) -> crate::columnar::Encoding {
    let col = ColumnVector {
        values,
        validity: None,
    };
    let chunk = encode(&col, &EncodeOptions::default());
    let back = decode(&chunk.bytes, col.values.physical_type(), col.len()).expect("decodes");
    assert!(same(&col, &back));
    chunk.encoding
}

#[test]
fn chooser_picks_the_encoding_the_data_calls_for() {
    let mut rng = SplitMix64::new(0xC0FFEE);
    let n = 64 * 1024;
    // Low-cardinality strings: a dictionary (or runs).
    let e = chosen(Values::Bytes(bytes(Shape::FewDistinct, n, &mut rng)));
    assert!(
        matches!(e.kind, EncodingKind::Dict | EncodingKind::Rle),
        "strings: {e}"
    );
    // Long runs.
    let runs: Vec<i64> = (0..n).map(|i| (i / 500) as i64 * 7919 % 1000).collect();
    let e = chosen(Values::Int(runs));
    assert_eq!(e.kind, EncodingKind::Rle, "runs: {e}");
    // Sorted keys: delta.
    let e = chosen(Values::Int(
        ints(Shape::Sorted, n, &mut rng)
            .iter()
            .map(|x| x * 1000 + (1 << 40))
            .collect(),
    ));
    assert_eq!(e.kind, EncodingKind::Delta, "sorted: {e}");
    // Two-decimal prices: pseudodecimal.
    let prices: Vec<f64> = (0..n)
        .map(|_| (rng.range_inclusive(90_000, 10_500_000) as f64) / 100.0)
        .collect();
    let e = chosen(Values::Double(prices));
    assert_eq!(e.kind, EncodingKind::Decimal, "prices: {e}");
    assert_eq!(e.param, 2);
    assert!(e.to_string().starts_with("decimal[2]("), "{e}");
    // Random bytes: nothing beats plain offsets much.
    let e = chosen(Values::Bytes(bytes(Shape::RandomWide, n, &mut rng)));
    assert!(
        matches!(e.kind, EncodingKind::Plain | EncodingKind::Fallback),
        "random bytes: {e}"
    );
}

#[test]
fn encodings_print_as_trees() {
    use crate::columnar::Encoding;
    let leaf = |k, p| Encoding::leaf(k, p);
    let dict = Encoding {
        kind: EncodingKind::Dict,
        param: 0,
        children: vec![leaf(EncodingKind::BitPack, 4)],
    };
    assert_eq!(dict.to_string(), "dict(bitpack[4])");
    let rle = Encoding {
        kind: EncodingKind::Rle,
        param: 0,
        children: vec![
            leaf(EncodingKind::BitPack, 7),
            leaf(EncodingKind::BitPack, 3),
        ],
    };
    assert_eq!(rle.to_string(), "rle(values=bitpack[7],runs=bitpack[3])");
    let dec = Encoding {
        kind: EncodingKind::Decimal,
        param: 2,
        children: vec![leaf(EncodingKind::For, 17)],
    };
    assert_eq!(dec.to_string(), "decimal[2](for+bitpack[17])");
}

#[test]
fn vectors_convert_from_and_to_values() {
    use crate::schema::value::{ColumnType, Value};
    let vals = vec![
        Value::Text("a".into()),
        Value::Null,
        Value::Text(String::new()),
    ];
    let col = ColumnVector::from_values(ColumnType::Text, &vals).expect("text");
    assert_eq!((col.len(), col.null_count()), (3, 1));
    let back: Vec<Value> = (0..3).map(|i| col.value(i, ColumnType::Text)).collect();
    assert_eq!(back, vals);
    let g = col.gather(&[2, 0]);
    assert_eq!(g.value(1, ColumnType::Text), Value::Text("a".into()));
    assert!(ColumnVector::from_values(ColumnType::Int, &[Value::Bool(true)]).is_err());
    let ts = ColumnVector::from_values(ColumnType::Timestamp, &[Value::Timestamp(5)]).expect("ts");
    assert_eq!(ts.value(0, ColumnType::Timestamp), Value::Timestamp(5));
    let mut b = Bitmap::none(130);
    b.set_range(60, 70);
    b.set(129, true);
    assert_eq!(
        b.iter_ones().collect::<Vec<_>>(),
        [60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 129]
    );
    assert_eq!(b.and(&Bitmap::all(130)).count_ones(), 11);
    assert_eq!(b.or(&Bitmap::none(130)), b);
}

#[test]
fn a_slice_equals_the_gather_of_its_run() {
    use crate::schema::value::{ColumnType, Value};
    let values: Vec<Value> = (0..300)
        .map(|i| {
            if i % 7 == 0 {
                Value::Null
            } else {
                Value::Text(format!("v{i}"))
            }
        })
        .collect();
    let col = ColumnVector::from_values(ColumnType::Text, &values).expect("vector");
    for (start, len) in [(0, 300), (5, 64), (63, 65), (299, 1), (290, 50), (300, 4)] {
        let run: Vec<u32> = (start..(start + len).min(300)).map(|i| i as u32).collect();
        assert_eq!(
            col.slice(start, len),
            col.gather(&run),
            "slice({start}, {len})"
        );
    }
}

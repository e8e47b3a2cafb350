//! Seeded property tests of the key encoding: order, round trip, prefix-freeness, and refusal
//! of corrupt bytes.

use super::*;
use crate::util::rng::SplitMix64;

const SEED: u64 = 0x5EED_CAFE_0015;
const CASES: usize = 4000;

fn random_value(rng: &mut SplitMix64, ty: ColumnType) -> Value {
    if rng.chance(1, 10) {
        return Value::Null;
    }
    let small = |rng: &mut SplitMix64| rng.below(6) as i64 - 3;
    match ty {
        ColumnType::Int => Value::Int(match rng.below(3) {
            0 => small(rng),
            1 => [i64::MIN, i64::MAX, 0, -1][rng.below(4) as usize],
            _ => rng.next_u64() as i64,
        }),
        ColumnType::Timestamp => Value::Timestamp(rng.next_u64() as i64 >> rng.below(40)),
        ColumnType::Double => Value::Double(match rng.below(4) {
            0 => [
                0.0,
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                f64::MIN_POSITIVE,
            ][rng.below(6) as usize],
            1 => small(rng) as f64 / 2.0,
            _ => f64::from_bits(rng.next_u64()),
        }),
        ColumnType::Text => {
            let len = rng.below(6) as usize;
            let s: String = (0..len)
                .map(|_| ['\0', 'a', 'b', 'é', '\u{1F600}', '\u{7f}'][rng.below(6) as usize])
                .collect();
            Value::Text(s)
        }
        ColumnType::Bytes => {
            let len = rng.below(6) as usize;
            Value::Bytes(
                (0..len)
                    .map(|_| [0u8, 1, 0xFF, 0x7F, 2][rng.below(5) as usize])
                    .collect(),
            )
        }
        ColumnType::Bool => Value::Bool(rng.chance(1, 2)),
    }
}

fn enc(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(&mut out, v);
    out
}

/// `-0.0` reads back as `0.0` and NaN as the canonical NaN: equal under [`compare`].
fn same(a: &Value, b: &Value) -> bool {
    compare(a, b) == Ordering::Equal
}

#[test]
fn encoded_order_is_value_order_for_every_type() {
    let mut rng = SplitMix64::new(SEED);
    for ty in ColumnType::ALL {
        for case in 0..CASES {
            let (a, b) = (random_value(&mut rng, ty), random_value(&mut rng, ty));
            assert_eq!(
                enc(&a).cmp(&enc(&b)),
                compare(&a, &b),
                "seed {SEED:#x} case {case}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn tuples_round_trip_and_keep_lexicographic_order() {
    let mut rng = SplitMix64::new(SEED ^ 1);
    for case in 0..CASES {
        let types: Vec<ColumnType> = (0..1 + rng.below(3))
            .map(|_| ColumnType::ALL[rng.below(6) as usize])
            .collect();
        let a: Vec<Value> = types.iter().map(|t| random_value(&mut rng, *t)).collect();
        let b: Vec<Value> = types.iter().map(|t| random_value(&mut rng, *t)).collect();
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        encode_tuple(&mut ea, &a);
        encode_tuple(&mut eb, &b);
        let back = decode_tuple(&ea, &types, "test key").expect("own encoding decodes");
        assert!(
            back.iter().zip(&a).all(|(x, y)| same(x, y)),
            "seed {SEED:#x} case {case}: {a:?} read back as {back:?}"
        );
        let want = a
            .iter()
            .zip(&b)
            .map(|(x, y)| compare(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal);
        assert_eq!(
            ea.cmp(&eb),
            want,
            "seed {SEED:#x} case {case}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn no_value_encoding_is_a_prefix_of_another() {
    let mut rng = SplitMix64::new(SEED ^ 2);
    for case in 0..CASES {
        let ty = ColumnType::ALL[rng.below(6) as usize];
        let (a, b) = (random_value(&mut rng, ty), random_value(&mut rng, ty));
        let (ea, eb) = (enc(&a), enc(&b));
        if !same(&a, &b) {
            assert!(
                !eb.starts_with(&ea) && !ea.starts_with(&eb),
                "seed {SEED:#x} case {case}: {a:?} / {b:?} encode as {ea:02x?} / {eb:02x?}"
            );
        }
    }
}

#[test]
fn null_sorts_first_and_doubles_are_normalised() {
    for ty in ColumnType::ALL {
        let mut rng = SplitMix64::new(SEED ^ 3);
        let v = loop {
            let v = random_value(&mut rng, ty);
            if !v.is_null() {
                break v;
            }
        };
        assert!(enc(&Value::Null) < enc(&v));
    }
    assert_eq!(enc(&Value::Double(-0.0)), enc(&Value::Double(0.0)));
    assert!(enc(&Value::Double(f64::INFINITY)) < enc(&Value::Double(f64::NAN)));
    assert_eq!(
        enc(&Value::Double(f64::NAN)),
        enc(&Value::Double(-f64::NAN))
    );
    assert!(enc(&Value::Double(-1.5)) < enc(&Value::Double(-1.0)));
    assert!(enc(&Value::Int(-1)) < enc(&Value::Int(0)));
    assert_eq!(
        enc(&Value::Text("a\0".into())),
        vec![0x03, b'a', 0x00, 0xFF, 0x00, 0x01]
    );
}

#[test]
fn corrupt_keys_are_refused_never_panic() {
    let t = |bytes: &[u8], ty: ColumnType| decode_tuple(bytes, &[ty], "k");
    for (bytes, ty) in [
        (&[][..], ColumnType::Int),
        (&[0x01, 0, 0][..], ColumnType::Int),
        (&[0x03, b'a'][..], ColumnType::Text),
        (&[0x03, 0x00, 0x07][..], ColumnType::Text),
        (&[0x03, 0xC3, 0x00, 0x01][..], ColumnType::Text),
        (&[0x05, 0x02][..], ColumnType::Bool),
        (
            &[0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][..],
            ColumnType::Double,
        ),
        (&[0x01, 0, 0, 0, 0, 0, 0, 0, 0][..], ColumnType::Text),
        (&[0x00, 0x00][..], ColumnType::Int),
    ] {
        match t(bytes, ty) {
            Err(SchemaError::Corrupt { what, .. }) => assert_eq!(what, "k"),
            other => panic!("{bytes:02x?} as {ty}: expected Corrupt, got {other:?}"),
        }
    }
    // Random garbage never panics.
    let mut rng = SplitMix64::new(SEED ^ 4);
    for _ in 0..CASES {
        let len = rng.below(12) as usize;
        let bytes = rng.bytes(len);
        let ty = ColumnType::ALL[rng.below(6) as usize];
        let _ = t(&bytes, ty);
    }
}

#[test]
fn prefix_end_bounds_every_extension() {
    let p = row_prefix(7);
    let end = prefix_end(&p).expect("row prefix is not all 0xFF");
    let mut longer = p.clone();
    encode_value(&mut longer, &Value::Bytes(vec![0xFF; 9]));
    assert!(p < longer && longer < end);
    assert_eq!(prefix_end(&[0x01, 0xFF]), Some(vec![0x02]));
    assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    assert_eq!(catalog_table_key(1), vec![0xFF, 0x53, 0, 1, 0, 0, 0, 1]);
    assert_eq!(
        index_prefix(1, 2),
        vec![0xFF, 0x53, 2, 0, 0, 0, 1, 0, 0, 0, 2]
    );
}

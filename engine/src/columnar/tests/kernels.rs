//! The fast paths of the hot loops against their plain definitions: bit-unpacking by
//! eight-byte windows against the sequential [`Unpacker`], byte-column slices and words, and
//! hash aggregation merged from partial states against one aggregation of all the rows.

use super::*;
use crate::columnar::aggregate::{AggKind, AggSpec, HashAggregate};
use crate::columnar::encoding::bitpack::{Unpacker, pack, unpack};
use crate::columnar::scan::Batch;
use crate::columnar::vexpr::VExpr;
use crate::schema::value::{ColumnType, Value};
use crate::util::SplitMix64;

#[test]
fn unpacking_by_windows_equals_the_sequential_reader_at_every_width() {
    for seed in 0..seeds(2) {
        let mut rng = SplitMix64::new(0xB17_0000 + seed);
        for w in 0..=64u8 {
            for n in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000] {
                let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
                let values: Vec<u64> = (0..n).map(|_| rng.next_u64() & mask).collect();
                let mut bytes = Vec::new();
                pack(values.iter().copied(), w, &mut bytes);
                let got = unpack(&bytes, n, w).expect("valid packing");
                let mut u = Unpacker::new(&bytes, n, w).expect("valid packing");
                let reference: Vec<u64> = (0..n).map(|_| u.next_value()).collect();
                assert_eq!(got, values, "seed {seed} w={w} n={n}");
                assert_eq!(got, reference, "seed {seed} w={w} n={n}");
            }
        }
    }
}

#[test]
fn byte_column_slices_and_words_match_their_values() {
    let mut rng = SplitMix64::new(0x5_11CE);
    let col = bytes(Shape::RandomWide, 300, &mut rng);
    for (start, end) in [
        (0, 0),
        (0, 300),
        (5, 17),
        (299, 300),
        (250, 400),
        (400, 500),
    ] {
        let s = col.slice(start, end);
        let expect: Vec<&[u8]> = (start.min(300)..end.min(300)).map(|i| col.get(i)).collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), expect, "slice {start}..{end}");
    }
    for i in 0..col.len() {
        let v = col.get(i);
        let word = col.word(i);
        if v.len() > 7 {
            assert_eq!(word, None, "row {i}");
        } else {
            let mut w = [0u8; 8];
            w[..v.len()].copy_from_slice(v);
            w[7] = v.len() as u8;
            assert_eq!(word, Some(u64::from_le_bytes(w)), "row {i}: {v:?}");
        }
    }
    assert_eq!(col.word(300), None);
}

fn batch(g: Vec<i64>, text: ByteColumn, x: Vec<f64>) -> Batch {
    let len = g.len();
    Batch {
        columns: vec![
            Some(ColumnVector {
                values: Values::Int(g),
                validity: None,
            }),
            Some(ColumnVector {
                values: Values::Bytes(text),
                validity: None,
            }),
            Some(ColumnVector {
                values: Values::Double(x),
                validity: None,
            }),
        ],
        len,
        locations: Vec::new(),
    }
}

#[test]
fn merged_partial_aggregates_equal_one_aggregate_of_all_rows() {
    for seed in 0..seeds(3) {
        let mut rng = SplitMix64::new(0xA66_0000 + seed);
        let aggs = vec![
            AggSpec {
                kind: AggKind::CountStar,
                arg: None,
                ty: None,
            },
            AggSpec {
                kind: AggKind::Sum,
                arg: Some(VExpr::Column(0)),
                ty: Some(ColumnType::Int),
            },
            AggSpec {
                kind: AggKind::Avg,
                arg: Some(VExpr::Column(2)),
                ty: Some(ColumnType::Double),
            },
            AggSpec {
                kind: AggKind::Min,
                arg: Some(VExpr::Column(2)),
                ty: Some(ColumnType::Double),
            },
            AggSpec {
                kind: AggKind::Max,
                arg: Some(VExpr::Column(1)),
                ty: Some(ColumnType::Text),
            },
        ];
        let keys = vec![(0, ColumnType::Int), (1, ColumnType::Text)];
        let mut whole = HashAggregate::new(keys.clone(), aggs.clone());
        let mut merged = HashAggregate::new(keys, aggs);
        for part in 0..5 {
            let n = rng.range_inclusive(0, 3000) as usize;
            let g: Vec<i64> = (0..n).map(|_| rng.below(4 + part) as i64).collect();
            let text = bytes(Shape::FewDistinct, n, &mut rng);
            // Integers as doubles, so sums are exact whatever the order.
            let x: Vec<f64> = (0..n).map(|_| rng.below(1000) as f64).collect();
            let b = batch(g, text, x);
            whole.add(&b).expect("add");
            let mut partial = merged.empty_like();
            partial.add(&b).expect("add");
            merged.merge(partial).expect("merge");
        }
        let (a, b) = (whole.finish(), merged.finish());
        assert!(!a.is_empty(), "seed {seed}");
        assert_eq!(a, b, "seed {seed}");
        // Every group's key is unique.
        let mut keys: Vec<(Value, Value)> =
            a.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
        keys.dedup();
        assert_eq!(keys.len(), a.len(), "seed {seed}");
    }
}

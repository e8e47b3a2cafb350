//! Tests of the columnar layer. Every randomized test is seeded and names its seed (and the
//! case) in its failure message, so a failure replays exactly; `LDB_COLUMNAR_SEEDS=n` runs n
//! seeds of each instead of the few `cargo test` runs.
//!
//! * `roundtrip` — every encoding (forced) and the chooser on many data shapes, and what the
//!   chooser picks;
//! * `corrupt` — flipped and cut bytes, and structurally invalid chunks with valid checksums;
//! * `predicates` — `filter` against the naive evaluation, `may_match` against `filter`;
//! * `statistics` — sketches, histograms, merging, the zone map and stats codecs;
//! * `table_stats` — stored statistics entries, their verification, row estimates;
//! * `fsst` — the FSST encoding: round trips, what the chooser picks, damaged tables;
//! * `kernels` — fast paths of the hot loops against their plain definitions.

mod corrupt;
mod fsst;
mod kernels;
mod predicates;
mod roundtrip;
mod statistics;
mod table_stats;

use super::vector::{Bitmap, ByteColumn, ColumnVector, PhysicalType, Values};

/// How many seeds a randomized test runs: `default`, or `LDB_COLUMNAR_SEEDS` when set (a longer
/// run than `cargo test`'s, e.g. nightly).
pub(super) fn seeds(default: u64) -> u64 {
    std::env::var("LDB_COLUMNAR_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
use crate::util::SplitMix64;

/// Shapes of generated data.
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape {
    Constant,
    Sorted,
    FewDistinct,
    RandomWide,
    Negative,
    Extremes,
    Runs,
}

pub(super) const SHAPES: [Shape; 7] = [
    Shape::Constant,
    Shape::Sorted,
    Shape::FewDistinct,
    Shape::RandomWide,
    Shape::Negative,
    Shape::Extremes,
    Shape::Runs,
];

pub(super) fn ints(shape: Shape, n: usize, rng: &mut SplitMix64) -> Vec<i64> {
    let c = rng.next_u64() as i64 >> 8;
    let mut acc = rng.below(1000) as i64;
    let mut run = (0i64, 0u64);
    (0..n)
        .map(|_| match shape {
            Shape::Constant => c,
            Shape::Sorted => {
                acc += rng.below(10) as i64;
                acc
            }
            Shape::FewDistinct => [3, 17, -5, 1000, 42][rng.below(5) as usize],
            Shape::RandomWide => rng.next_u64() as i64,
            Shape::Negative => -(rng.below(1 << 20) as i64) - 1,
            Shape::Extremes => [i64::MIN, i64::MAX, 0, -1, i64::MIN + 1][rng.below(5) as usize],
            Shape::Runs => {
                if run.1 == 0 {
                    run = (rng.below(8) as i64 - 4, rng.range_inclusive(1, 200));
                }
                run.1 -= 1;
                run.0
            }
        })
        .collect()
}

pub(super) fn doubles(shape: Shape, n: usize, rng: &mut SplitMix64) -> Vec<f64> {
    match shape {
        // Two-decimal prices.
        Shape::Sorted | Shape::FewDistinct => ints(shape, n, rng)
            .into_iter()
            .map(|k| (k % 10_000_000) as f64 / 100.0)
            .collect(),
        Shape::Extremes => (0..n)
            .map(|_| {
                [
                    f64::NAN,
                    -0.0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    1.5,
                    f64::MIN_POSITIVE,
                    0.0,
                ][rng.below(7) as usize]
            })
            .collect(),
        Shape::RandomWide => (0..n)
            .map(|_| f64::from_bits(rng.next_u64() >> 2))
            .collect(),
        _ => ints(shape, n, rng)
            .into_iter()
            .map(|k| k as f64 / 8.0)
            .collect(),
    }
}

pub(super) fn bytes(shape: Shape, n: usize, rng: &mut SplitMix64) -> ByteColumn {
    let mut col = ByteColumn::new();
    let words = ["", "AIR", "MAIL", "RAIL", "SHIP", "TRUCK", "FOB", "REG AIR"];
    for (i, k) in ints(shape, n, rng).into_iter().enumerate() {
        match shape {
            Shape::RandomWide => {
                let len = rng.below(40) as usize;
                col.push(&rng.bytes(len));
            }
            Shape::Sorted => col.push(format!("key{i:08}").as_bytes()),
            Shape::Extremes => col.push(&vec![0xFF; rng.below(100) as usize]),
            Shape::Negative => col.push(&comment(rng)),
            _ => col.push(words[(k.unsigned_abs() % words.len() as u64) as usize].as_bytes()),
        }
    }
    col
}

/// Words of TPC-H-like comments.
const VOCABULARY: [&str; 50] = [
    "the",
    "furiously",
    "quickly",
    "carefully",
    "slyly",
    "blithely",
    "final",
    "regular",
    "express",
    "special",
    "pending",
    "ironic",
    "bold",
    "even",
    "silent",
    "unusual",
    "fluffy",
    "idle",
    "ruthless",
    "daring",
    "requests",
    "deposits",
    "packages",
    "accounts",
    "foxes",
    "ideas",
    "theodolites",
    "pinto",
    "beans",
    "instructions",
    "dependencies",
    "excuses",
    "platelets",
    "asymptotes",
    "courts",
    "dolphins",
    "sleep",
    "wake",
    "haggle",
    "nag",
    "use",
    "boost",
    "detect",
    "integrate",
    "cajole",
    "among",
    "across",
    "above",
    "after",
    "according",
];

/// A comment of 10 to 40 characters: vocabulary words joined by spaces.
pub(super) fn comment(rng: &mut SplitMix64) -> Vec<u8> {
    let target = rng.range_inclusive(10, 40) as usize;
    let mut s = String::new();
    while s.len() < target {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(VOCABULARY[rng.below(VOCABULARY.len() as u64) as usize]);
    }
    s.truncate(target);
    s.into_bytes()
}

/// `n` comments.
pub(super) fn comments(n: usize, rng: &mut SplitMix64) -> ByteColumn {
    let mut col = ByteColumn::new();
    for _ in 0..n {
        col.push(&comment(rng));
    }
    col
}

pub(super) fn values(ty: PhysicalType, shape: Shape, n: usize, rng: &mut SplitMix64) -> Values {
    match ty {
        PhysicalType::Int => Values::Int(ints(shape, n, rng)),
        PhysicalType::Double => Values::Double(doubles(shape, n, rng)),
        PhysicalType::Bool => {
            Values::Bool(ints(shape, n, rng).iter().map(|x| x % 2 == 0).collect())
        }
        PhysicalType::Bytes => Values::Bytes(bytes(shape, n, rng)),
    }
}

/// A column of `values` where each row is NULL with probability `nulls / 8` (NULL slots hold
/// the default value, as the layer requires).
pub(super) fn column(values: Values, nulls: u64, rng: &mut SplitMix64) -> ColumnVector {
    let n = values.len();
    let mut validity = Bitmap::all(n);
    for i in 0..n {
        if rng.chance(nulls, 8) {
            validity.set(i, false);
        }
    }
    let col = ColumnVector {
        values,
        validity: Some(validity),
    };
    let null_rows: Vec<u32> = (0..n as u32).collect();
    let mut col = col.gather(&null_rows);
    // Reset NULL slots to defaults.
    for i in 0..n {
        if col.is_null(i) {
            match &mut col.values {
                Values::Int(v) => v[i] = 0,
                Values::Double(v) => v[i] = 0.0,
                Values::Bool(v) => v[i] = false,
                Values::Bytes(_) => {}
            }
        }
    }
    if let Values::Bytes(c) = &col.values {
        let mut out = ByteColumn::new();
        for (i, v) in c.iter().enumerate() {
            out.push(if col.is_null(i) { &[] } else { v });
        }
        col.values = Values::Bytes(out);
    }
    if col.null_count() == 0 {
        col.validity = None;
    }
    col
}

/// Equality with doubles compared bit for bit.
pub(super) fn same(a: &ColumnVector, b: &ColumnVector) -> bool {
    let values = match (&a.values, &b.values) {
        (Values::Double(x), Values::Double(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
        }
        (x, y) => x == y,
    };
    values && a.validity == b.validity
}

//! Criterion benchmarks of the columnar chunk codecs: encode and decode 128k-row chunks of
//! sorted `i64` keys, two-decimal prices and 25-distinct strings (rows/s), and `filter` with
//! a `BETWEEN` on a frame-of-reference bit-packed `i64` chunk, evaluated on the packed data;
//! and encode/decode of 64k TPC-H-like comments (vocabulary words, 10–40 bytes) as FSST beside
//! plain (rows/s; bytes/row printed).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::columnar::{
    ByteColumn, ChunkPredicate, ColumnVector, EncodeOptions, EncodingKind, PhysicalType, Scalar,
    Values, decode, encode, filter,
};
use lightning_db::util::rng::SplitMix64 as Rng;

const ROWS: usize = 128 * 1024;

fn inputs() -> Vec<(&'static str, ColumnVector)> {
    let mut rng = Rng::new(0xBE7C);
    let mut key = 1_000_000i64;
    let sorted: Vec<i64> = (0..ROWS)
        .map(|_| {
            key += rng.range_inclusive(1, 8) as i64;
            key
        })
        .collect();
    let prices: Vec<f64> = (0..ROWS)
        .map(|_| rng.range_inclusive(90_000, 10_500_000) as f64 / 100.0)
        .collect();
    let mut strings = ByteColumn::new();
    for _ in 0..ROWS {
        strings.push(format!("supplier#{:03}", rng.below(25)).as_bytes());
    }
    let col = |values| ColumnVector {
        values,
        validity: None,
    };
    vec![
        ("sorted_i64", col(Values::Int(sorted))),
        ("decimal2_f64", col(Values::Double(prices))),
        ("strings_25_distinct", col(Values::Bytes(strings))),
    ]
}

fn codecs(c: &mut Criterion) {
    let mut g = c.benchmark_group("columnar");
    g.throughput(Throughput::Elements(ROWS as u64));
    for (name, col) in inputs() {
        let opts = EncodeOptions::default();
        let chunk = encode(&col, &opts);
        eprintln!(
            "{name}: {} -> {} bytes ({:.2} bytes/row)",
            chunk.encoding,
            chunk.bytes.len(),
            chunk.bytes.len() as f64 / ROWS as f64
        );
        g.bench_function(format!("encode/{name}"), |b| b.iter(|| encode(&col, &opts)));
        let ty = col.values.physical_type();
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode(&chunk.bytes, ty, ROWS).expect("decodes"))
        });
    }
    let mut rng = Rng::new(0xF0F0);
    let wide: Vec<i64> = (0..ROWS)
        .map(|_| 500_000 + rng.below(1 << 20) as i64)
        .collect();
    let col = ColumnVector {
        values: Values::Int(wide),
        validity: None,
    };
    let chunk = encode(
        &col,
        &EncodeOptions {
            sample: true,
            force: Some(EncodingKind::For),
        },
    );
    let pred = ChunkPredicate::Between {
        lo: Scalar::Int(700_000),
        hi: Scalar::Int(900_000),
    };
    eprintln!("filter input: {}", chunk.encoding);
    g.bench_function("filter_between/for_bitpack_i64", |b| {
        b.iter(|| filter(&chunk.bytes, PhysicalType::Int, ROWS, &pred).expect("filters"))
    });
    g.finish();
}

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

fn comments(n: usize) -> ColumnVector {
    let mut rng = Rng::new(0xC033);
    let mut col = ByteColumn::new();
    for _ in 0..n {
        let target = rng.range_inclusive(10, 40) as usize;
        let mut s = String::new();
        while s.len() < target {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(VOCABULARY[rng.below(VOCABULARY.len() as u64) as usize]);
        }
        s.truncate(target);
        col.push(s.as_bytes());
    }
    ColumnVector {
        values: Values::Bytes(col),
        validity: None,
    }
}

fn fsst(c: &mut Criterion) {
    const N: usize = 64 * 1024;
    let col = comments(N);
    let mut g = c.benchmark_group("columnar");
    g.throughput(Throughput::Elements(N as u64));
    for (name, kind) in [
        ("fsst", EncodingKind::Fsst),
        ("fsst_plain", EncodingKind::Plain),
    ] {
        let opts = EncodeOptions {
            sample: true,
            force: Some(kind),
        };
        let chunk = encode(&col, &opts);
        eprintln!(
            "comments {name}: {} -> {} bytes ({:.2} bytes/row)",
            chunk.encoding,
            chunk.bytes.len(),
            chunk.bytes.len() as f64 / N as f64
        );
        g.bench_function(format!("encode/comments_{name}"), |b| {
            b.iter(|| encode(&col, &opts))
        });
        g.bench_function(format!("decode/comments_{name}"), |b| {
            b.iter(|| decode(&chunk.bytes, PhysicalType::Bytes, N).expect("decodes"))
        });
    }
    let chunk = encode(&col, &EncodeOptions::default());
    let pred = ChunkPredicate::Cmp {
        op: lightning_db::columnar::CmpOp::Eq,
        value: Scalar::Bytes(b"furiously final foxes".to_vec()),
    };
    eprintln!("comments chosen: {}", chunk.encoding);
    g.bench_function("filter_eq/comments_fsst", |b| {
        b.iter(|| filter(&chunk.bytes, PhysicalType::Bytes, N, &pred).expect("filters"))
    });
    g.finish();
}

criterion_group!(benches, codecs, fsst);
criterion_main!(benches);

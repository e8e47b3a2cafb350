//! The FSST encoding: round trips of comment-like text, empty strings, NULLs and binary bytes
//! (forced and chosen), what the chooser picks and how small it is, damaged chunks, and
//! equality filters on the compressed values.

use super::corrupt::{child, invalid_says, plain_ints, seal};
use super::*;
use crate::columnar::encoding::{
    ChunkError, EncodeOptions, EncodingKind, decode, encode, fsst::Table,
};
use crate::columnar::predicate::{ChunkPredicate, CmpOp, Scalar, eval, filter};

const FORCE: EncodeOptions = EncodeOptions {
    sample: true,
    force: Some(EncodingKind::Fsst),
};

fn round_trip(col: &ColumnVector, opts: &EncodeOptions, ctx: &str) -> crate::columnar::Encoding {
    let chunk = encode(col, opts);
    let back = decode(&chunk.bytes, PhysicalType::Bytes, col.len())
        .unwrap_or_else(|e| panic!("{ctx}: {} failed to decode: {e}", chunk.encoding));
    assert!(
        same(col, &back),
        "{ctx}: {} did not round-trip",
        chunk.encoding
    );
    chunk.encoding
}

fn plain_col(values: ByteColumn) -> ColumnVector {
    ColumnVector {
        values: Values::Bytes(values),
        validity: None,
    }
}

#[test]
fn fsst_round_trips_text_empty_nulls_and_binary() {
    for seed in 0..seeds(2) {
        let mut rng = SplitMix64::new(0xF557_0000 + seed);
        for n in [0usize, 1, 2, 63, 700, 65_536] {
            let mut inputs = vec![
                ("comments", comments(n, &mut rng)),
                ("empty", {
                    let mut c = ByteColumn::new();
                    for _ in 0..n {
                        c.push(b"");
                    }
                    c
                }),
                ("binary", {
                    let mut c = ByteColumn::new();
                    for _ in 0..n {
                        let len = rng.below(30) as usize;
                        let mut v = rng.bytes(len);
                        if len > 0 && rng.chance(1, 2) {
                            v[0] = 0xFF;
                        }
                        c.push(&v);
                    }
                    c
                }),
            ];
            inputs.push(("mixed", {
                let mut c = ByteColumn::new();
                for i in 0..n {
                    match i % 3 {
                        0 => c.push(&comment(&mut rng)),
                        1 => c.push(&[0xFF, 0xFF, 0, 0xFF]),
                        _ => c.push(b""),
                    }
                }
                c
            }));
            for (name, values) in inputs {
                for nulls in [0, 2] {
                    let col = column(Values::Bytes(values.clone()), nulls, &mut rng);
                    let ctx = format!(
                        "seed {:#x} {name} n={n} nulls={nulls}/8",
                        0xF557_0000 + seed
                    );
                    let e = round_trip(&col, &FORCE, &ctx);
                    assert_eq!(e.kind, EncodingKind::Fsst, "{ctx}: {e}");
                    assert!(e.to_string().starts_with("fsst(offsets="), "{ctx}: {e}");
                    round_trip(&col, &EncodeOptions::default(), &ctx);
                }
            }
        }
    }
}

#[test]
fn every_byte_value_and_long_values_round_trip_through_a_table() {
    let mut rng = SplitMix64::new(0xB17E);
    let all: Vec<u8> = (0..=255u8).collect();
    let long = comments(400, &mut rng).data().to_vec();
    let table = Table::build(&[&long]);
    assert!(table.len() <= 255 && !table.is_empty(), "seed 0xB17E");
    let mut col = ByteColumn::new();
    col.push(&all);
    col.push(&long);
    col.push(&all.repeat(3));
    round_trip(&plain_col(col), &FORCE, "seed 0xB17E");
}

#[test]
fn chooser_picks_fsst_for_comments_and_dictionary_for_few_values() {
    let mut rng = SplitMix64::new(0xC0AA);
    let n = 64 * 1024;
    let col = plain_col(comments(n, &mut rng));
    let chosen = encode(&col, &EncodeOptions::default());
    assert_eq!(
        chosen.encoding.kind,
        EncodingKind::Fsst,
        "seed 0xC0AA: {}",
        chosen.encoding
    );
    let plain = encode(
        &col,
        &EncodeOptions {
            sample: true,
            force: Some(EncodingKind::Plain),
        },
    );
    assert!(
        chosen.bytes.len() * 2 <= plain.bytes.len(),
        "seed 0xC0AA: {} is {} bytes, plain {}",
        chosen.encoding,
        chosen.bytes.len(),
        plain.bytes.len()
    );
    let modes = ["AIR", "MAIL", "RAIL", "SHIP", "TRUCK", "FOB", "REG AIR"];
    let mut few = ByteColumn::new();
    for _ in 0..n {
        few.push(modes[rng.below(7) as usize].as_bytes());
    }
    let e = encode(&plain_col(few), &EncodeOptions::default()).encoding;
    assert_eq!(e.kind, EncodingKind::Dict, "seed 0xC0AA: {e}");
}

#[test]
fn flipped_bytes_of_an_fsst_chunk_are_errors() {
    let mut rng = SplitMix64::new(0xF1F5);
    let col = column(Values::Bytes(comments(60, &mut rng)), 1, &mut rng);
    let chunk = encode(&col, &FORCE);
    assert_eq!(chunk.encoding.kind, EncodingKind::Fsst);
    let ty = PhysicalType::Bytes;
    let pred = ChunkPredicate::Cmp {
        op: CmpOp::Eq,
        value: Scalar::Bytes(b"the".to_vec()),
    };
    for i in 0..chunk.bytes.len() {
        for bit in [0, 5] {
            let mut b = chunk.bytes.clone();
            b[i] ^= 1 << bit;
            let r = decode(&b, ty, 60);
            assert!(
                matches!(r, Err(ChunkError::Checksum { .. })),
                "seed 0xF1F5 byte {i} bit {bit}: {r:?}"
            );
            assert!(filter(&b, ty, 60, &pred).is_err(), "seed 0xF1F5 byte {i}");
        }
    }
    for cut in 0..chunk.bytes.len() {
        assert!(decode(&chunk.bytes[..cut], ty, 60).is_err(), "cut at {cut}");
    }
}

/// An FSST payload: the symbol count byte, the symbols, plain offsets, the data.
fn payload(count: u8, symbols: &[&[u8]], offsets: &[i64], data: &[u8]) -> Vec<u8> {
    let mut p = vec![count];
    for s in symbols {
        p.push(s.len() as u8);
        p.extend_from_slice(s);
    }
    child(&mut p, &plain_ints(offsets));
    p.extend_from_slice(data);
    p
}

fn decode_fsst(rows: u32, p: &[u8]) -> Result<ColumnVector, ChunkError> {
    let ty = PhysicalType::Bytes;
    let tree = [(EncodingKind::Fsst, 0), (EncodingKind::Plain, 0)];
    let b = seal(ty, rows, &tree, p);
    let pred = ChunkPredicate::Cmp {
        op: CmpOp::Eq,
        value: Scalar::Bytes(b"ab".to_vec()),
    };
    // The filter refuses what decoding refuses.
    assert_eq!(
        filter(&b, ty, rows as usize, &pred).is_err(),
        decode(&b, ty, rows as usize).is_err()
    );
    decode(&b, ty, rows as usize)
}

#[test]
fn invalid_fsst_structures_with_valid_checksums_are_refused() {
    // A well-formed chunk decodes: "ab" + escaped 'z', then "ab".
    let ok = decode_fsst(2, &payload(1, &[b"ab"], &[0, 3, 4], &[0, 255, b'z', 0])).expect("valid");
    match ok.values {
        Values::Bytes(c) => assert_eq!(c.iter().collect::<Vec<_>>(), [&b"abz"[..], b"ab"]),
        v => panic!("{v:?}"),
    }
    invalid_says(
        decode_fsst(1, &payload(1, &[b""], &[0, 1], &[0])),
        "symbol 0 has length 0",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"abcdefghi"], &[0, 1], &[0])),
        "symbol 0 has length 9",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"ab"], &[0, 1], &[255])),
        "escape at the end of value 0",
    );
    // The escape's byte may not come from the next value.
    invalid_says(
        decode_fsst(2, &payload(1, &[b"ab"], &[0, 1, 2], &[255, b'z'])),
        "escape at the end of value 0",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"ab"], &[0, 1], &[7])),
        "code 7 in value 0 >= symbol count 1",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"ab"], &[0, 9], &[0])),
        "past the compressed data length",
    );
    invalid_says(
        decode_fsst(2, &payload(1, &[b"ab"], &[0, 2, 1], &[0, 0])),
        "not monotone",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"ab"], &[1, 1], &[0])),
        "not monotone from 0",
    );
    invalid_says(
        decode_fsst(1, &payload(1, &[b"ab"], &[0, 1], &[0, 0])),
        "offsets end at 1",
    );
    // 256 symbols do not fit the count byte: the extra symbol is read as the offsets.
    let many: Vec<Vec<u8>> = (0..256u32).map(|i| vec![b'a', i as u8]).collect();
    let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    assert!(decode_fsst(1, &payload(255, &refs, &[0, 1], &[0])).is_err());
    // A payload cut inside the table.
    assert!(decode_fsst(1, &[3, 2, b'a']).is_err());
}

#[test]
fn filters_on_fsst_equal_naive_evaluation() {
    for seed in 0..8u64 {
        let mut rng = SplitMix64::new(0xF5F1_0000 + seed);
        let n = [1usize, 100, 2000][rng.below(3) as usize];
        let col = column(Values::Bytes(comments(n, &mut rng)), rng.below(3), &mut rng);
        let chunk = encode(&col, &FORCE);
        let pick = |rng: &mut SplitMix64| match &col.values {
            Values::Bytes(c) => Scalar::Bytes(c.get(rng.below(n as u64) as usize).to_vec()),
            _ => Scalar::Int(0),
        };
        let preds = [
            ChunkPredicate::Cmp {
                op: CmpOp::Eq,
                value: pick(&mut rng),
            },
            ChunkPredicate::Cmp {
                op: CmpOp::Eq,
                value: Scalar::Bytes(Vec::new()),
            },
            ChunkPredicate::Cmp {
                op: CmpOp::Eq,
                value: Scalar::Int(3),
            },
            ChunkPredicate::InList(vec![pick(&mut rng), pick(&mut rng), Scalar::Int(1)]),
            ChunkPredicate::Cmp {
                op: CmpOp::Lt,
                value: pick(&mut rng),
            },
            ChunkPredicate::Between {
                lo: pick(&mut rng),
                hi: pick(&mut rng),
            },
        ];
        for pred in preds {
            let got = filter(&chunk.bytes, PhysicalType::Bytes, n, &pred).expect("filters");
            for i in 0..n {
                let v = match &col.values {
                    Values::Bytes(c) if !col.is_null(i) => Some(Scalar::Bytes(c.get(i).to_vec())),
                    _ => None,
                };
                assert_eq!(
                    got.get(i),
                    eval(&pred, v.as_ref()),
                    "seed {:#x} row {i} {pred:?}",
                    0xF5F1_0000 + seed
                );
            }
        }
    }
}

//! Damaged chunks: every flipped or cut byte is an error, and chunks whose checksum is right but
//! whose structure is not are refused with a message naming what is wrong.

use super::*;
use crate::columnar::encoding::{ChunkError, EncodeOptions, EncodingKind, decode, encode};
use crate::columnar::predicate::{ChunkPredicate, CmpOp, Scalar, filter};
use crate::util::codec::{push_u32, push_u64};

#[test]
fn every_flipped_or_cut_byte_is_an_error() {
    let mut rng = SplitMix64::new(0xF11B);
    let cases = [
        (PhysicalType::Int, Shape::Sorted, Some(EncodingKind::Delta)),
        (PhysicalType::Int, Shape::Runs, Some(EncodingKind::Rle)),
        (
            PhysicalType::Double,
            Shape::FewDistinct,
            Some(EncodingKind::Decimal),
        ),
        (
            PhysicalType::Bytes,
            Shape::FewDistinct,
            Some(EncodingKind::Dict),
        ),
        (
            PhysicalType::Bytes,
            Shape::RandomWide,
            Some(EncodingKind::Fallback),
        ),
        (PhysicalType::Bool, Shape::Runs, None),
    ];
    for (ty, shape, force) in cases {
        let col = column(values(ty, shape, 200, &mut rng), 1, &mut rng);
        let chunk = encode(
            &col,
            &EncodeOptions {
                sample: true,
                force,
            },
        );
        let pred = ChunkPredicate::Cmp {
            op: CmpOp::Ge,
            value: Scalar::Int(0),
        };
        for i in 0..chunk.bytes.len() {
            for bit in [0, 3, 7] {
                let mut b = chunk.bytes.clone();
                b[i] ^= 1 << bit;
                let r = decode(&b, ty, 200);
                assert!(
                    matches!(r, Err(ChunkError::Checksum { .. })),
                    "{ty:?} byte {i} bit {bit}: {r:?}"
                );
                assert!(filter(&b, ty, 200, &pred).is_err());
            }
        }
        for cut in 0..chunk.bytes.len() {
            assert!(
                decode(&chunk.bytes[..cut], ty, 200).is_err(),
                "{ty:?} cut at {cut}"
            );
        }
    }
}

/// A chunk with a valid checksum from its header fields, tree and payload.
pub(super) fn seal(
    ty: PhysicalType,
    rows: u32,
    tree: &[(EncodingKind, u8)],
    payload: &[u8],
) -> Vec<u8> {
    let mut b = vec![crate::columnar::encoding::CHUNK_MAGIC, ty.tag()];
    push_u32(&mut b, rows);
    b.push(0);
    for &(k, p) in tree {
        b.push(k.tag());
        b.push(p);
    }
    b.extend_from_slice(payload);
    let crc = crc32c::crc32c(&b);
    push_u32(&mut b, crc);
    b
}

pub(super) fn plain_ints(v: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    for &x in v {
        push_u64(&mut out, x as u64);
    }
    out
}

pub(super) fn child(out: &mut Vec<u8>, c: &[u8]) {
    push_u32(out, c.len() as u32);
    out.extend_from_slice(c);
}

pub(super) fn invalid_says(r: Result<ColumnVector, ChunkError>, needle: &str) {
    match r {
        Err(ChunkError::Invalid { what }) => {
            assert!(what.contains(needle), "{what:?} lacks {needle:?}")
        }
        other => panic!("expected an invalid chunk ({needle}), got {other:?}"),
    }
}

#[test]
fn structurally_invalid_chunks_with_valid_checksums_are_refused() {
    use EncodingKind as K;
    let int = PhysicalType::Int;
    // Bit width past 64.
    invalid_says(
        decode(&seal(int, 4, &[(K::For, 65)], &[0; 8]), int, 4),
        "parameter 65",
    );
    // Packed data of the wrong length for its width.
    invalid_says(
        decode(&seal(int, 4, &[(K::BitPack, 17)], &[0; 8]), int, 4),
        "bit-packed",
    );
    // A dictionary code past the dictionary.
    let mut p = Vec::new();
    push_u32(&mut p, 2);
    child(&mut p, &plain_ints(&[1, 2]));
    child(&mut p, &plain_ints(&[0, 1, 2, 1]));
    invalid_says(
        decode(&seal(int, 4, &[(K::Dict, 0), (K::Plain, 0)], &p), int, 4),
        "code 2 >= dictionary size 2",
    );
    // An unsorted dictionary.
    let mut p = Vec::new();
    push_u32(&mut p, 2);
    child(&mut p, &plain_ints(&[2, 1]));
    child(&mut p, &plain_ints(&[0, 1, 0, 1]));
    invalid_says(
        decode(&seal(int, 4, &[(K::Dict, 0), (K::Plain, 0)], &p), int, 4),
        "not strictly increasing",
    );
    // Run lengths that do not sum to the row count.
    let mut p = Vec::new();
    push_u32(&mut p, 2);
    child(&mut p, &plain_ints(&[5, 6]));
    child(&mut p, &plain_ints(&[1, 1]));
    invalid_says(
        decode(
            &seal(int, 4, &[(K::Rle, 0), (K::Plain, 0), (K::Plain, 0)], &p),
            int,
            4,
        ),
        "sum to 2",
    );
    // Byte offsets past the data.
    let bytes = PhysicalType::Bytes;
    let mut p = Vec::new();
    child(&mut p, &plain_ints(&[0, 3, 10]));
    p.extend_from_slice(b"abc");
    invalid_says(
        decode(
            &seal(bytes, 2, &[(K::Fallback, 0), (K::Plain, 0)], &p),
            bytes,
            2,
        ),
        "past the data length",
    );
    // Decreasing plain offsets.
    let mut p = Vec::new();
    for o in [0u32, 2, 1] {
        push_u32(&mut p, o);
    }
    p.extend_from_slice(b"ab");
    invalid_says(
        decode(&seal(bytes, 2, &[(K::Plain, 0)], &p), bytes, 2),
        "not monotone",
    );
    // A huge row count, whether or not the caller expects it.
    let huge = seal(int, u32::MAX, &[(K::For, 0)], &[0; 8]);
    invalid_says(decode(&huge, int, u32::MAX as usize), "row count");
    invalid_says(decode(&huge, int, 4), "row count");
    // A cascade deeper than the limit.
    let deep = [
        (K::Dict, 0),
        (K::Dict, 0),
        (K::Dict, 0),
        (K::Dict, 0),
        (K::Plain, 0),
    ];
    invalid_says(decode(&seal(int, 1, &deep, &[]), int, 1), "deeper");
    // An encoding of another type, and an unknown tag.
    invalid_says(
        decode(
            &seal(int, 1, &[(K::Decimal, 2), (K::Plain, 0)], &[]),
            int,
            1,
        ),
        "Decimal",
    );
    let mut b = seal(int, 1, &[(K::Plain, 0)], &plain_ints(&[1]));
    b[7] = 99;
    let n = b.len() - 4;
    let crc = crc32c::crc32c(&b[..n]);
    b[n..].copy_from_slice(&crc.to_le_bytes());
    invalid_says(decode(&b, int, 1), "unknown encoding tag 99");
    // A decimal mantissa beyond 2^52.
    let dbl = PhysicalType::Double;
    invalid_says(
        decode(
            &seal(
                dbl,
                1,
                &[(K::Decimal, 2), (K::Plain, 0)],
                &plain_ints(&[1 << 53]),
            ),
            dbl,
            1,
        ),
        "mantissa",
    );
}

//! Predicates on integer streams as ranges of integers, and their evaluation on each integer
//! encoding: frame of reference and bit-packing compare packed values, dictionaries evaluate
//! each entry once, run-length each run once, the rest decode.
//!
//! A predicate on a domain `lo..=hi` whose values map monotonically onto the column's values
//! (the integers themselves, or pseudodecimal mantissas) becomes half-open `i128` ranges via
//! two thresholds per constant, found by binary search with the exact comparison: the smallest
//! `k` whose value is `≥ c`, and the smallest whose value is `> c`.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;

use super::{ChunkPredicate, CmpOp, Scalar};
use crate::columnar::encoding::{
    ChunkError, Encoding, EncodingKind, bitpack, dict, frame, invalid, rle, stream,
};
use crate::columnar::vector::{Bitmap, PhysicalType, Values};

/// Half-open ranges `[a, b)` of integers; a value matches if it lies in any of them.
pub type IntRanges = Vec<(i128, i128)>;

/// `pred` as ranges of the domain `lo..=hi`, where `cmp_at(k, c)` compares the value of `k`
/// with constant `c` and is monotone in `k`. A constant `cmp_at` cannot compare (NaN, another
/// type) matches nothing. `IsNull` matches nothing and `IsNotNull` everything (NULLs are the
/// caller's).
pub fn int_ranges(
    pred: &ChunkPredicate,
    lo: i64,
    hi: i64,
    cmp_at: impl Fn(i64, &Scalar) -> Option<Ordering>,
) -> IntRanges {
    let (l, h) = (i128::from(lo), i128::from(hi) + 1);
    let comparable = |c: &Scalar| cmp_at(lo, c).is_some();
    // The smallest k in [l, h) whose value is ≥ c (> c when `strict`), or h.
    let first = |c: &Scalar, strict: bool| -> i128 {
        let (mut a, mut b) = (l, h);
        while a < b {
            let mid = a + (b - a) / 2;
            let ok = match cmp_at(mid as i64, c) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Equal) => !strict,
                _ => false,
            };
            if ok {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        a
    };
    let eq = |c: &Scalar| {
        if comparable(c) {
            vec![(first(c, false), first(c, true))]
        } else {
            Vec::new()
        }
    };
    let out = match pred {
        ChunkPredicate::Cmp { value: c, .. } if !comparable(c) => Vec::new(),
        ChunkPredicate::Cmp { op, value: c } => match op {
            CmpOp::Eq => eq(c),
            CmpOp::Ne => vec![(l, first(c, false)), (first(c, true), h)],
            CmpOp::Lt => vec![(l, first(c, false))],
            CmpOp::Le => vec![(l, first(c, true))],
            CmpOp::Gt => vec![(first(c, true), h)],
            CmpOp::Ge => vec![(first(c, false), h)],
        },
        ChunkPredicate::Between { lo: a, hi: b } if comparable(a) && comparable(b) => {
            vec![(first(a, false), first(b, true))]
        }
        ChunkPredicate::Between { .. } | ChunkPredicate::IsNull => Vec::new(),
        ChunkPredicate::IsNotNull => vec![(l, h)],
        ChunkPredicate::InList(list) => list.iter().flat_map(eq).collect(),
    };
    out.into_iter().filter(|(a, b)| a < b).collect()
}

/// Whether `x` lies in one of `ranges`.
#[inline]
pub fn in_ranges(x: i64, ranges: &[(i128, i128)]) -> bool {
    let x = i128::from(x);
    ranges.iter().any(|&(a, b)| a <= x && x < b)
}

/// Which of the `n` values of an integer stream lie in `ranges`.
pub fn filter_ints(
    enc: &Encoding,
    payload: &[u8],
    n: usize,
    ranges: &[(i128, i128)],
) -> Result<Bitmap, ChunkError> {
    match enc.kind {
        EncodingKind::For => frame::filter(payload, n, enc.param, ranges),
        EncodingKind::BitPack => {
            if enc.param == 64 {
                return Err(invalid("bitpack width 64 holds values past i64::MAX"));
            }
            let shifted = frame::shift(ranges, 0, enc.param);
            bitpack::filter_ranges(payload, n, enc.param, &shifted)
        }
        EncodingKind::Dict => {
            let parts = dict::split(enc, PhysicalType::Int, payload, n)?;
            let hit: Vec<bool> = match &parts.dict {
                Values::Int(d) => d.iter().map(|&x| in_ranges(x, ranges)).collect(),
                _ => return Err(invalid("integer dictionary of another type")),
            };
            filter_codes(&parts, &hit, n)
        }
        EncodingKind::Rle => {
            let runs = rle::decode_runs(enc, PhysicalType::Int, payload, n)?;
            let Values::Int(values) = &runs.values else {
                return Err(invalid("integer runs of another type"));
            };
            let mut out = Bitmap::none(n);
            let mut at = 0;
            for (&x, &len) in values.iter().zip(&runs.lengths) {
                if in_ranges(x, ranges) {
                    out.set_range(at, at + len);
                }
                at += len;
            }
            Ok(out)
        }
        _ => {
            let values = stream::decode_ints(enc, payload, n)?;
            let mut out = Bitmap::none(n);
            for (i, &x) in values.iter().enumerate() {
                if in_ranges(x, ranges) {
                    out.set(i, true);
                }
            }
            Ok(out)
        }
    }
}

/// Which rows of a dictionary-encoded stream have a code whose entry matched (`hit`, one per
/// dictionary entry). Matching entries of a sorted dictionary are usually one code range,
/// tested on the encoded codes; otherwise the codes are decoded and looked up.
pub fn filter_codes(parts: &dict::Parts<'_>, hit: &[bool], n: usize) -> Result<Bitmap, ChunkError> {
    let first = hit.iter().position(|&h| h);
    let last = hit.iter().rposition(|&h| h);
    match (first, last) {
        (None, _) | (_, None) => Ok(Bitmap::none(n)),
        (Some(a), Some(b)) if hit.get(a..=b).is_some_and(|s| s.iter().all(|&h| h)) => {
            let range = [(a as i128, b as i128 + 1)];
            filter_ints(parts.codes_encoding, parts.codes, n, &range)
        }
        _ => {
            let codes = dict::codes(parts, n)?;
            let mut out = Bitmap::none(n);
            for (i, &c) in codes.iter().enumerate() {
                if hit.get(c).copied().unwrap_or(false) {
                    out.set(i, true);
                }
            }
            Ok(out)
        }
    }
}

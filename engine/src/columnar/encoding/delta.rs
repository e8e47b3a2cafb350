//! Delta encoding for integers: the first value, then the `n - 1` differences of consecutive
//! values (wrapping `i64` subtraction, so every input round-trips) as a child stream — for
//! sorted keys and dates the deltas are small and frame-of-reference packs them tightly.
//!
//! Payload: first value `i64` little-endian (absent for 0 rows); the deltas as an integer
//! stream encoded as the node's child encoding says (the rest of the payload).
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, Encoding, EncodingKind, invalid, select, stream};
use crate::util::codec::{Reader, push_u64};

/// Delta-encodes `values`, the deltas encoded at `depth + 1`.
pub fn encode(values: &[i64], depth: usize, sample: bool) -> (Encoding, Vec<u8>) {
    let deltas: Vec<i64> = values
        .windows(2)
        .map(|w| match w {
            [a, b] => b.wrapping_sub(*a),
            _ => 0,
        })
        .collect();
    let (child, bytes) = select::encode_ints(&deltas, depth + 1, sample);
    let mut out = Vec::with_capacity(8 + bytes.len());
    if let Some(&first) = values.first() {
        push_u64(&mut out, first as u64);
    }
    out.extend_from_slice(&bytes);
    (
        Encoding {
            kind: EncodingKind::Delta,
            param: 0,
            children: vec![child],
        },
        out,
    )
}

/// Decodes a delta stream of `n` values.
pub fn decode(enc: &Encoding, payload: &[u8], n: usize) -> Result<Vec<i64>, ChunkError> {
    let child = enc
        .children
        .first()
        .ok_or_else(|| invalid("delta encoding without a child encoding"))?;
    if n == 0 {
        return stream::decode_ints(child, payload, 0);
    }
    let mut r = Reader::new(payload);
    let first = r.u64()? as i64;
    let deltas = stream::decode_ints(child, r.rest(), n - 1)?;
    let mut out = Vec::with_capacity(n);
    let mut cur = first;
    out.push(cur);
    for d in deltas {
        cur = cur.wrapping_add(d);
        out.push(cur);
    }
    Ok(out)
}

//! Frame of reference: an integer stream as its minimum (`i64` little-endian) and then every
//! `value - min` (as `u64`, which cannot overflow) bit-packed at the width of `max - min`.
//! Constant streams pack at width 0: the payload is the minimum alone.
#![deny(clippy::indexing_slicing)]

use super::bitpack;
use super::{ChunkError, invalid};
use crate::columnar::vector::Bitmap;
use crate::util::codec::{Reader, push_u64};

/// Encodes `values`: the bit width and the payload.
pub fn encode_ints(values: &[i64]) -> (u8, Vec<u8>) {
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    let w = bitpack::width(max.wrapping_sub(min) as u64);
    let mut out = Vec::with_capacity(8 + bitpack::packed_len(values.len(), w));
    push_u64(&mut out, min as u64);
    bitpack::pack(
        values.iter().map(|&v| v.wrapping_sub(min) as u64),
        w,
        &mut out,
    );
    (w, out)
}

/// The reference and the packed bytes of a payload.
fn split(payload: &[u8]) -> Result<(i64, &[u8]), ChunkError> {
    let mut r = Reader::new(payload);
    let min = r.u64()? as i64;
    Ok((min, r.rest()))
}

/// Decodes a payload of `n` values at width `w`; values past `i64::MAX` are refused.
pub fn decode_ints(payload: &[u8], n: usize, w: u8) -> Result<Vec<i64>, ChunkError> {
    let (min, packed) = split(payload)?;
    let offsets = bitpack::unpack(packed, n, w)?;
    // The largest offset decides whether any value passes i64::MAX; then none does.
    let top = offsets.iter().copied().max().unwrap_or(0);
    if i64::try_from(i128::from(min) + i128::from(top)).is_err() {
        return Err(invalid("frame-of-reference value past i64::MAX"));
    }
    Ok(offsets
        .into_iter()
        .map(|o| min.wrapping_add(o as i64))
        .collect())
}

/// Which of the `n` values lie in one of `ranges` (half-open, over `i128` so that `i64::MAX`
/// can be an inclusive end): each range is shifted by the reference into the packed domain and
/// the packed values are compared directly.
pub fn filter(
    payload: &[u8],
    n: usize,
    w: u8,
    ranges: &[(i128, i128)],
) -> Result<Bitmap, ChunkError> {
    let (min, packed) = split(payload)?;
    bitpack::filter_ranges(packed, n, w, &shift(ranges, i128::from(min), w))
}

/// `ranges` (half-open) minus `reference`, as inclusive ranges clamped to the values a
/// width-`w` packing can hold (`0..=2^w - 1`).
pub fn shift(ranges: &[(i128, i128)], reference: i128, w: u8) -> Vec<(u64, u64)> {
    let top: i128 = (1i128 << w) - 1; // the largest packed value
    ranges
        .iter()
        .filter_map(|&(lo, hi)| {
            let lo = (lo - reference).max(0);
            let hi = (hi - 1 - reference).min(top);
            (lo <= hi).then_some((lo as u64, hi as u64))
        })
        .collect()
}

//! Bit-packing: `n` unsigned values of `w` bits each (0 ≤ w ≤ 64), least significant bits
//! first, in little-endian `u64` words (`ceil(n·w / 64)` words; the unused high bits of the last
//! word are zero).
//!
//! Used directly for non-negative integer streams (`bitpack[w]`) and under frame-of-reference
//! ([`super::frame`]). [`filter_ranges`] tests packed values against ranges 64 values at a time
//! without materializing them.
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, invalid};
use crate::columnar::vector::Bitmap;
use crate::util::codec::push_u64;

/// Bits needed to represent `max` (0 for 0).
pub fn width(max: u64) -> u8 {
    (64 - max.leading_zeros()) as u8
}

/// Bytes of `n` values packed at width `w`.
pub fn packed_len(n: usize, w: u8) -> usize {
    (n as u128 * u128::from(w)).div_ceil(64) as usize * 8
}

/// Appends `values` packed at width `w` (every value must fit in `w` bits).
pub fn pack(values: impl Iterator<Item = u64>, w: u8, out: &mut Vec<u8>) {
    if w == 0 {
        return;
    }
    let mut acc: u128 = 0;
    let mut bits: u32 = 0;
    for v in values {
        acc |= u128::from(v) << bits;
        bits += u32::from(w);
        if bits >= 64 {
            push_u64(out, acc as u64);
            acc >>= 64;
            bits -= 64;
        }
    }
    if bits > 0 {
        push_u64(out, acc as u64);
    }
}

/// A sequential reader of packed values.
pub struct Unpacker<'a> {
    words: std::slice::ChunksExact<'a, u8>,
    acc: u128,
    bits: u32,
    w: u32,
    mask: u64,
}

impl<'a> Unpacker<'a> {
    /// A reader of `n` values of width `w` in `bytes`; an error unless `bytes` is exactly
    /// [`packed_len`]`(n, w)` long and `w ≤ 64`.
    pub fn new(bytes: &'a [u8], n: usize, w: u8) -> Result<Unpacker<'a>, ChunkError> {
        if w > 64 {
            return Err(invalid(format!("bit width {w} > 64")));
        }
        if bytes.len() != packed_len(n, w) {
            return Err(invalid(format!(
                "{} bytes of bit-packed data for {n} values of {w} bits, expected {}",
                bytes.len(),
                packed_len(n, w)
            )));
        }
        Ok(Unpacker {
            words: bytes.chunks_exact(8),
            acc: 0,
            bits: 0,
            w: u32::from(w),
            mask: if w == 64 { u64::MAX } else { (1u64 << w) - 1 },
        })
    }

    /// The next value (zero past the end).
    #[inline]
    pub fn next_value(&mut self) -> u64 {
        if self.bits < self.w {
            let word = self.words.next().map_or(0, |c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            });
            self.acc |= u128::from(word) << self.bits;
            self.bits += 64;
        }
        let v = (self.acc as u64) & self.mask;
        self.acc >>= self.w;
        self.bits -= self.w;
        v
    }
}

/// The `n` values of width `w` packed in `bytes`.
///
/// Widths up to 56 bits take the fast path: value `i` is the eight bytes from byte `i·w / 8`,
/// shifted right by `i·w mod 8` and masked — no carried state, so the loop has no dependency
/// from one value to the next. The last values, whose eight bytes would run past the end, and
/// are read from a zero-padded copy of their window; wider widths go through [`Unpacker`].
pub fn unpack(bytes: &[u8], n: usize, w: u8) -> Result<Vec<u64>, ChunkError> {
    // Checks the width and the length.
    let mut u = Unpacker::new(bytes, n, w)?;
    if w == 0 || w > 56 {
        return Ok((0..n).map(|_| u.next_value()).collect());
    }
    let wu = usize::from(w);
    let mask = (1u64 << w) - 1;
    // Values whose eight-byte window lies inside `bytes`.
    let fast = if bytes.len() >= 8 {
        (((bytes.len() - 8) * 8) / wu + 1).min(n)
    } else {
        0
    };
    let mut out = Vec::with_capacity(n);
    out.extend((0..fast).map(|i| window_at(bytes, i * wu) & mask));
    out.extend((fast..n).map(|i| padded_window_at(bytes, i * wu) & mask));
    Ok(out)
}

/// The 64 bits from bit `bit` of `bytes` on, shifted down (the top `bit mod 8` bits are zero):
/// the eight bytes from byte `bit / 8`, which must lie inside `bytes` (0 otherwise).
#[inline(always)]
fn window_at(bytes: &[u8], bit: usize) -> u64 {
    bytes
        .get(bit / 8..bit / 8 + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_le_bytes)
        >> (bit % 8)
}

/// [`window_at`] for a window that runs past the end of `bytes` (read as zeros there).
fn padded_window_at(bytes: &[u8], bit: usize) -> u64 {
    let rest = bytes.get(bit / 8..).unwrap_or_default();
    let mut window = [0u8; 8];
    let take = rest.len().min(8);
    if let (Some(dst), Some(src)) = (window.get_mut(..take), rest.get(..take)) {
        dst.copy_from_slice(src);
    }
    u64::from_le_bytes(window) >> (bit % 8)
}

/// Which of the `n` packed values lie in one of `ranges` (inclusive, in the packed domain),
/// computed 64 values to a result word.
pub fn filter_ranges(
    bytes: &[u8],
    n: usize,
    w: u8,
    ranges: &[(u64, u64)],
) -> Result<Bitmap, ChunkError> {
    let mut u = Unpacker::new(bytes, n, w)?;
    let mut words = Vec::with_capacity(n.div_ceil(64));
    // One range (the common case) is one subtraction and one comparison a value.
    let single = match ranges {
        [(lo, hi)] => Some((*lo, hi.wrapping_sub(*lo))),
        _ => None,
    };
    let hit = |v: u64| match single {
        Some((lo, span)) => v.wrapping_sub(lo) <= span,
        None => ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi),
    };
    if w == 0 || w > 56 {
        let mut left = n;
        while left > 0 {
            let m = left.min(64);
            let mut word = 0u64;
            for i in 0..m {
                word |= u64::from(hit(u.next_value())) << i;
            }
            words.push(word);
            left -= m;
        }
        return Ok(Bitmap::from_words(words, n));
    }
    // Values by eight-byte windows (see [`unpack`]), 64 to a result word.
    let wu = usize::from(w);
    let mask = (1u64 << w) - 1;
    let fast = if bytes.len() >= 8 {
        (((bytes.len() - 8) * 8) / wu + 1).min(n)
    } else {
        0
    };
    let mut start = 0;
    while start < n {
        let m = (n - start).min(64);
        let mut word = 0u64;
        for j in 0..m {
            let i = start + j;
            let v = if i < fast {
                window_at(bytes, i * wu)
            } else {
                padded_window_at(bytes, i * wu)
            } & mask;
            word |= u64::from(hit(v)) << j;
        }
        words.push(word);
        start += m;
    }
    Ok(Bitmap::from_words(words, n))
}

/// Encodes non-negative integers at the width of their maximum; `None` if one is negative.
pub fn encode_ints(values: &[i64]) -> Option<(u8, Vec<u8>)> {
    if values.iter().any(|&v| v < 0) {
        return None;
    }
    let max = values.iter().copied().max().unwrap_or(0) as u64;
    let w = width(max);
    let mut out = Vec::with_capacity(packed_len(values.len(), w));
    pack(values.iter().map(|&v| v as u64), w, &mut out);
    Some((w, out))
}

/// Decodes [`encode_ints`]' payload; values past `i64::MAX` are refused.
pub fn decode_ints(payload: &[u8], n: usize, w: u8) -> Result<Vec<i64>, ChunkError> {
    if w == 64 {
        return Err(invalid("bitpack width 64 holds values past i64::MAX"));
    }
    let mut u = Unpacker::new(payload, n, w)?;
    Ok((0..n).map(|_| u.next_value() as i64).collect())
}

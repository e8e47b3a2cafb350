//! Pseudodecimal encoding for doubles: when every value `v` of a stream is exactly
//! `k as f64 / 10^e` (bit for bit) for one exponent `0 ≤ e ≤ 4` and integers `|k| < 2^52`,
//! the stream is stored as `e` (the node's parameter) and the integers `k` (the child stream,
//! encoded by the chooser — usually frame of reference). Prices such as `1234.56` become
//! `123456` at `e = 2`. NaN, infinities, `-0.0` and values with more decimals are refused and
//! the chooser falls back to another encoding.
//!
//! `k ↦ k as f64 / 10^e` is strictly increasing for `|k| < 2^52` (exact integer, correctly
//! rounded division, spacing of `k / 10^e` wider than a double's ulp), so predicates compare
//! mantissas instead of doubles ([`crate::columnar::predicate`]).
//!
//! Payload: the mantissas' integer stream (the whole payload). Decoding checks `|k| < 2^52`.
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, Encoding, EncodingKind, invalid, select, stream};

/// The largest exponent.
pub const MAX_EXPONENT: u8 = 4;
/// The largest mantissa magnitude (`2^52 - 1`).
pub const MAX_MANTISSA: i64 = (1 << 52) - 1;

/// `10^e` for `e ≤ MAX_EXPONENT` (1 otherwise).
pub fn pow10(e: u8) -> f64 {
    match e {
        1 => 10.0,
        2 => 100.0,
        3 => 1_000.0,
        4 => 10_000.0,
        _ => 1.0,
    }
}

/// The double that mantissa `k` at exponent `e` stands for.
#[inline]
pub fn value(k: i64, e: u8) -> f64 {
    k as f64 / pow10(e)
}

/// `k` if `v` is exactly `value(k, e)` with `|k| ≤ MAX_MANTISSA`.
fn exact(v: f64, e: u8) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let k = (v * pow10(e)).round();
    if k.abs() > MAX_MANTISSA as f64 {
        return None;
    }
    let k = k as i64;
    (value(k, e).to_bits() == v.to_bits()).then_some(k)
}

/// The smallest exponent at which every value is exact, and the mantissas; `None` if there is
/// none.
pub fn mantissas(values: &[f64]) -> Option<(u8, Vec<i64>)> {
    let mut e = 0u8;
    for &v in values {
        while exact(v, e).is_none() {
            e += 1;
            if e > MAX_EXPONENT {
                return None;
            }
        }
    }
    let ks = values
        .iter()
        .map(|&v| exact(v, e))
        .collect::<Option<Vec<_>>>()?;
    Some((e, ks))
}

/// Encodes `values` as pseudodecimals, the mantissas at `depth + 1`; `None` if they are not.
pub fn encode(values: &[f64], depth: usize, sample: bool) -> Option<(Encoding, Vec<u8>)> {
    let (e, ks) = mantissas(values)?;
    let (child, bytes) = select::encode_ints(&ks, depth + 1, sample);
    Some((
        Encoding {
            kind: EncodingKind::Decimal,
            param: e,
            children: vec![child],
        },
        bytes,
    ))
}

/// The child encoding of a decimal node.
pub fn child(enc: &Encoding) -> Result<&Encoding, ChunkError> {
    enc.children
        .first()
        .ok_or_else(|| invalid("decimal encoding without a child encoding"))
}

/// Decodes the `n` mantissas of a decimal stream, checking their magnitude.
pub fn decode_mantissas(enc: &Encoding, payload: &[u8], n: usize) -> Result<Vec<i64>, ChunkError> {
    let ks = stream::decode_ints(child(enc)?, payload, n)?;
    if let Some(k) = ks.iter().find(|k| k.unsigned_abs() > MAX_MANTISSA as u64) {
        return Err(invalid(format!("decimal mantissa {k} beyond ±2^52")));
    }
    Ok(ks)
}

/// Decodes a decimal stream of `n` doubles.
pub fn decode(enc: &Encoding, payload: &[u8], n: usize) -> Result<Vec<f64>, ChunkError> {
    let e = enc.param;
    Ok(decode_mantissas(enc, payload, n)?
        .into_iter()
        .map(|k| value(k, e))
        .collect())
}

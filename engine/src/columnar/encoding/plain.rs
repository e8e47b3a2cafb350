//! Plain encodings, the baseline every choice is compared with:
//! * integers — `n × i64` little-endian;
//! * doubles — `n × f64` bits, little-endian (NaN payloads and `-0.0` kept bit for bit);
//! * booleans (`bitmap`) — one bit each, packed like [`super::bitpack`] at width 1;
//! * bytes — `(n + 1) × u32` offsets (the first 0, never decreasing, the last = data length),
//!   then the data;
//! * bytes, high cardinality (`fallback`) — the offsets as a cascaded integer stream, then the
//!   data.
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, Encoding, EncodingKind, bitpack, invalid, push_child, read_child};
use super::{select, stream};
use crate::columnar::vector::ByteColumn;
use crate::util::codec::{Reader, push_u32, push_u64};

fn fixed_width(payload: &[u8], n: usize, what: &str) -> Result<(), ChunkError> {
    if Some(payload.len()) == n.checked_mul(8) {
        Ok(())
    } else {
        Err(invalid(format!(
            "plain {what} payload of {} bytes for {n} values",
            payload.len()
        )))
    }
}

fn words(payload: &[u8]) -> impl Iterator<Item = u64> + '_ {
    payload.chunks_exact(8).map(|c| {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        u64::from_le_bytes(a)
    })
}

/// Encodes integers.
pub fn encode_ints(values: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 8);
    for &v in values {
        push_u64(&mut out, v as u64);
    }
    out
}

/// Decodes `n` integers.
pub fn decode_ints(payload: &[u8], n: usize) -> Result<Vec<i64>, ChunkError> {
    fixed_width(payload, n, "integer")?;
    Ok(words(payload).map(|w| w as i64).collect())
}

/// Encodes doubles.
pub fn encode_doubles(values: &[f64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 8);
    for &v in values {
        push_u64(&mut out, v.to_bits());
    }
    out
}

/// Decodes `n` doubles.
pub fn decode_doubles(payload: &[u8], n: usize) -> Result<Vec<f64>, ChunkError> {
    fixed_width(payload, n, "double")?;
    Ok(words(payload).map(f64::from_bits).collect())
}

/// Encodes booleans as a bitmap.
pub fn encode_bools(values: &[bool]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bitpack::packed_len(values.len(), 1));
    bitpack::pack(values.iter().map(|&b| u64::from(b)), 1, &mut out);
    out
}

/// Decodes `n` booleans.
pub fn decode_bools(payload: &[u8], n: usize) -> Result<Vec<bool>, ChunkError> {
    Ok(bitpack::unpack(payload, n, 1)?
        .into_iter()
        .map(|b| b == 1)
        .collect())
}

/// Encodes byte strings.
pub fn encode_bytes(values: &ByteColumn) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.offsets().len() * 4 + values.data().len());
    for &o in values.offsets() {
        push_u32(&mut out, o);
    }
    out.extend_from_slice(values.data());
    out
}

/// Decodes `n` byte strings.
pub fn decode_bytes(payload: &[u8], n: usize) -> Result<ByteColumn, ChunkError> {
    let mut r = Reader::new(payload);
    let count = n
        .checked_add(1)
        .and_then(|c| c.checked_mul(4))
        .ok_or_else(|| invalid("byte column offset count overflows"))?;
    let raw = r.bytes(count)?;
    let offsets: Vec<u32> = raw
        .chunks_exact(4)
        .map(|c| Reader::new(c).u32())
        .collect::<Result<_, _>>()?;
    let data = r.rest().to_vec();
    offsets_to_column(offsets, data)
}

/// The column of `offsets` over `data`, checking that the offsets start at 0, never decrease
/// and end at the data's length.
pub fn offsets_to_column(offsets: Vec<u32>, data: Vec<u8>) -> Result<ByteColumn, ChunkError> {
    let len = data.len();
    ByteColumn::from_parts(offsets, data).ok_or_else(|| {
        invalid(format!(
            "byte offsets not monotone from 0 to the data length {len}"
        ))
    })
}

/// Encodes byte strings for high cardinality (`fallback`): the `n + 1` offsets as an integer
/// child stream (`u32` length + stream, encoded at `depth + 1`), then the data.
pub fn encode_fallback(values: &ByteColumn, depth: usize, sample: bool) -> (Encoding, Vec<u8>) {
    let offsets: Vec<i64> = values.offsets().iter().map(|&o| i64::from(o)).collect();
    let (child, bytes) = select::encode_ints(&offsets, depth + 1, sample);
    let mut out = Vec::with_capacity(4 + bytes.len() + values.data().len());
    push_child(&mut out, &bytes);
    out.extend_from_slice(values.data());
    (
        Encoding {
            kind: EncodingKind::Fallback,
            param: 0,
            children: vec![child],
        },
        out,
    )
}

/// Decodes a `fallback` stream of `n` byte strings.
pub fn decode_fallback(enc: &Encoding, payload: &[u8], n: usize) -> Result<ByteColumn, ChunkError> {
    let child = enc
        .children
        .first()
        .ok_or_else(|| invalid("fallback encoding without an offsets encoding"))?;
    let mut r = Reader::new(payload);
    let offsets = read_child(&mut r)?;
    let data = r.rest();
    let count = n
        .checked_add(1)
        .ok_or_else(|| invalid("byte column offset count overflows"))?;
    let offsets = stream::decode_ints(child, offsets, count)?
        .into_iter()
        .map(|o| {
            u32::try_from(o)
                .ok()
                .filter(|&o| o as usize <= data.len())
                .ok_or_else(|| {
                    invalid(format!(
                        "byte offset {o} past the data length {}",
                        data.len()
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    offsets_to_column(offsets, data.to_vec())
}

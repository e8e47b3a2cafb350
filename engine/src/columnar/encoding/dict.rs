//! Dictionary encoding: the distinct values, sorted (integers by value, doubles by
//! `f64::total_cmp`, bytes lexicographically), and one code per row, its value's position in
//! the dictionary. Because the dictionary is sorted, code order is value order: a range
//! predicate becomes a code range ([`crate::columnar::predicate`]).
//!
//! Payload: `u32` dictionary size `d`; the dictionary as a child (`u32` length + the plain
//! encoding of its `d` values); the codes as a child (`u32` length + an integer stream encoded
//! as the node's child encoding says). Decoding checks that the dictionary is strictly
//! increasing and that every code is below `d`.
#![deny(clippy::indexing_slicing)]

use super::{
    ChunkError, Encoding, EncodingKind, expect_end, invalid, plain, push_child, read_child,
};
use super::{select, stream};
use crate::columnar::vector::{ByteColumn, PhysicalType, Values};
use crate::util::codec::{Reader, push_u32};

/// The sorted distinct values of `values` and each value's code.
pub fn build(values: &Values) -> (Values, Vec<i64>) {
    match values {
        Values::Int(v) => {
            let mut d = v.clone();
            d.sort_unstable();
            d.dedup();
            let codes = v
                .iter()
                .map(|x| d.binary_search(x).unwrap_or(0) as i64)
                .collect();
            (Values::Int(d), codes)
        }
        Values::Double(v) => {
            let mut d = v.clone();
            d.sort_unstable_by(f64::total_cmp);
            d.dedup_by(|a, b| a.to_bits() == b.to_bits());
            let codes = v
                .iter()
                .map(|x| d.binary_search_by(|p| p.total_cmp(x)).unwrap_or(0) as i64)
                .collect();
            (Values::Double(d), codes)
        }
        Values::Bytes(c) => {
            let mut d: Vec<&[u8]> = c.iter().collect();
            d.sort_unstable();
            d.dedup();
            let codes = c
                .iter()
                .map(|x| d.binary_search(&x).unwrap_or(0) as i64)
                .collect();
            let mut col = ByteColumn::new();
            for x in d {
                col.push(x);
            }
            (Values::Bytes(col), codes)
        }
        Values::Bool(v) => (Values::Bool(v.clone()), Vec::new()),
    }
}

/// Dictionary-encodes `values` (integers, doubles or bytes), the codes encoded at `depth + 1`.
pub fn encode(values: &Values, depth: usize, sample: bool) -> Option<(Encoding, Vec<u8>)> {
    if matches!(values, Values::Bool(_)) {
        return None;
    }
    let (dict, codes) = build(values);
    let dict_bytes = match &dict {
        Values::Int(d) => plain::encode_ints(d),
        Values::Double(d) => plain::encode_doubles(d),
        Values::Bytes(d) => plain::encode_bytes(d),
        Values::Bool(_) => return None,
    };
    let (child, codes_bytes) = select::encode_ints(&codes, depth + 1, sample);
    let mut out = Vec::with_capacity(8 + dict_bytes.len() + codes_bytes.len());
    push_u32(&mut out, dict.len() as u32);
    push_child(&mut out, &dict_bytes);
    push_child(&mut out, &codes_bytes);
    Some((
        Encoding {
            kind: EncodingKind::Dict,
            param: 0,
            children: vec![child],
        },
        out,
    ))
}

/// A dictionary payload taken apart: the dictionary, and the codes' encoding and payload.
pub struct Parts<'a> {
    /// The sorted distinct values.
    pub dict: Values,
    /// How the codes are encoded.
    pub codes_encoding: &'a Encoding,
    /// The codes' payload.
    pub codes: &'a [u8],
}

/// Splits a dictionary payload of a stream of type `ty` and `n` rows, checking the dictionary.
pub fn split<'a>(
    enc: &'a Encoding,
    ty: PhysicalType,
    payload: &'a [u8],
    n: usize,
) -> Result<Parts<'a>, ChunkError> {
    let codes_encoding = enc
        .children
        .first()
        .ok_or_else(|| invalid("dictionary without a codes encoding"))?;
    let mut r = Reader::new(payload);
    let d = r.u32()? as usize;
    if d > n {
        return Err(invalid(format!("dictionary of {d} values for {n} rows")));
    }
    let dict_bytes = read_child(&mut r)?;
    let codes = read_child(&mut r)?;
    expect_end(&r, "dictionary")?;
    let dict = match ty {
        PhysicalType::Int => {
            let d = plain::decode_ints(dict_bytes, d)?;
            strictly_increasing(d.windows(2).all(|w| matches!(w, [a, b] if a < b)))?;
            Values::Int(d)
        }
        PhysicalType::Double => {
            let d = plain::decode_doubles(dict_bytes, d)?;
            strictly_increasing(
                d.windows(2)
                    .all(|w| matches!(w, [a, b] if a.total_cmp(b).is_lt())),
            )?;
            Values::Double(d)
        }
        PhysicalType::Bytes => {
            let d = plain::decode_bytes(dict_bytes, d)?;
            let mut prev: Option<&[u8]> = None;
            for x in d.iter() {
                strictly_increasing(prev.is_none_or(|p| p < x))?;
                prev = Some(x);
            }
            Values::Bytes(d)
        }
        PhysicalType::Bool => return Err(invalid("dictionary of booleans")),
    };
    Ok(Parts {
        dict,
        codes_encoding,
        codes,
    })
}

fn strictly_increasing(ok: bool) -> Result<(), ChunkError> {
    if ok {
        Ok(())
    } else {
        Err(invalid("dictionary not strictly increasing"))
    }
}

/// Decodes the codes of `parts`, checking each is below the dictionary size.
pub fn codes(parts: &Parts<'_>, n: usize) -> Result<Vec<usize>, ChunkError> {
    let d = parts.dict.len();
    stream::decode_ints(parts.codes_encoding, parts.codes, n)?
        .into_iter()
        .map(|c| match usize::try_from(c) {
            Ok(c) if c < d => Ok(c),
            _ => Err(invalid(format!(
                "dictionary code {c} >= dictionary size {d}"
            ))),
        })
        .collect()
}

/// Decodes a dictionary-encoded stream of `n` values of type `ty`.
pub fn decode(
    enc: &Encoding,
    ty: PhysicalType,
    payload: &[u8],
    n: usize,
) -> Result<Values, ChunkError> {
    let parts = split(enc, ty, payload, n)?;
    let codes = codes(&parts, n)?;
    Ok(match &parts.dict {
        Values::Int(d) => Values::Int(
            codes
                .iter()
                .map(|&c| d.get(c).copied().unwrap_or(0))
                .collect(),
        ),
        Values::Double(d) => Values::Double(
            codes
                .iter()
                .map(|&c| d.get(c).copied().unwrap_or(0.0))
                .collect(),
        ),
        Values::Bytes(d) => {
            let mut col = ByteColumn::new();
            for &c in &codes {
                col.push(d.get(c));
            }
            Values::Bytes(col)
        }
        Values::Bool(_) => return Err(invalid("dictionary of booleans")),
    })
}
